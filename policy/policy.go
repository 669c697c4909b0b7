// Package policy decides every access: who may see what (Scope, which the
// store applies to every query, and Sees) and who may change what (the
// Decision functions, which the service asks before it writes).
//
// It is pure: no I/O, only the caller's Principal and the owners of the
// target. What it does not allow is refused; a caller without a Principal
// may do nothing and sees nothing.
package policy

import (
	"context"
	"fmt"
	"time"

	"github.com/pointguard/pointguard/domain"
)

// Principal is who makes a request: the token it came with.
type Principal struct {
	// TokenID is empty for System.
	TokenID string
	Name    string
	Role    domain.Role
	// OrganizationID is set for organization and account roles, AccountID
	// for account roles.
	OrganizationID string
	AccountID      string
	// ExpiresAt is when the token expires; the tokens it mints expire no later.
	ExpiresAt *time.Time
}

// System is Pointguard itself, for work no client asked for: loading the
// demo data, minting the bootstrap tokens. It may do what a platform admin may.
var System = &Principal{Name: "pointguard", Role: domain.RolePlatformAdmin}

// PrincipalOf is the principal a token authenticates.
func PrincipalOf(t *domain.ApiToken) *Principal {
	return &Principal{TokenID: t.ID, Name: t.Name, Role: t.Role, OrganizationID: t.OrganizationID, AccountID: t.AccountID,
		ExpiresAt: t.ExpiresAt}
}

type ctxKey struct{}

