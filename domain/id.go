package domain

import (
	"strings"

	"github.com/google/uuid"
)

// Kind is the type of object an ID names. IDs are "<prefix>_<32 hex>", where
// the hex is a UUIDv7: globally unique, and increasing with creation time so
// that ordering by ID is ordering by age (keyset pagination relies on it).
// Providers, which come from the built-in catalog, are "prv_<key>".
type Kind string

const (
	KindOrganization     Kind = "org"
	KindAccount          Kind = "acc"
	KindIntegrationPoint Kind = "ipt"
	KindIntegration      Kind = "int"
	KindProvider         Kind = "prv"
	KindApiToken         Kind = "tok"
	KindAuditEvent       Kind = "aud"
	// KindIntegrationPointVersion IDs are "ipv_<point hex>_<6-digit version>".
	KindIntegrationPointVersion Kind = "ipv"
)

var kindNames = map[Kind]string{
	KindOrganization:            "organization",
	KindAccount:                 "account",
	KindIntegrationPoint:        "integration point",
	KindIntegration:             "integration",
	KindProvider:                "provider",
	KindApiToken:                "API token",
	KindAuditEvent:              "audit event",
	KindIntegrationPointVersion: "integration point version",
	KindEvent:                   "event",
	KindWebhookEndpoint:         "webhook endpoint",
	KindWebhookDelivery:         "webhook delivery",
}

// Name is the kind in words, for messages.
func (k Kind) Name() string { return kindNames[k] }

// NewID returns a fresh ID of the given kind.
func NewID(k Kind) string {
	u := uuid.Must(uuid.NewV7())
	return string(k) + "_" + strings.ReplaceAll(u.String(), "-", "")
}

// KindOf returns the kind of a well-formed ID, or false for anything else.
func KindOf(id string) (Kind, bool) {
	prefix, rest, ok := strings.Cut(id, "_")
	if !ok {
		return "", false
	}
	k := Kind(prefix)
	if _, known := kindNames[k]; !known {
		return "", false
	}
	if k == KindIntegrationPointVersion {
		if _, _, ok := ParseVersionID(id); !ok {
			return "", false
		}
		return k, true
	}
	if k == KindProvider {
		if rest == "" {
			return "", false
		}
		return k, true
	}
	if len(rest) != 32 {
		return "", false
	}
	for _, c := range rest {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", false
		}
	}
	return k, true
}

// ProviderID is the ID of the catalog provider with the given key.
func ProviderID(key string) string { return string(KindProvider) + "_" + key }
