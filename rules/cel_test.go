package rules

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/pointguard/pointguard/catalog"
	"github.com/pointguard/pointguard/domain"
)

// The custom rules of a point, as a specification: what Compile accepts and
// rejects, and what Check makes of the compiled rules.

// rule is a DENY rule with a plain message.
func rule(name, expression string) domain.Rule {
	return domain.Rule{Name: name, Expression: expression, Message: name + " failed", Enforcement: domain.EnforcementDeny}
}

func withRuleEnforcement(r domain.Rule, e domain.Enforcement) domain.Rule {
	r.Enforcement = e
	return r
}

// compile compiles rules that must compile.
func compile(t testing.TB, rs ...domain.Rule) *Program {
	t.Helper()
	p, errs := Compile(rs)
	if len(errs) > 0 || p == nil {
		t.Fatalf("Compile = %v, %+v; want a program", p, errs)
	}
	return p
}

// custom returns the violations of custom rules only: built-in ones have a
// field or a built-in rule name, custom ones are RULE_FAILED or RULE_ERROR.
func custom(vs []domain.Violation) []domain.Violation {
	var out []domain.Violation
	for _, v := range vs {
		if v.Code == domain.ViolationRuleFailed || v.Code == domain.ViolationRuleError {
			out = append(out, v)
		}
	}
	return out
}

// failed is the violation of a custom rule that returned false.
func failed(name, message string, e domain.Enforcement) domain.Violation {
	return domain.Violation{Code: domain.ViolationRuleFailed, Rule: name, Message: message, Enforcement: e}
}

// ruleError is the violation of a custom rule that could not be evaluated.
func ruleError(name, cause string, e domain.Enforcement) domain.Violation {
	return domain.Violation{Code: domain.ViolationRuleError, Rule: name,
		Message: "Rule " + name + " could not be evaluated: " + cause, Enforcement: e}
}

// compileError is what one CompileError must be: Index and Field exactly;
// Message exactly when message is set, else it must contain every part
// (for the text cel-go writes, which a cel-go upgrade may reword).
type compileError struct {
	index   int
	field   string
	message string
	parts   []string
}

func assertCompileErrors(t *testing.T, got []CompileError, want []compileError) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Index != w.index || g.Field != w.field {
			t.Errorf("error %d is at %d/%q, want %d/%q: %s", i, g.Index, g.Field, w.index, w.field, g.Message)
		}
		if w.message != "" && g.Message != w.message {
			t.Errorf("error %d:\n got: %s\nwant: %s", i, g.Message, w.message)
		}
		for _, p := range w.parts {
			if !strings.Contains(g.Message, p) {
				t.Errorf("error %d = %q, want it to contain %q", i, g.Message, p)
			}
		}
	}
}

// sized is a valid expression of exactly n bytes (n ≥ 8).
func sized(n int) string {
	return "'" + strings.Repeat("a", n-8) + "' != ''"
}

func manyRules(n int) []domain.Rule {
	rs := make([]domain.Rule, n)
	for i := range rs {
		rs[i] = rule(fmt.Sprintf("rule-%d", i), "true")
	}
	return rs
}