// With returns ctx carrying p.
func With(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// From is the request's principal, or nil when it has none.
func From(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}

// Scope is what a principal may read, as the store filters it: every row
// outside it is, to the caller, a row that does not exist. The zero Scope
// matches nothing.
type Scope struct {
	// All is true for platform admins: no filter.
	All bool
	// OrganizationID limits rows to one organization's; AccountID, when
	// set as well, limits account-owned rows (accounts, integrations,
	// account tokens) to one account's.
	OrganizationID string
	AccountID      string
}

// Scope is what p may read; a nil p may read nothing.
func (p *Principal) Scope() Scope {
	switch {
	case p == nil || !p.Role.IsValid():
		return Scope{}
	case p.Role == domain.RolePlatformAdmin:
		return Scope{All: true}
	case p.Role.OrganizationWide():
		return Scope{OrganizationID: p.OrganizationID}
	default:
		return Scope{OrganizationID: p.OrganizationID, AccountID: p.AccountID}
	}
}

// Sees is true when p may know that an object owned by organizationID (and
// accountID, for account-owned objects; "" for organization-owned ones) exists.
func (p *Principal) Sees(organizationID, accountID string) bool {
	s := p.Scope()
	switch {
	case s.All:
		return true
	case s.OrganizationID == "" || s.OrganizationID != organizationID:
		return false
	default:
		return s.AccountID == "" || accountID == "" || accountID == s.AccountID
	}
}

// SeesPoint is true when p may read an integration point (Scope.SeesPoint).
func (p *Principal) SeesPoint(point *domain.IntegrationPoint, account *domain.Account) bool {
	return p.Scope().SeesPoint(point, account)
}

// SeesPoint is the rule of which integration points a scope sees: an
// account scope sees the points whose selector selects its account
// (account is that account, as read), an organization scope all of its
// organization's. The store applies it to every read of points; the
// points an account's integrations are on it reaches through those.
func (s Scope) SeesPoint(point *domain.IntegrationPoint, account *domain.Account) bool {
	switch {
	case s.All:
		return true
	case s.OrganizationID == "" || point.OrganizationID != s.OrganizationID:
		return false
	case s.AccountID != "":
		return account != nil && account.ID == s.AccountID && point.AccountSelector.Matches(account)
	default:
		return true
	}
}

// Decision is the answer to "may p do this?".
type Decision int

const (
	// Hidden: p may not even know the target exists; answer NOT_FOUND.
	Hidden Decision = iota
	// Forbidden: p sees the target but its role may not do this.
	Forbidden
	// Allowed: go ahead.
	Allowed
)

// decide is Hidden when p does not see the target, Allowed when its role
// is one of roles, else Forbidden.
func (p *Principal) decide(organizationID, accountID string, roles ...domain.Role) Decision {
	if !p.Sees(organizationID, accountID) {
		return Hidden
	}
	for _, r := range roles {
		if p.Role == r {
			return Allowed
		}
	}
	return Forbidden
}

// CreateOrganization: platform admins only. Others see no organization to
// create into, so it is Forbidden, not Hidden.
func (p *Principal) CreateOrganization() Decision {
	if p != nil && p.Role == domain.RolePlatformAdmin {
		return Allowed
	}
	return Forbidden
}

// ListAllOrganizations: platform admins see every organization in
// Query.organizations; others see their own.
func (p *Principal) ListAllOrganizations() bool {
	return p != nil && p.Role == domain.RolePlatformAdmin
}

// ManageOrganization covers creating, changing and deleting an
// organization's accounts and integration points.
func (p *Principal) ManageOrganization(organizationID string) Decision {
	return p.decide(organizationID, "", domain.RolePlatformAdmin, domain.RoleOrgAdmin)
}

// ManageIntegrations covers creating, changing, deleting, checking,
// disabling and enabling the integrations of an account.
func (p *Principal) ManageIntegrations(organizationID, accountID string) Decision {
	return p.decide(organizationID, accountID, domain.RolePlatformAdmin, domain.RoleOrgAdmin, domain.RoleAccountAdmin)
}

// ReadAuditLog covers Organization.auditEvents.
func (p *Principal) ReadAuditLog(organizationID string) Decision {
	return p.decide(organizationID, "", domain.RolePlatformAdmin, domain.RoleOrgAdmin, domain.RoleOrgViewer)
}

// ReadApiTokens covers the token lists: of an organization (accountID "")
// for its admins, of an account for its admins and the organization's.
func (p *Principal) ReadApiTokens(organizationID, accountID string) Decision {
	if accountID == "" {
		return p.decide(organizationID, "", domain.RolePlatformAdmin, domain.RoleOrgAdmin)
	}
	return p.ManageIntegrations(organizationID, accountID)
}

// ManageApiToken covers minting and revoking a token of role for the
// given owner. Admins manage tokens at their own level and below, within
// what they manage; nobody mints a role above their own, and viewers mint
// nothing.
func (p *Principal) ManageApiToken(role domain.Role, organizationID, accountID string) Decision {
	switch {
	case role == domain.RolePlatformAdmin:
		if p != nil && p.Role == domain.RolePlatformAdmin {
			return Allowed
		}
		return Forbidden
	case role.OrganizationWide():
		return p.ManageOrganization(organizationID)
	case role.AccountWide():
		return p.ManageIntegrations(organizationID, accountID)
	}
	return Forbidden
}

// RevokeApiToken covers revoking t: whoever may mint its like, and any
// token itself, viewers too (a leaked token can be put out of use with
// nothing but itself).
func (p *Principal) RevokeApiToken(t *domain.ApiToken) Decision {
	if p != nil && p.TokenID != "" && t.ID == p.TokenID {
		return Allowed
	}
	return p.ManageApiToken(t.Role, t.OrganizationID, t.AccountID)
}

// Owner checks that a token's role and owners fit together: platform
// tokens have no owner, organization tokens an organization, account
// tokens an account. It returns a message naming the problem, or "".
func Owner(role domain.Role, organizationID, accountID string) string {
	switch {
	case role == domain.RolePlatformAdmin && (organizationID != "" || accountID != ""):
		return "a PLATFORM_ADMIN token belongs to no organization or account: leave out organizationId and accountId"
	case role.OrganizationWide() && (organizationID == "" || accountID != ""):
		return fmt.Sprintf("a %s token belongs to an organization: give organizationId and no accountId", role)
	case role.AccountWide() && (accountID == "" || organizationID != ""):
		return fmt.Sprintf("a %s token belongs to an account: give accountId and no organizationId", role)
	}
	return ""
}

// MayRunAnyDocument is whether a token of role may run any GraphQL
// document when the server runs only trusted documents
// (POINTGUARD_TRUSTED_DOCUMENTS, package persisted): platform and
// organization admins may (GraphiQL, scripts, operators); every other role
// runs only the documents listed.
func MayRunAnyDocument(role domain.Role) bool {
	return role == domain.RolePlatformAdmin || role == domain.RoleOrgAdmin
}
