package service

import (
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/pointguard/pointguard/domain"
)

// The inputs of the mutations. gqlgen binds the schema's input types to
// these structs (autobind), so the service takes exactly what the API
// receives, without a converter. graphql.Omittable tells a field left out
// (unchanged) from an explicit null, where the two mean different things.

type CreateOrganizationInput struct {
	Slug string
	Name string
}

type CreateAccountInput struct {
	OrganizationID string
	Slug           string
	Name           string
	Environment    domain.Environment
	Labels         []domain.Label
}

type UpdateAccountInput struct {
	ID          string
	Slug        *string
	Name        *string
	Environment *domain.Environment
	Labels      graphql.Omittable[[]domain.Label]
}

type CreateIntegrationPointInput struct {
	OrganizationID            string
	Slug                      string
	Name                      string
	Description               *string
	Category                  domain.Category
	AllowedProviders          domain.AllowedProviders
	RequiredConfig            []string
	MaxIntegrationsPerAccount *int
	Rules                     []domain.Rule
	AccountSelector           *domain.AccountSelector
	// OnViolation is KEEP when left out or null.
	OnViolation    *domain.OnViolation
	ConfigDefaults []ConfigDefaultInput
}

type UpdateIntegrationPointInput struct {
	ID                        string
	ExpectedVersion           *int
	Slug                      *string
	Name                      *string
	Description               graphql.Omittable[*string]
	Category                  *domain.Category
	AllowedProviders          *domain.AllowedProviders
	RequiredConfig            graphql.Omittable[[]string]
	MaxIntegrationsPerAccount graphql.Omittable[*int]
	Rules                     graphql.Omittable[[]domain.Rule]
	AccountSelector           graphql.Omittable[*domain.AccountSelector]
	// OnViolation is unchanged when left out or null.
	OnViolation *domain.OnViolation
	// ConfigDefaults replaces the plain defaults; a secret default left out
	// keeps its value, and one sent with a null value is cleared.
	ConfigDefaults graphql.Omittable[[]ConfigDefaultInput]
}

// ConfigDefaultInput is one of a point's config defaults as a client sends
// it: Provider is a provider key, nil for every provider on the point.
type ConfigDefaultInput struct {
	Provider *string
	Path     string
	Value    any
	Mode     domain.ConfigMode
}

type CreateIntegrationInput struct {
	AccountID          string
	IntegrationPointID string
	Provider           string
	Name               string
	// Config is any JSON value; only an object (or nothing) is accepted.
	Config any
}

type UpdateIntegrationInput struct {
	ID       string
	Provider *string
	Name     *string
	Config   graphql.Omittable[any]
}

type DisableIntegrationInput struct {
	ID     string
	Reason string
}

type EnableIntegrationInput struct {
	ID string
}

type DeleteInput struct {
	ID string
}

type CreateApiTokenInput struct {
	OrganizationID *string
	AccountID      *string
	Role           domain.Role
	Name           string
	ExpiresAt      *time.Time
}

type RevokeApiTokenInput struct {
	ID string
}
