package rules

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/ext"

	"github.com/pointguard/pointguard/configsecrets"
	"github.com/pointguard/pointguard/domain"
)

// Limits on custom rules.
const (
	MaxRules            = 50
	MaxExpressionLength = 4 << 10
	// MaxCost bounds one evaluation of one expression, in CEL cost units;
	// the same per-call budget Kubernetes gives a validation rule.
	MaxCost = 1_000_000
	// maxConfigElements is the size the cost estimate assumes for config
	// lists and maps: a 64 KiB config cannot hold more.
	maxConfigElements = 64 << 10
)

// The variables a rule sees. Their fields are checked when the rule is
// saved, so `integration.nmae` is a compile error, not a runtime surprise.
type (
	// Integration is `integration`.
	Integration struct {
		Name     string         `cel:"name"`
		Provider string         `cel:"provider"`
		Config   map[string]any `cel:"config"`
	}
	// Account is `account`.
	Account struct {
		Slug        string            `cel:"slug"`
		Environment string            `cel:"environment"`
		Labels      map[string]string `cel:"labels"`
	}
	// Provider is `provider`.
	Provider struct {
		Key      string `cel:"key"`
		Category string `cel:"category"`
	}
	// Point is `point`.
	Point struct {
		Slug    string `cel:"slug"`
		Version int64  `cel:"version"`
	}
)

var celEnv = mustEnv()

func mustEnv() *cel.Env {
	env, err := cel.NewEnv(
		ext.NativeTypes(reflect.TypeOf(Integration{}), reflect.TypeOf(Account{}),
			reflect.TypeOf(Provider{}), reflect.TypeOf(Point{}), ext.ParseStructTags(true)),
		cel.Variable("integration", cel.ObjectType("rules.Integration")),
		cel.Variable("account", cel.ObjectType("rules.Account")),
		cel.Variable("provider", cel.ObjectType("rules.Provider")),
		cel.Variable("point", cel.ObjectType("rules.Point")),
		ext.Strings(),
		cel.CrossTypeNumericComparisons(true),
	)
	if err != nil {
		panic(fmt.Sprintf("rules: CEL environment: %v", err)) // a programming error, caught by any test
	}
	return env
}

// Program is a point's custom rules, compiled and ready to evaluate. It is
// immutable and safe for concurrent use.
type Program struct {
	rules []compiledRule
}

type compiledRule struct {
	rule    domain.Rule
	check   cel.Program
	message cel.Program // nil when the message is plain text
}

// CompileError is a rule that cannot be saved. Field is "name",
// "expression" or "message"; Message names the rule and, for CEL errors,
// the line and column.
type CompileError struct {
	Index   int
	Field   string
	Message string
}

