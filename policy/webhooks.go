package policy

import "github.com/pointguard/pointguard/domain"

// ManageWebhooks covers creating, changing, deleting and listing webhook
// endpoints, and their secrets and deliveries: an organization's
// (accountID "") by its admins, an account's also by the account's admins.
func (p *Principal) ManageWebhooks(organizationID, accountID string) Decision {
	if accountID == "" {
		return p.ManageOrganization(organizationID)
	}
	return p.decide(organizationID, accountID, domain.RolePlatformAdmin, domain.RoleOrgAdmin, domain.RoleAccountAdmin)
}
