package api

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/secrets"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/testdb"
)

const secretToken = "tok-SECRET-8c1f0e5b9a"

// TestSecretsNeverLeave: a secret goes in, is sealed at rest, is never
// returned, not even through a rule that tries to echo it, and survives
// updates that leave it out.
func TestSecretsNeverLeave(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		p := a.createPoint(w.org, map[string]any{"slug": "echo", "rules": []any{map[string]any{
			"name": "echo", "expression": "integration.config.api_token == ''", "message": "'token: ' + integration.config.api_token",
			"messageExpression": true, "enforcement": "WARN"}}})
		config := map[string]any{"project": "SEC", "site_url": "https://acme.atlassian.net", "auth_method": "api_token",
			"email": "bot@acme.example", "api_token": secretToken}
		var bodies []string
		r := a.do(createIntegration, integrationInput(w.prod, p, "jira", config))
		bodies = append(bodies, r.Raw)
		id := r.str(t, "createIntegration.integration.id")
		if r.str(t, "createIntegration.violations.0.code") != "RULE_ERROR" {
			t.Errorf("a rule reading a secret must not see it: %s", r.Raw)
		}

		const read = `query($id: ID!) { node(id: $id) { ... on Integration { config secretFields compliance { violations { message } } } } }`
		r = a.do(read, map[string]any{"id": id})
		bodies = append(bodies, r.Raw)
		if fmt.Sprint(r.list(t, "node.secretFields")) != "[api_token]" || r.get(t, "node.config.email") != "bot@acme.example" {
			t.Errorf("read: %s", r.Raw)
		}
		if _, leaked := r.get(t, "node.config").(map[string]any)["api_token"]; leaked {
			t.Errorf("config returned a secret key: %s", r.Raw)
		}

		// Leaving the secret out of an update keeps it (the schema needs it for api_token auth).
		r = a.do(updateIntegration, map[string]any{"input": map[string]any{"id": id, "config": map[string]any{
			"project": "OPS", "site_url": "https://acme.atlassian.net", "auth_method": "api_token", "email": "bot@acme.example"}}})
		bodies = append(bodies, r.Raw)
		if r.str(t, "updateIntegration.integration.config.project") != "OPS" {
			t.Fatalf("update without the secret refused: %s", r.Raw)
		}
		r = a.do(`query($slug: String!) { organization(slug: $slug) { integrations { nodes { config secretFields } } } }`, map[string]any{"slug": "acme"})
		bodies = append(bodies, r.Raw)
		if fmt.Sprint(r.list(t, "organization.integrations.nodes.0.secretFields")) != "[api_token]" {
			t.Errorf("secret lost by an update that left it out: %s", r.Raw)
		}
		bodies = append(bodies, a.do(authorize, map[string]any{"id": id}).Raw)

		for _, b := range bodies {
			if strings.Contains(b, secretToken) {
				t.Fatalf("a response contains the secret: %s", b)
			}
		}
		if where := testdb.CellsContaining(t, a.store.DB(), a.store.Engine() == store.SQLite, secretToken); len(where) > 0 {
			t.Errorf("the secret is in clear in %v", where)
		}
		if where := testdb.CellsContaining(t, a.store.DB(), a.store.Engine() == store.SQLite, "bot@acme.example"); len(where) == 0 {
			t.Error("the raw-database scan finds nothing at all: it cannot prove the secret is absent")
		}

		// An explicit null clears it.
		r = a.do(updateIntegration, map[string]any{"input": map[string]any{"id": id, "config": map[string]any{
			"project": "OPS", "api_token": nil}}})
		if r.get(t, "updateIntegration.integration") == nil {
			t.Fatalf("clearing the secret: %s", r.Raw)
		}
		r = a.do(read, map[string]any{"id": id})
		if len(r.list(t, "node.secretFields")) != 0 {
			t.Errorf("null did not clear the secret: %s", r.Raw)
		}

		pointSecretsNeverLeave(t, a, w)
	})
}

const pointSecret = "pt-SECRET-4d2a9c7e13"

