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
