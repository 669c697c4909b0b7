package rules

import (
	"strconv"
	"testing"

	"github.com/pointguard/pointguard/catalog"
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/fixtures"
)

// benchFacts is one Jira integration against a point with the built-in
// rules, jira's config schema and 10 custom rules.
func benchFacts(b *testing.B) Facts {
	prg, errs := Compile(fixtures.BenchmarkRules())
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	limit := 10
	return Facts{
		Point: &domain.IntegrationPoint{ID: "ipt_1", Slug: "ticketing", Name: "Ticketing", Category: domain.CategoryTicketing, Version: 3,
			AllowedProviders: domain.AllowedProviders{Prod: []string{"jira", "servicenow"}}, RequiredConfig: []string{"project", "site_url"},
			MaxIntegrationsPerAccount: &limit},
		Account: &domain.Account{Slug: "acme-prod", Environment: domain.EnvironmentProd,
			Labels: []domain.Label{{Key: "region", Value: "eu"}, {Key: "tier", Value: "enterprise"}}},
		ProviderKey: "jira", Provider: catalog.Lookup("jira"), Name: "Security findings",
		Config: map[string]any{"project": "SEC", "site_url": "https://acme.atlassian.net", "auth_method": "api_token",
			"email": "bot@acme.example", "api_token": "secret"},
		Earlier: 3, Program: prg,
	}
}

// BenchmarkCheck judges one integration with every kind of rule. The goal
// is 100,000 checks per second per core: at most 10 µs per op.
func BenchmarkCheck(b *testing.B) {
	f := benchFacts(b)
	if v := Check(f); len(v) != 0 {
		b.Fatalf("the benchmark integration must comply: %v", v)
	}
	b.ReportAllocs()
	for b.Loop() {
		if v := Check(f); len(v) != 0 {
			b.Fatal(v)
		}
	}
}

// BenchmarkCheckParallel is BenchmarkCheck on every core.
func BenchmarkCheckParallel(b *testing.B) {
	f := benchFacts(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if v := Check(f); len(v) != 0 {
				b.Error(v)
				return
			}
		}
	})
}

// BenchmarkCheckNewConfig is BenchmarkCheck with a config never checked
// before, as on a create or an update: the schema validation is done, not
// remembered. (The string conversion costs one allocation of the count.)
func BenchmarkCheckNewConfig(b *testing.B) {
	f := benchFacts(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		f.Config["issue_type"] = "Bug " + strconv.Itoa(i)
		if v := Check(f); len(v) != 0 {
			b.Fatal(v)
		}
	}
}
