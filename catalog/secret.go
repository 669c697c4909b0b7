package catalog

import (
	"slices"
	"sync"
)

var (
	secretOnce sync.Once
	secretKeys map[string]bool
)

// IsSecret tells whether a config key, at any depth, holds a secret for
// any provider. Taking the union, not the integration's own provider, keeps
// a credential secret when an integration switches to a provider that does
// not know it.
func IsSecret(key string) bool {
	secretOnce.Do(func() {
		secretKeys = map[string]bool{}
		for _, p := range All() {
			for _, f := range p.SecretFields {
				secretKeys[f] = true
			}
		}
	})
	return secretKeys[key]
}

// SplitSecrets splits a config into its plain part and a sparse tree of
// its secret keys, at any depth of nested objects (app.private_key).
// Neither shares maps with config.
func SplitSecrets(config map[string]any) (plain, hidden map[string]any) {
	plain, hidden = make(map[string]any, len(config)), map[string]any{}
	for k, v := range config {
		switch sub, isObject := v.(map[string]any); {
		case IsSecret(k):
			hidden[k] = v
		case isObject:
			p, h := SplitSecrets(sub)
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

// WithoutSecrets is config with every secret key removed, at any depth.
func WithoutSecrets(config map[string]any) map[string]any {
	plain, _ := SplitSecrets(config)
	return plain
}

// MergeSecrets puts the secret tree hidden (from SplitSecrets) back into
// dst, in place.
func MergeSecrets(dst, hidden map[string]any) {
	for k, v := range hidden {
		sub, isTree := v.(map[string]any)
		into, isObject := dst[k].(map[string]any)
		if !IsSecret(k) && isTree && isObject {
			MergeSecrets(into, sub)
			continue
		}
		dst[k] = v
	}
}

// SecretPaths lists the secret keys set in config, as dotted paths, sorted.
func SecretPaths(config map[string]any) []string {
	var out []string
	var walk func(prefix string, tree map[string]any)
	walk = func(prefix string, tree map[string]any) {
		for k, v := range tree {
			if sub, ok := v.(map[string]any); ok && !IsSecret(k) {
				walk(prefix+k+".", sub)
				continue
			}
			if v != nil {
				out = append(out, prefix+k)
			}
		}
	}
	_, hidden := SplitSecrets(config)
	walk("", hidden)
	slices.Sort(out)
	return out
}
