package api

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestCreateIntegration(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		cfg := map[string]any{"project": "SEC"}

		t.Run("Allowed", func(t *testing.T) {
			a := a.on(t)
			r := a.do(createIntegration, integrationInput(w.prod, w.point, "jira", cfg))
			if got := r.str(t, "createIntegration.integration.compliance.status"); got != "COMPLIANT" {
				t.Errorf("status = %s, want COMPLIANT", got)
			}
			if got := r.num(t, "createIntegration.integration.compliance.pointVersion"); got != 1 {
				t.Errorf("pointVersion = %d, want 1", got)
			}
			if got := r.str(t, "createIntegration.integration.config.project"); got != "SEC" {
				t.Errorf("config.project = %q, want SEC", got)
			}
			if n := len(r.list(t, "createIntegration.userErrors")); n != 0 {
				t.Errorf("userErrors: %s", r.Raw)
			}
		})

		refused := []struct {
			name, account, provider string
			config                  map[string]any
			code, rule, field, msg  string
		}{
			{"UnknownProvider", w.prod, "jiraa", cfg, "UNKNOWN_PROVIDER", "provider", "provider", "Provider jiraa is not in the catalog"},
			{"CategoryMismatch", w.prod, "slack", cfg, "CATEGORY_MISMATCH", "category", "provider",
				"Provider slack is a NOTIFICATIONS provider; integration point Ticketing accepts TICKETING providers only"},
			{"ProviderNotAllowed", w.prod, "zendesk", cfg, "PROVIDER_NOT_ALLOWED", "allowedProviders.prod", "provider",
				"Provider zendesk is not approved for PROD accounts by integration point Ticketing; approved: jira, servicenow"},
			{"MockProviderInProd", w.prod, "mock_ticketing", cfg, "PROVIDER_NOT_ALLOWED", "allowedProviders.prod", "provider",
				"Provider mock_ticketing is not approved for PROD accounts"},
			{"MissingConfig", w.test, "mock_ticketing", map[string]any{"project": "  "}, "MISSING_CONFIG", "requiredConfig", "config.project",
				`Config key "project" is required by integration point Ticketing`},
		}
		for _, tc := range refused {
			t.Run(tc.name, func(t *testing.T) {
				a := a.on(t)
				before := a.countIntegrations(w.org)
				r := a.do(createIntegration, integrationInput(tc.account, w.point, tc.provider, tc.config))
				if r.get(t, "createIntegration.integration") != nil {
					t.Fatalf("integration written: %s", r.Raw)
				}
				v := r.list(t, "createIntegration.violations")
				if len(v) != 1 {
					t.Fatalf("want one violation, got %s", r.Raw)
				}
				if got := r.str(t, "createIntegration.violations.0.code"); got != tc.code {
					t.Errorf("code = %s, want %s", got, tc.code)
				}
				if got := r.str(t, "createIntegration.violations.0.rule"); got != tc.rule {
					t.Errorf("rule = %s, want %s", got, tc.rule)
				}
				if got := r.str(t, "createIntegration.violations.0.field"); got != tc.field {
					t.Errorf("field = %s, want %s", got, tc.field)
				}
				if got := r.str(t, "createIntegration.violations.0.message"); !strings.HasPrefix(got, tc.msg) {
					t.Errorf("message = %q, want it to start with %q", got, tc.msg)
				}
				if got := r.str(t, "createIntegration.userErrors.0.code"); got != "RULES_VIOLATED" {
					t.Errorf("userErrors[0].code = %s, want RULES_VIOLATED", got)
				}
				if after := a.countIntegrations(w.org); after != before {
					t.Errorf("integrations went from %d to %d: a refused create wrote", before, after)
				}
			})
		}

		t.Run("EveryMissingKeyReported", func(t *testing.T) {
			a := a.on(t)
			p := a.createPoint(w.org, map[string]any{"slug": "strict", "requiredConfig": []string{"project", "site_url", "token"}})
			r := a.do(createIntegration, integrationInput(w.prod, p, "jira", map[string]any{"site_url": "https://x.atlassian.net"}))
			v := r.list(t, "createIntegration.violations")
			if len(v) != 2 || r.str(t, "createIntegration.violations.0.field") != "config.project" ||
				r.str(t, "createIntegration.violations.1.field") != "config.token" {
				t.Fatalf("want MISSING_CONFIG for config.project and config.token, got %s", r.Raw)
			}
		})

		t.Run("BadInput", func(t *testing.T) {
			a := a.on(t)
			big := map[string]any{"project": strings.Repeat("x", 70<<10)}
			cases := []struct {
				name  string
				input map[string]any
				code  string
				field string
			}{
				{"ConfigNotObject", map[string]any{"accountId": w.prod, "integrationPointId": w.point, "provider": "jira", "name": "x", "config": []any{1}}, "INVALID_INPUT", "input.config"},
				{"ConfigTooLarge", map[string]any{"accountId": w.prod, "integrationPointId": w.point, "provider": "jira", "name": "x", "config": big}, "INVALID_INPUT", "input.config"},
				{"EmptyName", map[string]any{"accountId": w.prod, "integrationPointId": w.point, "provider": "jira", "name": " ", "config": cfg}, "INVALID_INPUT", "input.name"},
				{"MalformedAccountID", map[string]any{"accountId": "nope", "integrationPointId": w.point, "provider": "jira", "name": "x", "config": cfg}, "NOT_FOUND", "input.accountId"},
				{"AccountIDOfWrongType", map[string]any{"accountId": w.org, "integrationPointId": w.point, "provider": "jira", "name": "x", "config": cfg}, "NOT_FOUND", "input.accountId"},
				{"UnknownPoint", map[string]any{"accountId": w.prod, "integrationPointId": "ipt_0000000000000000000000000000abcd", "provider": "jira", "name": "x", "config": cfg}, "NOT_FOUND", "input.integrationPointId"},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					a := a.on(t)
					before := a.countIntegrations(w.org)
					r := a.do(createIntegration, map[string]any{"input": tc.input})
					if r.get(t, "createIntegration.integration") != nil {
						t.Fatalf("integration written: %s", r.Raw)
					}
					if got := r.str(t, "createIntegration.userErrors.0.code"); got != tc.code {
						t.Errorf("code = %s, want %s (%s)", got, tc.code, r.Raw)
					}
					field := r.list(t, "createIntegration.userErrors.0.field")
					if path := joinPath(field); path != tc.field {
						t.Errorf("field = %s, want %s", path, tc.field)
					}
					if a.countIntegrations(w.org) != before {
						t.Error("bad input wrote an integration")
					}
				})
			}
		})

		t.Run("PointOfAnotherOrganization", func(t *testing.T) {
			a := a.on(t)
			other := a.createOrg("other")
			otherPoint := a.createPoint(other, nil)
			r := a.do(createIntegration, integrationInput(w.prod, otherPoint, "jira", cfg))
			if got := r.str(t, "createIntegration.userErrors.0.code"); got != "NOT_FOUND" {
				t.Errorf("code = %s, want NOT_FOUND: %s", got, r.Raw)
			}
		})
	})
}

