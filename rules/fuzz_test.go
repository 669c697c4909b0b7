package rules

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pointguard/pointguard/catalog"
	"github.com/pointguard/pointguard/domain"
)

// fuzzSeeds are configs and expressions worth starting from: realistic
// rules, every JSON kind, numbers at the edges, errors at run time, and
// expressions near the cost bound.
var fuzzSeeds = []struct{ config, expression string }{
	{`{"project":"SEC","site_url":"https://acme.atlassian.net"}`, `integration.config.site_url.endsWith('.atlassian.net')`},
	{`{"project":"SEC","site_url":"http://x","auth_method":"api_token"}`, `integration.config.project.matches('^[A-Z][A-Z0-9]+$')`},
	{`{"project":1,"n":1e400}`, `integration.config.n > 3`},
	{`{"port":8443,"ratio":2.5,"huge":12345678901234567890,"neg":-0.0e-7}`, `integration.config.port > 1000 && integration.config.ratio < 3.0`},
	{`{"ports":[80,443]}`, `443 in integration.config.ports && integration.config.ports.all(p, p > 0)`},
	{`{"a":[1,{"b":null}],"api_token":"s"}`, `has(integration.config.a) && size(integration.config.a) == 2`},
	{`{}`, `account.labels['region'] == 'eu' || provider.key in ['jira']`},
	{`null`, `size(integration.config) == 0`},
	{`{"project":"x"}`, `integration.config.project.matches('[')`},
	{`{"project":"["}`, `'x'.matches(integration.config.project)`},
	{`{"x":"y"}`, `int(integration.config.x) / 0 == 1`},
	{`{"x":"9223372036854775807"}`, `int(integration.config.x) + 1 > 0`},
	{`{"deep":{"deeper":{"deepest":[[[]]]}}}`, `integration.config.deep.deeper.deepest.all(x, x.size() >= 0)`},
	{`{"channel":"#sec","mention":"@here"}`, `'%s in %s'.format([integration.name, point.slug]) != ''`},
	{`{"project":"SEC"}`, `'Project ' + integration.config.project + ' on ' + account.slug`},
	{`{"project":"SEC"}`, `integration.name.lowerAscii().split(' ').exists(w, w == 'sec')`},
	{`{"project":""}`, `integration.config.all(k, integration.config.all(j, k == j))`},
	{`{"labels":["a","a"]}`, `integration.config.labels.exists_one(l, l == 'a')`},
	{`{"project":"SEC"}`, `dyn(integration.config.project) == 1 || point.version == 1`},
	{`{"project":"SEC"}`, `integration.nmae == 'x'`},
	{`{"project":"SEC"}`, ``},
}

// fuzzProviders: one whose schema applies, one of the wrong category, one
// without a schema, one not in the catalog.
var fuzzProviders = []string{"jira", "slack", "mock_ticketing", "nope"}

// FuzzCheck feeds arbitrary configs and rule expressions to the checker: it
// must never panic, and what it returns must be well formed.
func FuzzCheck(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s.config, s.expression)
	}
	f.Fuzz(func(t *testing.T, configJSON, expression string) {
		var config map[string]any
		d := json.NewDecoder(strings.NewReader(configJSON))
		d.UseNumber()
		if d.Decode(&config) != nil {
			t.Skip("not a JSON object")
		}
		// A secret the rules must never see. It is random, so that no
		// expression can spell it out.
		canary := "canary-" + rand.Text()
		if config != nil {
			config["api_token"] = canary
		}
		before, _ := appendCanonical(nil, config)

		// The expression as a rule, and as a rule's message.
		rules := []domain.Rule{
			{Name: "fuzzed", Expression: expression, Message: "m", Enforcement: domain.EnforcementDeny},
			{Name: "fuzzed-message", Expression: "false", Message: expression, MessageExpression: true, Enforcement: domain.EnforcementWarn},
		}
		prg := compileSome(t, rules)
		if prg == nil {
			t.Skip("does not compile")
		}

		limit := 2
		for _, key := range fuzzProviders {
			facts := Facts{
				Point: &domain.IntegrationPoint{Slug: "p", Name: "P", Category: domain.CategoryTicketing, Version: 1,
					AllowedProviders: domain.AllowedProviders{Prod: []string{"jira"}}, RequiredConfig: []string{"project"},
					MaxIntegrationsPerAccount: &limit,
					AccountSelector: domain.AccountSelector{Environments: []domain.Environment{domain.EnvironmentProd},
						MatchLabels: []domain.Label{{Key: "region", Value: "eu"}}}},
				Account:     &domain.Account{Slug: "a", Environment: domain.EnvironmentProd, Labels: []domain.Label{{Key: "region", Value: "eu"}}},
				ProviderKey: key, Provider: catalog.Lookup(key), Name: expression, Config: config, Earlier: 1, Program: prg,
			}
			violations := Check(facts)
			builtIn := true
			for _, v := range violations {
				if v.Code == "" || v.Rule == "" || v.Message == "" || !v.Enforcement.IsValid() {
					t.Fatalf("%s: malformed violation %+v", key, v)
				}
				isCustom := v.Code == domain.ViolationRuleFailed || v.Code == domain.ViolationRuleError
				switch {
				case isCustom:
					builtIn = false
					i := slices.IndexFunc(rules, func(r domain.Rule) bool { return r.Name == v.Rule })
					if i < 0 || v.Enforcement != rules[i].Enforcement {
						t.Fatalf("%s: violation %+v is of no rule, or not with its rule's enforcement", key, v)
					}
				case !builtIn:
					t.Fatalf("%s: built-in violation %+v after a custom one", key, v)
				case v.Field == nil || v.Enforcement != domain.EnforcementDeny:
					t.Fatalf("%s: built-in violation %+v without a field, or not DENY", key, v)
				}
				if strings.Contains(v.Message, canary) {
					t.Fatalf("%s: violation %+v reveals a secret", key, v)
				}
			}
			if (Status(violations) == domain.StatusNonCompliant) != domain.Denies(violations) {
				t.Fatalf("%s: status %s disagrees with %s", key, Status(violations), show(violations))
			}
			if (Status(violations) == domain.StatusCompliant) != (len(violations) == 0) {
				t.Fatalf("%s: status %s with %d violations", key, Status(violations), len(violations))
			}
		}
		if after, _ := appendCanonical(nil, config); !bytes.Equal(before, after) {
			t.Fatal("Check changed the config")
		}
	})
}

