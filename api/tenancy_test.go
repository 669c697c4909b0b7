package api

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/webhooks"
)

// tenant is one organization as the tenancy tests build it: two PROD
// accounts with an integration each on one point, and a token of every
// organization and account role (the account ones of acc1).
type tenant struct {
	org, slug, acc1, acc2, point, int1, int2 string
	// tokens by role; orgToken and acc2Token are token IDs, targets to revoke.
	tokens              map[string]string
	orgToken, acc2Token string
	// orgHook and acc2Hook are webhook endpoints: the organization's, and
	// acc2's; acc2Event an event of acc2, delivered to both
	// (orgDelivery, acc2Delivery).
	orgHook, acc2Hook                    string
	acc2Event, orgDelivery, acc2Delivery string
}

func (a *app) tenant(slug string) tenant {
	a.t.Helper()
	org := a.createOrg(slug)
	tn := tenant{org: org, slug: slug,
		acc1: a.createAccount(org, slug+"-one", "PROD"), acc2: a.createAccount(org, slug+"-two", "PROD"),
		// Its point's config defaults: a plain value only its tenant may
		// read, a secret nobody may.
		point: a.createPoint(org, map[string]any{"configDefaults": []any{
			map[string]any{"provider": "jira", "path": "issue_type", "value": slug + "-issue-default", "mode": "DEFAULT"},
			map[string]any{"provider": "jira", "path": "api_token", "value": slug + "-point-secret", "mode": "DEFAULT"},
		}})}
	tn.int1 = a.integrate(tn.acc1, tn.point, "jira", map[string]any{"project": "ONE"})
	tn.int2 = a.integrate(tn.acc2, tn.point, "jira", map[string]any{"project": "TWO"})
	tn.tokens = map[string]string{
		"ORG_ADMIN":      a.mintToken("ORG_ADMIN", org),
		"ORG_VIEWER":     a.mintToken("ORG_VIEWER", org),
		"ACCOUNT_ADMIN":  a.mintToken("ACCOUNT_ADMIN", tn.acc1),
		"ACCOUNT_VIEWER": a.mintToken("ACCOUNT_VIEWER", tn.acc1),
	}
	tn.orgToken = a.tokenID("ORG_VIEWER", org)
	tn.acc2Token = a.tokenID("ACCOUNT_VIEWER", tn.acc2)
	tn.orgHook = a.webhookEndpoint(org, "")
	tn.acc2Hook = a.webhookEndpoint(org, tn.acc2)
	tn.acc2Event = a.webhookEvent(org, tn.acc2)
	tn.orgDelivery, tn.acc2Delivery = a.deliveryOf(tn.orgHook, tn.acc2Event), a.deliveryOf(tn.acc2Hook, tn.acc2Event)
	return tn
}

// webhookEvent writes an event of the account straight into the store,
// with its deliveries to the endpoints that want it, and returns its ID.
func (a *app) webhookEvent(org, account string) string {
	a.t.Helper()
	e := domain.Event{ID: domain.NewID(domain.KindEvent), OrganizationID: org, AccountID: account, SubjectID: account,
		Type: domain.EventAccountUpdated, OccurredAt: time.Now().UTC()}
	if err := a.store.InTx(context.Background(), policy.Scope{All: true}, func(tx *store.Tx) error {
		return tx.AppendEvents(context.Background(), []domain.Event{e})
	}); err != nil {
		a.t.Fatal(err)
	}
	return e.ID
}

// deliveryOf is the ID of the endpoint's delivery of the event.
func (a *app) deliveryOf(endpoint, event string) string {
	a.t.Helper()
	ds, err := a.store.FindDeliveries(context.Background(), endpoint)
	if err != nil {
		a.t.Fatal(err)
	}
	for _, d := range ds {
		if d.EventID == event {
			return d.ID
		}
	}
	a.t.Fatalf("endpoint %s has no delivery of %s", endpoint, event)
	return ""
}

