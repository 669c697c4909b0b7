package configdefaults

import (
	"reflect"
	"testing"

	"github.com/pointguard/pointguard/domain"
)

func ptr(s string) *string { return &s }

func TestMerge(t *testing.T) {
	defaults := []domain.ConfigDefault{
		{ProviderKey: ptr("jira"), Path: "site_url", Value: "https://acme.atlassian.net", Mode: domain.ConfigModeLocked},
		{Path: "project", Value: "SEC", Mode: domain.ConfigModeDefault},
		{Path: "mapping.severity", Value: "high", Mode: domain.ConfigModeRecommended},
		{ProviderKey: ptr("servicenow"), Path: "instance_url", Value: "https://x", Mode: domain.ConfigModeLocked},
		{ProviderKey: ptr("jira"), Path: "project", Value: "JIRA", Mode: domain.ConfigModeDefault},
	}
	config := map[string]any{"mapping": map[string]any{"other": "x"}}
	eff, v := Merge(defaults, "Ticketing", "jira", config)
	want := map[string]any{"site_url": "https://acme.atlassian.net", "project": "JIRA",
		"mapping": map[string]any{"other": "x", "severity": "high"}}
	if !reflect.DeepEqual(eff, want) || len(v) != 0 {
		t.Errorf("Merge = %v, %v; want %v", eff, v, want)
	}
	if !reflect.DeepEqual(config, map[string]any{"mapping": map[string]any{"other": "x"}}) {
		t.Errorf("Merge changed its input: %v", config)
	}
	sources := Sources(defaults, "jira", config)
	wantSources := []domain.ConfigSource{
		{Path: "mapping.other", Source: domain.SourceIntegration},
		{Path: "mapping.severity", Source: domain.SourcePointRecommended},
		{Path: "project", Source: domain.SourcePointDefault},
		{Path: "site_url", Source: domain.SourcePointLocked},
	}
	if !reflect.DeepEqual(sources, wantSources) {
		t.Errorf("Sources = %v, want %v", sources, wantSources)
	}

	// Overrides: the same locked value is fine, another is refused; a
	// default is replaced silently; a recommendation with a warning.
	config = map[string]any{"site_url": "https://acme.atlassian.net", "project": "OPS", "mapping": map[string]any{"severity": "low"}}
	eff, v = Merge(defaults, "Ticketing", "jira", config)
	if len(v) != 1 || v[0].Code != domain.ViolationConfigNotRecommended || v[0].Enforcement != domain.EnforcementWarn ||
		*v[0].Field != "config.mapping.severity" {
		t.Errorf("violations %+v", v)
	}
	if eff["project"] != "OPS" || eff["mapping"].(map[string]any)["severity"] != "low" {
		t.Errorf("effective %v", eff)
	}
	if s := Sources(defaults, "jira", config); s[0] != (domain.ConfigSource{Path: "mapping.severity", Source: domain.SourceIntegration}) ||
		s[2] != (domain.ConfigSource{Path: "site_url", Source: domain.SourcePointLocked}) {
		t.Errorf("sources %v", s)
	}
	config = map[string]any{"site_url": "https://evil.example", "mapping": "flat"}
	eff, v = Merge(defaults, "Ticketing", "jira", config)
	if len(v) != 2 || v[0].Code != domain.ViolationConfigLocked || v[0].Enforcement != domain.EnforcementDeny ||
		v[0].Message != `Config key "site_url" is locked by integration point Ticketing to "https://acme.atlassian.net"; leave it out or set that value` {
		t.Errorf("violations %+v", v)
	}
	if eff["site_url"] != "https://acme.atlassian.net" || eff["mapping"] != "flat" {
		t.Errorf("effective %v", eff)
	}
	// A null is not set.
	_, v = Merge(defaults, "Ticketing", "jira", map[string]any{"site_url": nil})
	if len(v) != 0 {
		t.Errorf("null counted as set: %v", v)
	}
	// No default applies: the config itself.
	c := map[string]any{"a": "b"}
	if eff, _ := Merge(defaults[3:4], "T", "jira", c); reflect.ValueOf(eff).Pointer() != reflect.ValueOf(c).Pointer() {
		t.Error("no default applies, yet Merge copied")
	}
}

func TestSecretDefaultsAreNotShown(t *testing.T) {
	d := domain.ConfigDefault{Path: "api_token", Value: "s3cr3t-token", Mode: domain.ConfigModeLocked}
	if !IsSecretPath("api_token") || !IsSecretPath("auth.client_secret") || IsSecretPath("site_url") {
		t.Error("IsSecretPath")
	}
	_, v := Merge([]domain.ConfigDefault{d}, "P", "jira", map[string]any{"api_token": "mine"})
	if len(v) != 1 || v[0].Message != `Config key "api_token" is locked by integration point P to a secret the point sets; leave it out or set that value` {
		t.Errorf("%+v", v)
	}
}
