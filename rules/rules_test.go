package rules

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/pointguard/pointguard/catalog"
	"github.com/pointguard/pointguard/domain"
)

// The providers the tests use, as the catalog has them. They are written out
// rather than taken from the catalog so that the checker is tested alone.
var (
	jira          = &domain.Provider{ID: "prv_jira", Key: "jira", Name: "Jira", Category: domain.CategoryTicketing}
	servicenow    = &domain.Provider{ID: "prv_servicenow", Key: "servicenow", Name: "ServiceNow", Category: domain.CategoryTicketing}
	zendesk       = &domain.Provider{ID: "prv_zendesk", Key: "zendesk", Name: "Zendesk", Category: domain.CategoryTicketing}
	mockTicketing = &domain.Provider{ID: "prv_mock_ticketing", Key: "mock_ticketing", Name: "Mock Ticketing", Category: domain.CategoryTicketing, Mock: true}
	slack         = &domain.Provider{ID: "prv_slack", Key: "slack", Name: "Slack", Category: domain.CategoryNotifications}
)

func intp(n int) *int       { return &n }
func strp(s string) *string { return &s }

// ticketing is the point of the tests: Jira or ServiceNow in PROD, those
// and the mock in TEST, a project and a URL required, no limit.
func ticketing() *domain.IntegrationPoint {
	return &domain.IntegrationPoint{
		ID:       "ipt_0190a1b2c3d4e5f60718293a4b5c6d7e",
		Slug:     "ticketing",
		Name:     "Ticketing",
		Category: domain.CategoryTicketing,
		Version:  1,
		AllowedProviders: domain.AllowedProviders{
			Test: []string{"jira", "servicenow", "mock_ticketing"},
			Prod: []string{"jira", "servicenow"},
		},
		RequiredConfig: []string{"project", "url"},
	}
}

func account(env domain.Environment) *domain.Account {
	slug := "acme-prod"
	if env == domain.EnvironmentTest {
		slug = "acme-test"
	}
	return &domain.Account{ID: "acc_0190a1b2c3d4e5f60718293a4b5c6d7f", Slug: slug, Name: "Acme", Environment: env}
}

func goodConfig() map[string]any {
	return map[string]any{"project": "SEC", "url": "https://acme.atlassian.net"}
}

// facts is a compliant PROD integration of Jira on the ticketing point;
// each case changes what it is about.
func facts(change func(*Facts)) Facts {
	f := Facts{
		Point:       ticketing(),
		Account:     account(domain.EnvironmentProd),
		ProviderKey: "jira",
		Provider:    jira,
		Config:      goodConfig(),
	}
	if change != nil {
		change(&f)
	}
	return f
}

// violation is a built-in violation: built-in rules always deny.
func violation(code, rule, message, field string) domain.Violation {
	return domain.Violation{Code: code, Rule: rule, Message: message, Field: strp(field), Enforcement: domain.EnforcementDeny}
}

// assertViolations compares code, rule, message and field of every violation, in order.
func assertViolations(t *testing.T, got, want []domain.Violation) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d violations, want %d:\n got: %s\nwant: %s", len(got), len(want), show(got), show(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("violation %d:\n got: %s\nwant: %s", i, show(got[i:i+1]), show(want[i:i+1]))
		}
	}
}

func show(vs []domain.Violation) string {
	b, _ := json.Marshal(vs)
	return string(b)
}

