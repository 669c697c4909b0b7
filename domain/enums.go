package domain

import (
	"fmt"
	"io"
	"strconv"
)

// Environment is the kind of an account: TEST accounts may use mock providers.
type Environment string

const (
	EnvironmentTest Environment = "TEST"
	EnvironmentProd Environment = "PROD"
)

// Environments lists every Environment.
var Environments = []Environment{EnvironmentTest, EnvironmentProd}

func (e Environment) IsValid() bool { return e == EnvironmentTest || e == EnvironmentProd }

func (e *Environment) UnmarshalGQL(v any) error { return unmarshalEnum(v, e, "Environment") }
func (e Environment) MarshalGQL(w io.Writer)    { io.WriteString(w, strconv.Quote(string(e))) }

// Category groups providers; a point accepts providers of its own category only.
type Category string

const (
	CategoryAssets          Category = "ASSETS"
	CategoryAppSec          Category = "APPSEC"
	CategoryCloudSecurity   Category = "CLOUD_SECURITY"
	CategoryEDR             Category = "EDR"
	CategoryIdentity        Category = "IDENTITY"
	CategoryNotifications   Category = "NOTIFICATIONS"
	CategorySIEM            Category = "SIEM"
	CategoryStorage         Category = "STORAGE"
	CategoryTicketing       Category = "TICKETING"
	CategoryVulnerabilities Category = "VULNERABILITIES"
)

// Categories lists every Category.
var Categories = []Category{
	CategoryAssets, CategoryAppSec, CategoryCloudSecurity, CategoryEDR, CategoryIdentity,
	CategoryNotifications, CategorySIEM, CategoryStorage, CategoryTicketing, CategoryVulnerabilities,
}

func (c Category) IsValid() bool {
	for _, known := range Categories {
		if c == known {
			return true
		}
	}
	return false
}

func (c *Category) UnmarshalGQL(v any) error { return unmarshalEnum(v, c, "Category") }
func (c Category) MarshalGQL(w io.Writer)    { io.WriteString(w, strconv.Quote(string(c))) }

// ComplianceStatus summarises an integration's violations.
type ComplianceStatus string

const (
	StatusCompliant    ComplianceStatus = "COMPLIANT"
	StatusWarning      ComplianceStatus = "WARNING"
	StatusNonCompliant ComplianceStatus = "NON_COMPLIANT"
)

func (s ComplianceStatus) IsValid() bool {
	return s == StatusCompliant || s == StatusWarning || s == StatusNonCompliant
}

func (s *ComplianceStatus) UnmarshalGQL(v any) error { return unmarshalEnum(v, s, "ComplianceStatus") }
func (s ComplianceStatus) MarshalGQL(w io.Writer)    { io.WriteString(w, strconv.Quote(string(s))) }

// IntegrationStatus is whether an integration may be used: the
// use-time gate refuses one that is not ACTIVE.
type IntegrationStatus string

const (
	// IntegrationActive is in use, judged by its point's rules.
	IntegrationActive IntegrationStatus = "ACTIVE"
	// IntegrationDisabled was taken out of use by a person; only a person
	// enables it again.
	IntegrationDisabled IntegrationStatus = "DISABLED"
	// IntegrationSuspended was taken out of use automatically, being
	// NON_COMPLIANT on a point whose OnViolation is SUSPEND; it resumes
	// when a change makes it comply.
	IntegrationSuspended IntegrationStatus = "SUSPENDED"
)

func (s IntegrationStatus) IsValid() bool {
	return s == IntegrationActive || s == IntegrationDisabled || s == IntegrationSuspended
}

func (s *IntegrationStatus) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, s, "IntegrationStatus")
}
func (s IntegrationStatus) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(s))) }

// OnViolation is what a point does to an integration that becomes NON_COMPLIANT.
type OnViolation string

const (
	// OnViolationKeep leaves it in use, marked NON_COMPLIANT.
	OnViolationKeep OnViolation = "KEEP"
	// OnViolationSuspend suspends it until it complies again.
	OnViolationSuspend OnViolation = "SUSPEND"
)

func (o OnViolation) IsValid() bool { return o == OnViolationKeep || o == OnViolationSuspend }

func (o *OnViolation) UnmarshalGQL(v any) error { return unmarshalEnum(v, o, "OnViolation") }
func (o OnViolation) MarshalGQL(w io.Writer)    { io.WriteString(w, strconv.Quote(string(o))) }

func (c *ErrorCode) UnmarshalGQL(v any) error { return unmarshalEnum(v, c, "UserErrorCode") }
func (c ErrorCode) MarshalGQL(w io.Writer)    { io.WriteString(w, strconv.Quote(string(c))) }

type enum interface {
	~string
	IsValid() bool
}

func unmarshalEnum[E enum](v any, dst *E, name string) error {
	s, ok := v.(string)
	if !ok {
		return &InputError{Message: name + " must be a string"}
	}
	if !E(s).IsValid() {
		return &InputError{Message: fmt.Sprintf("%q is not a valid %s", s, name)}
	}
	*dst = E(s)
	return nil
}

// Role is what an API token may do; see package policy for the rules.
type Role string

const (
	// RolePlatformAdmin creates and lists organizations and manages any.
	RolePlatformAdmin Role = "PLATFORM_ADMIN"
	// RoleOrgAdmin manages everything in one organization.
	RoleOrgAdmin Role = "ORG_ADMIN"
	// RoleOrgViewer reads everything in one organization.
	RoleOrgViewer Role = "ORG_VIEWER"
	// RoleAccountAdmin reads one account and manages its integrations.
	RoleAccountAdmin Role = "ACCOUNT_ADMIN"
	// RoleAccountViewer reads one account.
	RoleAccountViewer Role = "ACCOUNT_VIEWER"
)

// Roles lists every Role, from the most to the least powerful.
var Roles = []Role{RolePlatformAdmin, RoleOrgAdmin, RoleOrgViewer, RoleAccountAdmin, RoleAccountViewer}

func (r Role) IsValid() bool {
	switch r {
	case RolePlatformAdmin, RoleOrgAdmin, RoleOrgViewer, RoleAccountAdmin, RoleAccountViewer:
		return true
	}
	return false
}

func (r *Role) UnmarshalGQL(v any) error { return unmarshalEnum(v, r, "Role") }
func (r Role) MarshalGQL(w io.Writer)    { io.WriteString(w, strconv.Quote(string(r))) }

// OrganizationWide is true for the roles scoped to a whole organization.
func (r Role) OrganizationWide() bool { return r == RoleOrgAdmin || r == RoleOrgViewer }

// AccountWide is true for the roles scoped to one account.
func (r Role) AccountWide() bool { return r == RoleAccountAdmin || r == RoleAccountViewer }
