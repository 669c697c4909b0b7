// Package configdefaults merges an integration point's config defaults
// with an integration's own config into the config the integration runs
// with, and tells where each key of the result comes from. Pure: no I/O,
// so that the rule checker (package rules), the use-time gate and the
// resolvers all merge alike.
//
// Semantics. A default applies to its provider, or with no provider to
// every provider; for one path, a provider's own default wins over the
// one for every provider. Paths are dotted ("mapping.severity"): a
// default sets the value at its path, creating the objects above it, and
// leaves the rest of the config as the integration set it (it is not a
// deep merge of the default's value: an integration that sets the path
// sets all of it). An integration sets a path when the value there is
// present and not null, or when a key above it holds something other than
// an object (a string where the default wants an object sets it too).
//
//   - LOCKED: the effective value is the point's; an integration that sets
//     another is refused (CONFIG_LOCKED, DENY).
//   - DEFAULT: the point's value when the integration does not set it.
//   - RECOMMENDED: as DEFAULT; an integration that sets another value
//     gets a WARN violation (CONFIG_NOT_RECOMMENDED).
package configdefaults

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/pointguard/pointguard/configsecrets"
	"github.com/pointguard/pointguard/domain"
)

// IsSecretPath tells whether a default at path holds a secret: one of its
// keys is a secret key of some provider (configsecrets.IsSecret).
func IsSecretPath(path string) bool {
	for _, k := range strings.Split(path, ".") {
		if configsecrets.IsSecret(k) {
			return true
		}
	}
	return false
}

// Applying returns the defaults that apply to an integration of provider,
// in their order: a provider's own default hides the one for every
// provider at the same path.
func Applying(defaults []domain.ConfigDefault, provider string) []domain.ConfigDefault {
	if len(defaults) == 0 {
		return nil
	}
	out := make([]domain.ConfigDefault, 0, len(defaults))
	for _, d := range defaults {
		if d.ProviderKey != nil {
			if *d.ProviderKey == provider {
				out = append(out, d)
			}
			continue
		}
		hidden := false
		for _, o := range defaults {
			if o.ProviderKey != nil && *o.ProviderKey == provider && o.Path == d.Path {
				hidden = true
				break
			}
		}
		if !hidden {
			out = append(out, d)
		}
	}
	return out
}

// Merge is the effective config of an integration of provider whose own
// config is config, under the defaults of the point named pointName, with
// the violations of LOCKED and RECOMMENDED defaults. With no default that
// applies it returns config itself; otherwise a copy: config is never
// changed. The effective config may share values with defaults: callers
// must not change it.
func Merge(defaults []domain.ConfigDefault, pointName, provider string, config map[string]any) (map[string]any, []domain.Violation) {
	eff, violations, _ := merge(Applying(defaults, provider), pointName, config, false)
	return eff, violations
}

// Sources is the effective config's keys (secret ones included) with
// where each comes from, sorted by path: the path of every default that
// gave its value, and every other leaf of the integration's own config
// (a scalar, a list or an empty object).
func Sources(defaults []domain.ConfigDefault, provider string, config map[string]any) []domain.ConfigSource {
	eff, _, from := merge(Applying(defaults, provider), "", config, true)
	out := []domain.ConfigSource{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			path := prefix + k
			if kind, ok := from[path]; ok {
				out = append(out, domain.ConfigSource{Path: path, Source: kind})
				continue
			}
			if sub, ok := v.(map[string]any); ok && len(sub) > 0 && !configsecrets.IsSecret(k) {
				walk(path+".", sub)
				continue
			}
			out = append(out, domain.ConfigSource{Path: path, Source: domain.SourceIntegration})
		}
	}
	walk("", eff)
	slices.SortFunc(out, func(a, b domain.ConfigSource) int { return strings.Compare(a.Path, b.Path) })
	return out
}

var sourceOf = map[domain.ConfigMode]domain.ConfigSourceKind{
	domain.ConfigModeLocked:      domain.SourcePointLocked,
	domain.ConfigModeDefault:     domain.SourcePointDefault,
	domain.ConfigModeRecommended: domain.SourcePointRecommended,
}

func merge(applying []domain.ConfigDefault, pointName string, config map[string]any, sources bool) (
	map[string]any, []domain.Violation, map[string]domain.ConfigSourceKind) {
	if len(applying) == 0 {
		return config, nil, nil
	}
	var from map[string]domain.ConfigSourceKind
	if sources {
		from = make(map[string]domain.ConfigSourceKind, len(applying))
	}
	var violations []domain.Violation
	eff := config
	copied := false
	for _, d := range applying {
		keys := strings.Split(d.Path, ".")
		v, set := lookup(config, keys)
		if set {
			same := reflect.DeepEqual(v, d.Value)
			switch {
			case d.Mode == domain.ConfigModeLocked && !same:
				violations = append(violations, locked(d, pointName))
			case d.Mode == domain.ConfigModeRecommended && !same:
				violations = append(violations, notRecommended(d, pointName))
			}
			if d.Mode != domain.ConfigModeLocked {
				continue // the integration's own value stands
			}
		}
		if !copied {
			eff, copied = deepCopy(config), true
		}
		put(eff, keys, d.Value)
		if sources {
			from[d.Path] = sourceOf[d.Mode]
		}
	}
	return eff, violations, from
}

// lookup returns the value at keys and whether the config sets it.
func lookup(config map[string]any, keys []string) (any, bool) {
	var cur any = config
	for _, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			return cur, cur != nil // something else than an object above the path
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, cur != nil
}

// put sets the value at keys, creating (or replacing by) objects above it.
func put(m map[string]any, keys []string, v any) {
	for _, k := range keys[:len(keys)-1] {
		sub, ok := m[k].(map[string]any)
		if !ok {
			sub = map[string]any{}
			m[k] = sub
		}
		m = sub
	}
	m[keys[len(keys)-1]] = v
}

func deepCopy(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			v = deepCopy(sub)
		}
		out[k] = v
	}
	return out
}

func locked(d domain.ConfigDefault, pointName string) domain.Violation {
	return domain.Violation{
		Code: domain.ViolationConfigLocked, Rule: "configDefaults." + d.Path,
		Message: fmt.Sprintf("Config key %q is locked by integration point %s to %s; leave it out or set that value",
			d.Path, pointName, Describe(d)),
		Field: field("config." + d.Path), Enforcement: domain.EnforcementDeny,
	}
}

func notRecommended(d domain.ConfigDefault, pointName string) domain.Violation {
	return domain.Violation{
		Code: domain.ViolationConfigNotRecommended, Rule: "configDefaults." + d.Path,
		Message: fmt.Sprintf("Config key %q differs from the value integration point %s recommends, %s",
			d.Path, pointName, Describe(d)),
		Field: field("config." + d.Path), Enforcement: domain.EnforcementWarn,
	}
}

// Describe is a default's value as a message shows it: its JSON, or "a
// secret the point sets" for a secret one, whose value is never shown.
func Describe(d domain.ConfigDefault) string {
	if IsSecretPath(d.Path) {
		return "a secret the point sets"
	}
	return display(d.Value)
}

func field(s string) *string { return &s }
