package rules

import (
	"testing"

	"github.com/pointguard/pointguard/domain"
)

// TestChecksTheEffectiveConfig: every rule judges the point's defaults
// merged with the integration's config.
func TestChecksTheEffectiveConfig(t *testing.T) {
	codes := func(vs []domain.Violation) []string {
		var out []string
		for _, v := range vs {
			out = append(out, v.Code+":"+string(v.Enforcement))
		}
		return out
	}
	point := &domain.IntegrationPoint{
		ID: "ipt_0190a1b2c3d4e5f60718293a4b5c6d7e", Name: "Ticketing", Category: domain.CategoryTicketing, Version: 1,
		AllowedProviders: domain.AllowedProviders{Prod: []string{"jira"}},
		RequiredConfig:   []string{"project"},
		ConfigDefaults: []domain.ConfigDefault{
			{Path: "project", Value: "SEC", Mode: domain.ConfigModeDefault},
			{ProviderKey: strp("jira"), Path: "site_url", Value: "https://acme.atlassian.net", Mode: domain.ConfigModeLocked},
			{Path: "issue_type", Value: "Bug", Mode: domain.ConfigModeRecommended},
		},
	}
	prg, errs := Compile([]domain.Rule{{Name: "site", Expression: "integration.config.site_url.endsWith('.atlassian.net')",
		Message: "not Atlassian", Enforcement: domain.EnforcementDeny}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	check := func(config map[string]any) []string {
		return codes(Check(Facts{Point: point, Account: account(domain.EnvironmentProd), ProviderKey: "jira",
			Provider: jira, Name: "J", Config: config, Program: prg}))
	}
	// The required key and the CEL rule's key come from the point.
	if got := check(map[string]any{}); len(got) != 0 {
		t.Errorf("empty config under defaults: %v", got)
	}
	if got := check(map[string]any{"site_url": "https://evil.example"}); len(got) != 1 || got[0] != "CONFIG_LOCKED:DENY" {
		t.Errorf("locked override: %v", got)
	}
	if got := check(map[string]any{"issue_type": "Task"}); len(got) != 1 || got[0] != "CONFIG_NOT_RECOMMENDED:WARN" {
		t.Errorf("recommended override: %v", got)
	}
	// The schema validates the merged document: a default the schema
	// refuses shows as INVALID_CONFIG on the integration.
	point.ConfigDefaults[0].Value = ""
	if got := check(map[string]any{}); len(got) != 1 || got[0] != "MISSING_CONFIG:DENY" {
		t.Errorf("blank default project: %v", got)
	}
	point.ConfigDefaults[1].Value = "not a url"
	if got := check(map[string]any{"project": "X"}); len(got) != 2 || got[0] != "INVALID_CONFIG:DENY" || got[1] != "RULE_FAILED:DENY" {
		t.Errorf("bad locked site: %v", got)
	}
}
