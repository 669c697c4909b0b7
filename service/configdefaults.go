package service

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pointguard/pointguard/catalog"
	"github.com/pointguard/pointguard/configdefaults"
	"github.com/pointguard/pointguard/configsecrets"
	"github.com/pointguard/pointguard/domain"
)

// MaxConfigDefaults is the most config defaults a point may have.
const MaxConfigDefaults = 100

// configPath is a dotted config path: keys of letters, digits, _ and -.
var configPath = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)

type defaultKey struct{ provider, path string }

func keyOf(d domain.ConfigDefault) defaultKey {
	k := defaultKey{path: d.Path}
	if d.ProviderKey != nil {
		k.provider = *d.ProviderKey
	}
	return k
}

// describeDefault names a default in a message: "config default 2 (jira, site_url)".
func describeDefault(n int, provider *string, path string) string {
	who := "every provider"
	if provider != nil {
		who = *provider
	}
	if n < 0 {
		return fmt.Sprintf("config default (%s, %s)", who, path)
	}
	return fmt.Sprintf("config default %d (%s, %s)", n, who, path)
}

// sentDefaults is a point input's configDefaults, checked on their own.
type sentDefaults struct {
	plain, secret []domain.ConfigDefault
	// cleared are the secret defaults sent with a null value (update only).
	cleared map[defaultKey]bool
	// index is where each default is in the input, for userErrors.
	index map[defaultKey]int
}

// configDefaults checks the defaults a client sent, on their own (the
// point's providers are checked by defaultsFit): paths, modes, values
// (numbers as in configs), no two for one provider and path, none inside
// another's path. A null value clears a secret default on update, and is
// refused otherwise.
func (p *problems) configDefaults(in []ConfigDefaultInput, update bool, field ...string) sentDefaults {
	out := sentDefaults{cleared: map[defaultKey]bool{}, index: map[defaultKey]int{}}
	if len(in) > MaxConfigDefaults {
		p.invalid(fmt.Sprintf("%s may hold at most %d defaults, got %d", path(field...), MaxConfigDefaults, len(in)), field...)
		return out
	}
	at := func(n int, sub ...string) []string {
		return append(append(slices.Clip(field), strconv.Itoa(n)), sub...)
	}
	for n, d := range in {
		name := describeDefault(n, d.Provider, d.Path)
		if d.Provider != nil && catalog.Lookup(*d.Provider) == nil {
			p.invalid(fmt.Sprintf("The %s names provider %q, which is not in the catalog", name, *d.Provider), at(n, "provider")...)
		}
		if len(d.Path) > 256 || !configPath.MatchString(d.Path) || strings.Count(d.Path, ".") >= 10 {
			p.invalid(fmt.Sprintf("The %s has a bad path: a path is config keys (letters, digits, _ and -) joined by dots, "+
				"at most 10 deep and 256 characters, such as site_url or mapping.severity", name), at(n, "path")...)
			continue
		}
		if !d.Mode.IsValid() {
			p.invalid(fmt.Sprintf("The %s has no mode: LOCKED, DEFAULT or RECOMMENDED", name), at(n, "mode")...)
		}
		k := defaultKey{path: d.Path}
		if d.Provider != nil {
			k.provider = *d.Provider
		}
		if first, dup := out.index[k]; dup {
			p.invalid(fmt.Sprintf("The %s sets the same provider and path as config default %d", name, first), at(n, "path")...)
			continue
		}
		out.index[k] = n
		secret := configdefaults.IsSecretPath(d.Path)
		if d.Value == nil {
			if secret && update {
				out.cleared[k] = true
				continue
			}
			p.invalid(fmt.Sprintf("The %s has a null value: give the value integrations get", name), at(n, "value")...)
			continue
		}
		var bad int
		value := p.numbers(d.Value, at(n, "value"), &bad)
		if bad > 0 {
			continue
		}
		if b, err := json.Marshal(value); err != nil || len(b) > MaxConfigBytes {
			p.invalid(fmt.Sprintf("The %s has a value of more than %d bytes of JSON", name, MaxConfigBytes), at(n, "value")...)
			continue
		}
		if !secret {
			p.noSecretsInLists(value, at(n, "value")...)
			if obj, ok := value.(map[string]any); ok {
				if hidden := configsecrets.Paths(obj); len(hidden) > 0 {
					p.invalid(fmt.Sprintf("The %s holds the secret key %s: set a secret as a default of its own path (%s.%s)",
						name, hidden[0], d.Path, hidden[0]), at(n, "value")...)
					continue
				}
			}
		}
		cd := domain.ConfigDefault{ProviderKey: d.Provider, Path: d.Path, Value: value, Mode: d.Mode}
		if secret {
			out.secret = append(out.secret, cd)
		} else {
			out.plain = append(out.plain, cd)
		}
	}
	// One default's path may not run inside another's for the same providers.
	for a, da := range in {
		for b, db := range in {
			if a == b || !strings.HasPrefix(db.Path, da.Path+".") {
				continue
			}
			if da.Provider == nil || db.Provider == nil || *da.Provider == *db.Provider {
				p.invalid(fmt.Sprintf("The %s is inside the path of config default %d (%s): set one or the other",
					describeDefault(b, db.Provider, db.Path), a, da.Path), at(b, "path")...)
			}
		}
	}
	return out
}