// webhookEndpoint writes an endpoint straight into the store (its URL
// names no host to resolve) and returns its ID.
func (a *app) webhookEndpoint(org, account string) string {
	a.t.Helper()
	now := time.Now().UTC()
	w := &domain.WebhookEndpoint{ID: domain.NewID(domain.KindWebhookEndpoint), OrganizationID: org, AccountID: account,
		URL: "https://hooks.example.com/" + org, Enabled: true, CreatedAt: now, UpdatedAt: now}
	err := a.store.InTx(context.Background(), policy.Scope{All: true}, func(tx *store.Tx) error {
		return tx.CreateWebhookEndpoint(context.Background(), w, webhooks.NewSecret())
	})
	if err != nil {
		a.t.Fatal(err)
	}
	return w.ID
}

// tokenID mints a token and returns its record's ID.
func (a *app) tokenID(role, owner string) string {
	a.t.Helper()
	in := map[string]any{"role": role, "name": "target"}
	if strings.HasPrefix(owner, "acc_") {
		in["accountId"] = owner
	} else {
		in["organizationId"] = owner
	}
	r := a.do(createApiToken, map[string]any{"input": in})
	return r.str(a.t, "createApiToken.apiToken.id")
}

// victim is what an attacker must not reach: another organization's
// objects, or, for account tokens, another account's in their own organization.
type victim struct {
	name string
	// hidden are the IDs the attacker must never see.
	hidden []string
	// org is "" when the attacker shares the victim's organization.
	org, slug string
	account   string
	// point is a point the victim's account can use; pointHidden tells
	// whether the attacker may see it (it may, in its own organization).
	point       string
	pointHidden bool
	integration string
	token       string
	// hook is a webhook endpoint of the victim's; accountOrg the
	// organization of its account.
	hook, accountOrg string
}

func otherOrganization(tn tenant) victim {
	return victim{name: "other organization",
		hidden: []string{tn.org, tn.acc1, tn.acc2, tn.point, tn.int1, tn.int2, tn.orgToken, tn.acc2Token,
			tn.slug + "-issue-default", tn.slug + "-point-secret",
			tn.orgHook, tn.acc2Hook, tn.acc2Event, tn.orgDelivery, tn.acc2Delivery},
		org: tn.org, slug: tn.slug, account: tn.acc2, point: tn.point, pointHidden: true,
		integration: tn.int2, token: tn.orgToken, hook: tn.orgHook, accountOrg: tn.org}
}

func otherAccount(tn tenant) victim {
	return victim{name: "other account", hidden: []string{tn.acc2, tn.int2, tn.acc2Token, tn.slug + "-point-secret",
		// The organization's endpoint too: an account token manages its account's only.
		tn.acc2Hook, tn.acc2Event, tn.acc2Delivery, tn.orgHook, tn.orgDelivery},
		account: tn.acc2, point: tn.point, integration: tn.int2, token: tn.acc2Token, hook: tn.acc2Hook, accountOrg: tn.org}
}

// crossTenantCase tries one root field as attacker against v and fails
// the test unless it is denied or answers null. It returns false when the
// field does not apply to this victim (an organization-level field, for a
// victim in the attacker's own organization).
type crossTenantCase func(t *testing.T, attacker *app, v victim) bool

// payloadCode is the code of the only user error of a mutation payload.
func payloadCode(t *testing.T, r result, field string) string {
	t.Helper()
	ue := r.list(t, field+".userErrors")
	if len(ue) != 1 {
		t.Fatalf("%s: want one user error, got %s", field, r.Raw)
	}
	return ue[0].(map[string]any)["code"].(string)
}

func wantNotFound(t *testing.T, r result, field string) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("%s: %s", field, r.Raw)
	}
	if code := payloadCode(t, r, field); code != "NOT_FOUND" {
		t.Errorf("%s: code %s, want NOT_FOUND (%s)", field, code, r.Raw)
	}
}

