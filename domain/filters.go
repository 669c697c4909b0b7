package domain

// AccountFilter narrows an account list. Zero fields match everything.
// Filters are comparable so that they can key dataloaders.
type AccountFilter struct {
	OrganizationID string
	Environment    Environment
}

// IntegrationFilter narrows an integration list. Zero fields match everything.
type IntegrationFilter struct {
	OrganizationID     string
	AccountID          string
	IntegrationPointID string
	ProviderKey        string
	ComplianceStatus   ComplianceStatus
	Status             IntegrationStatus
}