// carrySecretDefaults is the secret defaults a point keeps on update: those
// sent, and the current ones neither sent again nor cleared.
func carrySecretDefaults(current []domain.ConfigDefault, sent sentDefaults) []domain.ConfigDefault {
	out := slices.Clip(sent.secret)
	for _, d := range current {
		k := keyOf(d)
		if _, resent := sent.index[k]; !resent {
			out = append(out, d)
		}
	}
	return out
}

// defaultsFit checks a point's defaults against its providers: each names
// a provider the point approves in some environment, and its value fits
// the schema of each provider it applies to, on its own (a path the schema
// does not know, where it forbids other keys, included). index says where
// each default was in the input; one not there (a secret kept) is named
// at field.
func (p *problems) defaultsFit(point *domain.IntegrationPoint, index map[defaultKey]int, field ...string) {
	approved := slices.Concat(point.AllowedProviders.Test, point.AllowedProviders.Prod)
	slices.Sort(approved)
	approved = slices.Compact(approved)
	for _, d := range point.AllConfigDefaults() {
		n, sent := index[keyOf(d)]
		at := slices.Clip(field)
		if sent {
			at = append(at, strconv.Itoa(n))
		} else {
			n = -1
		}
		name := describeDefault(n, d.ProviderKey, d.Path)
		providers := approved
		if d.ProviderKey != nil {
			if !slices.Contains(approved, *d.ProviderKey) {
				p.invalid(fmt.Sprintf("The %s is for provider %s, which integration point %s does not approve in any environment",
					name, *d.ProviderKey, point.Name), append(at, "provider")...)
				continue
			}
			providers = []string{*d.ProviderKey}
		}
		doc := map[string]any{}
		keys := strings.Split(d.Path, ".")
		m := doc
		for _, k := range keys[:len(keys)-1] {
			sub := map[string]any{}
			m[k] = sub
			m = sub
		}
		m[keys[len(keys)-1]] = d.Value
		for _, key := range providers {
			for _, problem := range catalog.ValidateConfig(key, doc) {
				if problem.Field == "config."+d.Path || strings.HasPrefix(problem.Field, "config."+d.Path+".") {
					p.invalid(fmt.Sprintf("The %s does not fit provider %s: %s", name, key, problem.Message), append(at, "value")...)
				}
			}
		}
	}
}

// sameDefaults is true when two versions of a point give integrations the
// same config.
func sameDefaults(a, b *domain.IntegrationPoint) bool {
	return reflect.DeepEqual(a.ConfigDefaults, b.ConfigDefaults) && reflect.DeepEqual(a.SecretDefaults, b.SecretDefaults)
}

// EffectiveConfig is an integration's config merged with its point's
// defaults, secrets removed: what the API shows.
func EffectiveConfig(point *domain.IntegrationPoint, i *domain.Integration) map[string]any {
	eff, _ := configdefaults.Merge(point.AllConfigDefaults(), point.Name, i.ProviderKey, i.Config)
	return configsecrets.Without(eff)
}

// ConfigSources says where each key of an integration's effective config
// comes from.
func ConfigSources(point *domain.IntegrationPoint, i *domain.Integration) []domain.ConfigSource {
	return configdefaults.Sources(point.AllConfigDefaults(), i.ProviderKey, i.Config)
}

// configChanges marks the impacts whose effective config a change of the
// point's defaults from before to after changes, and gives each impact
// listed its effective config.
func configChanges(before, after *domain.IntegrationPoint, impacts []*domain.Impact) {
	changed := !sameDefaults(before, after)
	for _, im := range impacts {
		i := im.Integration
		if changed {
			b, _ := configdefaults.Merge(before.AllConfigDefaults(), before.Name, i.ProviderKey, i.Config)
			a, _ := configdefaults.Merge(after.AllConfigDefaults(), after.Name, i.ProviderKey, i.Config)
			im.EffectiveConfigChanged = !reflect.DeepEqual(a, b)
		}
		if im.Changed || im.EffectiveConfigChanged {
			im.EffectiveConfig = EffectiveConfig(after, i)
		}
	}
}

// redactDefaults is secret defaults as the audit log keeps them: their
// values redacted.
func redactDefaults(ds []domain.ConfigDefault) []domain.ConfigDefault {
	out := make([]domain.ConfigDefault, len(ds))
	for n, d := range ds {
		d.Value = redacted
		out[n] = d
	}
	return out
}

// changedSecretDefaults lists, sorted, the paths of the secret defaults
// that differ between two versions of a point: redacted, a new secret
// looks like the old one.
func changedSecretDefaults(before, after any) []string {
	bp, ok := before.(*domain.IntegrationPoint)
	if !ok || bp == nil {
		return nil
	}
	ap, ok := after.(*domain.IntegrationPoint)
	if !ok || ap == nil {
		return nil
	}
	values := func(ds []domain.ConfigDefault) map[defaultKey]any {
		m := map[defaultKey]any{}
		for _, d := range ds {
			m[keyOf(d)] = d.Value
		}
		return m
	}
	b, a := values(bp.SecretDefaults), values(ap.SecretDefaults)
	var out []string
	for k, v := range a {
		if w, ok := b[k]; !ok || !reflect.DeepEqual(v, w) {
			out = append(out, k.path)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k.path)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