// mutate runs a mutation whose payload has userErrors.
func mutate(a *app, name, inputType string, input map[string]any, selection string) result {
	q := fmt.Sprintf(`mutation($input: %s!) { %s(input: $input) { %s userErrors { code field message } } }`, inputType, name, selection)
	return a.post(q, map[string]any{"input": input})
}

var crossTenantQueries = map[string]crossTenantCase{
	"node": func(t *testing.T, a *app, v victim) bool {
		for _, id := range v.hidden {
			r := a.post(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
			if len(r.Errors) > 0 || r.get(t, "node") != nil {
				t.Errorf("node(%s) = %s, want null", id, r.Raw)
			}
		}
		return true
	},
	"nodes": func(t *testing.T, a *app, v victim) bool {
		r := a.post(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": v.hidden})
		for i, n := range r.list(t, "nodes") {
			if n != nil {
				t.Errorf("nodes[%d] (%s) is not null: %s", i, v.hidden[i], r.Raw)
			}
		}
		return true
	},
	"organization": func(t *testing.T, a *app, v victim) bool {
		if v.org == "" {
			// Its own organization: nothing of the other account in any list.
			r := a.do(`{ viewer { organization { accounts { nodes { id } } integrations { nodes { id effectiveConfig configSources { path source } } }
				integrationPoints { nodes { configDefaults { path value } secretFields versions { nodes { configDefaults { value } } }
				integrations { nodes { id account { id } } } } } complianceSummary { total } } } }`, nil)
			mustNotShow(t, r, v.hidden)
			if n := r.num(t, "viewer.organization.complianceSummary.total"); n != 1 {
				t.Errorf("the organization's summary counts %d integrations for an account token, want its own 1", n)
			}
			// Its endpoints (FORBIDDEN for a viewer), their logs and selectors.
			r = a.post(`{ viewer { organization { webhookEndpoints { id accountSelector { environments }
				deliveries { totalCount nodes { id eventId } } } } } }`, nil)
			mustNotShow(t, r, v.hidden)
			return true
		}
		for _, vars := range []map[string]any{{"id": v.org}, {"slug": v.slug}} {
			r := a.post(`query($id: ID, $slug: String) { organization(id: $id, slug: $slug) { id
				webhookEndpoints { id deliveries { totalCount nodes { id } } } } }`, vars)
			if len(r.Errors) > 0 || r.get(t, "organization") != nil {
				t.Errorf("organization(%v) = %s, want null", vars, r.Raw)
			}
		}
		return true
	},
	"organizations": func(t *testing.T, a *app, v victim) bool {
		r := a.do(`{ organizations { totalCount nodes { id accounts { nodes { id } } integrationPoints { nodes { id configDefaults { value } secretFields } }
			integrations { nodes { id effectiveConfig configSources { path } } } } } }`, nil)
		mustNotShow(t, r, v.hidden)
		if n := r.num(t, "organizations.totalCount"); n != 1 {
			t.Errorf("organizations.totalCount = %d for a tenant token, want 1 (its own)", n)
		}
		return true
	},
	"checkIntegration": func(t *testing.T, a *app, v victim) bool {
		r := a.post(checkIntegration, integrationInput(v.account, v.point, "jira", map[string]any{"project": "X"}))
		wantNotFound(t, r, "checkIntegration")
		if r.get(t, "checkIntegration.allowed") != false {
			t.Errorf("checkIntegration allowed: %s", r.Raw)
		}
		return true
	},
	"authorizeIntegrationUse": func(t *testing.T, a *app, v victim) bool {
		r := a.do(`query($id: ID!) { authorizeIntegrationUse(integrationId: $id) { allowed integration { id } violations { code } effectiveConfig } }`,
			map[string]any{"id": v.integration})
		if r.get(t, "authorizeIntegrationUse.allowed") != false || r.get(t, "authorizeIntegrationUse.integration") != nil ||
			r.get(t, "authorizeIntegrationUse.effectiveConfig") != nil {
			t.Errorf("authorizeIntegrationUse of another tenant's integration: %s", r.Raw)
		}
		return true
	},
	"previewIntegrationPointUpdate": func(t *testing.T, a *app, v victim) bool {
		if !v.pointHidden {
			return false
		}
		r := a.post(`query($input: UpdateIntegrationPointInput!) { previewIntegrationPointUpdate(input: $input) {
			newVersion configChanged userErrors { code } changes { nodes { integration { id } effectiveConfig } } } }`,
			map[string]any{"input": map[string]any{"id": v.point, "requiredConfig": []string{}, "configDefaults": []any{}}})
		wantNotFound(t, r, "previewIntegrationPointUpdate")
		mustNotShow(t, r, v.hidden)
		return true
	},
	"viewer": func(t *testing.T, a *app, v victim) bool {
		r := a.do(`{ viewer { id organization { id } account { id } } }`, nil)
		mustNotShow(t, r, v.hidden)
		return true
	},
}

// sharedFields hold no tenant's data: the provider catalog is the same for all.
var sharedFields = []string{"Query.providers", "Query.provider",
	"Query.rateLimit"} // the caller's own budget, of no tenant's

// crossTenantSubscriptions start a subscription over a websocket: another
// organization is refused as one that does not exist, and so is resuming
// after an event of another organization or account (the story,
// TestSubscriptionStory, shows an account token hears only its account).
var crossTenantSubscriptions = map[string]crossTenantCase{
	"complianceChanged": func(t *testing.T, a *app, v victim) bool {
		c := subscriber(t, a.url, a.token)
		org := v.org
		if org == "" {
			org = v.accountOrg // the attacker's own
		} else {
			c.subscribe("made-up", complianceChanged, map[string]any{"org": "org_00000000000000000000000000000000"})
			madeUp, _ := c.refusal("made-up")
			c.subscribe("victim", complianceChanged, map[string]any{"org": org})
			got, code := c.refusal("victim")
			if code != "BAD_USER_INPUT" || got != strings.ReplaceAll(madeUp, "org_00000000000000000000000000000000", org) {
				t.Errorf("complianceChanged of another organization: %s %q; of none: %q", code, got, madeUp)
			}
		}
		// An event of the victim's: resuming after it names nothing the
		// attacker may see.
		evs, err := a.store.Read(policy.Scope{All: true}).FindEventsAfter(context.Background(), store.EventQuery{
			OrganizationID: v.accountOrg, AccountID: v.account, UpTo: math.MaxInt64, Limit: 1})
		if err != nil || len(evs) != 1 {
			t.Fatalf("the victim's events: %v %v", evs, err)
		}
		c.subscribe("made-up-event", complianceChanged, map[string]any{"org": org, "after": "evt_00000000000000000000000000000000"})
		madeUp, _ := c.refusal("made-up-event")
		c.subscribe("victim-event", complianceChanged, map[string]any{"org": org, "after": evs[0].ID})
		got, code := c.refusal("victim-event")
		if want := strings.ReplaceAll(madeUp, "evt_00000000000000000000000000000000", evs[0].ID); code != "BAD_USER_INPUT" ||
			(v.org == "" && got != want) || (v.org != "" && !strings.Contains(got, "No organization")) {
			t.Errorf("complianceChanged after the victim's event: %s %q; after none: %q", code, got, madeUp)
		}
		return true
	},
}

var crossTenantMutations = map[string]crossTenantCase{
	"createOrganization": func(t *testing.T, a *app, v victim) bool {
		r := a.post(createOrganization, map[string]any{"input": map[string]any{"slug": "intruder", "name": "Intruder"}})
		if code := payloadCode(t, r, "createOrganization"); code != "FORBIDDEN" {
			t.Errorf("createOrganization by a tenant token: %s, want FORBIDDEN", code)
		}
		return true
	},
	"createAccount": func(t *testing.T, a *app, v victim) bool {
		if v.org == "" {
			return false
		}
		wantNotFound(t, a.post(createAccount, map[string]any{"input": map[string]any{
			"organizationId": v.org, "slug": "intruder", "name": "Intruder", "environment": "PROD"}}), "createAccount")
		return true
	},
	"updateAccount": func(t *testing.T, a *app, v victim) bool {
		wantNotFound(t, a.post(updateAccount, map[string]any{"input": map[string]any{"id": v.account, "name": "Owned"}}), "updateAccount")
		return true
	},
	"deleteAccount": func(t *testing.T, a *app, v victim) bool {
		wantNotFound(t, a.post(fmt.Sprintf(deleteMutation, "deleteAccount"), map[string]any{"input": map[string]any{"id": v.account}}), "deleteAccount")
		return true
	},
	"createIntegrationPoint": func(t *testing.T, a *app, v victim) bool {
		if v.org == "" {
			return false
		}
		wantNotFound(t, a.post(createIntegrationPoint, map[string]any{"input": ticketingPoint(v.org, map[string]any{"slug": "intruder"})}),
			"createIntegrationPoint")
		return true
	},
	"updateIntegrationPoint": func(t *testing.T, a *app, v victim) bool {
		if !v.pointHidden {
			return false
		}
		wantNotFound(t, a.post(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": v.point, "requiredConfig": []string{},
			"configDefaults": []any{map[string]any{"path": "api_token", "value": nil, "mode": "DEFAULT"}}}}),
			"updateIntegrationPoint")
		return true
	},
	"deleteIntegrationPoint": func(t *testing.T, a *app, v victim) bool {
		if !v.pointHidden {
			return false
		}
		wantNotFound(t, a.post(fmt.Sprintf(deleteMutation, "deleteIntegrationPoint"), map[string]any{"input": map[string]any{"id": v.point}}),
			"deleteIntegrationPoint")
		return true
	},
	"createIntegration": func(t *testing.T, a *app, v victim) bool {
		r := a.post(createIntegration, integrationInput(v.account, v.point, "jira", map[string]any{"project": "X"}))
		wantNotFound(t, r, "createIntegration")
		if r.get(t, "createIntegration.integration") != nil || len(r.list(t, "createIntegration.violations")) > 0 {
			t.Errorf("createIntegration judged another tenant's account: %s", r.Raw)
		}
		return true
	},
	"updateIntegration": func(t *testing.T, a *app, v victim) bool {
		r := a.post(updateIntegration, map[string]any{"input": map[string]any{"id": v.integration, "name": "Owned"}})
		wantNotFound(t, r, "updateIntegration")
		return true
	},
	"deleteIntegration": func(t *testing.T, a *app, v victim) bool {
		wantNotFound(t, a.post(fmt.Sprintf(deleteMutation, "deleteIntegration"), map[string]any{"input": map[string]any{"id": v.integration}}),
			"deleteIntegration")
		return true
	},
	"disableIntegration": func(t *testing.T, a *app, v victim) bool {
		r := a.post(disableIntegration, map[string]any{"input": map[string]any{"id": v.integration, "reason": "Owned"}})
		wantNotFound(t, r, "disableIntegration")
		if r.get(t, "disableIntegration.integration") != nil || len(r.list(t, "disableIntegration.violations")) > 0 {
			t.Errorf("disableIntegration reached another tenant's integration: %s", r.Raw)
		}
		return true
	},
	"enableIntegration": func(t *testing.T, a *app, v victim) bool {
		r := a.post(enableIntegration, map[string]any{"input": map[string]any{"id": v.integration}})
		wantNotFound(t, r, "enableIntegration")
		if r.get(t, "enableIntegration.integration") != nil || len(r.list(t, "enableIntegration.violations")) > 0 {
			t.Errorf("enableIntegration reached another tenant's integration: %s", r.Raw)
		}
		return true
	},
	"createApiToken": func(t *testing.T, a *app, v victim) bool {
		in := map[string]any{"role": "ACCOUNT_VIEWER", "name": "intruder", "accountId": v.account}
		r := a.post(createApiToken, map[string]any{"input": in})
		wantNotFound(t, r, "createApiToken")
		if r.get(t, "createApiToken.token") != nil {
			t.Errorf("a token was minted: %s", r.Raw)
		}
		if v.org != "" {
			r = a.post(createApiToken, map[string]any{"input": map[string]any{"role": "ORG_VIEWER", "name": "intruder", "organizationId": v.org}})
			wantNotFound(t, r, "createApiToken")
		}
		return true
	},
	"revokeApiToken": func(t *testing.T, a *app, v victim) bool {
		wantNotFound(t, mutate(a, "revokeApiToken", "RevokeApiTokenInput", map[string]any{"id": v.token}, "apiToken { id }"), "revokeApiToken")
		return true
	},
	// An IP literal URL: checked without DNS, and never dialled.
	"createWebhookEndpoint": func(t *testing.T, a *app, v victim) bool {
		r := mutate(a, "createWebhookEndpoint", "CreateWebhookEndpointInput",
			map[string]any{"organizationId": v.accountOrg, "accountId": v.account, "url": "https://93.184.215.14/hook"}, "secret webhookEndpoint { id }")
		wantNotFound(t, r, "createWebhookEndpoint")
		if r.get(t, "createWebhookEndpoint.secret") != nil {
			t.Errorf("createWebhookEndpoint in another tenant: %s", r.Raw)
		}
		if v.org != "" {
			r = mutate(a, "createWebhookEndpoint", "CreateWebhookEndpointInput",
				map[string]any{"organizationId": v.org, "url": "https://93.184.215.14/hook",
					"accountSelector": map[string]any{"matchLabels": []any{map[string]any{"key": "tier", "value": "gold"}}}}, "secret webhookEndpoint { id }")
			wantNotFound(t, r, "createWebhookEndpoint")
		}
		return true
	},
	"deleteWebhookEndpoint": func(t *testing.T, a *app, v victim) bool {
		wantNotFound(t, mutate(a, "deleteWebhookEndpoint", "WebhookEndpointIDInput", map[string]any{"id": v.hook}, "deletedId"), "deleteWebhookEndpoint")
		return true
	},
	"redeliverWebhookEvent": func(t *testing.T, a *app, v victim) bool {
		r := mutate(a, "redeliverWebhookEvent", "RedeliverWebhookEventInput",
			map[string]any{"webhookEndpointId": v.hook, "eventId": "evt_01a234c79bce735b8ac5275553335d12"}, "webhookDelivery { id }")
		wantNotFound(t, r, "redeliverWebhookEvent")
		return true
	},
	"updateWebhookEndpoint": func(t *testing.T, a *app, v victim) bool {
		wantNotFound(t, mutate(a, "updateWebhookEndpoint", "UpdateWebhookEndpointInput",
			map[string]any{"id": v.hook, "url": "https://93.184.215.14/owned", "enabled": false,
				"accountSelector": map[string]any{"environments": []string{"PROD"}}}, "webhookEndpoint { id url }"), "updateWebhookEndpoint")
		return true
	},
	"rotateWebhookSecret": func(t *testing.T, a *app, v victim) bool {
		r := mutate(a, "rotateWebhookSecret", "WebhookEndpointIDInput", map[string]any{"id": v.hook}, "secret webhookEndpoint { id }")
		wantNotFound(t, r, "rotateWebhookSecret")
		if r.get(t, "rotateWebhookSecret.secret") != nil {
			t.Errorf("rotateWebhookSecret in another tenant: %s", r.Raw)
		}
		return true
	},
}

