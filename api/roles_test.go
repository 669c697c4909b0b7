package api

import (
	"fmt"
	"strings"
	"testing"
)

// roles in the order of the matrix's columns.
var roles = []string{"PLATFORM_ADMIN", "ORG_ADMIN", "ORG_VIEWER", "ACCOUNT_ADMIN", "ACCOUNT_VIEWER"}

// outcome is what an operation came to: "ok", a user error code, or the
// code of a GraphQL error.
func outcome(t *testing.T, r result, field string) string {
	t.Helper()
	if len(r.Errors) > 0 {
		code, _ := r.Errors[0].Extensions["code"].(string)
		return code
	}
	if ue, ok := r.get(t, field).(map[string]any)["userErrors"].([]any); ok && len(ue) > 0 {
		return ue[0].(map[string]any)["code"].(string)
	}
	return "ok"
}

// TestRoleMatrix: what each role may do in its organization. The account
// tokens belong to a PROD account; the organization has a TEST account and
// a point that selects TEST accounts only.
func TestRoleMatrix(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		org := a.createOrg("acme")
		prod, test := a.createAccount(org, "acme-prod", "PROD"), a.createAccount(org, "acme-test", "TEST")
		everyone := a.createPoint(org, map[string]any{"configDefaults": []any{
			map[string]any{"path": "issue_type", "value": "Bug", "mode": "DEFAULT"},
			map[string]any{"provider": "jira", "path": "api_token", "value": "role-matrix-point-secret", "mode": "DEFAULT"}}})
		testOnly := a.createPoint(org, map[string]any{"slug": "test-only", "accountSelector": map[string]any{"environments": []string{"TEST"}}})
		integration := a.integrate(prod, everyone, "jira", map[string]any{"project": "SEC"})
		a.integrate(test, testOnly, "jira", map[string]any{"project": "QA"})
		tokens := map[string]string{
			"PLATFORM_ADMIN": a.adminToken,
			"ORG_ADMIN":      a.mintToken("ORG_ADMIN", org),
			"ORG_VIEWER":     a.mintToken("ORG_VIEWER", org),
			"ACCOUNT_ADMIN":  a.mintToken("ACCOUNT_ADMIN", prod),
			"ACCOUNT_VIEWER": a.mintToken("ACCOUNT_VIEWER", prod),
		}

		const ok, forbidden = "ok", "FORBIDDEN"
		for _, op := range []struct {
			name string
			// want is the outcome for each role, in the order of roles.
			want [5]string
			do   func(t *testing.T, a *app, role string) string
		}{
			{"createOrganization", [5]string{ok, forbidden, forbidden, forbidden, forbidden}, func(t *testing.T, a *app, role string) string {
				r := a.post(createOrganization, map[string]any{"input": map[string]any{"slug": slug("org", role), "name": "New"}})
				return outcome(t, r, "createOrganization")
			}},
			{"createAccount", [5]string{ok, ok, forbidden, forbidden, forbidden}, func(t *testing.T, a *app, role string) string {
				r := a.post(createAccount, map[string]any{"input": map[string]any{
					"organizationId": org, "slug": slug("acc", role), "name": "New", "environment": "TEST"}})
				return outcome(t, r, "createAccount")
			}},
			{"updateAccount", [5]string{ok, ok, forbidden, forbidden, forbidden}, func(t *testing.T, a *app, role string) string {
				r := a.post(updateAccount, map[string]any{"input": map[string]any{"id": prod, "name": "Renamed by " + role}})
				return outcome(t, r, "updateAccount")
			}},
			{"createIntegrationPoint", [5]string{ok, ok, forbidden, forbidden, forbidden}, func(t *testing.T, a *app, role string) string {
				r := a.post(createIntegrationPoint, map[string]any{"input": ticketingPoint(org, map[string]any{"slug": slug("pt", role)})})
				return outcome(t, r, "createIntegrationPoint")
			}},
			{"createIntegrationPoint with configDefaults", [5]string{ok, ok, forbidden, forbidden, forbidden}, func(t *testing.T, a *app, role string) string {
				r := a.post(createIntegrationPoint, map[string]any{"input": ticketingPoint(org, map[string]any{"slug": slug("cd", role),
					"configDefaults": []any{map[string]any{"path": "project", "value": "SEC", "mode": "LOCKED"}}})})
				if o := outcome(t, r, "createIntegrationPoint"); o != ok {
					return o
				}
				// Gone again: the reads below count the points.
				id := r.str(t, "createIntegrationPoint.integrationPoint.id")
				return outcome(t, a.post(fmt.Sprintf(deleteMutation, "deleteIntegrationPoint"), map[string]any{"input": map[string]any{"id": id}}), "deleteIntegrationPoint")
			}},
			{"updateIntegrationPoint configDefaults", [5]string{ok, ok, forbidden, forbidden, forbidden}, func(t *testing.T, a *app, role string) string {
				r := a.post(`mutation($input: UpdateIntegrationPointInput!) { updateIntegrationPoint(input: $input) { integrationPoint { configDefaults { path } } userErrors { code } } }`,
					map[string]any{"input": map[string]any{"id": everyone, "configDefaults": []any{
						map[string]any{"path": "issue_type", "value": "Bug by " + role, "mode": "DEFAULT"}}}})
				return outcome(t, r, "updateIntegrationPoint")
			}},
			{"previewIntegrationPointUpdate", [5]string{ok, ok, forbidden, forbidden, forbidden}, func(t *testing.T, a *app, role string) string {
				r := a.post(`query($input: UpdateIntegrationPointInput!) { previewIntegrationPointUpdate(input: $input) { newVersion userErrors { code } } }`,
					map[string]any{"input": map[string]any{"id": everyone, "requiredConfig": []string{}}})
				return outcome(t, r, "previewIntegrationPointUpdate")
			}},
			{"checkIntegration", [5]string{ok, ok, forbidden, ok, forbidden}, func(t *testing.T, a *app, role string) string {
				r := a.post(checkIntegration, integrationInput(prod, everyone, "jira", map[string]any{"project": "X"}))
				return outcome(t, r, "checkIntegration")
			}},
			{"createIntegration", [5]string{ok, ok, forbidden, ok, forbidden}, func(t *testing.T, a *app, role string) string {
				r := a.post(createIntegration, integrationInput(prod, everyone, "jira", map[string]any{"project": "X"}))
				return outcome(t, r, "createIntegration")
			}},
			{"updateIntegration", [5]string{ok, ok, forbidden, ok, forbidden}, func(t *testing.T, a *app, role string) string {
				r := a.post(updateIntegration, map[string]any{"input": map[string]any{"id": integration, "name": "Renamed by " + role}})
				return outcome(t, r, "updateIntegration")
			}},
			{"disableIntegration", [5]string{ok, ok, forbidden, ok, forbidden}, func(t *testing.T, a *app, role string) string {
				r := a.post(disableIntegration, map[string]any{"input": map[string]any{"id": integration, "reason": "Disabled by " + role}})
				if o := outcome(t, r, "disableIntegration"); o != ok {
					return o
				}
				if r.str(t, "disableIntegration.integration.statusReason") != "Disabled by "+role {
					t.Errorf("disabled: %s", r.Raw)
				}
				return ok
			}},
			{"enableIntegration", [5]string{ok, ok, forbidden, ok, forbidden}, func(t *testing.T, a *app, role string) string {
				a.as(tokens["PLATFORM_ADMIN"]).do(disableIntegration, map[string]any{"input": map[string]any{"id": integration, "reason": "to enable"}})
				r := a.post(enableIntegration, map[string]any{"input": map[string]any{"id": integration}})
				defer a.as(tokens["PLATFORM_ADMIN"]).do(enableIntegration, map[string]any{"input": map[string]any{"id": integration}})
				if o := outcome(t, r, "enableIntegration"); o != ok {
					return o
				}
				if r.str(t, "enableIntegration.integration.status") != "ACTIVE" {
					t.Errorf("enabled: %s", r.Raw)
				}
				return ok
			}},
			// Webhooks: an IP literal URL, checked without DNS, never dialled.
			{"createWebhookEndpoint for the organization", [5]string{ok, ok, forbidden, forbidden, forbidden}, func(t *testing.T, a *app, role string) string {
				r := a.post(createWebhookEndpoint, map[string]any{"input": map[string]any{"organizationId": org, "url": "https://93.184.215.14/" + role}})
				return outcome(t, r, "createWebhookEndpoint")
			}},
			{"createWebhookEndpoint for its account", [5]string{ok, ok, forbidden, ok, forbidden}, func(t *testing.T, a *app, role string) string {
				r := a.post(createWebhookEndpoint, map[string]any{"input": map[string]any{"organizationId": org, "accountId": prod, "url": "https://93.184.215.14/" + role}})
				return outcome(t, r, "createWebhookEndpoint")
			}},
			{"rotateWebhookSecret of its account's endpoint", [5]string{ok, ok, forbidden, ok, forbidden}, func(t *testing.T, a *app, role string) string {
				r := a.post(`mutation($id: ID!) { rotateWebhookSecret(input: { id: $id }) { secret userErrors { code } } }`,
					map[string]any{"id": a.webhookEndpoint(org, prod)})
				return outcome(t, r, "rotateWebhookSecret")
			}},
			{"updateWebhookEndpoint of its account's endpoint", [5]string{ok, ok, forbidden, ok, forbidden}, func(t *testing.T, a *app, role string) string {
				r := a.post(`mutation($id: ID!) { updateWebhookEndpoint(input: { id: $id, enabled: false }) { webhookEndpoint { enabled } userErrors { code } } }`,
					map[string]any{"id": a.webhookEndpoint(org, prod)})
				if o := outcome(t, r, "updateWebhookEndpoint"); o != ok {
					return o
				}
				if r.get(t, "updateWebhookEndpoint.webhookEndpoint.enabled") != false {
					t.Errorf("not disabled: %s", r.Raw)
				}
				return ok
			}},
			{"deleteWebhookEndpoint of its account's endpoint", [5]string{ok, ok, forbidden, ok, forbidden}, func(t *testing.T, a *app, role string) string {
				r := a.post(`mutation($id: ID!) { deleteWebhookEndpoint(input: { id: $id }) { deletedId userErrors { code } } }`,
					map[string]any{"id": a.webhookEndpoint(org, prod)})
				return outcome(t, r, "deleteWebhookEndpoint")
			}},
			{"read webhookEndpoints", [5]string{ok, ok, forbidden, ok, forbidden}, func(t *testing.T, a *app, role string) string {
				r := a.post(`query($id: ID!) { node(id: $id) { ... on Organization { webhookEndpoints { id url } } } }`, map[string]any{"id": org})
				return outcome(t, r, "node")
			}},
			{"createWebhookEndpoint with an accountSelector", [5]string{ok, ok, forbidden, forbidden, forbidden}, func(t *testing.T, a *app, role string) string {
				r := a.post(createWebhookEndpoint, map[string]any{"input": map[string]any{"organizationId": org, "url": "https://93.184.215.14/sel-" + role,
					"accountSelector": map[string]any{"environments": []string{"PROD"}}}})
				return outcome(t, r, "createWebhookEndpoint")
			}},
			// An account token does not see the organization's endpoints.
			{"updateWebhookEndpoint accountSelector of the organization's endpoint", [5]string{ok, ok, forbidden, "NOT_FOUND", "NOT_FOUND"}, func(t *testing.T, a *app, role string) string {
				r := a.post(`mutation($id: ID!) { updateWebhookEndpoint(input: { id: $id, accountSelector: { environments: [TEST] } }) { webhookEndpoint { id } userErrors { code } } }`,
					map[string]any{"id": a.webhookEndpoint(org, "")})
				return outcome(t, r, "updateWebhookEndpoint")
			}},
			{"redeliverWebhookEvent to its account's endpoint", [5]string{ok, ok, forbidden, ok, forbidden}, func(t *testing.T, a *app, role string) string {
				endpoint := a.webhookEndpoint(org, prod)
				r := a.post(`mutation($w: ID!, $e: ID!) { redeliverWebhookEvent(input: { webhookEndpointId: $w, eventId: $e }) { webhookDelivery { id } userErrors { code } } }`,
					map[string]any{"w": endpoint, "e": a.webhookEvent(org, prod)})
				return outcome(t, r, "redeliverWebhookEvent")
			}},
			// node(id:) shows what the lists show: endpoints and their
			// deliveries to who may manage them (null to others), events
			// within the token's scope.
			{"read its account's endpoint, its deliveries and a delivery by ID", [5]string{ok, ok, "null", ok, "null"}, func(t *testing.T, a *app, role string) string {
				endpoint := a.webhookEndpoint(org, prod)
				delivery := a.deliveryOf(endpoint, a.webhookEvent(org, prod))
				r := a.post(`query($w: ID!, $d: ID!) { endpoint: node(id: $w) { ... on WebhookEndpoint { deliveries { totalCount nodes { id } } } }
					delivery: node(id: $d) { ... on WebhookDelivery { id eventId } } }`, map[string]any{"w": endpoint, "d": delivery})
				switch {
				case len(r.Errors) > 0:
					return r.Raw
				case r.get(t, "endpoint") == nil && r.get(t, "delivery") == nil:
					return "null"
				case r.get(t, "endpoint") == nil || r.get(t, "delivery") == nil || r.num(t, "endpoint.deliveries.totalCount") != 1:
					return "inconsistent: " + r.Raw
				}
				return ok
			}},
			{"read an event of its account by ID", [5]string{ok, ok, ok, ok, ok}, func(t *testing.T, a *app, role string) string {
				r := a.post(`query($id: ID!) { node(id: $id) { ... on Event { type } } }`, map[string]any{"id": a.webhookEvent(org, prod)})
				if len(r.Errors) > 0 {
					return r.Raw
				}
				if r.get(t, "node") == nil {
					return "null"
				}
				return ok
			}},
			{"read an event of another account by ID", [5]string{ok, ok, ok, "null", "null"}, func(t *testing.T, a *app, role string) string {
				r := a.post(`query($id: ID!) { node(id: $id) { ... on Event { type } } }`, map[string]any{"id": a.webhookEvent(org, test)})
				if len(r.Errors) > 0 {
					return r.Raw
				}
				if r.get(t, "node") == nil {
					return "null"
				}
				return ok
			}},
			{"mint PLATFORM_ADMIN", [5]string{ok, forbidden, forbidden, forbidden, forbidden}, func(t *testing.T, a *app, role string) string {
				r := a.post(createApiToken, map[string]any{"input": map[string]any{"role": "PLATFORM_ADMIN", "name": "x"}})
				return outcome(t, r, "createApiToken")
			}},
			{"mint ORG_ADMIN", [5]string{ok, ok, forbidden, forbidden, forbidden}, func(t *testing.T, a *app, role string) string {
				r := a.post(createApiToken, map[string]any{"input": map[string]any{"role": "ORG_ADMIN", "name": "x", "organizationId": org}})
				return outcome(t, r, "createApiToken")
			}},
			{"mint ORG_VIEWER", [5]string{ok, ok, forbidden, forbidden, forbidden}, func(t *testing.T, a *app, role string) string {
				r := a.post(createApiToken, map[string]any{"input": map[string]any{"role": "ORG_VIEWER", "name": "x", "organizationId": org}})
				return outcome(t, r, "createApiToken")
			}},
			{"mint ACCOUNT_ADMIN", [5]string{ok, ok, forbidden, ok, forbidden}, func(t *testing.T, a *app, role string) string {
				r := a.post(createApiToken, map[string]any{"input": map[string]any{"role": "ACCOUNT_ADMIN", "name": "x", "accountId": prod}})
				return outcome(t, r, "createApiToken")
			}},
			{"read Organization.auditEvents", [5]string{ok, ok, ok, forbidden, forbidden}, func(t *testing.T, a *app, role string) string {
				r := a.post(`query($id: ID!) { organization(id: $id) { auditEvents(first: 1) { totalCount } } }`, map[string]any{"id": org})
				return outcome(t, r, "organization")
			}},
			{"read Organization.apiTokens", [5]string{ok, ok, forbidden, forbidden, forbidden}, func(t *testing.T, a *app, role string) string {
				r := a.post(`query($id: ID!) { organization(id: $id) { apiTokens { totalCount } } }`, map[string]any{"id": org})
				return outcome(t, r, "organization")
			}},
			{"read Account.apiTokens", [5]string{ok, ok, forbidden, ok, forbidden}, func(t *testing.T, a *app, role string) string {
				r := a.post(`query($id: ID!) { node(id: $id) { ... on Account { apiTokens { totalCount } } } }`, map[string]any{"id": prod})
				return outcome(t, r, "node")
			}},
		} {
			for i, role := range roles {
				t.Run(op.name+"/"+role, func(t *testing.T) {
					if got := op.do(t, a.as(tokens[role]).on(t), role); got != op.want[i] {
						t.Errorf("%s by %s: %s, want %s", op.name, role, got, op.want[i])
					}
				})
			}
		}

		// What each role reads of the organization: account tokens see
		// their account, its integrations, and the points that select it.
		for i, role := range roles {
			wantAccounts, wantPoints := []int{4, 4, 4, 1, 1}[i], []int{4, 4, 4, 3, 3}[i]
			t.Run("read/"+role, func(t *testing.T) {
				as := a.as(tokens[role]).on(t)
				r := as.do(`query($id: ID!) { organization(id: $id) { accounts { totalCount } integrationPoints { totalCount nodes { id onViolation } }
					complianceSummary { total active disabled suspended }
					integrations { totalCount nodes { account { id } status statusReason statusChangedAt } } } }`, map[string]any{"id": org})
				if s := r.get(t, "organization.complianceSummary").(map[string]any); s["active"] != s["total"] || r.str(t, "organization.integrations.nodes.0.status") != "ACTIVE" {
					t.Errorf("%s reads the lifecycle: %s", role, r.Raw)
				}
				if n := r.num(t, "organization.accounts.totalCount"); n != wantAccounts {
					t.Errorf("%s sees %d accounts, want %d", role, n, wantAccounts)
				}
				if n := r.num(t, "organization.integrationPoints.totalCount"); n != wantPoints {
					t.Errorf("%s sees %d points, want %d", role, n, wantPoints)
				}
				for _, n := range r.list(t, "organization.integrations.nodes") {
					if acc := n.(map[string]any)["account"].(map[string]any)["id"]; strings.HasPrefix(role, "ACCOUNT_") && acc != prod {
						t.Errorf("%s sees an integration of account %v", role, acc)
					}
				}
				if n := r.num(t, "organization.integrations.totalCount"); n == 0 {
					t.Errorf("%s sees no integration", role)
				}
				point := as.do(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": testOnly})
				if visible := point.get(t, "node") != nil; visible == strings.HasPrefix(role, "ACCOUNT_") {
					t.Errorf("%s: the TEST-only point visible = %v", role, visible)
				}
				// Every role that reads an integration reads its inherited
				// config, and the point's defaults; none reads the point's secret.
				inherited := as.do(`query($id: ID!, $point: ID!) {
					node(id: $id) { ... on Integration { effectiveConfig configSources { path source } } }
					point: node(id: $point) { ... on IntegrationPoint { configDefaults { provider { key } path value mode } secretFields } }
					authorizeIntegrationUse(integrationId: $id) { effectiveConfig } }`, map[string]any{"id": integration, "point": everyone})
				if len(inherited.Errors) > 0 || inherited.get(t, "node.effectiveConfig.issue_type") == nil ||
					len(inherited.list(t, "node.configSources")) != 3 || len(inherited.list(t, "point.configDefaults")) != 1 ||
					fmt.Sprint(inherited.list(t, "point.secretFields")) != "[api_token]" ||
					inherited.get(t, "authorizeIntegrationUse.effectiveConfig.issue_type") == nil ||
					strings.Contains(inherited.Raw, "role-matrix-point-secret") {
					t.Errorf("%s reads the inherited config: %s", role, inherited.Raw)
				}
				use := as.do(`query($id: ID!) { authorizeIntegrationUse(integrationId: $id) { allowed } }`, map[string]any{"id": integration})
				if use.get(t, "authorizeIntegrationUse.allowed") != true {
					t.Errorf("%s may not ask the gate about its own organization's integration: %s", role, use.Raw)
				}
			})
		}
	})
}