// pointSecretsNeverLeave: an organization-owned credential set on a point
// (a config default at a secret path) serves every integration on it, is
// sealed at rest, never returned (not in configDefaults, effectiveConfig,
// the gate's answer, a violation, a rule's message or the audit log), and
// is kept by an update that leaves it out.
func pointSecretsNeverLeave(t *testing.T, a *app, w world) {
	var bodies []string
	defaults := []any{
		map[string]any{"provider": "jira", "path": "auth_method", "value": "api_token", "mode": "LOCKED"},
		map[string]any{"provider": "jira", "path": "email", "value": "org-bot@acme.example", "mode": "DEFAULT"},
		map[string]any{"provider": "jira", "path": "api_token", "value": pointSecret, "mode": "LOCKED"},
	}
	r := a.do(`mutation($input: CreateIntegrationPointInput!) { createIntegrationPoint(input: $input) {
		integrationPoint { id configDefaults { path value } secretFields } userErrors { code field message } } }`,
		map[string]any{"input": ticketingPoint(w.org, map[string]any{"slug": "org-credential", "configDefaults": defaults,
			"rules": []any{map[string]any{"name": "echo", "expression": "integration.config.api_token == ''",
				"message": "'token: ' + integration.config.api_token", "messageExpression": true, "enforcement": "WARN"}}})})
	bodies = append(bodies, r.Raw)
	point := r.str(t, "createIntegrationPoint.integrationPoint.id")
	if fmt.Sprint(r.list(t, "createIntegrationPoint.integrationPoint.secretFields")) != "[api_token]" ||
		len(r.list(t, "createIntegrationPoint.integrationPoint.configDefaults")) != 2 {
		t.Errorf("the point's secret: %s", r.Raw)
	}
	// The schema needs api_token for api_token auth: the point's serves.
	r = a.do(createIntegration, integrationInput(w.prod, point, "jira", map[string]any{"project": "SEC"}))
	bodies = append(bodies, r.Raw)
	id := r.str(t, "createIntegration.integration.id")
	if fmt.Sprint(r.get(t, "createIntegration.violations")) != "[map[code:RULE_ERROR enforcement:WARN field:<nil> message:"+
		r.str(t, "createIntegration.violations.0.message")+" rule:echo]]" {
		t.Errorf("an integration using the point's credential: %s", r.Raw)
	}
	r = a.do(`query($id: ID!) { node(id: $id) { ... on Integration { config effectiveConfig configSources { path source } secretFields } } }`,
		map[string]any{"id": id})
	bodies = append(bodies, r.Raw)
	if r.get(t, "node.effectiveConfig.email") != "org-bot@acme.example" || len(r.list(t, "node.secretFields")) != 0 ||
		!strings.Contains(r.Raw, `{"path":"api_token","source":"POINT_LOCKED"}`) {
		t.Errorf("effective config: %s", r.Raw)
	}
	if _, leaked := r.get(t, "node.effectiveConfig").(map[string]any)["api_token"]; leaked {
		t.Errorf("effectiveConfig returned a secret key: %s", r.Raw)
	}
	bodies = append(bodies, a.do(`query($id: ID!) { authorizeIntegrationUse(integrationId: $id) { allowed effectiveConfig violations { code } } }`,
		map[string]any{"id": id}).Raw)
	// Another token is refused without showing the point's.
	r = a.do(createIntegration, integrationInput(w.prod, point, "jira", map[string]any{"project": "SEC", "api_token": "mine"}))
	bodies = append(bodies, r.Raw)
	if r.str(t, "createIntegration.violations.0.code") != "CONFIG_LOCKED" {
		t.Errorf("overriding the point's credential: %s", r.Raw)
	}
	// An update that leaves the secret out keeps it; the preview shows nothing of it.
	keep := map[string]any{"id": point, "configDefaults": defaults[:2]}
	bodies = append(bodies, a.do(previewConfig, map[string]any{"input": keep}).Raw)
	r = a.do(`mutation($input: UpdateIntegrationPointInput!) { updateIntegrationPoint(input: $input) {
		integrationPoint { version configDefaults { path value } secretFields } userErrors { code field message } } }`,
		map[string]any{"input": map[string]any{"id": point, "configDefaults": append(defaults[:2:2],
			map[string]any{"provider": "jira", "path": "email", "value": "bot2@acme.example", "mode": "LOCKED"})}})
	bodies = append(bodies, r.Raw)
	if r.str(t, "updateIntegrationPoint.userErrors.0.code") != "INVALID_INPUT" {
		t.Errorf("two defaults for jira email: %s", r.Raw)
	}
	r = a.do(`mutation($input: UpdateIntegrationPointInput!) { updateIntegrationPoint(input: $input) {
		integrationPoint { version configDefaults { path value } secretFields } userErrors { code field message } } }`,
		map[string]any{"input": keep})
	bodies = append(bodies, r.Raw)
	if fmt.Sprint(r.list(t, "updateIntegrationPoint.integrationPoint.secretFields")) != "[api_token]" {
		t.Errorf("an update leaving the point's secret out lost it: %s", r.Raw)
	}
	r = a.do(`query($id: ID!) { organization(id: $id) { auditEvents { nodes { action changes } } } }`, map[string]any{"id": w.org})
	bodies = append(bodies, r.Raw)
	if !strings.Contains(r.Raw, `"secretDefaults":[{"mode":"LOCKED","path":"api_token","provider":"jira","value":"[REDACTED]"}]`) {
		t.Errorf("the audit log does not show the point's secret redacted: %s", r.Raw)
	}
	for _, b := range bodies {
		if strings.Contains(b, pointSecret) {
			t.Fatalf("a response contains the point's secret: %s", b)
		}
	}
	if where := testdb.CellsContaining(t, a.store.DB(), a.store.Engine() == store.SQLite, pointSecret); len(where) > 0 {
		t.Errorf("the point's secret is in clear in %v", where)
	}
	if where := testdb.CellsContaining(t, a.store.DB(), a.store.Engine() == store.SQLite, "org-bot@acme.example"); len(where) == 0 {
		t.Error("the raw-database scan finds nothing at all: it cannot prove the secret is absent")
	}
	// Null clears it: the schema then misses api_token.
	r = a.do(`mutation($input: UpdateIntegrationPointInput!) { updateIntegrationPoint(input: $input) {
		integrationPoint { secretFields } userErrors { code field message } } }`,
		map[string]any{"input": map[string]any{"id": point, "configDefaults": append(defaults[:2:2],
			map[string]any{"provider": "jira", "path": "api_token", "value": nil, "mode": "LOCKED"})}})
	if len(r.list(t, "updateIntegrationPoint.integrationPoint.secretFields")) != 0 {
		t.Errorf("null did not clear the point's secret: %s", r.Raw)
	}
	r = a.do(`query($id: ID!) { node(id: $id) { ... on Integration { compliance { violations { code field } } } } }`, map[string]any{"id": id})
	if !strings.Contains(r.Raw, `{"code":"INVALID_CONFIG","field":"config.api_token"}`) {
		t.Errorf("the integration relying on the cleared secret: %s", r.Raw)
	}
}