// mustNotShow fails when any hidden ID appears anywhere in the response.
func mustNotShow(t *testing.T, r result, hidden []string) {
	t.Helper()
	for _, id := range hidden {
		if strings.Contains(r.Raw, id) {
			t.Errorf("the response shows %s: %s", id, r.Raw)
		}
	}
}

// TestCrossTenant: two organizations, two accounts each, a token of every
// role. Every root field of the schema (walked, so that a new field
// without a case fails here) is tried by every token that must not reach
// the target: another organization's objects, and, for account tokens,
// another account's. Each answer is a denial or null, and no mutation
// changes the database (a digest of every table, before and after).
func TestCrossTenant(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		acme, globex := a.tenant("acme"), a.tenant("globex")

		r := a.do(`{ __schema { queryType { fields { name } } mutationType { fields { name } } subscriptionType { fields { name } } } }`, nil)
		type field struct{ op, name string }
		var fields []field
		for _, op := range []string{"queryType", "mutationType", "subscriptionType"} {
			for _, f := range r.list(t, "__schema."+op+".fields") {
				fields = append(fields, field{op, f.(map[string]any)["name"].(string)})
			}
		}
		tried := map[string]bool{}
		for _, f := range fields {
			cases, label := crossTenantQueries, "Query."+f.name
			switch f.op {
			case "mutationType":
				cases, label = crossTenantMutations, "Mutation."+f.name
			case "subscriptionType":
				cases, label = crossTenantSubscriptions, "Subscription."+f.name
			}
			try, ok := cases[f.name]
			if !ok {
				if !slices.Contains(sharedFields, label) {
					t.Errorf("%s has no cross-tenant case: add one to tenancy_test.go", label)
				}
				continue
			}
			for _, pair := range []struct {
				attackers tenant
				victim    tenant
			}{{acme, globex}, {globex, acme}} {
				for role, token := range pair.attackers.tokens {
					victims := []victim{otherOrganization(pair.victim)}
					if strings.HasPrefix(role, "ACCOUNT_") {
						victims = append(victims, otherAccount(pair.attackers))
					}
					for _, v := range victims {
						t.Run(fmt.Sprintf("%s/%s/%s", label, role, v.name), func(t *testing.T) {
							before := digest(t, a.store)
							if try(t, a.as(token).on(t), v) {
								tried[label] = true
							}
							if after := digest(t, a.store); after != before {
								t.Errorf("%s by %s changed the database", label, role)
							}
						})
					}
				}
			}
		}
		for _, f := range fields {
			label := map[string]string{"queryType": "Query.", "mutationType": "Mutation.", "subscriptionType": "Subscription."}[f.op] + f.name
			if !tried[label] && !slices.Contains(sharedFields, label) {
				t.Errorf("%s was never tried against a victim", label)
			}
		}
	})
}

