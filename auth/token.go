// Package auth tells who makes a request: API tokens (their format, how
// they are hashed and checked) and the HTTP middleware that turns a Bearer
// token into a policy.Principal or answers 401.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// TokenPrefix starts every token Pointguard mints, so that secret scanners
// (and people) recognise one in a log or a repository.
const TokenPrefix = "pointguard_"

// secretBytes is the randomness in a token: 256 bits.
const secretBytes = 32

// lookupLength is how many characters of a token are its lookup prefix:
// TokenPrefix and 12 hex digits (48 bits, not secret). The lookup narrows
// the candidates to one row in practice; the hash comparison decides.
const lookupLength = len(TokenPrefix) + 12

// MinTokenLength is the shortest token accepted from POINTGUARD_ADMIN_TOKEN.
const MinTokenLength = 32

// NewToken returns a fresh token: TokenPrefix, 12 hex digits of lookup
// prefix and 64 hex digits of secret, all from crypto/rand.
func NewToken() string {
	b := make([]byte, 6+secretBytes)
	rand.Read(b) // never returns an error (crypto/rand, Go 1.24+)
	return TokenPrefix + hex.EncodeToString(b)
}

// otherLookupLength is the lookup prefix of a token set in configuration
// (POINTGUARD_ADMIN_TOKEN), which may be as short as MinTokenLength: short
// enough to leave it at least 24 characters of secret.
const otherLookupLength = 8

// Prefix is the part of a token that is stored in clear, to find it by
// and to show in lists. Empty when the token cannot be one: too short, or
// with a character outside printable ASCII.
func Prefix(token string) string {
	if len(token) < MinTokenLength || !printable(token) {
		return ""
	}
	if strings.HasPrefix(token, TokenPrefix) && len(token) == len(TokenPrefix)+2*(6+secretBytes) {
		return token[:lookupLength]
	}
	return token[:otherLookupLength]
}

// printable is true for visible ASCII without spaces: what a header may
// carry and a database will take.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// Hash is what is stored of a token: its SHA-256, hex-encoded. A fast hash
// is right here: tokens carry 256 random bits, so there is nothing to guess.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Matches compares a token with a stored hash in constant time.
func Matches(token, hash string) bool {
	return subtle.ConstantTimeCompare([]byte(Hash(token)), []byte(hash)) == 1
}

// CheckConfigured checks a token given in configuration (POINTGUARD_ADMIN_TOKEN).
func CheckConfigured(token string) error {
	switch {
	case len(token) < MinTokenLength:
		return fmt.Errorf("too short: %d characters, need at least %d (generate one with `openssl rand -hex 32`)", len(token), MinTokenLength)
	case !printable(token):
		return errors.New("must be printable ASCII without spaces")
	}
	return nil
}