func joinPath(field []any) string {
	parts := make([]string, len(field))
	for i, f := range field {
		parts[i] = fmt.Sprint(f)
	}
	return strings.Join(parts, ".")
}

func TestCheckIntegrationWritesNothing(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		r := a.do(checkIntegration, integrationInput(w.prod, w.point, "zendesk", map[string]any{}))
		if r.get(t, "checkIntegration.allowed") != false {
			t.Errorf("allowed = true for a refused integration: %s", r.Raw)
		}
		v := r.list(t, "checkIntegration.violations")
		if len(v) != 2 || r.str(t, "checkIntegration.violations.0.code") != "PROVIDER_NOT_ALLOWED" ||
			r.str(t, "checkIntegration.violations.1.code") != "MISSING_CONFIG" {
			t.Errorf("violations: %s", r.Raw)
		}
		r = a.do(checkIntegration, integrationInput(w.prod, w.point, "jira", map[string]any{"project": "SEC"}))
		if r.get(t, "checkIntegration.allowed") != true {
			t.Errorf("allowed = false for a compliant integration: %s", r.Raw)
		}
		if n := a.countIntegrations(w.org); n != 0 {
			t.Errorf("checkIntegration wrote %d integrations", n)
		}
		r = a.do(checkIntegration, integrationInput("acc_x", w.point, "jira", nil))
		if r.get(t, "checkIntegration.allowed") != false || r.str(t, "checkIntegration.userErrors.0.code") != "NOT_FOUND" {
			t.Errorf("unknown account: %s", r.Raw)
		}
	})
}

