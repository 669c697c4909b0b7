package domain

import (
	"encoding/json"
	"slices"
	"time"
)

// Node is anything with a global ID; every object in the API is one.
type Node interface {
	GetID() string
}

// Organization is a SaaS vendor: it defines integration points and serves accounts.
type Organization struct {
	ID        string
	Slug      string
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Account is a customer, tenant or business unit of an organization.
type Account struct {
	ID             string
	OrganizationID string
	Slug           string
	Name           string
	Environment    Environment
	Labels         []Label
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Label is a key-value tag on an account.
type Label struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Provider is an external system from the built-in catalog.
type Provider struct {
	ID       string
	Key      string
	Name     string
	Category Category
	// Mock providers stand in for a category's real ones in TEST accounts.
	Mock bool
	// ConfigSchema is the JSON Schema (draft 2020-12) an integration's config must satisfy.
	ConfigSchema json.RawMessage
	// AuthMethods are the values the config's auth_method accepts; empty when it has none.
	AuthMethods []string
	// SecretFields are the config keys holding secrets (writeOnly in the schema), sorted.
	SecretFields []string
}

// IntegrationPoint holds the rules an organization sets once for every
// integration on it. Version goes up by one on every change of the rules.
type IntegrationPoint struct {
	ID                        string
	OrganizationID            string
	Slug                      string
	Name                      string
	Description               string
	Category                  Category
	Version                   int
	AllowedProviders          AllowedProviders
	RequiredConfig            []string
	MaxIntegrationsPerAccount *int
	// Rules are the organization's own checks, in CEL.
	Rules []Rule
	// AccountSelector picks the accounts that may use the point.
	AccountSelector AccountSelector
	// OnViolation is what becomes of an integration that is NON_COMPLIANT
	// on the point: KEEP, or SUSPEND until it complies.
	OnViolation OnViolation
	// ConfigDefaults are the values the point gives its integrations'
	// configs, but for secrets: SecretDefaults are the defaults at secret
	// paths, with their values (opened), which never leave the server.
	ConfigDefaults []ConfigDefault
	SecretDefaults []ConfigDefault
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// AllConfigDefaults is every default of the point, secret ones included.
func (p *IntegrationPoint) AllConfigDefaults() []ConfigDefault {
	if len(p.SecretDefaults) == 0 {
		return p.ConfigDefaults
	}
	return append(slices.Clip(p.ConfigDefaults), p.SecretDefaults...)
}

// AllowedProviders are the provider keys approved per environment.
type AllowedProviders struct {
	Test []string `json:"test"`
	Prod []string `json:"prod"`
}

// For returns the keys approved for an environment.
func (a AllowedProviders) For(env Environment) []string {
	if env == EnvironmentProd {
		return a.Prod
	}
	return a.Test
}

// Integration is an account's live connection to a provider, on a point.
type Integration struct {
	ID                 string
	OrganizationID     string
	AccountID          string
	IntegrationPointID string
	ProviderKey        string
	Name               string
	Config             map[string]any
	Compliance         Compliance
	// Status is whether it may be used; StatusReason says why it is not
	// (nil when ACTIVE); StatusChangedAt is when Status last changed.
	Status          IntegrationStatus
	StatusReason    *string
	StatusChangedAt time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Compliance is the stored result of an integration's last check.
type Compliance struct {
	Status ComplianceStatus
	// PointVersion is the point version the result holds for. Every rule
	// change re-checks atomically, so a stored result holds for the point's
	// current version; the store reads that one.
	PointVersion int
	CheckedAt    time.Time
	Violations   []Violation
}

// ComplianceSummary counts integrations by status.
type ComplianceSummary struct {
	Total        int
	Compliant    int
	Warning      int
	NonCompliant int
	// By lifecycle status: Active + Disabled + Suspended = Total.
	Active    int
	Disabled  int
	Suspended int
}

// Violation is one rule an integration breaks.
type Violation struct {
	// Code is stable for machines: see the Violation* constants.
	Code string `json:"code"`
	// Rule names the point's rule, e.g. "allowedProviders.prod".
	Rule string `json:"rule"`
	// Message is a sentence a person can act on.
	Message string `json:"message"`
	// Field is the input path the violation concerns, e.g. "config.project".
	Field *string `json:"field,omitempty"`
	// Enforcement is what the violation does: DENY refuses, WARN and AUDIT allow.
	Enforcement Enforcement `json:"enforcement"`
}

// Violation codes.
const (
	ViolationUnknownProvider    = "UNKNOWN_PROVIDER"
	ViolationCategoryMismatch   = "CATEGORY_MISMATCH"
	ViolationProviderNotAllowed = "PROVIDER_NOT_ALLOWED"
	ViolationMissingConfig      = "MISSING_CONFIG"
	ViolationLimitReached       = "LIMIT_REACHED"
	ViolationInvalidConfig      = "INVALID_CONFIG"
	ViolationAccountNotInScope  = "ACCOUNT_NOT_IN_SCOPE"
	ViolationRuleFailed         = "RULE_FAILED"
	ViolationRuleError          = "RULE_ERROR"
)

func (o *Organization) GetID() string     { return o.ID }
func (a *Account) GetID() string          { return a.ID }
func (p *Provider) GetID() string         { return p.ID }
func (p *IntegrationPoint) GetID() string { return p.ID }
func (i *Integration) GetID() string      { return i.ID }

// OrEmpty is s, or an empty slice for nil: lists are [] in JSON and in
// stored snapshots, never null.
func OrEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