func TestSecretRotation(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		ctx := context.Background()
		oldKey, newKey := secrets.NewKey(), secrets.NewKey()
		open := func(keys ...[]byte) *store.Store {
			ring, err := secrets.NewKeyring(keys[0], keys[1:]...)
			if err != nil {
				t.Fatal(err)
			}
			st, err := store.Open(ctx, databaseURL, store.Options{Secrets: ring})
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		secretOf := func(st *store.Store, id string) (string, error) {
			found, err := st.Read(policy.System.Scope()).FindIntegrationsByIDs(ctx, []string{id}, store.AllColumns)
			if err != nil {
				return "", err
			}
			s, _ := found[0].Config["api_token"].(string)
			return s, nil
		}

		st := open(oldKey)
		id := seedSecret(t, st)
		delivery := seedWebhookSecret(t, st, id)
		st.Close()
		webhookSecretOf := func(st *store.Store) (string, error) {
			out, err := st.FindOutbound(ctx, delivery)
			if err != nil {
				return "", err
			}
			return out.Secret, nil
		}

		st = open(newKey, oldKey)
		n, err := st.RotateSecrets(ctx)
		if err != nil || n != 3 {
			t.Fatalf("RotateSecrets = %d, %v; want 3 (an integration's, a point's, a webhook endpoint's)", n, err)
		}
		if n, _ := st.RotateSecrets(ctx); n != 0 {
			t.Errorf("a second rotation re-sealed %d", n)
		}
		st.Close()

		st = open(newKey)
		defer st.Close()
		if got, err := secretOf(st, id); err != nil || got != secretToken {
			t.Errorf("after rotation, with the new key only: %q, %v", got, err)
		}
		found, err := st.Read(policy.System.Scope()).FindIntegrationsByIDs(ctx, []string{id}, store.AllColumns)
		if err != nil {
			t.Fatal(err)
		}
		points, err := st.Read(policy.System.Scope()).FindIntegrationPointsByIDs(ctx, []string{found[0].IntegrationPointID}, store.AllColumns)
		if err != nil || len(points) != 1 || len(points[0].SecretDefaults) != 1 || points[0].SecretDefaults[0].Value != pointSecret {
			t.Errorf("the point's secret after rotation, with the new key only: %v, %v", points, err)
		}
		if got, err := webhookSecretOf(st); err != nil || got != webhookSecret {
			t.Errorf("the webhook endpoint's secret after rotation, with the new key only: %q, %v", got, err)
		}
		stale := open(oldKey)
		defer stale.Close()
		if _, err := secretOf(stale, id); err == nil {
			t.Error("the old key alone still opens the rotated secret")
		}
		if _, err := webhookSecretOf(stale); err == nil {
			t.Error("the old key alone still opens the rotated webhook secret")
		}
	})
}

