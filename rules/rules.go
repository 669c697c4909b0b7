// Package rules decides whether an integration satisfies its integration
// point. It is a pure function of facts: no database, no clock, no context,
// so the same checker serves creates, updates, dry runs and re-checks.
package rules

import (
	"fmt"
	"strings"

	"github.com/pointguard/pointguard/catalog"
	"github.com/pointguard/pointguard/domain"
)

// Facts is everything the checker needs to judge one integration.
type Facts struct {
	Point   *domain.IntegrationPoint
	Account *domain.Account
	// ProviderKey is the key the integration names; Provider is its catalog
	// entry, nil when the key is not in the catalog.
	ProviderKey string
	Provider    *domain.Provider
	Name        string
	Config      map[string]any
	// Program is the point's custom rules, compiled (see Compile); nil when
	// the point has none.
	Program *Program
	// Earlier is how many of the account's integrations on the point come
	// before this one in creation order: for a new integration, all of them.
	// The limit keeps the oldest, so a lowered limit flags the newest.
	Earlier int
}

// Check returns every rule the integration breaks, in a stable order: the
// built-in rules (all DENY), then the point's custom rules in their order.
// None means it complies.
func Check(f Facts) []domain.Violation {
	var out []domain.Violation
	out = append(out, checkProvider(f)...)
	out = append(out, checkScope(f)...)
	out = append(out, checkRequiredConfig(f)...)
	out = append(out, checkConfigSchema(f)...)
	out = append(out, checkLimit(f)...)
	for i := range out {
		out[i].Enforcement = domain.EnforcementDeny
	}
	return append(out, f.Program.evaluate(f)...)
}

// Status summarises violations: NON_COMPLIANT if any denies, WARNING if any
// warns or audits, else COMPLIANT.
func Status(violations []domain.Violation) domain.ComplianceStatus {
	switch {
	case domain.Denies(violations):
		return domain.StatusNonCompliant
	case len(violations) > 0:
		return domain.StatusWarning
	}
	return domain.StatusCompliant
}

func checkScope(f Facts) []domain.Violation {
	if f.Point.AccountSelector.Matches(f.Account) {
		return nil
	}
	return []domain.Violation{{
		Code: domain.ViolationAccountNotInScope,
		Rule: "accountSelector",
		Message: fmt.Sprintf("Account %s is outside the scope of integration point %s, which selects %s",
			f.Account.Slug, f.Point.Name, describeSelector(f.Point.AccountSelector)),
		Field: field("accountId"),
	}}
}

func describeSelector(s domain.AccountSelector) string {
	var parts []string
	if len(s.Environments) > 0 {
		envs := make([]string, len(s.Environments))
		for i, e := range s.Environments {
			envs[i] = string(e)
		}
		parts = append(parts, strings.Join(envs, " or ")+" accounts")
	}
	for _, l := range s.MatchLabels {
		parts = append(parts, fmt.Sprintf("label %s=%s", l.Key, l.Value))
	}
	return strings.Join(parts, " with ")
}

// checkConfigSchema validates the config against the provider's schema,
// unless the provider is wrong for the point anyway, and leaves out keys
// already reported missing by requiredConfig: one problem, one violation.
func checkConfigSchema(f Facts) []domain.Violation {
	if f.Provider == nil || f.Provider.Category != f.Point.Category {
		return nil
	}
	missing := map[string]bool{}
	for _, key := range f.Point.RequiredConfig {
		missing["config."+key] = isEmpty(f.Config[key])
	}
	var out []domain.Violation
	for _, p := range catalog.ValidateConfig(f.ProviderKey, f.Config) {
		if missing[p.Field] {
			continue
		}
		out = append(out, domain.Violation{
			Code:    domain.ViolationInvalidConfig,
			Rule:    "configSchema",
			Message: p.Message,
			Field:   field(p.Field),
		})
	}
	return out
}

func checkProvider(f Facts) []domain.Violation {
	p := f.Provider
	if p == nil {
		return []domain.Violation{{
			Code:    domain.ViolationUnknownProvider,
			Rule:    "provider",
			Message: fmt.Sprintf("Provider %s is not in the catalog; see the providers query for the keys", quote(f.ProviderKey)),
			Field:   field("provider"),
		}}
	}
	if p.Category != f.Point.Category {
		return []domain.Violation{{
			Code: domain.ViolationCategoryMismatch,
			Rule: "category",
			Message: fmt.Sprintf("Provider %s is a %s provider; integration point %s accepts %s providers only",
				p.Key, p.Category, f.Point.Name, f.Point.Category),
			Field: field("provider"),
		}}
	}
	env := f.Account.Environment
	allowed := f.Point.AllowedProviders.For(env)
	for _, k := range allowed {
		if k == p.Key {
			return nil
		}
	}
	approved := "none"
	if len(allowed) > 0 {
		approved = strings.Join(allowed, ", ")
	}
	return []domain.Violation{{
		Code: domain.ViolationProviderNotAllowed,
		Rule: "allowedProviders." + strings.ToLower(string(env)),
		Message: fmt.Sprintf("Provider %s is not approved for %s accounts by integration point %s; approved: %s",
			p.Key, env, f.Point.Name, approved),
		Field: field("provider"),
	}}
}

func checkRequiredConfig(f Facts) []domain.Violation {
	var out []domain.Violation
	for _, key := range f.Point.RequiredConfig {
		if !isEmpty(f.Config[key]) {
			continue
		}
		out = append(out, domain.Violation{
			Code:    domain.ViolationMissingConfig,
			Rule:    "requiredConfig",
			Message: fmt.Sprintf("Config key %q is required by integration point %s and must not be empty", key, f.Point.Name),
			Field:   field("config." + key),
		})
	}
	return out
}

func checkLimit(f Facts) []domain.Violation {
	limit := f.Point.MaxIntegrationsPerAccount
	if limit == nil || f.Earlier < *limit {
		return nil
	}
	return []domain.Violation{{
		Code: domain.ViolationLimitReached,
		Rule: "maxIntegrationsPerAccount",
		Message: fmt.Sprintf("Integration point %s allows at most %d integration%s per account, and account %s already has %d",
			f.Point.Name, *limit, plural(*limit), f.Account.Slug, f.Earlier),
		Field: field("accountId"),
	}}
}

// isEmpty is true for a missing key, null, a blank string, and an empty
// list or object: none of them configures anything.
func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(v) == ""
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

func quote(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func field(path string) *string { return &path }
