package catalog

import "sync"

var (
	secretOnce sync.Once
	secretKeys map[string]bool
)

// IsSecret tells whether a config key holds a secret for any provider.
// Taking the union, not the integration's own provider, keeps a credential
// secret when an integration switches to a provider that does not know it.
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
