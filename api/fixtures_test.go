package api

import "maps"

const (
	createOrganization = `mutation($input: CreateOrganizationInput!) {
		createOrganization(input: $input) { organization { id slug name } userErrors { code field message } } }`
	createAccount = `mutation($input: CreateAccountInput!) {
		createAccount(input: $input) { account { id slug environment labels { key value } } userErrors { code field message } } }`
	updateAccount = `mutation($input: UpdateAccountInput!) {
		updateAccount(input: $input) { account { id slug environment labels { key value } } userErrors { code field message } } }`
	createIntegrationPoint = `mutation($input: CreateIntegrationPointInput!) {
		createIntegrationPoint(input: $input) {
			integrationPoint { id slug version category allowedProviders { test { key } prod { key } } requiredConfig maxIntegrationsPerAccount }
			userErrors { code field message } } }`
	updateIntegrationPoint = `mutation($input: UpdateIntegrationPointInput!) {
		updateIntegrationPoint(input: $input) {
			integrationPoint { id slug version allowedProviders { test { key } prod { key } } requiredConfig maxIntegrationsPerAccount }
			userErrors { code field message } } }`
	createIntegration = `mutation($input: CreateIntegrationInput!) {
		createIntegration(input: $input) {
			integration { id name config provider { key } compliance { status pointVersion violations { code } } }
			violations { code rule message field enforcement }
			userErrors { code field message } } }`
	updateIntegration = `mutation($input: UpdateIntegrationInput!) {
		updateIntegration(input: $input) {
			integration { id name config provider { key } compliance { status pointVersion violations { code } } }
			violations { code rule message field enforcement }
			userErrors { code field message } } }`
	checkIntegration = `query($input: CreateIntegrationInput!) {
		checkIntegration(input: $input) { allowed violations { code rule message field enforcement } userErrors { code field message } } }`
	deleteMutation = `mutation($input: DeleteInput!) { %s(input: $input) { deletedId userErrors { code field message } } }`
)

func (a *app) createOrg(slug string) string {
	a.t.Helper()
	r := a.do(createOrganization, map[string]any{"input": map[string]any{"slug": slug, "name": "Org " + slug}})
	return r.str(a.t, "createOrganization.organization.id")
}

func (a *app) createAccount(orgID, slug, env string) string {
	a.t.Helper()
	r := a.do(createAccount, map[string]any{"input": map[string]any{
		"organizationId": orgID, "slug": slug, "name": "Account " + slug, "environment": env}})
	return r.str(a.t, "createAccount.account.id")
}

// ticketingPoint is the input of a Ticketing point; overrides replace fields.
func ticketingPoint(orgID string, overrides map[string]any) map[string]any {
	in := map[string]any{
		"organizationId": orgID, "slug": "ticketing", "name": "Ticketing", "category": "TICKETING",
		"allowedProviders": map[string]any{
			"test": []string{"jira", "servicenow", "mock_ticketing"},
			"prod": []string{"jira", "servicenow"},
		},
		"requiredConfig": []string{"project"},
	}
	maps.Copy(in, overrides)
	return in
}

func (a *app) createPoint(orgID string, overrides map[string]any) string {
	a.t.Helper()
	r := a.do(createIntegrationPoint, map[string]any{"input": ticketingPoint(orgID, overrides)})
	if ue := r.list(a.t, "createIntegrationPoint.userErrors"); len(ue) > 0 {
		a.t.Fatalf("createIntegrationPoint refused: %s", r.Raw)
	}
	return r.str(a.t, "createIntegrationPoint.integrationPoint.id")
}

func integrationInput(accountID, pointID, provider string, config map[string]any) map[string]any {
	return map[string]any{"input": map[string]any{
		"accountId": accountID, "integrationPointId": pointID, "provider": provider, "name": provider + " integration", "config": config}}
}

// integrate creates an integration that must be accepted and returns its ID.
func (a *app) integrate(accountID, pointID, provider string, config map[string]any) string {
	a.t.Helper()
	r := a.do(createIntegration, integrationInput(accountID, pointID, provider, config))
	if v := r.list(a.t, "createIntegration.violations"); len(v) > 0 {
		a.t.Fatalf("createIntegration refused: %s", r.Raw)
	}
	return r.str(a.t, "createIntegration.integration.id")
}

// world is one organization with a TEST and a PROD account and a Ticketing point.
type world struct {
	org, test, prod, point string
}

func (a *app) world() world {
	a.t.Helper()
	org := a.createOrg("acme")
	return world{
		org:   org,
		test:  a.createAccount(org, "acme-test", "TEST"),
		prod:  a.createAccount(org, "acme-prod", "PROD"),
		point: a.createPoint(org, nil),
	}
}

// count is the totalCount of the organization's integrations.
func (a *app) countIntegrations(orgID string) int {
	a.t.Helper()
	r := a.do(`query($id: ID!) { node(id: $id) { ... on Organization { integrations { totalCount } } } }`, map[string]any{"id": orgID})
	return r.num(a.t, "node.integrations.totalCount")
}

const createApiToken = `mutation($input: CreateApiTokenInput!) {
	createApiToken(input: $input) { token apiToken { id name role prefix createdAt expiresAt lastUsedAt revokedAt } userErrors { code field message } } }`

// mintToken mints a token of role for owner (an organization or account
// ID, or "" for a platform token) with the app's token, and returns it.
func (a *app) mintToken(role, owner string) string {
	a.t.Helper()
	in := map[string]any{"role": role, "name": role + " token"}
	switch {
	case len(owner) > 4 && owner[:4] == "acc_":
		in["accountId"] = owner
	case owner != "":
		in["organizationId"] = owner
	}
	r := a.do(createApiToken, map[string]any{"input": in})
	if ue := r.list(a.t, "createApiToken.userErrors"); len(ue) > 0 {
		a.t.Fatalf("createApiToken refused: %s", r.Raw)
	}
	return r.str(a.t, "createApiToken.token")
}