// compileSome compiles the rules that compile on their own, checking what
// Compile says of the others; nil when none does.
func compileSome(t *testing.T, rules []domain.Rule) *Program {
	prg, errs := Compile(rules)
	checkCompileResult(t, rules, prg, errs)
	if prg != nil {
		return prg
	}
	var ok []domain.Rule
	for i, r := range rules {
		if !slices.ContainsFunc(errs, func(e CompileError) bool { return e.Index == i }) {
			ok = append(ok, r)
		}
	}
	if len(ok) == 0 {
		return nil
	}
	prg, errs = Compile(ok)
	checkCompileResult(t, ok, prg, errs)
	return prg
}

// checkCompileResult asserts what holds of every Compile: a program or
// errors, never both; every error at a rule (or -1 for the whole list), on
// a known field, with a message naming its rule.
func checkCompileResult(t *testing.T, rules []domain.Rule, prg *Program, errs []CompileError) {
	t.Helper()
	if (prg == nil) == (len(errs) == 0) {
		t.Fatalf("Compile returned program %v and %d errors", prg, len(errs))
	}
	for _, e := range errs {
		switch {
		case e.Index == -1 && e.Field == "" && e.Message != "":
			continue
		case e.Index < 0 || e.Index >= len(rules):
			t.Fatalf("error %+v is at no rule", e)
		case !slices.Contains([]string{"name", "enforcement", "expression", "message"}, e.Field):
			t.Fatalf("error %+v is on an unknown field", e)
		case !strings.Contains(e.Message, strconv.Quote(rules[e.Index].Name)):
			t.Fatalf("error %+v does not name its rule %q", e, rules[e.Index].Name)
		}
	}
}

// FuzzCompile feeds arbitrary rules to Compile: it must never panic, and
// it must either compile them or say, rule by rule, what is wrong.
func FuzzCompile(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add("r", s.expression, "m", false, "DENY")
		f.Add("r", "true", s.expression, true, "WARN")
	}
	f.Add("", "true", "", false, "")
	f.Add(" ", "1", " ", true, "deny")
	f.Add("a\"b\n", "point.version == 'x'", "'x' + 1", true, "AUDIT")
	f.Fuzz(func(t *testing.T, name, expression, message string, messageExpression bool, enforcement string) {
		rules := []domain.Rule{
			{Name: name, Expression: expression, Message: message, MessageExpression: messageExpression,
				Enforcement: domain.Enforcement(enforcement)},
			{Name: name + "-2", Expression: "true", Message: "m", Enforcement: domain.EnforcementAudit},
		}
		prg, errs := Compile(rules)
		checkCompileResult(t, rules, prg, errs)
		if prg == nil {
			return
		}
		// What compiles evaluates, to a violation or none, without panicking.
		got := Check(Facts{
			Point: &domain.IntegrationPoint{Slug: "p", Name: "P", Category: domain.CategoryTicketing, Version: 1,
				AllowedProviders: domain.AllowedProviders{Prod: []string{"jira"}}},
			Account:     &domain.Account{Slug: "a", Environment: domain.EnvironmentProd},
			ProviderKey: "jira", Provider: catalog.Lookup("jira"), Name: name,
			Config:  map[string]any{"project": "SEC", "port": json.Number("8443")},
			Program: prg,
		})
		for _, v := range got {
			if v.Rule != name || v.Enforcement != rules[0].Enforcement || v.Message == "" {
				t.Fatalf("unexpected violation %+v", v)
			}
		}
	})
}
