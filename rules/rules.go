// Package rules decides whether an integration satisfies its integration
// point. It is a pure function of facts: no database, no clock, no context,
// so the same checker serves creates, updates, dry runs and re-checks.
package rules

import (
	"fmt"
	"strings"

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
	Config      map[string]any
	// Earlier is how many of the account's integrations on the point come
	// before this one in creation order: for a new integration, all of them.
	// The limit keeps the oldest, so a lowered limit flags the newest.
	Earlier int
}

// Check returns every rule the integration breaks, in a stable order; none
// means it complies.
func Check(f Facts) []domain.Violation {
	var out []domain.Violation
	out = append(out, checkProvider(f)...)
	out = append(out, checkRequiredConfig(f)...)
	out = append(out, checkLimit(f)...)
	return out
}

// Status summarises violations. Every v1 rule refuses, so any violation
// makes the integration non-compliant.
func Status(violations []domain.Violation) domain.ComplianceStatus {
	if len(violations) > 0 {
		return domain.StatusNonCompliant
	}
	return domain.StatusCompliant
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
