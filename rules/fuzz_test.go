package rules

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/pointguard/pointguard/catalog"
	"github.com/pointguard/pointguard/domain"
)

// FuzzCheck feeds arbitrary configs and rule expressions to the checker:
// it must never panic, and every violation it returns must be well formed.
func FuzzCheck(f *testing.F) {
	seeds := []struct{ config, expression string }{
		{`{"project":"SEC","site_url":"https://acme.atlassian.net"}`, `integration.config.site_url.endsWith('.atlassian.net')`},
		{`{"project":1,"n":1e400}`, `integration.config.n > 3`},
		{`{"a":[1,{"b":null}],"api_token":"s"}`, `has(integration.config.a) && size(integration.config.a) == 2`},
		{`{}`, `account.labels['region'] == 'eu' || provider.key in ['jira']`},
		{`{"project":"x"}`, `integration.config.project.matches('[')`},
		{`{"x":"y"}`, `int(integration.config.x) / 0 == 1`},
		{`{"deep":{"deeper":{"deepest":[[[]]]}}}`, `integration.config.deep.deeper.deepest.all(x, x.size() >= 0)`},
	}
	for _, s := range seeds {
		f.Add(s.config, s.expression)
	}
	providers := []string{"jira", "slack", "mock_ticketing", "nope"}
	f.Fuzz(func(t *testing.T, configJSON, expression string) {
		var config map[string]any
		d := json.NewDecoder(bytes.NewReader([]byte(configJSON)))
		d.UseNumber()
		if d.Decode(&config) != nil {
			config = nil
		}
		rules := []domain.Rule{
			{Name: "fuzzed", Expression: expression, Message: "m", Enforcement: domain.EnforcementDeny},
			{Name: "fuzzed-message", Expression: "false", Message: expression, MessageExpression: true, Enforcement: domain.EnforcementWarn},
		}
		prg, errs := Compile(rules)
		if prg == nil && len(errs) == 0 {
			t.Fatal("Compile returned neither a program nor errors")
		}
		limit := 2
		for _, key := range providers {
			f := Facts{
				Point: &domain.IntegrationPoint{Slug: "p", Name: "P", Category: domain.CategoryTicketing, Version: 1,
					AllowedProviders: domain.AllowedProviders{Prod: []string{"jira"}}, RequiredConfig: []string{"project"},
					MaxIntegrationsPerAccount: &limit,
					AccountSelector:           domain.AccountSelector{MatchLabels: []domain.Label{{Key: "region", Value: "eu"}}}},
				Account:     &domain.Account{Slug: "a", Environment: domain.EnvironmentProd, Labels: []domain.Label{{Key: "region", Value: "eu"}}},
				ProviderKey: key, Provider: catalog.Lookup(key), Name: expression, Config: config, Earlier: 1, Program: prg,
			}
			violations := Check(f)
			for _, v := range violations {
				if v.Code == "" || v.Rule == "" || v.Message == "" || !v.Enforcement.IsValid() {
					t.Fatalf("malformed violation %+v", v)
				}
			}
			if (Status(violations) == domain.StatusNonCompliant) != domain.Denies(violations) {
				t.Fatalf("status %s disagrees with %v", Status(violations), violations)
			}
		}
	})
}