const webhookSecret = "whsec_c2VjcmV0LW9mLXRoZS1lbmRwb2ludA=="

// seedWebhookSecret stores a webhook endpoint of the integration's
// organization, with a secret, and an event delivered to it; it returns
// the delivery, whose outbound opens the secret.
func seedWebhookSecret(t *testing.T, st *store.Store, integrationID string) string {
	t.Helper()
	ctx := context.Background()
	found, err := st.Read(policy.System.Scope()).FindIntegrationsByIDs(ctx, []string{integrationID}, store.AllColumns)
	if err != nil || len(found) != 1 {
		t.Fatalf("%v %v", found, err)
	}
	now := time.Now().UTC()
	w := &domain.WebhookEndpoint{ID: domain.NewID(domain.KindWebhookEndpoint), OrganizationID: found[0].OrganizationID,
		URL: "https://hooks.example.com/", Enabled: true, CreatedAt: now, UpdatedAt: now}
	err = st.InTx(ctx, policy.Scope{All: true}, func(tx *store.Tx) error {
		if err := tx.CreateWebhookEndpoint(ctx, w, webhookSecret); err != nil {
			return err
		}
		return tx.AppendEvents(ctx, []domain.Event{{OrganizationID: w.OrganizationID, SubjectID: integrationID,
			Type: domain.EventIntegrationUpdated, OccurredAt: now}})
	})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := st.FindDeliveries(ctx, w.ID)
	if err != nil || len(ds) != 1 {
		t.Fatalf("%v %v", ds, err)
	}
	return ds[0].ID
}

// seedSecret stores one integration with a secret, through the store.
func seedSecret(t *testing.T, st *store.Store) string {
	t.Helper()
	ctx := context.Background()
	org := &domain.Organization{ID: domain.NewID(domain.KindOrganization), Slug: "o", Name: "O"}
	acc := &domain.Account{ID: domain.NewID(domain.KindAccount), OrganizationID: org.ID, Slug: "a", Name: "A", Environment: domain.EnvironmentProd, Labels: []domain.Label{}}
	point := &domain.IntegrationPoint{ID: domain.NewID(domain.KindIntegrationPoint), OrganizationID: org.ID, Slug: "p", Name: "P",
		Category: domain.CategoryTicketing, Version: 1, AllowedProviders: domain.AllowedProviders{Test: []string{}, Prod: []string{"jira"}},
		RequiredConfig: []string{}, Rules: []domain.Rule{}}
	i := &domain.Integration{ID: domain.NewID(domain.KindIntegration), OrganizationID: org.ID, AccountID: acc.ID,
		IntegrationPointID: point.ID, ProviderKey: "jira", Name: "J",
		Config:     map[string]any{"project": "SEC", "api_token": secretToken},
		Compliance: domain.Compliance{Status: domain.StatusCompliant, PointVersion: 1, Violations: []domain.Violation{}}}
	err := st.InTx(ctx, policy.System.Scope(), func(tx *store.Tx) error {
		if err := tx.CreateOrganization(ctx, org); err != nil {
			return err
		}
		if err := tx.CreateAccount(ctx, acc); err != nil {
			return err
		}
		if err := tx.CreateIntegrationPoint(ctx, point); err != nil {
			return err
		}
		if err := tx.CreateIntegration(ctx, i); err != nil {
			return err
		}
		// And an organization-owned credential on the point.
		point.SecretDefaults = []domain.ConfigDefault{{Path: "api_token", Value: pointSecret, Mode: domain.ConfigModeDefault}}
		return tx.SetPointConfigDefaults(ctx, point)
	})
	if err != nil {
		t.Fatal(err)
	}
	return i.ID
}