func TestCompile(t *testing.T) {
	t.Run("Accepts", func(t *testing.T) {
		tests := []struct {
			name  string
			rules []domain.Rule
		}{
			{"None", nil},
			{"Literal", []domain.Rule{rule("r", "true")}},
			{"EveryVariable", []domain.Rule{rule("r",
				`integration.name != '' && integration.provider != '' && size(integration.config) >= 0 &&
				 account.slug != '' && account.environment in ['TEST', 'PROD'] && size(account.labels) >= 0 &&
				 provider.key != '' && provider.category != '' && point.slug != '' && point.version > 0`)}},
			{"ConfigIsDynamic", []domain.Rule{rule("r", `integration.config.port > 1000 && integration.config.anything.goes == 'x'`)}},
			{"ConfigBoolNeedsComparing", []domain.Rule{rule("r", `integration.config.enabled == true`)}},
			{"Has", []domain.Rule{rule("r", `has(integration.config.email) && !has(integration.config.nope)`)}},
			{"StringExtensions", []domain.Rule{rule("r", `integration.name.lowerAscii().trim().replace(' ', '-').split('-').size() < 10`)}},
			{"Regex", []domain.Rule{rule("r", `integration.config.project.matches('^[A-Z][A-Z0-9]+$')`)}},
			{"OneComprehensionOverConfig", []domain.Rule{rule("r", `integration.config.all(k, k != '')`)}},
			{"MessageExpression", []domain.Rule{{Name: "r", Expression: "true", Enforcement: domain.EnforcementWarn,
				Message: `'Project ' + integration.config.project + ' is not approved'`, MessageExpression: true}}},
			{"EveryEnforcement", []domain.Rule{
				withRuleEnforcement(rule("deny", "true"), domain.EnforcementDeny),
				withRuleEnforcement(rule("warn", "true"), domain.EnforcementWarn),
				withRuleEnforcement(rule("audit", "true"), domain.EnforcementAudit),
			}},
			{"MultiLine", []domain.Rule{rule("r", "integration.name != ''\n  && point.version >= 1")}},
			{"ExpressionOfMaxLength", []domain.Rule{rule("r", sized(MaxExpressionLength))}},
			{"MessageOfMaxLength", []domain.Rule{{Name: "r", Expression: "true", Enforcement: domain.EnforcementDeny,
				Message: strings.Repeat("m", MaxExpressionLength)}}},
			{"NameOf63", []domain.Rule{rule(strings.Repeat("n", 63), "true")}},
			{"MaxRules", manyRules(MaxRules)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p, errs := Compile(tt.rules)
				if len(errs) > 0 {
					t.Fatalf("Compile errors: %+v", errs)
				}
				if p == nil {
					t.Fatal("Compile returned no program")
				}
			})
		}
	})

	t.Run("Rejects", func(t *testing.T) {
		deny := domain.EnforcementDeny
		tests := []struct {
			name  string
			rules []domain.Rule
			want  []compileError
		}{
			{"SyntaxError", []domain.Rule{rule("r", "integration.name ==")},
				[]compileError{{index: 0, field: "expression", parts: []string{`Rule "r": line 1, column 20: Syntax error`}}}},
			{"UnknownField", []domain.Rule{rule("r", "integration.nmae == 'x'")},
				[]compileError{{index: 0, field: "expression", parts: []string{`Rule "r": line 1, column 12: `, "undefined field 'nmae'"}}}},
			{"UnknownVariable", []domain.Rule{rule("r", "user.name == 'x'")},
				[]compileError{{index: 0, field: "expression", parts: []string{`Rule "r": line 1, column 1: `, "undeclared reference to 'user'"}}}},
			{"EveryErrorWithItsLine", []domain.Rule{rule("r", "integration.name == 1 &&\n  foo")},
				[]compileError{{index: 0, field: "expression", parts: []string{
					`Rule "r": line 1, column 18: `, "no matching overload", "; line 2, column 3: ", "undeclared reference to 'foo'"}}}},
			{"WrongType", []domain.Rule{rule("r", "point.version == 'one'")},
				[]compileError{{index: 0, field: "expression", parts: []string{`Rule "r": line 1, column 15: `, "no matching overload"}}}},
			// A constant regular expression is compiled with the rule.
			{"InvalidRegex", []domain.Rule{rule("r", "integration.name.matches('[')")},
				[]compileError{{index: 0, field: "expression", parts: []string{`Rule "r": `, "error parsing regexp: missing closing ]"}}}},
			// Matching against a pattern from the facts is bounded by the
			// sizes assumed for strings, and costs too much.
			{"PatternFromFacts", []domain.Rule{rule("r", "integration.name.matches(integration.config.pattern)")},
				[]compileError{{index: 0, field: "expression", parts: []string{`Rule "r": expression may cost up to `}}}},
			{"NotBool", []domain.Rule{rule("r", "integration.name")},
				[]compileError{{index: 0, field: "expression", message: `Rule "r": expression must be a bool, but it is a string`}}},
			// A config value is dynamic: its type is only known when the rule runs.
			{"ConfigValueNotBool", []domain.Rule{rule("r", "integration.config.enabled")},
				[]compileError{{index: 0, field: "expression", message: `Rule "r": expression must be a bool, but it is a dyn`}}},
			{"EmptyExpression", []domain.Rule{rule("r", "")},
				[]compileError{{index: 0, field: "expression", message: `Rule "r": expression is empty`}}},
			{"BlankExpression", []domain.Rule{rule("r", " \n\t ")},
				[]compileError{{index: 0, field: "expression", message: `Rule "r": expression is empty`}}},
			{"ExpressionTooLong", []domain.Rule{rule("r", sized(MaxExpressionLength+1))},
				[]compileError{{index: 0, field: "expression", message: `Rule "r": expression is 4097 bytes, more than the 4096 allowed`}}},
			{"TooManyRules", manyRules(MaxRules + 1),
				[]compileError{{index: -1, field: "", message: "A point may have at most 50 rules, got 51"}}},
			{"DuplicateName", []domain.Rule{rule("a", "true"), rule("b", "true"), rule("a", "false")},
				[]compileError{{index: 2, field: "name", message: `Rule name "a" is used twice; names must be unique within a point`}}},
			{"EmptyName", []domain.Rule{rule("", "true")},
				[]compileError{{index: 0, field: "name", message: `Rule name "" must be 1 to 63 characters and not blank`}}},
			{"BlankName", []domain.Rule{rule("ok", "true"), rule("   ", "true")},
				[]compileError{{index: 1, field: "name", message: `Rule name "   " must be 1 to 63 characters and not blank`}}},
			{"NameTooLong", []domain.Rule{rule(strings.Repeat("n", 64), "true")},
				[]compileError{{index: 0, field: "name", message: `Rule name "` + strings.Repeat("n", 64) + `" must be 1 to 63 characters and not blank`}}},
			{"NoEnforcement", []domain.Rule{withRuleEnforcement(rule("r", "true"), "")},
				[]compileError{{index: 0, field: "enforcement", message: `Rule "r": enforcement must be DENY, WARN or AUDIT`}}},
			{"UnknownEnforcement", []domain.Rule{withRuleEnforcement(rule("r", "true"), "BLOCK")},
				[]compileError{{index: 0, field: "enforcement", message: `Rule "r": enforcement must be DENY, WARN or AUDIT`}}},
			{"LowerCaseEnforcement", []domain.Rule{withRuleEnforcement(rule("r", "true"), "deny")},
				[]compileError{{index: 0, field: "enforcement", message: `Rule "r": enforcement must be DENY, WARN or AUDIT`}}},
			{"MessageExpressionNotString", []domain.Rule{{Name: "r", Expression: "true", Message: "1 + 1", MessageExpression: true, Enforcement: deny}},
				[]compileError{{index: 0, field: "message", message: `Rule "r": message expression must be a string, but it is a int`}}},
			{"MessageExpressionSyntaxError", []domain.Rule{{Name: "r", Expression: "true", Message: "'a' +", MessageExpression: true, Enforcement: deny}},
				[]compileError{{index: 0, field: "message", parts: []string{`Rule "r": message line 1, column 6: Syntax error`}}}},
			{"MessageExpressionUnknownField", []domain.Rule{{Name: "r", Expression: "true", Message: "account.nmae", MessageExpression: true, Enforcement: deny}},
				[]compileError{{index: 0, field: "message", parts: []string{`Rule "r": message line 1, column 8: `, "undefined field 'nmae'"}}}},
			{"MessageExpressionEmpty", []domain.Rule{{Name: "r", Expression: "true", Message: " ", MessageExpression: true, Enforcement: deny}},
				[]compileError{{index: 0, field: "message", message: `Rule "r": message expression is empty`}}},
			{"BlankMessage", []domain.Rule{{Name: "r", Expression: "true", Message: " \t", Enforcement: deny}},
				[]compileError{{index: 0, field: "message", message: `Rule "r": message must be 1 to 4096 characters and not blank`}}},
			{"MessageTooLong", []domain.Rule{{Name: "r", Expression: "true", Message: strings.Repeat("m", MaxExpressionLength+1), Enforcement: deny}},
				[]compileError{{index: 0, field: "message", message: `Rule "r": message must be 1 to 4096 characters and not blank`}}},
			{"TripleLoopOverConfig", []domain.Rule{rule("r",
				`integration.config.all(a, integration.config.all(b, integration.config.all(c, a != b || b != c)))`)},
				[]compileError{{index: 0, field: "expression", parts: []string{`Rule "r": expression may cost up to `, " units, more than the 1000000 allowed; bound its loops"}}}},
			{"DoubleLoopOverLabels", []domain.Rule{rule("r", `account.labels.all(a, account.labels.all(b, a == b))`)},
				[]compileError{{index: 0, field: "expression", parts: []string{`Rule "r": expression may cost up to `, "more than the 1000000 allowed"}}}},
			{"EveryProblemOfARule", []domain.Rule{{Name: " ", Expression: "1", Message: "", Enforcement: "NO"}},
				[]compileError{
					{index: 0, field: "name", message: `Rule name " " must be 1 to 63 characters and not blank`},
					{index: 0, field: "enforcement", message: `Rule " ": enforcement must be DENY, WARN or AUDIT`},
					{index: 0, field: "expression", message: `Rule " ": expression must be a bool, but it is a int`},
					{index: 0, field: "message", message: `Rule " ": message must be 1 to 4096 characters and not blank`},
				}},
			{"EveryBadRule", []domain.Rule{rule("a", "1"), rule("b", "true"), rule("c", "")},
				[]compileError{
					{index: 0, field: "expression", message: `Rule "a": expression must be a bool, but it is a int`},
					{index: 2, field: "expression", message: `Rule "c": expression is empty`},
				}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p, errs := Compile(tt.rules)
				if p != nil {
					t.Error("Compile returned a program despite errors")
				}
				assertCompileErrors(t, errs, tt.want)
			})
		}
	})
}

