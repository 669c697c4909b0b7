// Package secrets encrypts integration credentials at rest with AES-256-GCM.
//
// A Keyring holds the current key, which seals, and older keys, which only
// open: each sealed value names the key that sealed it, so keys can be
// rotated (see Rotate in package store) without a flag day.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the size of a key: AES-256.
const KeySize = 32

// Sealed is an encrypted value as stored.
type Sealed struct {
	KeyID      string `json:"keyId"`
	Nonce      []byte `json:"nonce"`
	Ciphertext []byte `json:"ciphertext"`
}

// Keyring seals with its current key and opens with any of its keys.
type Keyring struct {
	current string
	aeads   map[string]cipher.AEAD
}

// ErrUnknownKey is returned when a value was sealed by a key the ring lacks.
var ErrUnknownKey = errors.New("secrets: value sealed by a key that is not configured")

// NewKeyring builds a ring whose current key is current; old keys open
// values sealed before a rotation.
func NewKeyring(current []byte, old ...[]byte) (*Keyring, error) {
	k := &Keyring{aeads: map[string]cipher.AEAD{}}
	for i, key := range append([][]byte{current}, old...) {
		if len(key) != KeySize {
			return nil, fmt.Errorf("secrets: a key must be %d bytes, got %d", KeySize, len(key))
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		id := KeyID(key)
		k.aeads[id] = aead
		if i == 0 {
			k.current = id
		}
	}
	return k, nil
}

// KeyID names a key without revealing it: the first 8 bytes of its SHA-256, in hex.
func KeyID(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:8])
}

// CurrentKeyID is the ID of the key that seals.
func (k *Keyring) CurrentKeyID() string { return k.current }

// Seal encrypts plaintext under the current key. The associated data
// (here, the integration's ID) binds the ciphertext to its row: moved to
// another row, it does not open.
func (k *Keyring) Seal(plaintext, associated []byte) (Sealed, error) {
	aead := k.aeads[k.current]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return Sealed{}, err
	}
	return Sealed{KeyID: k.current, Nonce: nonce, Ciphertext: aead.Seal(nil, nonce, plaintext, associated)}, nil
}

// Open decrypts a sealed value with the key that sealed it.
func (k *Keyring) Open(s Sealed, associated []byte) ([]byte, error) {
	aead, ok := k.aeads[s.KeyID]
	if !ok {
		return nil, fmt.Errorf("%w (key %s)", ErrUnknownKey, s.KeyID)
	}
	if len(s.Nonce) != aead.NonceSize() {
		return nil, errors.New("secrets: malformed nonce")
	}
	out, err := aead.Open(nil, s.Nonce, s.Ciphertext, associated)
	if err != nil {
		return nil, fmt.Errorf("secrets: cannot open value sealed by key %s: %w", s.KeyID, err)
	}
	return out, nil
}

// NewKey returns a random key.
func NewKey() []byte {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return key
}

// ParseKey reads a key written as base64 (standard or URL alphabet) or hex.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, dec := range []func(string) ([]byte, error){
		hex.DecodeString, base64.StdEncoding.DecodeString, base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString, base64.RawURLEncoding.DecodeString,
	} {
		if b, err := dec(s); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	return nil, fmt.Errorf("secrets: a key must be %d bytes in base64 or hex (e.g. `openssl rand -base64 32`)", KeySize)
}

// EncodeKey writes a key as base64.
func EncodeKey(key []byte) string { return base64.StdEncoding.EncodeToString(key) }

// LoadOrCreateKeyFile reads the key in path, or creates the file (mode
// 0600) with a new key. It reports whether it created it.
func LoadOrCreateKeyFile(path string) ([]byte, bool, error) {
	encoded, created, err := LoadOrCreateFile(path, func() string { return EncodeKey(NewKey()) })
	if err != nil {
		return nil, false, err
	}
	key, err := ParseKey(encoded)
	return key, created, err
}

// LoadOrCreateFile reads the one-line secret in path, or creates the file
// (mode 0600, its folder 0700) with one from generate. It reports whether
// it created it.
func LoadOrCreateFile(path string, generate func() string) (string, bool, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", false, err
	}
	value := generate()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	if _, err := f.WriteString(value + "\n"); err != nil {
		return "", false, err
	}
	return value, true, f.Close()
}