// TestNestedSecrets: a secret inside a config object (app.private_key) is
// sealed, hidden and kept like a top-level one.
func TestNestedSecrets(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		r := a.do(createIntegrationPoint, map[string]any{"input": map[string]any{"organizationId": w.org, "slug": "appsec",
			"name": "AppSec", "category": "APPSEC", "allowedProviders": map[string]any{"test": []string{}, "prod": []string{"github_advanced_security"}}}})
		p := r.str(t, "createIntegrationPoint.integrationPoint.id")
		const key = "-----BEGIN KEY-----nested-secret-5d2c-----END KEY-----"
		config := map[string]any{"owner": "acme", "auth_method": "github_app",
			"app": map[string]any{"app_id": 7, "installation_id": 9, "private_key": key}}
		r = a.do(createIntegration, integrationInput(w.prod, p, "github_advanced_security", config))
		id, _ := r.get(t, "createIntegration.integration.id").(string)
		if id == "" {
			t.Fatalf("create: %s", r.Raw)
		}
		const read = `query($id: ID!) { node(id: $id) { ... on Integration { config secretFields } } }`
		r = a.do(read, map[string]any{"id": id})
		if fmt.Sprint(r.list(t, "node.secretFields")) != "[app.private_key]" || r.num(t, "node.config.app.app_id") != 7 {
			t.Errorf("read: %s", r.Raw)
		}
		// Left out of an update (with the rest of app sent), it is kept: the schema requires it.
		u := a.do(updateIntegration, map[string]any{"input": map[string]any{"id": id, "config": map[string]any{
			"owner": "acme2", "auth_method": "github_app", "app": map[string]any{"app_id": 7, "installation_id": 9}}}})
		if u.get(t, "updateIntegration.integration") == nil {
			t.Fatalf("update leaving the nested secret out: %s", u.Raw)
		}
		for _, body := range []string{r.Raw, u.Raw, a.do(read, map[string]any{"id": id}).Raw} {
			if strings.Contains(body, "nested-secret-5d2c") {
				t.Fatalf("a response contains the nested secret: %s", body)
			}
		}
		if where := testdb.CellsContaining(t, a.store.DB(), a.store.Engine() == store.SQLite, "nested-secret-5d2c"); len(where) > 0 {
			t.Errorf("the nested secret is in clear in %v", where)
		}
	})
}

// TestSecretsInsideListsRefused: a secret key inside a list could not be
// kept out of responses, so it is refused, naming where, and nothing is
// written or echoed.
func TestSecretsInsideListsRefused(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		r := a.do(createIntegration, integrationInput(w.prod, w.point, "jira", map[string]any{
			"project": "SEC", "extra": []any{map[string]any{"api_token": "list-secret-7f3a"}}}))
		ue := r.list(t, "createIntegration.userErrors")
		if len(ue) != 1 || ue[0].(map[string]any)["code"] != "INVALID_INPUT" ||
			!strings.Contains(ue[0].(map[string]any)["message"].(string), "input.config.extra.0.api_token") {
			t.Errorf("want INVALID_INPUT naming input.config.extra.0.api_token: %s", r.Raw)
		}
		if strings.Contains(r.Raw, "list-secret-7f3a") || a.countIntegrations(w.org) != 0 {
			t.Errorf("the refused secret was echoed or written: %s", r.Raw)
		}
	})
}

// TestSecretOnlyUpdate: an update that changes nothing but a secret is
// written, and the audit log says which secret changed, not to what.
func TestSecretOnlyUpdate(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		config := map[string]any{"project": "SEC", "site_url": "https://acme.atlassian.net", "auth_method": "api_token",
			"email": "bot@acme.example", "api_token": "old-secret-91c2"}
		id := a.integrate(w.prod, w.point, "jira", config)
		config["api_token"] = "new-secret-4be7"
		r := a.do(updateIntegration, map[string]any{"input": map[string]any{"id": id, "config": config}})
		if len(r.list(t, "updateIntegration.userErrors")) > 0 {
			t.Fatalf("update: %s", r.Raw)
		}
		found, err := a.store.Read(policy.System.Scope()).FindIntegrationsByIDs(context.Background(), []string{id}, store.AllColumns)
		if err != nil || len(found) != 1 || found[0].Config["api_token"] != "new-secret-4be7" {
			t.Fatalf("the new secret was not stored (%v)", err)
		}
		log := a.do(`query($org: ID!, $id: ID!) { organization(id: $org) {
			auditEvents(filter: { targetId: $id, action: "updateIntegration" }) { nodes { changes } } } }`, map[string]any{"org": w.org, "id": id})
		events := log.list(t, "organization.auditEvents.nodes")
		if len(events) != 1 {
			t.Fatalf("want one updateIntegration event, got %s", log.Raw)
		}
		if changed := log.list(t, "organization.auditEvents.nodes.0.changes.secretsChanged"); len(changed) != 1 || changed[0] != "api_token" {
			t.Errorf("secretsChanged = %v, want [api_token]", changed)
		}
		if strings.Contains(log.Raw, "old-secret-91c2") || strings.Contains(log.Raw, "new-secret-4be7") || strings.Contains(r.Raw, "new-secret-4be7") {
			t.Errorf("a secret value left the API")
		}
	})
}