// Compile parses and type-checks rules, bounds their cost and compiles them.
// It returns every problem found; the Program is nil when there is any.
func Compile(rs []domain.Rule) (*Program, []CompileError) {
	var errs []CompileError
	fail := func(i int, field, format string, args ...any) {
		errs = append(errs, CompileError{Index: i, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if len(rs) > MaxRules {
		fail(-1, "", "A point may have at most %d rules, got %d", MaxRules, len(rs))
		return nil, errs
	}
	p := &Program{rules: make([]compiledRule, len(rs))}
	seen := map[string]bool{}
	for i, r := range rs {
		switch {
		case strings.TrimSpace(r.Name) == "" || len(r.Name) > 63:
			fail(i, "name", "Rule name %q must be 1 to 63 characters and not blank", r.Name)
		case seen[r.Name]:
			fail(i, "name", "Rule name %q is used twice; names must be unique within a point", r.Name)
		}
		seen[r.Name] = true
		if !r.Enforcement.IsValid() {
			fail(i, "enforcement", "Rule %q: enforcement must be DENY, WARN or AUDIT", r.Name)
		}
		check, err := compileExpr(r.Expression, cel.BoolType)
		if err != "" {
			fail(i, "expression", "Rule %q: %s", r.Name, err)
		}
		var message cel.Program
		if r.MessageExpression {
			if message, err = compileExpr(r.Message, cel.StringType); err != "" {
				fail(i, "message", "Rule %q: message %s", r.Name, err)
			}
		} else if strings.TrimSpace(r.Message) == "" || len(r.Message) > MaxExpressionLength {
			fail(i, "message", "Rule %q: message must be 1 to %d characters and not blank", r.Name, MaxExpressionLength)
		}
		p.rules[i] = compiledRule{rule: r, check: check, message: message}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return p, nil
}

// compileExpr returns a program, or a sentence saying what is wrong.
func compileExpr(src string, want *cel.Type) (cel.Program, string) {
	if strings.TrimSpace(src) == "" {
		return nil, "expression is empty"
	}
	if len(src) > MaxExpressionLength {
		return nil, fmt.Sprintf("expression is %d bytes, more than the %d allowed", len(src), MaxExpressionLength)
	}
	ast, iss := celEnv.Compile(src)
	if iss.Err() != nil {
		var msgs []string
		for _, e := range iss.Errors() {
			loc := e.Location
			msgs = append(msgs, fmt.Sprintf("line %d, column %d: %s", loc.Line(), loc.Column()+1, e.Message))
		}
		return nil, strings.Join(msgs, "; ")
	}
	if !ast.OutputType().IsExactType(want) {
		return nil, fmt.Sprintf("expression must be a %s, but it is a %s", want, ast.OutputType())
	}
	est, err := celEnv.EstimateCost(ast, sizeEstimator{})
	if err != nil {
		return nil, "cost cannot be estimated: " + err.Error()
	}
	if est.Max > MaxCost {
		return nil, fmt.Sprintf("expression may cost up to %d units, more than the %d allowed; bound its loops", est.Max, MaxCost)
	}
	// No runtime cost limit: the estimate above already bounds the worst
	// case (config and labels cannot outgrow what it assumes), and runtime
	// cost tracking would double the price of every evaluation.
	prg, err := celEnv.Program(ast, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, err.Error()
	}
	return prg, ""
}

// sizeEstimator bounds every list, map and string at what a 64 KiB config can hold.
type sizeEstimator struct{}

func (sizeEstimator) EstimateSize(cost.AstNode) *cost.SizeEstimate {
	return &cost.SizeEstimate{Min: 0, Max: maxConfigElements}
}

func (sizeEstimator) EstimateCallCost(string, string, *cost.AstNode, []cost.AstNode) *cost.CallEstimate {
	return nil
}

// evaluate runs every custom rule; a rule that returns false is RULE_FAILED,
// one that cannot be evaluated is RULE_ERROR (a DENY rule thus fails closed).
func (p *Program) evaluate(f Facts) []domain.Violation {
	if p == nil || len(p.rules) == 0 {
		return nil
	}
	// One activation serves every rule of the check.
	vars := variables(f)
	var out []domain.Violation
	for _, r := range p.rules {
		val, _, err := r.check.Eval(vars)
		if err != nil {
			out = append(out, domain.Violation{
				Code: domain.ViolationRuleError, Rule: r.rule.Name, Enforcement: r.rule.Enforcement,
				Message: fmt.Sprintf("Rule %s could not be evaluated: %s", r.rule.Name, err),
			})
			continue
		}
		if ok, _ := val.Value().(bool); ok {
			continue
		}
		out = append(out, domain.Violation{
			Code: domain.ViolationRuleFailed, Rule: r.rule.Name, Enforcement: r.rule.Enforcement,
			Message: r.messageFor(vars),
		})
	}
	return out
}

func (r compiledRule) messageFor(vars cel.Activation) string {
	if r.message == nil {
		return r.rule.Message
	}
	val, _, err := r.message.Eval(vars)
	if err == nil && val != nil {
		if s, ok := val.Value().(string); ok && s != "" {
			return s
		}
	}
	return fmt.Sprintf("Rule %s failed", r.rule.Name)
}

// activation holds a check's variables: one allocation, where a map
// would box each of them.
type activation struct {
	integration Integration
	account     Account
	provider    Provider
	point       Point
}

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "integration":
		return &a.integration, true
	case "account":
		return &a.account, true
	case "provider":
		return &a.provider, true
	case "point":
		return &a.point, true
	}
	return nil, false
}

func (a *activation) Parent() cel.Activation { return nil }

func variables(f Facts) *activation {
	labels := make(map[string]string, len(f.Account.Labels))
	for _, l := range f.Account.Labels {
		labels[l.Key] = l.Value
	}
	category := ""
	if f.Provider != nil {
		category = string(f.Provider.Category)
	}
	return &activation{
		integration: Integration{Name: f.Name, Provider: f.ProviderKey, Config: celConfig(f.Config)},
		account:     Account{Slug: f.Account.Slug, Environment: string(f.Account.Environment), Labels: labels},
		provider:    Provider{Key: f.ProviderKey, Category: category},
		point:       Point{Slug: f.Point.Slug, Version: int64(f.Point.Version)},
	}
}

// celConfig is the config as rules see it: without secrets, at any depth
// (a message expression could echo them), and with JSON numbers as CEL
// numbers. Most configs need neither change, and are then passed as they are.
func celConfig(config map[string]any) map[string]any {
	if config == nil {
		return map[string]any{}
	}
	if !needsCopy(config) {
		return config
	}
	out, _ := celValue(config).(map[string]any)
	return out
}

// needsCopy tells whether a value holds a secret key or a JSON number.
func needsCopy(v any) bool {
	switch v := v.(type) {
	case json.Number:
		return true
	case map[string]any:
		for k, x := range v {
			if configsecrets.IsSecret(k) || needsCopy(x) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if needsCopy(x) {
				return true
			}
		}
	}
	return false
}

// celValue copies a config value for CEL in one pass: secret keys, at any
// depth, are left out, and JSON numbers, which config keeps exact as
// json.Number, become the int64 or float64 CEL compares numerically.
func celValue(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			if !configsecrets.IsSecret(k) {
				out[k] = celValue(x)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = celValue(x)
		}
		return out
	}
	return v
}