// celFacts is a compliant PROD integration of Jira whose config has every
// kind of JSON value, decoded as the API decodes it (numbers as json.Number).
func celFacts(change func(*Facts)) Facts {
	return facts(func(f *Facts) {
		f.Name = "Security findings"
		f.Point.Version = 7
		f.Account.Labels = []domain.Label{{Key: "region", Value: "eu"}, {Key: "tier", Value: "enterprise"}}
		f.Config = map[string]any{
			"project":   "SEC",
			"url":       "https://acme.atlassian.net",
			"port":      json.Number("8443"),
			"ratio":     json.Number("2.5"),
			"huge":      json.Number("12345678901234567890"), // beyond int64
			"ports":     []any{json.Number("80"), json.Number("443")},
			"labels":    []any{"pointguard", "sec"},
			"limits":    map[string]any{"max": json.Number("5"), "names": []any{"a"}},
			"enabled":   true,
			"nothing":   nil,
			"api_token": "s3cret", // a secret: rules do not see it
		}
		if change != nil {
			change(f)
		}
	})
}

func TestRules(t *testing.T) {
	t.Run("Outcome", func(t *testing.T) {
		tests := []struct {
			name        string
			expression  string
			enforcement domain.Enforcement
			want        []domain.Violation
			status      domain.ComplianceStatus
		}{
			{"TrueComplies", "true", domain.EnforcementDeny, nil, domain.StatusCompliant},
			{"FalseDenies", "false", domain.EnforcementDeny,
				[]domain.Violation{failed("r", "r failed", domain.EnforcementDeny)}, domain.StatusNonCompliant},
			{"FalseWarns", "false", domain.EnforcementWarn,
				[]domain.Violation{failed("r", "r failed", domain.EnforcementWarn)}, domain.StatusWarning},
			{"FalseAudits", "false", domain.EnforcementAudit,
				[]domain.Violation{failed("r", "r failed", domain.EnforcementAudit)}, domain.StatusWarning},
			// A rule that cannot be evaluated is not a pass: a DENY rule
			// fails closed, a WARN or AUDIT one reports its error.
			{"MissingKeyDenyFailsClosed", "integration.config.team == 'sec'", domain.EnforcementDeny,
				[]domain.Violation{ruleError("r", "no such key: team", domain.EnforcementDeny)}, domain.StatusNonCompliant},
			{"MissingKeyWarns", "integration.config.team == 'sec'", domain.EnforcementWarn,
				[]domain.Violation{ruleError("r", "no such key: team", domain.EnforcementWarn)}, domain.StatusWarning},
			{"MissingKeyAudits", "integration.config.team == 'sec'", domain.EnforcementAudit,
				[]domain.Violation{ruleError("r", "no such key: team", domain.EnforcementAudit)}, domain.StatusWarning},
			{"MissingLabel", "account.labels['team'] == 'sec'", domain.EnforcementDeny,
				[]domain.Violation{ruleError("r", "no such key: team", domain.EnforcementDeny)}, domain.StatusNonCompliant},
			{"SecretIsMissing", "integration.config.api_token != ''", domain.EnforcementDeny,
				[]domain.Violation{ruleError("r", "no such key: api_token", domain.EnforcementDeny)}, domain.StatusNonCompliant},
			{"BadConversion", "int(integration.config.project) > 0", domain.EnforcementDeny,
				[]domain.Violation{ruleError("r", "type conversion error from 'string' to 'int'", domain.EnforcementDeny)}, domain.StatusNonCompliant},
			{"HasGuardsMissingKey", "!has(integration.config.team) || integration.config.team == 'sec'", domain.EnforcementDeny,
				nil, domain.StatusCompliant},
			// CEL's && and || are commutative: an error on one side is absorbed
			// by a decisive other side.
			{"ErrorAbsorbedByOr", "integration.config.team == 'sec' || true", domain.EnforcementDeny, nil, domain.StatusCompliant},
			{"ErrorAbsorbedByAnd", "integration.config.team == 'sec' && false", domain.EnforcementWarn,
				[]domain.Violation{failed("r", "r failed", domain.EnforcementWarn)}, domain.StatusWarning},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f := celFacts(func(f *Facts) {
					f.Program = compile(t, withRuleEnforcement(rule("r", tt.expression), tt.enforcement))
				})
				got := Check(f)
				assertViolations(t, got, tt.want)
				if s := Status(got); s != tt.status {
					t.Errorf("Status = %s, want %s", s, tt.status)
				}
			})
		}
	})

	// An error whose text comes from elsewhere (here Go's regexp) still
	// names the rule.
	t.Run("RuleErrorMessage", func(t *testing.T) {
		f := celFacts(func(f *Facts) {
			f.Program = compile(t, rule("regex", `'x'.matches(account.slug + '[')`))
		})
		got := Check(f)
		if len(got) != 1 || got[0].Code != domain.ViolationRuleError || got[0].Rule != "regex" ||
			!strings.HasPrefix(got[0].Message, "Rule regex could not be evaluated: ") || got[0].Field != nil {
			t.Fatalf("Check = %s, want a RULE_ERROR naming the rule", show(got))
		}
	})

	t.Run("Messages", func(t *testing.T) {
		tests := []struct {
			name, message string
			expression    bool
			want          string
		}{
			{"Plain", "Jira projects must be approved by security", false, "Jira projects must be approved by security"},
			{"PlainIsNotEvaluated", "'a' + 'b'", false, "'a' + 'b'"},
			{"Expression", `'Project ' + integration.config.project + ' is not approved for ' + account.slug`, true,
				"Project SEC is not approved for acme-prod"},
			{"ExpressionWithNumbers", `'Port ' + string(integration.config.port) + ' of point v' + string(point.version)`, true,
				"Port 8443 of point v7"},
			{"ExpressionWithStringFunctions", `'%s on %s'.format([integration.name.upperAscii(), provider.key])`, true,
				"SECURITY FINDINGS on jira"},
			// A message expression that cannot be evaluated, or is empty,
			// still gives a message: one naming the rule.
			{"ExpressionErrorFallsBack", `'Team ' + integration.config.team`, true, "Rule r failed"},
			{"EmptyResultFallsBack", `''`, true, "Rule r failed"},
			// Secrets are not variables, so a message cannot echo one.
			{"SecretCannotBeEchoed", `'token ' + integration.config.api_token`, true, "Rule r failed"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := domain.Rule{Name: "r", Expression: "false", Message: tt.message, MessageExpression: tt.expression,
					Enforcement: domain.EnforcementWarn}
				got := Check(celFacts(func(f *Facts) { f.Program = compile(t, r) }))
				assertViolations(t, got, []domain.Violation{failed("r", tt.want, domain.EnforcementWarn)})
			})
		}
	})

	// Variables: each expression is true of celFacts (or the facts the case
	// changes), and its negation false: a rule sees what the spec says.
	t.Run("Variables", func(t *testing.T) {
		tests := []struct {
			name, expression string
			change           func(*Facts)
		}{
			{"IntegrationName", `integration.name == 'Security findings'`, nil},
			{"IntegrationProvider", `integration.provider == 'jira'`, nil},
			{"ConfigString", `integration.config.project == 'SEC'`, nil},
			{"ConfigNumberGreater", `integration.config.port > 1000`, nil},
			{"ConfigNumberEqual", `integration.config.port == 8443`, nil},
			{"ConfigNumberVersusDouble", `integration.config.port < 8443.5 && integration.config.port == 8443.0`, nil},
			{"ConfigNumberVersusUint", `integration.config.port >= 8443u`, nil},
			{"ConfigFraction", `integration.config.ratio > 2 && integration.config.ratio < 3`, nil},
			{"ConfigBeyondInt64", `integration.config.huge > 9223372036854775807`, nil},
			{"ConfigNumberInList", `443 in integration.config.ports && !(8080 in integration.config.ports)`, nil},
			{"ConfigNumbersAll", `integration.config.ports.all(p, p > 0 && p < 65536)`, nil},
			{"ConfigNestedNumber", `integration.config.limits.max >= 5 && integration.config.limits.max <= 5`, nil},
			{"ConfigNestedList", `size(integration.config.limits.names) == 1`, nil},
			{"ConfigList", `'pointguard' in integration.config.labels && size(integration.config.labels) == 2`, nil},
			{"ConfigBool", `integration.config.enabled == true`, nil},
			{"ConfigNull", `integration.config.nothing == null`, nil},
			{"ConfigHas", `has(integration.config.project) && !has(integration.config.team)`, nil},
			{"ConfigKeyIn", `'project' in integration.config && !('team' in integration.config)`, nil},
			{"ConfigIndex", `integration.config['project'] == 'SEC'`, nil},
			{"ConfigHidesSecrets", `!has(integration.config.api_token) && !('api_token' in integration.config)`, nil},
			{"ConfigWithoutNumbersOrSecrets", `integration.config.project == 'SEC' && size(integration.config) == 1`,
				func(f *Facts) { f.Config = map[string]any{"project": "SEC"} }},
			{"ConfigGoNumbers", `integration.config.port > 1000 && integration.config.ratio < 3`,
				func(f *Facts) { f.Config = map[string]any{"project": "SEC", "port": 8443, "ratio": 2.5} }},
			{"NilConfigIsEmpty", `size(integration.config) == 0 && !has(integration.config.project)`,
				func(f *Facts) {
					f.Config, f.Point.RequiredConfig = nil, nil
					f.ProviderKey, f.Provider = "zendesk", zendesk
					f.Point.AllowedProviders.Prod = []string{"zendesk"}
				}},
			{"AccountSlug", `account.slug == 'acme-prod'`, nil},
			{"AccountEnvironment", `account.environment == 'PROD'`, nil},
			{"AccountEnvironmentTest", `account.environment == 'TEST' && account.slug == 'acme-test'`,
				func(f *Facts) { f.Account.Environment, f.Account.Slug = domain.EnvironmentTest, "acme-test" }},
			{"AccountLabel", `account.labels['region'] == 'eu'`, nil},
			{"AccountLabelsIsAMap", `'tier' in account.labels && !('team' in account.labels) && size(account.labels) == 2`, nil},
			{"AccountLabelsExists", `account.labels.exists(k, k == 'tier' && account.labels[k] == 'enterprise')`, nil},
			{"AccountNoLabels", `size(account.labels) == 0`, func(f *Facts) { f.Account.Labels = nil }},
			{"ProviderKey", `provider.key == 'jira'`, nil},
			{"ProviderCategory", `provider.category == 'TICKETING'`, nil},
			{"UnknownProvider", `provider.key == 'nosuch' && provider.category == '' && integration.provider == 'nosuch'`,
				func(f *Facts) { f.ProviderKey, f.Provider = "nosuch", nil }},
			{"PointSlug", `point.slug == 'ticketing'`, nil},
			{"PointVersion", `point.version == 7 && point.version > 6`, nil},
			{"LowerAscii", `integration.name.lowerAscii() == 'security findings'`, nil},
			{"UpperAsciiOnConfig", `integration.config.project.lowerAscii().upperAscii() == 'SEC'`, nil},
			{"Split", `integration.name.split(' ') == ['Security', 'findings']`, nil},
			{"Replace", `integration.name.replace(' ', '-') == 'Security-findings'`, nil},
			{"IndexOf", `integration.name.indexOf('findings') == 9`, nil},
			{"Trim", `'  SEC '.trim() == integration.config.project`, nil},
			{"Join", `['a', 'b'].join('-') == 'a-b'`, nil},
			{"Format", `'%s/%d'.format([integration.provider, point.version]) == 'jira/7'`, nil},
			{"EndsWith", `integration.config.url.endsWith('.atlassian.net')`, nil},
			{"Matches", `integration.config.project.matches('^[A-Z][A-Z0-9]+$')`, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f := celFacts(func(f *Facts) {
					if tt.change != nil {
						tt.change(f)
					}
					f.Program = compile(t, rule("holds", tt.expression), rule("negated", "!("+tt.expression+")"))
				})
				got := custom(Check(f))
				assertViolations(t, got, []domain.Violation{failed("negated", "negated failed", domain.EnforcementDeny)})
			})
		}
	})

	t.Run("Order", func(t *testing.T) {
		// Built-in rules first (provider, scope, required config, schema,
		// limit), then the custom rules in their order, failing or not.
		f := celFacts(func(f *Facts) {
			f.Point.AllowedProviders.Prod = []string{"servicenow"}
			f.Point.AccountSelector = domain.AccountSelector{Environments: []domain.Environment{domain.EnvironmentTest}}
			f.Point.RequiredConfig = []string{"project"}
			f.Point.MaxIntegrationsPerAccount, f.Earlier = intp(1), 1
			f.Config = map[string]any{"site_url": "http://x"}
			f.Program = compile(t,
				withRuleEnforcement(rule("z-audit", "false"), domain.EnforcementAudit),
				rule("passes", "true"),
				withRuleEnforcement(rule("a-warn", "integration.config.team == 'x'"), domain.EnforcementWarn),
				rule("m-deny", "false"),
			)
		})
		want := []domain.Violation{
			violation(domain.ViolationProviderNotAllowed, "allowedProviders.prod",
				"Provider jira is not approved for PROD accounts by integration point Ticketing; approved: servicenow", "provider"),
			violation(domain.ViolationAccountNotInScope, "accountSelector",
				"Account acme-prod is outside the scope of integration point Ticketing, which selects TEST accounts", "accountId"),
			violation(domain.ViolationMissingConfig, "requiredConfig",
				`Config key "project" is required by integration point Ticketing and must not be empty`, "config.project"),
			violation(domain.ViolationInvalidConfig, "configSchema", "config.site_url must be an https URL", "config.site_url"),
			violation(domain.ViolationLimitReached, "maxIntegrationsPerAccount",
				"Integration point Ticketing allows at most 1 integration per account, and account acme-prod already has 1", "accountId"),
			failed("z-audit", "z-audit failed", domain.EnforcementAudit),
			ruleError("a-warn", "no such key: team", domain.EnforcementWarn),
			failed("m-deny", "m-deny failed", domain.EnforcementDeny),
		}
		for range 20 {
			assertViolations(t, Check(f), want)
			if t.Failed() {
				break
			}
		}
	})

	t.Run("WarnAndAuditAloneDoNotDeny", func(t *testing.T) {
		got := Check(celFacts(func(f *Facts) {
			f.Program = compile(t,
				withRuleEnforcement(rule("w", "false"), domain.EnforcementWarn),
				withRuleEnforcement(rule("a", "false"), domain.EnforcementAudit))
		}))
		if domain.Denies(got) || Status(got) != domain.StatusWarning {
			t.Fatalf("Check = %s: status %s, want WARNING", show(got), Status(got))
		}
	})

	t.Run("NoProgram", func(t *testing.T) {
		if got := Check(celFacts(nil)); len(got) != 0 {
			t.Fatalf("Check = %s, want no violations", show(got))
		}
		var p *Program
		if got := Check(celFacts(func(f *Facts) { f.Program = p })); len(got) != 0 {
			t.Fatalf("Check = %s, want no violations", show(got))
		}
	})

	t.Run("EmptyProgram", func(t *testing.T) {
		if got := Check(celFacts(func(f *Facts) { f.Program = compile(t) })); len(got) != 0 {
			t.Fatalf("Check = %s, want no violations", show(got))
		}
	})

	t.Run("DoesNotModifyConfig", func(t *testing.T) {
		f := celFacts(func(f *Facts) {
			f.Program = compile(t, rule("r", "integration.config.port > 1 && integration.config.limits.max > 1"))
		})
		before := maps.Clone(f.Config)
		before["limits"] = maps.Clone(f.Config["limits"].(map[string]any))
		if got := Check(f); len(got) != 0 {
			t.Fatalf("Check = %s", show(got))
		}
		if !reflect.DeepEqual(f.Config, before) {
			t.Errorf("config changed:\n got: %v\nwant: %v", f.Config, before)
		}
	})

	// A Program is immutable and serves concurrent checks (run with -race).
	t.Run("ConcurrentChecks", func(t *testing.T) {
		p := compile(t,
			rule("port", "integration.config.port > 1000"),
			rule("region", "account.labels['region'] == 'eu'"),
			domain.Rule{Name: "msg", Expression: "integration.name.size() < 5", Enforcement: domain.EnforcementWarn,
				Message: "integration.name + ' is too long'", MessageExpression: true})
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 50 {
					name := fmt.Sprintf("integration-%d-%d", g, i)
					got := Check(celFacts(func(f *Facts) { f.Name, f.Program = name, p }))
					want := []domain.Violation{failed("msg", name+" is too long", domain.EnforcementWarn)}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("Check = %s, want %s", show(got), show(want))
						return
					}
				}
			})
		}
		wg.Wait()
	})

	// Secrets nested in a config object (github_advanced_security's
	// app.private_key is writeOnly) must be as invisible as top-level ones.
	t.Run("NestedSecretCannotBeEchoed", func(t *testing.T) {
		f := facts(func(f *Facts) {
			f.Point.Category, f.Point.RequiredConfig = domain.CategoryAppSec, nil
			f.Point.AllowedProviders.Prod = []string{"github_advanced_security"}
			f.ProviderKey, f.Provider = "github_advanced_security", catalog.Lookup("github_advanced_security")
			f.Config = map[string]any{"owner": "acme", "auth_method": "github_app", "app": map[string]any{
				"app_id": json.Number("1"), "installation_id": json.Number("2"), "private_key": "TOPSECRET"}}
			f.Program = compile(t, domain.Rule{Name: "leak", Expression: "false", Enforcement: domain.EnforcementWarn,
				Message: "'key: ' + integration.config.app.private_key", MessageExpression: true})
		})
		assertViolations(t, Check(f), []domain.Violation{failed("leak", "Rule leak failed", domain.EnforcementWarn)})
	})
}