func slug(kind, role string) string {
	return fmt.Sprintf("%s-%s", kind, strings.ReplaceAll(strings.ToLower(role), "_", "-"))
}

// TestDeletedAccountTokens: deleting an account takes its tokens with it:
// their next request is refused, and the deletion is in the audit log.
func TestDeletedAccountTokens(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		org := a.createOrg("acme")
		acc := a.createAccount(org, "gone", "TEST")
		token := a.mintToken("ACCOUNT_ADMIN", acc)
		a.as(token).do(`{ viewer { id } }`, nil)
		r := a.do(fmt.Sprintf(deleteMutation, "deleteAccount"), map[string]any{"input": map[string]any{"id": acc}})
		if r.get(t, "deleteAccount.deletedId") != acc {
			t.Fatalf("deleteAccount: %s", r.Raw)
		}
		if r := a.as(token).post(`{ viewer { id } }`, nil); r.Status != 401 || r.errorCode(t) != "UNAUTHENTICATED" {
			t.Errorf("a deleted account's token: %d %s", r.Status, r.Raw)
		}
		log := a.do(`query($org: ID!, $target: ID!) { organization(id: $org) { auditEvents(filter: { targetId: $target }) { nodes { action } } } }`,
			map[string]any{"org": org, "target": acc})
		var actions []string
		for _, e := range log.list(t, "organization.auditEvents.nodes") {
			actions = append(actions, e.(map[string]any)["action"].(string))
		}
		if strings.Join(actions, ",") != "deleteAccount,createAccount" {
			t.Errorf("the account's audit trail, newest first: %v", actions)
		}
	})
}