func TestCheck(t *testing.T) {
	t.Run("Compliant", func(t *testing.T) {
		tests := []struct {
			name  string
			facts Facts
		}{
			{"ProdAccount", facts(nil)},
			{"SecondApprovedProvider", facts(func(f *Facts) { f.ProviderKey, f.Provider = "servicenow", servicenow })},
			{"MockInTestAccount", facts(func(f *Facts) {
				f.Account = account(domain.EnvironmentTest)
				f.ProviderKey, f.Provider = "mock_ticketing", mockTicketing
			})},
			{"ExtraConfigKeysIgnored", facts(func(f *Facts) { f.Config["extra"] = "" })},
			// zendesk's schema requires nothing, so a nil config passes.
			{"NoRequiredConfigAndNilConfig", facts(func(f *Facts) {
				f.Point.RequiredConfig, f.Config = nil, nil
				f.Point.AllowedProviders.Prod = []string{"zendesk"}
				f.ProviderKey, f.Provider = "zendesk", catalog.Lookup("zendesk")
			})},
			{"BelowLimit", facts(func(f *Facts) { f.Point.MaxIntegrationsPerAccount, f.Earlier = intp(3), 2 })},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := Check(tt.facts); len(got) != 0 {
					t.Fatalf("Check = %s, want no violations", show(got))
				}
			})
		}
	})

	t.Run("UnknownProvider", func(t *testing.T) {
		tests := []struct {
			name, key, message string
		}{
			{"NotInCatalog", "nosuch", "Provider nosuch is not in the catalog; see the providers query for the keys"},
			{"EmptyKeyIsQuoted", "", `Provider "" is not in the catalog; see the providers query for the keys`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := Check(facts(func(f *Facts) { f.ProviderKey, f.Provider = tt.key, nil }))
				assertViolations(t, got, []domain.Violation{
					violation(domain.ViolationUnknownProvider, "provider", tt.message, "provider"),
				})
			})
		}
	})

	t.Run("CategoryMismatch", func(t *testing.T) {
		tests := []struct {
			name string
			env  domain.Environment
			// approve lists the provider for the account's environment too:
			// the category is checked first, so it makes no difference.
			approve bool
		}{
			{"ProdAccount", domain.EnvironmentProd, false},
			{"TestAccount", domain.EnvironmentTest, false},
			{"EvenIfListedAsApproved", domain.EnvironmentProd, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := Check(facts(func(f *Facts) {
					f.Account = account(tt.env)
					f.ProviderKey, f.Provider = "slack", slack
					if tt.approve {
						f.Point.AllowedProviders.Prod = append(f.Point.AllowedProviders.Prod, "slack")
					}
				}))
				assertViolations(t, got, []domain.Violation{
					violation(domain.ViolationCategoryMismatch, "category",
						"Provider slack is a NOTIFICATIONS provider; integration point Ticketing accepts TICKETING providers only",
						"provider"),
				})
			})
		}
	})

	t.Run("ProviderNotAllowed", func(t *testing.T) {
		tests := []struct {
			name     string
			env      domain.Environment
			provider *domain.Provider
			allowed  domain.AllowedProviders // zero: the point's own
			rule     string
			message  string
		}{
			{
				name: "ProdAccount", env: domain.EnvironmentProd, provider: zendesk,
				rule:    "allowedProviders.prod",
				message: "Provider zendesk is not approved for PROD accounts by integration point Ticketing; approved: jira, servicenow",
			},
			{
				name: "TestAccount", env: domain.EnvironmentTest, provider: zendesk,
				rule:    "allowedProviders.test",
				message: "Provider zendesk is not approved for TEST accounts by integration point Ticketing; approved: jira, servicenow, mock_ticketing",
			},
			{
				name: "MockInProdAccount", env: domain.EnvironmentProd, provider: mockTicketing,
				rule:    "allowedProviders.prod",
				message: "Provider mock_ticketing is not approved for PROD accounts by integration point Ticketing; approved: jira, servicenow",
			},
			{
				name: "ApprovedForProdOnlyInTestAccount", env: domain.EnvironmentTest, provider: zendesk,
				allowed: domain.AllowedProviders{Test: []string{"jira"}, Prod: []string{"zendesk"}},
				rule:    "allowedProviders.test",
				message: "Provider zendesk is not approved for TEST accounts by integration point Ticketing; approved: jira",
			},
			{
				name: "ApprovedForTestOnlyInProdAccount", env: domain.EnvironmentProd, provider: zendesk,
				allowed: domain.AllowedProviders{Test: []string{"zendesk"}, Prod: []string{"jira"}},
				rule:    "allowedProviders.prod",
				message: "Provider zendesk is not approved for PROD accounts by integration point Ticketing; approved: jira",
			},
			{
				name: "ApprovedNoneNil", env: domain.EnvironmentProd, provider: jira,
				allowed: domain.AllowedProviders{Test: []string{"jira"}, Prod: nil},
				rule:    "allowedProviders.prod",
				message: "Provider jira is not approved for PROD accounts by integration point Ticketing; approved: none",
			},
			{
				name: "ApprovedNoneEmpty", env: domain.EnvironmentTest, provider: jira,
				allowed: domain.AllowedProviders{Test: []string{}, Prod: []string{"jira"}},
				rule:    "allowedProviders.test",
				message: "Provider jira is not approved for TEST accounts by integration point Ticketing; approved: none",
			},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := Check(facts(func(f *Facts) {
					f.Account = account(tt.env)
					f.ProviderKey, f.Provider = tt.provider.Key, tt.provider
					if tt.allowed.Test != nil || tt.allowed.Prod != nil {
						f.Point.AllowedProviders = tt.allowed
					}
				}))
				assertViolations(t, got, []domain.Violation{
					violation(domain.ViolationProviderNotAllowed, tt.rule, tt.message, "provider"),
				})
			})
		}
	})

	t.Run("MissingConfig", func(t *testing.T) {
		missing := func(key string) domain.Violation {
			return violation(domain.ViolationMissingConfig, "requiredConfig",
				`Config key "`+key+`" is required by integration point Ticketing and must not be empty`, "config."+key)
		}

		t.Run("Value", func(t *testing.T) {
			tests := []struct {
				name    string
				value   any
				absent  bool // the key is not in the config at all
				missing bool
			}{
				{name: "AbsentKey", absent: true, missing: true},
				{name: "Null", value: nil, missing: true},
				{name: "EmptyString", value: "", missing: true},
				{name: "Spaces", value: "   ", missing: true},
				{name: "Whitespace", value: " \t\n\r ", missing: true},
				{name: "EmptyList", value: []any{}, missing: true},
				{name: "EmptyObject", value: map[string]any{}, missing: true},

				{name: "String", value: "SEC"},
				{name: "StringWithSpaces", value: "  SEC  "},
				{name: "Zero", value: float64(0)},
				{name: "ZeroInt", value: 0},
				{name: "ZeroJSONNumber", value: json.Number("0")},
				{name: "False", value: false},
				{name: "True", value: true},
				{name: "ListOfEmptyString", value: []any{""}},
				{name: "ObjectWithNull", value: map[string]any{"a": nil}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					// A key jira's config schema leaves free, so that only
					// requiredConfig judges the value.
					got := Check(facts(func(f *Facts) {
						f.Point.RequiredConfig = []string{"team"}
						if !tt.absent {
							f.Config["team"] = tt.value
						}
					}))
					var want []domain.Violation
					if tt.missing {
						want = []domain.Violation{missing("team")}
					}
					assertViolations(t, got, want)
				})
			}
		})

		t.Run("OneViolationPerMissingKeyInRequiredOrder", func(t *testing.T) {
			got := Check(facts(func(f *Facts) {
				f.Point.RequiredConfig = []string{"url", "token", "project", "region"}
				f.Config = map[string]any{"project": "SEC", "token": " ", "region": []any{}}
			}))
			assertViolations(t, got, []domain.Violation{missing("url"), missing("token"), missing("region")})
		})

		t.Run("NilConfig", func(t *testing.T) {
			got := Check(facts(func(f *Facts) { f.Config = nil }))
			assertViolations(t, got, []domain.Violation{missing("project"), missing("url")})
		})

		t.Run("KeyWithDots", func(t *testing.T) {
			got := Check(facts(func(f *Facts) {
				f.Point.RequiredConfig = []string{"auth.token"}
				// Keys are flat: a nested value does not satisfy "auth.token".
				// (project keeps jira's config schema satisfied.)
				f.Config = map[string]any{"project": "SEC", "auth": map[string]any{"token": "x"}}
			}))
			assertViolations(t, got, []domain.Violation{missing("auth.token")})
		})
	})

	t.Run("LimitReached", func(t *testing.T) {
		tests := []struct {
			name    string
			limit   *int
			earlier int
			message string // "" = no violation
		}{
			{name: "NoneEarlier", limit: intp(3), earlier: 0},
			{name: "BelowLimit", limit: intp(3), earlier: 2},
			{name: "AtLimit", limit: intp(3), earlier: 3,
				message: "Integration point Ticketing allows at most 3 integrations per account, and account acme-prod already has 3"},
			{name: "OverLimit", limit: intp(3), earlier: 7,
				message: "Integration point Ticketing allows at most 3 integrations per account, and account acme-prod already has 7"},
			{name: "LimitOfOneSingular", limit: intp(1), earlier: 1,
				message: "Integration point Ticketing allows at most 1 integration per account, and account acme-prod already has 1"},
			{name: "LimitOfOneFirst", limit: intp(1), earlier: 0},
			{name: "NilLimitNever", limit: nil, earlier: 1_000_000},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := Check(facts(func(f *Facts) {
					f.Point.MaxIntegrationsPerAccount = tt.limit
					f.Earlier = tt.earlier
				}))
				var want []domain.Violation
				if tt.message != "" {
					want = []domain.Violation{
						violation(domain.ViolationLimitReached, "maxIntegrationsPerAccount", tt.message, "accountId"),
					}
				}
				assertViolations(t, got, want)
			})
		}
	})

	t.Run("AccountNotInScope", func(t *testing.T) {
		eu := domain.Label{Key: "region", Value: "eu"}
		gold := domain.Label{Key: "tier", Value: "gold"}
		tests := []struct {
			name     string
			env      domain.Environment
			labels   []domain.Label
			selector domain.AccountSelector
			selects  string // "" = in scope
		}{
			{name: "ZeroSelectorPicksAll", env: domain.EnvironmentProd},
			{name: "EnvironmentMatches", env: domain.EnvironmentProd,
				selector: domain.AccountSelector{Environments: []domain.Environment{domain.EnvironmentProd}}},
			{name: "EitherEnvironment", env: domain.EnvironmentTest,
				selector: domain.AccountSelector{Environments: []domain.Environment{domain.EnvironmentProd, domain.EnvironmentTest}}},
			{name: "OtherEnvironment", env: domain.EnvironmentProd,
				selector: domain.AccountSelector{Environments: []domain.Environment{domain.EnvironmentTest}},
				selects:  "TEST accounts"},
			{name: "LabelMatches", env: domain.EnvironmentProd, labels: []domain.Label{gold, eu},
				selector: domain.AccountSelector{MatchLabels: []domain.Label{eu}}},
			{name: "AllLabelsMatch", env: domain.EnvironmentProd, labels: []domain.Label{gold, eu},
				selector: domain.AccountSelector{MatchLabels: []domain.Label{eu, gold}}},
			{name: "NoLabels", env: domain.EnvironmentProd,
				selector: domain.AccountSelector{MatchLabels: []domain.Label{eu}},
				selects:  "label region=eu"},
			{name: "OtherLabelValue", env: domain.EnvironmentProd, labels: []domain.Label{{Key: "region", Value: "us"}},
				selector: domain.AccountSelector{MatchLabels: []domain.Label{eu}},
				selects:  "label region=eu"},
			{name: "OneLabelOfTwo", env: domain.EnvironmentProd, labels: []domain.Label{eu},
				selector: domain.AccountSelector{MatchLabels: []domain.Label{eu, gold}},
				selects:  "label region=eu with label tier=gold"},
			{name: "LabelsMatchEnvironmentNot", env: domain.EnvironmentTest, labels: []domain.Label{eu},
				selector: domain.AccountSelector{Environments: []domain.Environment{domain.EnvironmentProd}, MatchLabels: []domain.Label{eu}},
				selects:  "PROD accounts with label region=eu"},
			{name: "EnvironmentMatchesLabelsNot", env: domain.EnvironmentTest,
				selector: domain.AccountSelector{Environments: []domain.Environment{domain.EnvironmentProd, domain.EnvironmentTest}, MatchLabels: []domain.Label{eu}},
				selects:  "PROD or TEST accounts with label region=eu"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := Check(facts(func(f *Facts) {
					f.Account = account(tt.env)
					f.Account.Labels = tt.labels
					f.Point.AccountSelector = tt.selector
				}))
				var want []domain.Violation
				if tt.selects != "" {
					want = []domain.Violation{violation(domain.ViolationAccountNotInScope, "accountSelector",
						"Account "+account(tt.env).Slug+" is outside the scope of integration point Ticketing, which selects "+tt.selects, "accountId")}
				}
				assertViolations(t, got, want)
			})
		}
	})

	t.Run("InvalidConfig", func(t *testing.T) {
		invalid := func(field, message string) domain.Violation {
			return violation(domain.ViolationInvalidConfig, "configSchema", message, field)
		}
		tests := []struct {
			name     string
			provider *domain.Provider
			required []string
			config   map[string]any
			want     []domain.Violation // the INVALID_CONFIG violations
		}{
			{name: "HTTPSiteURL", provider: jira, config: map[string]any{"project": "SEC", "site_url": "http://x"},
				want: []domain.Violation{invalid("config.site_url", "config.site_url must be an https URL")}},
			{name: "HTTPSSiteURL", provider: jira, config: map[string]any{"project": "SEC", "site_url": "https://acme.atlassian.net"}},
			{name: "WrongType", provider: jira, config: map[string]any{"project": json.Number("7")},
				want: []domain.Violation{invalid("config.project", "config.project must be a string, not a number")}},
			{name: "ConditionalRequired", provider: jira, config: map[string]any{"project": "SEC", "auth_method": "api_token", "api_token": "t"},
				want: []domain.Violation{invalid("config.email", "config.email is required when auth_method is api_token")}},
			{name: "SortedByField", provider: jira,
				config: map[string]any{"project": "SEC", "site_url": "ftp://x", "auth_method": "api_token", "email": "no"},
				want: []domain.Violation{
					invalid("config.api_token", "config.api_token is required when auth_method is api_token"),
					invalid("config.email", `config.email must be an email address, for example "secops@acme.com"`),
					invalid("config.site_url", "config.site_url must be an https URL"),
				}},
			// The schema requires project too, but MISSING_CONFIG has said so.
			{name: "MissingNotReportedTwice", provider: jira, required: []string{"project"}, config: map[string]any{"site_url": "http://x"},
				want: []domain.Violation{invalid("config.site_url", "config.site_url must be an https URL")}},
			{name: "EmptyNotReportedTwice", provider: jira, required: []string{"project"}, config: map[string]any{"project": ""}},
			{name: "SchemaRequiredNotRequiredByPoint", provider: jira, required: []string{}, config: map[string]any{"url": "x"},
				want: []domain.Violation{invalid("config.project", "config.project is required")}},
			// zendesk is a ticketing provider the point does not approve:
			// its config is checked all the same.
			{name: "NotAllowedProviderStillValidated", provider: zendesk, config: map[string]any{"subdomain": "Acme Corp"},
				want: []domain.Violation{invalid("config.subdomain", `config.subdomain must look like "acme" (pattern ^[a-z0-9][a-z0-9-]*$)`)}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := Check(facts(func(f *Facts) {
					f.ProviderKey, f.Provider = tt.provider.Key, tt.provider
					f.Point.RequiredConfig = tt.required
					f.Config = tt.config
				}))
				var invalids []domain.Violation
				for _, v := range got {
					if v.Code == domain.ViolationInvalidConfig {
						invalids = append(invalids, v)
					}
				}
				assertViolations(t, invalids, tt.want)
			})
		}
	})

	t.Run("InvalidConfigSkippedOnCategoryMismatch", func(t *testing.T) {
		// slack's schema requires channel; the wrong category says enough.
		got := Check(facts(func(f *Facts) {
			f.ProviderKey, f.Provider = "slack", slack
			f.Config = map[string]any{"project": "SEC", "url": "x"}
		}))
		assertViolations(t, got, []domain.Violation{violation(domain.ViolationCategoryMismatch, "category",
			"Provider slack is a NOTIFICATIONS provider; integration point Ticketing accepts TICKETING providers only", "provider")})
	})

	t.Run("InvalidConfigSkippedForUnknownProvider", func(t *testing.T) {
		got := Check(facts(func(f *Facts) { f.ProviderKey, f.Provider, f.Config = "nosuch", nil, goodConfig() }))
		if len(got) != 1 || got[0].Code != domain.ViolationUnknownProvider {
			t.Fatalf("Check = %s, want UNKNOWN_PROVIDER only", show(got))
		}
	})

	t.Run("Order", func(t *testing.T) {
		// Provider first, then config in the point's order, then the limit.
		want := []domain.Violation{
			violation(domain.ViolationProviderNotAllowed, "allowedProviders.prod",
				"Provider zendesk is not approved for PROD accounts by integration point Ticketing; approved: jira, servicenow", "provider"),
			violation(domain.ViolationMissingConfig, "requiredConfig",
				`Config key "zeta" is required by integration point Ticketing and must not be empty`, "config.zeta"),
			violation(domain.ViolationMissingConfig, "requiredConfig",
				`Config key "alpha" is required by integration point Ticketing and must not be empty`, "config.alpha"),
			violation(domain.ViolationLimitReached, "maxIntegrationsPerAccount",
				"Integration point Ticketing allows at most 2 integrations per account, and account acme-prod already has 2", "accountId"),
		}
		f := facts(func(f *Facts) {
			f.ProviderKey, f.Provider = "zendesk", zendesk
			f.Point.RequiredConfig = []string{"zeta", "middle", "alpha"}
			f.Config = map[string]any{"middle": "x"}
			f.Point.MaxIntegrationsPerAccount = intp(2)
			f.Earlier = 2
		})
		for i := range 50 {
			got := Check(f)
			assertViolations(t, got, want)
			if t.Failed() {
				t.Fatalf("run %d differed", i)
			}
		}
	})

	t.Run("UnknownProviderStillChecksConfigAndLimit", func(t *testing.T) {
		got := Check(facts(func(f *Facts) {
			f.ProviderKey, f.Provider = "nosuch", nil
			f.Config = map[string]any{"url": "x"}
			f.Point.MaxIntegrationsPerAccount = intp(1)
			f.Earlier = 1
		}))
		codes := make([]string, len(got))
		for i, v := range got {
			codes[i] = v.Code
		}
		want := []string{domain.ViolationUnknownProvider, domain.ViolationMissingConfig, domain.ViolationLimitReached}
		if !reflect.DeepEqual(codes, want) {
			t.Fatalf("codes = %v, want %v", codes, want)
		}
	})

	t.Run("DoesNotModifyFacts", func(t *testing.T) {
		f := facts(func(f *Facts) { f.Config = map[string]any{"project": ""} })
		before := ticketing()
		Check(f)
		if !reflect.DeepEqual(f.Point, before) {
			t.Errorf("point changed: %+v", f.Point)
		}
		if !reflect.DeepEqual(f.Config, map[string]any{"project": ""}) {
			t.Errorf("config changed: %v", f.Config)
		}
	})
}