// digest hashes every row of every table, but for api_tokens.last_used_at,
// which records reads.
func digest(t *testing.T, st *store.Store) string {
	t.Helper()
	db := st.DB()
	query := "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name"
	if st.Engine() == store.SQLite {
		query = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
	}
	tables := queryStrings(t, db, query)
	h := sha256.New()
	for _, table := range tables {
		rows, err := db.Query("SELECT * FROM " + table + " ORDER BY 1")
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			cells := make([]sql.RawBytes, len(cols))
			ptrs := make([]any, len(cols))
			for i := range cells {
				ptrs[i] = &cells[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(h, "%s:", table)
			for i, c := range cells {
				if cols[i] != "last_used_at" {
					fmt.Fprintf(h, "%q,", c)
				}
			}
		}
		rows.Close()
	}
	return hex.EncodeToString(h.Sum(nil))
}

func queryStrings(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// TestPointsOutOfAccountScope: to an account token, a point whose selector
// does not select its account does not exist, whatever it asks of it: the
// answers are those for an ID that names nothing, so they tell nothing.
// An integration already on such a point stays the account's to change.
func TestPointsOutOfAccountScope(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		org := a.createOrg("acme")
		prod := a.createAccount(org, "acme-prod", "PROD")
		visible := a.createPoint(org, nil)
		hidden := a.createPoint(org, map[string]any{"slug": "test-only", "name": "SecretPointName", "requiredConfig": []string{"hiddenRequiredKey"},
			"accountSelector": map[string]any{"environments": []string{"TEST"}}})
		// An integration made while the point still selected PROD accounts.
		drifting := a.createPoint(org, map[string]any{"slug": "drifting"})
		kept := a.integrate(prod, drifting, "jira", map[string]any{"project": "SEC"})
		a.do(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": drifting, "accountSelector": map[string]any{"environments": []string{"TEST"}}}})
		missing := "ipt_0000000000007000800000000000dead"

		for _, role := range []string{"ACCOUNT_ADMIN", "ACCOUNT_VIEWER"} {
			as := a.as(a.mintToken(role, prod)).on(t)
			ask := func(point string) map[string]string {
				out := map[string]string{}
				r := as.post(checkIntegration, integrationInput(prod, point, "jira", map[string]any{"project": "X"}))
				out["checkIntegration"] = outcome(t, r, "checkIntegration")
				mustNotShow(t, r, []string{"SecretPointName", "hiddenRequiredKey", "TEST"})
				r = as.post(createIntegration, integrationInput(prod, point, "jira", map[string]any{"project": "X"}))
				out["createIntegration"] = outcome(t, r, "createIntegration")
				mustNotShow(t, r, []string{"SecretPointName", "hiddenRequiredKey"})
				r = as.post(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": point, "name": "Owned"}})
				out["updateIntegrationPoint"] = outcome(t, r, "updateIntegrationPoint")
				r = as.post(`query($input: UpdateIntegrationPointInput!) { previewIntegrationPointUpdate(input: $input) { userErrors { code } } }`,
					map[string]any{"input": map[string]any{"id": point, "name": "Owned"}})
				out["previewIntegrationPointUpdate"] = outcome(t, r, "previewIntegrationPointUpdate")
				r = as.post(fmt.Sprintf(deleteMutation, "deleteIntegrationPoint"), map[string]any{"input": map[string]any{"id": point}})
				out["deleteIntegrationPoint"] = outcome(t, r, "deleteIntegrationPoint")
				r = as.do(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": point})
				out["node"] = fmt.Sprint(r.get(t, "node") != nil)
				return out
			}
			hiddenAnswers, missingAnswers, visibleAnswers := ask(hidden), ask(missing), ask(visible)
			for op, got := range hiddenAnswers {
				if got != missingAnswers[op] {
					t.Errorf("%s: %s on a point out of scope is %s, but %s on no point: an oracle", role, op, got, missingAnswers[op])
				}
			}
			if hiddenAnswers["createIntegration"] != "NOT_FOUND" || hiddenAnswers["node"] != "false" {
				t.Errorf("%s: a point out of scope: %v", role, hiddenAnswers)
			}
			if visibleAnswers["updateIntegrationPoint"] != "FORBIDDEN" || visibleAnswers["node"] != "true" {
				t.Errorf("%s: a point in scope: %v", role, visibleAnswers)
			}
			if role == "ACCOUNT_ADMIN" {
				// Its integration is still its own: judged (and refused, as the
				// point no longer selects it), and deletable.
				r := as.post(updateIntegration, map[string]any{"input": map[string]any{"id": kept, "name": "Still mine"}})
				if outcome(t, r, "updateIntegration") != "RULES_VIOLATED" || !strings.Contains(r.Raw, "ACCOUNT_NOT_IN_SCOPE") {
					t.Errorf("updating an integration whose point no longer selects the account: %s", r.Raw)
				}
				r = as.post(fmt.Sprintf(deleteMutation, "deleteIntegration"), map[string]any{"input": map[string]any{"id": kept}})
				if r.get(t, "deleteIntegration.deletedId") != kept {
					t.Errorf("deleting it: %s", r.Raw)
				}
			}
		}
	})
}
