package api

import (
	"fmt"
	"strings"
	"testing"
)

func TestOrganizations(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		a.createOrg("acme")

		r := a.do(createOrganization, map[string]any{"input": map[string]any{"slug": "acme", "name": "Again"}})
		if r.get(t, "createOrganization.organization") != nil || r.str(t, "createOrganization.userErrors.0.code") != "SLUG_TAKEN" {
			t.Errorf("duplicate slug: %s", r.Raw)
		}
		r = a.do(createOrganization, map[string]any{"input": map[string]any{"slug": "-Nope", "name": strings.Repeat("n", 201)}})
		if n := len(r.list(t, "createOrganization.userErrors")); n != 2 {
			t.Errorf("want both bad fields reported, got %s", r.Raw)
		}
		r = a.do(`{ organizations { totalCount nodes { slug } } bySlug: organization(slug: "acme") { slug } missing: organization(slug: "nope") { slug } }`, nil)
		if r.num(t, "organizations.totalCount") != 1 || r.str(t, "bySlug.slug") != "acme" || r.get(t, "missing") != nil {
			t.Errorf("organizations: %s", r.Raw)
		}
		r = a.post(`{ organization { slug } }`, nil)
		if r.errorCode(t) != "BAD_USER_INPUT" {
			t.Errorf("organization with neither id nor slug: %s", r.Raw)
		}
	})
}

func TestAccounts(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()

		t.Run("LabelsAndEnvironmentFilter", func(t *testing.T) {
			a := a.on(t)
			a.do(updateAccount, map[string]any{"input": map[string]any{"id": w.prod, "labels": []any{map[string]any{"key": "region", "value": "eu"}}}})
			r := a.do(`query($id: ID!) { node(id: $id) { ... on Organization {
				all: accounts { totalCount }
				prod: accounts(filter: { environment: PROD }) { totalCount nodes { slug labels { key value } organization { slug } } } } } }`,
				map[string]any{"id": w.org})
			if r.num(t, "node.all.totalCount") != 2 || r.num(t, "node.prod.totalCount") != 1 {
				t.Errorf("counts: %s", r.Raw)
			}
			if r.str(t, "node.prod.nodes.0.labels.0.value") != "eu" || r.str(t, "node.prod.nodes.0.organization.slug") != "acme" {
				t.Errorf("labels or organization: %s", r.Raw)
			}
		})

		t.Run("BadLabels", func(t *testing.T) {
			a := a.on(t)
			labels := make([]any, 65)
			for i := range labels {
				labels[i] = map[string]any{"key": fmt.Sprintf("k%d", i), "value": "v"}
			}
			r := a.do(updateAccount, map[string]any{"input": map[string]any{"id": w.prod, "labels": labels}})
			if r.get(t, "updateAccount.account") != nil || !strings.Contains(r.str(t, "updateAccount.userErrors.0.message"), "at most 64 labels") {
				t.Errorf("65 labels: %s", r.Raw)
			}
			r = a.do(updateAccount, map[string]any{"input": map[string]any{"id": w.prod, "labels": []any{
				map[string]any{"key": "a", "value": "1"}, map[string]any{"key": "a", "value": "2"}, map[string]any{"key": "bad key", "value": "3"}}}})
			if n := len(r.list(t, "updateAccount.userErrors")); n != 2 {
				t.Errorf("duplicate and malformed keys: %s", r.Raw)
			}
		})

		t.Run("SlugTakenInOrganizationOnly", func(t *testing.T) {
			a := a.on(t)
			r := a.do(createAccount, map[string]any{"input": map[string]any{"organizationId": w.org, "slug": "acme-prod", "name": "x", "environment": "PROD"}})
			if r.str(t, "createAccount.userErrors.0.code") != "SLUG_TAKEN" {
				t.Errorf("duplicate slug: %s", r.Raw)
			}
			other := a.createOrg("other")
			a.createAccount(other, "acme-prod", "PROD")
		})

		t.Run("UnknownOrganization", func(t *testing.T) {
			a := a.on(t)
			r := a.do(createAccount, map[string]any{"input": map[string]any{"organizationId": "org_00000000000000000000000000000000", "slug": "x", "name": "x", "environment": "PROD"}})
			if r.str(t, "createAccount.userErrors.0.code") != "NOT_FOUND" {
				t.Errorf("unknown organization: %s", r.Raw)
			}
		})

		t.Run("EnvironmentChangeRechecks", func(t *testing.T) {
			a := a.on(t)
			id := a.integrate(w.test, w.point, "mock_ticketing", map[string]any{"project": "T"})
			a.do(updateAccount, map[string]any{"input": map[string]any{"id": w.test, "environment": "PROD"}})
			r := a.do(`query($id: ID!) { node(id: $id) { ... on Integration { compliance { status violations { code } } } } }`, map[string]any{"id": id})
			if r.str(t, "node.compliance.status") != "NON_COMPLIANT" || r.str(t, "node.compliance.violations.0.code") != "PROVIDER_NOT_ALLOWED" {
				t.Errorf("mock provider in a PROD account: %s", r.Raw)
			}
			a.do(updateAccount, map[string]any{"input": map[string]any{"id": w.test, "environment": "TEST"}})
			r = a.do(`query($id: ID!) { node(id: $id) { ... on Integration { compliance { status } } } }`, map[string]any{"id": id})
			if r.str(t, "node.compliance.status") != "COMPLIANT" {
				t.Errorf("back in TEST: %s", r.Raw)
			}
		})

		t.Run("Delete", func(t *testing.T) {
			a := a.on(t)
			a.integrate(w.prod, w.point, "jira", map[string]any{"project": "P"})
			r := a.do(fmt.Sprintf(deleteMutation, "deleteAccount"), map[string]any{"input": map[string]any{"id": w.prod}})
			if r.get(t, "deleteAccount.deletedId") != nil || r.str(t, "deleteAccount.userErrors.0.code") != "HAS_INTEGRATIONS" {
				t.Errorf("account with integrations deleted: %s", r.Raw)
			}
			empty := a.createAccount(w.org, "empty", "TEST")
			r = a.do(fmt.Sprintf(deleteMutation, "deleteAccount"), map[string]any{"input": map[string]any{"id": empty}})
			if r.str(t, "deleteAccount.deletedId") != empty {
				t.Errorf("delete: %s", r.Raw)
			}
			r = a.do(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": empty})
			if r.get(t, "node") != nil {
				t.Errorf("deleted account still found: %s", r.Raw)
			}
			r = a.do(fmt.Sprintf(deleteMutation, "deleteAccount"), map[string]any{"input": map[string]any{"id": w.point}})
			if r.str(t, "deleteAccount.userErrors.0.code") != "NOT_FOUND" || !strings.Contains(r.str(t, "deleteAccount.userErrors.0.message"), "integration point") {
				t.Errorf("point ID given to deleteAccount: %s", r.Raw)
			}
		})
	})
}
