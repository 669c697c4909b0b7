// Package configsecrets is everything done with the secrets in an
// integration's config: which keys are secret, splitting them out to be
// sealed and merging them back, keeping them across an update, listing,
// comparing and redacting them, and refusing them where they cannot be
// kept apart. Secrets are object keys at any depth (app.private_key),
// never list elements. Pure: no I/O.
package configsecrets

import (
	"reflect"
	"slices"
	"strconv"
	"sync"

	"github.com/pointguard/pointguard/catalog"
)

var (
	secretOnce sync.Once
	secretKeys map[string]bool
)

// IsSecret tells whether a config key, at any depth, holds a secret for
// any provider (its schema marks it writeOnly). Taking the union, not the
// integration's own provider, keeps a credential secret when an
// integration switches to a provider that does not know it.
func IsSecret(key string) bool {
	secretOnce.Do(func() {
		secretKeys = map[string]bool{}
		for _, p := range catalog.All() {
			for _, f := range p.SecretFields {
				secretKeys[f] = true
			}
		}
	})
	return secretKeys[key]
}

// Split splits a config into its plain part and a sparse tree of its
// secret keys. Neither shares maps with config.
func Split(config map[string]any) (plain, hidden map[string]any) {
	plain, hidden = make(map[string]any, len(config)), map[string]any{}
	for k, v := range config {
		switch sub, isObject := v.(map[string]any); {
		case IsSecret(k):
			hidden[k] = v
		case isObject:
			p, h := Split(sub)
			plain[k] = p
			if len(h) > 0 {
				hidden[k] = h
			}
		default:
			plain[k] = v
		}
	}
	return plain, hidden
}

// Without is config with every secret key removed.
func Without(config map[string]any) map[string]any {
	plain, _ := Split(config)
	return plain
}

// overlay lays hidden, a tree from Split, onto dst: it goes down every
// plain key that both hold as objects, and calls put for every other key
// of hidden, with the object of dst it belongs in. Merge, Keep and Redact
// differ only in what put does.
func overlay(dst, hidden map[string]any, put func(dst map[string]any, k string, v any)) {
	for k, v := range hidden {
		sub, isTree := v.(map[string]any)
		into, isObject := dst[k].(map[string]any)
		if !IsSecret(k) && isTree && isObject {
			overlay(into, sub, put)
			continue
		}
		put(dst, k, v)
	}
}

// each calls visit with the dotted path and the value of every secret
// key set in config, null ones included.
func each(config map[string]any, visit func(path string, v any)) {
	var walk func(prefix string, tree map[string]any)
	walk = func(prefix string, tree map[string]any) {
		for k, v := range tree {
			if sub, ok := v.(map[string]any); ok && !IsSecret(k) {
				walk(prefix+k+".", sub)
				continue
			}
			visit(prefix+k, v)
		}
	}
	_, hidden := Split(config)
	walk("", hidden)
}

// Merge puts the secrets hidden (from Split) back into dst, in place.
func Merge(dst, hidden map[string]any) {
	overlay(dst, hidden, func(dst map[string]any, k string, v any) { dst[k] = v })
}

// Carry is the config to store when a client sends config: secrets are
// never sent back to clients, so a secret config leaves out keeps its
// value in current, and an explicit null clears it, at any depth.
func Carry(config, current map[string]any) map[string]any {
	_, kept := Split(current)
	out := deepCopy(config)
	overlay(out, kept, func(dst map[string]any, k string, v any) {
		if _, present := dst[k]; !present {
			dst[k] = v
		}
	})
	dropNulls(out)
	return out
}

// dropNulls deletes the secret keys set to null.
func dropNulls(config map[string]any) {
	for k, v := range config {
		if v == nil && IsSecret(k) {
			delete(config, k)
		} else if sub, ok := v.(map[string]any); ok {
			dropNulls(sub)
		}
	}
}

func deepCopy(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			v = deepCopy(sub)
		}
		out[k] = v
	}
	return out
}

// Paths lists the secret keys set (not null) in config, as dotted paths,
// sorted.
func Paths(config map[string]any) []string {
	var out []string
	each(config, func(path string, v any) {
		if v != nil {
			out = append(out, path)
		}
	})
	slices.Sort(out)
	return out
}

// Changed lists, sorted, the paths of the secrets that differ between two
// versions of a config: set, cleared or replaced.
func Changed(before, after map[string]any) []string {
	b, a := values(before), values(after)
	var out []string
	for path, v := range a {
		if w, ok := b[path]; !ok || !reflect.DeepEqual(v, w) {
			out = append(out, path)
		}
	}
	for path := range b {
		if _, ok := a[path]; !ok {
			out = append(out, path)
		}
	}
	slices.Sort(out)
	return out
}

// values flattens a config's secrets to path → value.
func values(config map[string]any) map[string]any {
	out := map[string]any{}
	each(config, func(path string, v any) { out[path] = v })
	return out
}

// Redact is a copy of config with placeholder in place of every secret's
// value (a secret under a key that is not an object in the plain part
// gets an object of its own).
func Redact(config map[string]any, placeholder any) map[string]any {
	plain, hidden := Split(config)
	var put func(dst map[string]any, k string, v any)
	put = func(dst map[string]any, k string, v any) {
		if sub, ok := v.(map[string]any); ok && !IsSecret(k) {
			into := map[string]any{}
			dst[k] = into
			overlay(into, sub, put)
			return
		}
		dst[k] = placeholder
	}
	overlay(plain, hidden, put)
	return plain
}

// InLists is the paths, as lists of keys and indexes, of the secret keys
// inside lists in v, which cannot be kept out of responses or sealed:
// they have no path of object keys.
func InLists(v any) [][]string {
	var out [][]string
	var walk func(v any, inList bool, at []string)
	walk = func(v any, inList bool, at []string) {
		switch v := v.(type) {
		case map[string]any:
			for k, sub := range v {
				path := append(slices.Clip(at), k)
				if inList && IsSecret(k) {
					out = append(out, path)
					continue
				}
				walk(sub, inList, path)
			}
		case []any:
			for i, sub := range v {
				walk(sub, true, append(slices.Clip(at), strconv.Itoa(i)))
			}
		}
	}
	walk(v, false, nil)
	return out
}
