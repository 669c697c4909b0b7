package domain

import (
	"io"
	"strconv"
)

// ConfigMode says how a point's config default binds the integrations on it.
type ConfigMode string

const (
	// ConfigModeLocked is the value every integration gets: one that sets
	// another is refused (CONFIG_LOCKED).
	ConfigModeLocked ConfigMode = "LOCKED"
	// ConfigModeDefault is used when the integration does not set the key.
	ConfigModeDefault ConfigMode = "DEFAULT"
	// ConfigModeRecommended is used when the integration does not set the
	// key; one that sets another value is allowed with a WARN violation
	// (CONFIG_NOT_RECOMMENDED).
	ConfigModeRecommended ConfigMode = "RECOMMENDED"
)

func (m ConfigMode) IsValid() bool {
	return m == ConfigModeLocked || m == ConfigModeDefault || m == ConfigModeRecommended
}

func (m *ConfigMode) UnmarshalGQL(v any) error { return unmarshalEnum(v, m, "ConfigMode") }
func (m ConfigMode) MarshalGQL(w io.Writer)    { io.WriteString(w, strconv.Quote(string(m))) }

// ConfigSourceKind is where a key of an integration's effective config
// comes from.
type ConfigSourceKind string

const (
	SourcePointLocked      ConfigSourceKind = "POINT_LOCKED"
	SourcePointDefault     ConfigSourceKind = "POINT_DEFAULT"
	SourcePointRecommended ConfigSourceKind = "POINT_RECOMMENDED"
	SourceIntegration      ConfigSourceKind = "INTEGRATION"
)

func (k ConfigSourceKind) IsValid() bool {
	switch k {
	case SourcePointLocked, SourcePointDefault, SourcePointRecommended, SourceIntegration:
		return true
	}
	return false
}

func (k *ConfigSourceKind) UnmarshalGQL(v any) error { return unmarshalEnum(v, k, "ConfigSourceKind") }
func (k ConfigSourceKind) MarshalGQL(w io.Writer)    { io.WriteString(w, strconv.Quote(string(k))) }

// ConfigDefault is a value a point gives the config of its integrations at
// Path (dotted: "site_url", "mapping.severity"), for one provider or, with
// ProviderKey nil, for every provider on the point. A default at a secret
// path (its provider schema's writeOnly keys) is an organization-owned
// credential: sealed at rest, never returned.
type ConfigDefault struct {
	ProviderKey *string    `json:"provider,omitempty"`
	Path        string     `json:"path"`
	Value       any        `json:"value,omitempty"`
	Mode        ConfigMode `json:"mode"`
}

// ConfigSource says where the effective value at Path comes from.
type ConfigSource struct {
	Path   string
	Source ConfigSourceKind
}

// Violation codes of config defaults.
const (
	ViolationConfigLocked         = "CONFIG_LOCKED"
	ViolationConfigNotRecommended = "CONFIG_NOT_RECOMMENDED"
)
