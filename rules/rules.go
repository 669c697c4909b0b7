// Package rules decides whether an integration satisfies its integration
// point. It is a pure function of facts: no database, no clock, no context,
// so the same checker serves creates, updates, dry runs and re-checks.
package rules

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/pointguard/pointguard/catalog"
	"github.com/pointguard/pointguard/configdefaults"
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
	// Every rule judges the effective config: the point's defaults merged
	// with the integration's own.
	config, defaults := configdefaults.Merge(f.Point.AllConfigDefaults(), f.Point.Name, f.ProviderKey, f.Config)
	f.Config = config
	var out []domain.Violation
	out = append(out, checkProvider(f)...)
	out = append(out, checkScope(f)...)
	out = append(out, checkRequiredConfig(f)...)
	out = append(out, checkConfigSchema(f)...)
	out = append(out, checkLimit(f)...)
	for i := range out {
		out[i].Enforcement = domain.EnforcementDeny
	}
	out = append(out, defaults...) // CONFIG_LOCKED (DENY), CONFIG_NOT_RECOMMENDED (WARN)
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
	var out []domain.Violation
	for _, p := range validateConfig(f.ProviderKey, f.Config) {
		if reportedMissing(f, p.Field) {
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

// reportedMissing tells whether field is a required key that
// checkRequiredConfig already reports as missing.
func reportedMissing(f Facts, field string) bool {
	for _, key := range f.Point.RequiredConfig {
		if field == "config."+key && isEmpty(f.Config[key]) {
			return true
		}
	}
	return false
}

// configResults remembers schema validations by provider and config
// content: the use-time gate checks the same config again and again, and
// encoding a config to hash it costs a fraction of validating it.
var configResults, _ = lru.New[[sha256.Size]byte, []catalog.ConfigProblem](1 << 16)

func validateConfig(providerKey string, config map[string]any) []catalog.ConfigProblem {
	buf := canonicalBuffers.Get().(*[]byte)
	b, encodable := appendCanonical(appendScalar((*buf)[:0], providerKey), config)
	key := sha256.Sum256(b)
	*buf = b
	canonicalBuffers.Put(buf)
	if !encodable { // not JSON (NaN, a channel…): no key can stand for it
		return catalog.ValidateConfig(providerKey, config)
	}
	if problems, ok := configResults.Get(key); ok {
		return problems
	}
	problems := catalog.ValidateConfig(providerKey, config)
	configResults.Add(key, problems)
	return problems
}

var canonicalBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// appendCanonical appends an encoding of a JSON value, type-tagged,
// lengths first and map keys sorted, so that two values encode alike
// exactly when they are equal, and tells whether every part of v was JSON:
// values json.Marshal refuses all encode alike, so they must not be cached.
// Written by hand: json.Marshal would do, at three times the cost, on the
// use-time gate's hot path.
func appendCanonical(b []byte, v any) ([]byte, bool) {
	ok := true
	var walk func(b []byte, v any) []byte
	walk = func(b []byte, v any) []byte {
		switch v := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			b = binary.AppendUvarint(append(b, 'o'), uint64(len(keys)))
			for _, k := range keys {
				b = append(binary.AppendUvarint(b, uint64(len(k))), k...)
				b = walk(b, v[k])
			}
			return b
		case []any:
			b = binary.AppendUvarint(append(b, 'a'), uint64(len(v)))
			for _, x := range v {
				b = walk(b, x)
			}
			return b
		case nil, bool, string, json.Number:
			return appendScalar(b, v)
		default:
			j, err := json.Marshal(v)
			ok = ok && err == nil
			return append(binary.AppendUvarint(append(b, 'x'), uint64(len(j))), j...)
		}
	}
	return walk(b, v), ok
}

func appendScalar(b []byte, v any) []byte {
	switch v := v.(type) {
	case bool:
		if v {
			return append(b, 't')
		}
		return append(b, 'f')
	case string:
		return append(binary.AppendUvarint(append(b, 's'), uint64(len(v))), v...)
	case json.Number:
		return append(binary.AppendUvarint(append(b, 'd'), uint64(len(v))), v...)
	}
	return append(b, 'n')
}