func TestStatus(t *testing.T) {
	one := violation(domain.ViolationMissingConfig, "requiredConfig", "m", "config.x")
	tests := []struct {
		name       string
		violations []domain.Violation
		want       domain.ComplianceStatus
	}{
		{"Nil", nil, domain.StatusCompliant},
		{"Empty", []domain.Violation{}, domain.StatusCompliant},
		{"One", []domain.Violation{one}, domain.StatusNonCompliant},
		{"Several", []domain.Violation{one, one, one}, domain.StatusNonCompliant},
		{"WarnOnly", []domain.Violation{withEnforcement(one, domain.EnforcementWarn)}, domain.StatusWarning},
		{"AuditOnly", []domain.Violation{withEnforcement(one, domain.EnforcementAudit)}, domain.StatusWarning},
		{"WarnAndAudit", []domain.Violation{withEnforcement(one, domain.EnforcementWarn), withEnforcement(one, domain.EnforcementAudit)}, domain.StatusWarning},
		{"DenyWins", []domain.Violation{withEnforcement(one, domain.EnforcementAudit), one, withEnforcement(one, domain.EnforcementWarn)}, domain.StatusNonCompliant},
		{"DenyLast", []domain.Violation{withEnforcement(one, domain.EnforcementWarn), withEnforcement(one, domain.EnforcementAudit), one}, domain.StatusNonCompliant},
		{"DenyAndWarn", []domain.Violation{one, withEnforcement(one, domain.EnforcementWarn)}, domain.StatusNonCompliant},
		{"DenyAndAudit", []domain.Violation{withEnforcement(one, domain.EnforcementAudit), one}, domain.StatusNonCompliant},
		{"FromCheckCompliant", Check(facts(nil)), domain.StatusCompliant},
		{"FromCheckViolating", Check(facts(func(f *Facts) { f.Config = nil })), domain.StatusNonCompliant},
		{"FromCheckWarnRule", Check(facts(func(f *Facts) {
			f.Program = compile(t, withRuleEnforcement(rule("w", "false"), domain.EnforcementWarn))
		})), domain.StatusWarning},
		{"FromCheckAuditRule", Check(facts(func(f *Facts) {
			f.Program = compile(t, withRuleEnforcement(rule("a", "false"), domain.EnforcementAudit))
		})), domain.StatusWarning},
		{"FromCheckWarnRuleAndBuiltIn", Check(facts(func(f *Facts) {
			f.Config = nil
			f.Program = compile(t, withRuleEnforcement(rule("w", "false"), domain.EnforcementWarn))
		})), domain.StatusNonCompliant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Status(tt.violations); got != tt.want {
				t.Errorf("Status = %s, want %s", got, tt.want)
			}
		})
	}
}

func withEnforcement(v domain.Violation, e domain.Enforcement) domain.Violation {
	v.Enforcement = e
	return v
}