// TestDeleteAccountRacingItsToken: deleting an account while its own token
// writes to it takes locks in the order every mutation does (token, then
// account), so neither side fails with a deadlock: one wins, the other is
// told why.
func TestDeleteAccountRacingItsToken(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		org := a.createOrg("acme")
		point := a.createPoint(org, nil)
		admin := a.as(a.mintToken("ORG_ADMIN", org))
		for round := range 15 {
			acc := a.createAccount(org, fmt.Sprintf("racer-%d", round), "PROD")
			own := a.as(a.mintToken("ACCOUNT_ADMIN", acc))
			results := make(chan result, 2)
			go func() {
				results <- own.post(createIntegration, integrationInput(acc, point, "jira", map[string]any{"project": "X"}))
			}()
			go func() {
				results <- admin.post(fmt.Sprintf(deleteMutation, "deleteAccount"), map[string]any{"input": map[string]any{"id": acc}})
			}()
			for range 2 {
				r := <-results
				if r.Status == 200 && len(r.Errors) == 0 {
					continue
				}
				// The account, and so the token, may be gone first: before the
				// request (401) or while it runs (UNAUTHENTICATED).
				if r.Status != 401 && (len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "UNAUTHENTICATED") {
					t.Errorf("round %d: %d %s", round, r.Status, r.Raw)
				}
			}
		}
	})
}
