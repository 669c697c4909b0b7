package domain

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Rule is an organization's own check on a point: a CEL expression over
// integration, account, provider and point that is true when the
// integration complies.
type Rule struct {
	Name       string `json:"name"`
	Expression string `json:"expression"`
	// Message is shown when the rule fails: a plain sentence, or, when
	// MessageExpression is set, a CEL string expression over the same variables.
	Message           string      `json:"message"`
	MessageExpression bool        `json:"messageExpression,omitempty"`
	Enforcement       Enforcement `json:"enforcement"`
}

// AccountSelector picks accounts by environment and labels; the zero
// selector picks every account.
type AccountSelector struct {
	// Environments, when not empty, is the environments picked.
	Environments []Environment `json:"environments"`
	// MatchLabels must all be on the account, key and value.
	MatchLabels []Label `json:"matchLabels"`
}

// Matches tells whether the selector picks the account.
func (s AccountSelector) Matches(a *Account) bool {
	if len(s.Environments) > 0 {
		found := false
		for _, e := range s.Environments {
			found = found || e == a.Environment
		}
		if !found {
			return false
		}
	}
	for _, want := range s.MatchLabels {
		found := false
		for _, l := range a.Labels {
			found = found || l == want
		}
		if !found {
			return false
		}
	}
	return true
}

// Enforcement is what a failed rule does.
type Enforcement string

const (
	// EnforcementDeny refuses creates, updates and use.
	EnforcementDeny Enforcement = "DENY"
	// EnforcementWarn allows, and returns the violation with the answer.
	EnforcementWarn Enforcement = "WARN"
	// EnforcementAudit allows silently and only records the violation.
	EnforcementAudit Enforcement = "AUDIT"
)

func (e Enforcement) IsValid() bool {
	return e == EnforcementDeny || e == EnforcementWarn || e == EnforcementAudit
}

func (e *Enforcement) UnmarshalGQL(v any) error { return unmarshalEnum(v, e, "Enforcement") }
func (e Enforcement) MarshalGQL(w io.Writer)    { io.WriteString(w, strconv.Quote(string(e))) }

// Denies tells whether any violation refuses.
func Denies(violations []Violation) bool {
	for _, v := range violations {
		if v.Enforcement == EnforcementDeny {
			return true
		}
	}
	return false
}

// IntegrationPointVersion is an immutable snapshot of a point's rules.
// Its ID is "ipv_<point hex>_<version, 6 digits>", so that IDs of one
// point's versions sort by version.
type IntegrationPointVersion struct {
	ID                        string
	IntegrationPointID        string
	Version                   int
	Category                  Category
	AllowedProviders          AllowedProviders
	RequiredConfig            []string
	MaxIntegrationsPerAccount *int
	Rules                     []Rule
	AccountSelector           AccountSelector
	// ConfigDefaults are the version's defaults; secret ones without their value.
	ConfigDefaults []ConfigDefault
	CreatedAt      time.Time
}

func (v *IntegrationPointVersion) GetID() string { return v.ID }

// VersionID is the ID of a point's version.
func VersionID(pointID string, version int) string {
	return fmt.Sprintf("%s_%s_%06d", KindIntegrationPointVersion, strings.TrimPrefix(pointID, string(KindIntegrationPoint)+"_"), version)
}

// ParseVersionID splits a version ID into its point's ID and version.
func ParseVersionID(id string) (pointID string, version int, ok bool) {
	rest, found := strings.CutPrefix(id, string(KindIntegrationPointVersion)+"_")
	hex, num, found2 := strings.Cut(rest, "_")
	if !found || !found2 || len(num) != 6 {
		return "", 0, false
	}
	pointID = string(KindIntegrationPoint) + "_" + hex
	if k, ok := KindOf(pointID); !ok || k != KindIntegrationPoint {
		return "", 0, false
	}
	version, err := strconv.Atoi(num)
	if err != nil || version < 1 {
		return "", 0, false
	}
	return pointID, version, true
}

// Impact is what a change of rules does to one integration.
type Impact struct {
	// Integration is as it would be after the change.
	Integration *Integration
	Before      ComplianceStatus
	After       ComplianceStatus
	// Violations are the ones the integration would have.
	Violations []Violation
	// Changed is true when the status or the violations change, or the
	// lifecycle status.
	Changed bool
	// StatusBefore and StatusAfter are the integration's lifecycle status
	// before and after (SUSPENDED, or ACTIVE again, on a SUSPEND point).
	StatusBefore IntegrationStatus
	StatusAfter  IntegrationStatus
	// EffectiveConfigChanged is true when the point's config defaults give
	// the integration another effective config; EffectiveConfig is the new
	// one, secrets removed.
	EffectiveConfigChanged bool
	EffectiveConfig        map[string]any
}

func (i *Impact) GetID() string { return i.Integration.ID }

// ImpactPreview is what an update of a point would do to its integrations.
type ImpactPreview struct {
	NewVersion     int
	ToNonCompliant int
	ToWarning      int
	ToCompliant    int
	Unchanged      int
	// ToSuspended and ToResumed count the integrations whose lifecycle
	// status would become SUSPENDED, and ACTIVE again.
	ToSuspended int
	ToResumed   int
	// ConfigChanged counts the integrations whose effective config changes.
	ConfigChanged int
	// Changes are the impacts with Changed or EffectiveConfigChanged set, by integration ID.
	Changes    []*Impact
	UserErrors []*UserError
}

// NewImpactPreview counts impacts by the status they lead to.
func NewImpactPreview(newVersion int, impacts []*Impact) *ImpactPreview {
	p := &ImpactPreview{NewVersion: newVersion, UserErrors: []*UserError{}, Changes: []*Impact{}}
	for _, i := range impacts {
		switch {
		case i.Before == i.After:
			p.Unchanged++
		case i.After == StatusNonCompliant:
			p.ToNonCompliant++
		case i.After == StatusWarning:
			p.ToWarning++
		default:
			p.ToCompliant++
		}
		if i.EffectiveConfigChanged {
			p.ConfigChanged++
		}
		switch {
		case i.StatusBefore == i.StatusAfter:
		case i.StatusAfter == IntegrationSuspended:
			p.ToSuspended++
		case i.StatusBefore == IntegrationSuspended:
			p.ToResumed++
		}
		if i.Changed || i.EffectiveConfigChanged {
			p.Changes = append(p.Changes, i)
		}
	}
	slices.SortFunc(p.Changes, func(a, b *Impact) int { return strings.Compare(a.GetID(), b.GetID()) })
	return p
}