// TestLimitReachedUnderConcurrentCreates fires more creates than the limit
// at once: exactly the limit is written, every other one is LIMIT_REACHED.
func TestLimitReachedUnderConcurrentCreates(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		const limit, attempts = 3, 12
		p := a.createPoint(w.org, map[string]any{"slug": "limited", "maxIntegrationsPerAccount": limit})
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			created int
			limited int
		)
		for i := 0; i < attempts; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := a.post(createIntegration, integrationInput(w.prod, p, "jira", map[string]any{"project": "P"}))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case len(r.Errors) > 0:
					t.Errorf("request failed: %s", r.Raw)
				case r.get(t, "createIntegration.integration") != nil:
					created++
				case r.str(t, "createIntegration.violations.0.code") == "LIMIT_REACHED":
					limited++
				default:
					t.Errorf("unexpected answer: %s", r.Raw)
				}
			}()
		}
		wg.Wait()
		if created != limit || limited != attempts-limit {
			t.Errorf("created %d and limited %d, want %d and %d", created, limited, limit, attempts-limit)
		}
		r := a.do(`query($id: ID!) { node(id: $id) { ... on IntegrationPoint { integrations { totalCount } } } }`, map[string]any{"id": p})
		if got := r.num(t, "node.integrations.totalCount"); got != limit {
			t.Errorf("stored %d integrations, want %d", got, limit)
		}
		// Another account has its own allowance.
		a.integrate(w.test, p, "jira", map[string]any{"project": "P"})
	})
}

func TestUpdateIntegration(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		id := a.integrate(w.prod, w.point, "jira", map[string]any{"project": "SEC"})

		r := a.do(updateIntegration, map[string]any{"input": map[string]any{"id": id, "config": map[string]any{"site": "x"}}})
		if r.get(t, "updateIntegration.integration") != nil || r.str(t, "updateIntegration.violations.0.code") != "MISSING_CONFIG" {
			t.Fatalf("update dropping a required key was not refused: %s", r.Raw)
		}
		r = a.do(`query($id: ID!) { node(id: $id) { ... on Integration { config name } } }`, map[string]any{"id": id})
		if r.str(t, "node.config.project") != "SEC" {
			t.Errorf("refused update changed the config: %s", r.Raw)
		}

		r = a.do(updateIntegration, map[string]any{"input": map[string]any{"id": id, "name": "Renamed", "provider": "servicenow"}})
		if r.str(t, "updateIntegration.integration.provider.key") != "servicenow" || r.str(t, "updateIntegration.integration.name") != "Renamed" {
			t.Errorf("update not applied: %s", r.Raw)
		}
		if r.str(t, "updateIntegration.integration.config.project") != "SEC" {
			t.Errorf("config left out of the update changed: %s", r.Raw)
		}

		r = a.do(updateIntegration, map[string]any{"input": map[string]any{"id": id, "config": nil}})
		if r.str(t, "updateIntegration.userErrors.0.code") != "INVALID_INPUT" {
			t.Errorf("config: null accepted: %s", r.Raw)
		}

		r = a.do(fmt.Sprintf(deleteMutation, "deleteIntegration"), map[string]any{"input": map[string]any{"id": id}})
		if r.str(t, "deleteIntegration.deletedId") != id {
			t.Errorf("delete: %s", r.Raw)
		}
		r = a.do(fmt.Sprintf(deleteMutation, "deleteIntegration"), map[string]any{"input": map[string]any{"id": id}})
		if r.get(t, "deleteIntegration.deletedId") != nil || r.str(t, "deleteIntegration.userErrors.0.code") != "NOT_FOUND" {
			t.Errorf("second delete: %s", r.Raw)
		}
	})
}
