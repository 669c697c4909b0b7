// Package webhooks signs, verifies and safely sends Pointguard's webhook
// deliveries, by the Standard Webhooks convention
// (https://www.standardwebhooks.com): the headers webhook-id,
// webhook-timestamp and webhook-signature ("v1,<base64>"), an HMAC-SHA256
// over "<id>.<timestamp>.<body>" under the secret shown as "whsec_<base64>".
//
// Verify is what a receiver needs; it depends on the standard library
// alone, so a receiver may copy this file.
package webhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix starts every secret as it is shown.
const SecretPrefix = "whsec_"

// Tolerance is how far a delivery's webhook-timestamp may be from the
// receiver's clock, either way, before Verify refuses it as a replay.
const Tolerance = 5 * time.Minute

// Header names.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// NewSecret returns a fresh secret: "whsec_" and 32 random bytes in base64.
func NewSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

func secretKey(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil || len(key) == 0 {
		return nil, errors.New("webhooks: the secret is not whsec_ and base64")
	}
	return key, nil
}

// Sign returns the webhook-signature header's value ("v1,<base64>") for a
// delivery of body with the given id and timestamp.
func Sign(secret, id string, ts time.Time, body []byte) (string, error) {
	key, err := secretKey(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, id, strconv.FormatInt(ts.Unix(), 10), body)), nil
}

// SetHeaders sets the three headers of a signed delivery on h.
func SetHeaders(h http.Header, secret, id string, ts time.Time, body []byte) error {
	sig, err := Sign(secret, id, ts, body)
	if err != nil {
		return err
	}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, sig)
	return nil
}

func mac(key []byte, id, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Errors of Verify.
var (
	ErrMissingHeaders = errors.New("webhooks: webhook-id, webhook-timestamp or webhook-signature missing")
	ErrTimestamp      = errors.New("webhooks: webhook-timestamp outside the tolerance (a replay?)")
	ErrSignature      = errors.New("webhooks: no valid signature")
)

// Verify checks a delivery as a receiver gets it: its headers and its raw
// body, against the endpoint's secret, at time now. It refuses a delivery
// whose timestamp is more than Tolerance from now (a replay of an old
// delivery) and one none of whose v1 signatures matches (a forgery, or a
// body, id or timestamp changed on the way). A receiver then deduplicates
// by webhook-id, which is the event's id.
func Verify(secret string, h http.Header, body []byte, now time.Time) error {
	id, ts, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || ts == "" || sigs == "" {
		return ErrMissingHeaders
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrTimestamp
	}
	if d := now.Sub(time.Unix(sec, 0)); d > Tolerance || d < -Tolerance {
		return ErrTimestamp
	}
	key, err := secretKey(secret)
	if err != nil {
		return err
	}
	want := mac(key, id, ts, body)
	for _, s := range strings.Fields(sigs) {
		v, b64, ok := strings.Cut(s, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrSignature
}
