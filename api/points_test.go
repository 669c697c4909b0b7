package api

import (
	"fmt"
	"strings"
	"testing"
)

// TestRuleChangeMarksDrift: tightening a point's rules keeps the existing
// integrations, marks those that no longer comply, and makes them findable.
func TestRuleChangeMarksDrift(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		jira := a.integrate(w.prod, w.point, "jira", map[string]any{"project": "SEC"})
		snow := a.integrate(w.prod, w.point, "servicenow", map[string]any{"project": "OPS", "table": "incident"})
		mock := a.integrate(w.test, w.point, "mock_ticketing", map[string]any{"project": "T"})

		r := a.do(updateIntegrationPoint, map[string]any{"input": map[string]any{
			"id": w.point, "expectedVersion": 1,
			"allowedProviders": map[string]any{"test": []string{"jira", "mock_ticketing"}, "prod": []string{"jira"}},
			"requiredConfig":   []string{"project", "table"},
		}})
		if got := r.num(t, "updateIntegrationPoint.integrationPoint.version"); got != 2 {
			t.Fatalf("version = %d, want 2: %s", got, r.Raw)
		}

		status := func(id string) (string, []string) {
			r := a.do(`query($id: ID!) { node(id: $id) { ... on Integration { compliance { status pointVersion violations { code field } } } } }`,
				map[string]any{"id": id})
			if v := r.num(t, "node.compliance.pointVersion"); v != 2 {
				t.Errorf("%s checked against version %d, want 2", id, v)
			}
			var codes []string
			for i := range r.list(t, "node.compliance.violations") {
				codes = append(codes, r.str(t, fmt.Sprintf("node.compliance.violations.%d.code", i))+" "+
					r.str(t, fmt.Sprintf("node.compliance.violations.%d.field", i)))
			}
			return r.str(t, "node.compliance.status"), codes
		}
		if s, v := status(jira); s != "NON_COMPLIANT" || strings.Join(v, ",") != "MISSING_CONFIG config.table" {
			t.Errorf("jira: %s %v, want NON_COMPLIANT [MISSING_CONFIG config.table]", s, v)
		}
		if s, v := status(snow); s != "NON_COMPLIANT" || strings.Join(v, ",") != "PROVIDER_NOT_ALLOWED provider" {
			t.Errorf("servicenow: %s %v, want NON_COMPLIANT [PROVIDER_NOT_ALLOWED provider]", s, v)
		}
		if s, v := status(mock); s != "NON_COMPLIANT" || strings.Join(v, ",") != "MISSING_CONFIG config.table" {
			t.Errorf("mock: %s %v", s, v)
		}

		r = a.do(`query($id: ID!) { node(id: $id) { ... on Organization {
			nonCompliant: integrations(filter: { complianceStatus: NON_COMPLIANT }) { totalCount }
			compliant: integrations(filter: { complianceStatus: COMPLIANT }) { totalCount }
			prodJira: integrations(filter: { accountId: "`+w.prod+`", providerKey: "jira" }) { totalCount nodes { id } } } } }`,
			map[string]any{"id": w.org})
		if r.num(t, "node.nonCompliant.totalCount") != 3 || r.num(t, "node.compliant.totalCount") != 0 {
			t.Errorf("filters by status: %s", r.Raw)
		}
		if r.num(t, "node.prodJira.totalCount") != 1 || r.str(t, "node.prodJira.nodes.0.id") != jira {
			t.Errorf("filter by account and provider: %s", r.Raw)
		}

		// Loosening again brings them back.
		r = a.do(updateIntegrationPoint, map[string]any{"input": map[string]any{
			"id": w.point, "requiredConfig": []string{"project"},
			"allowedProviders": map[string]any{"test": []string{"mock_ticketing"}, "prod": []string{"jira", "servicenow"}},
		}})
		if got := r.num(t, "updateIntegrationPoint.integrationPoint.version"); got != 3 {
			t.Fatalf("version = %d, want 3", got)
		}
		for _, id := range []string{jira, snow, mock} {
			r := a.do(`query($id: ID!) { node(id: $id) { ... on Integration { compliance { status pointVersion } } } }`, map[string]any{"id": id})
			if r.str(t, "node.compliance.status") != "COMPLIANT" || r.num(t, "node.compliance.pointVersion") != 3 {
				t.Errorf("%s after loosening: %s", id, r.Raw)
			}
		}
	})
}

// TestLoweredLimitFlagsNewest: lowering maxIntegrationsPerAccount keeps the
// oldest integrations compliant and flags the newest.
func TestLoweredLimitFlagsNewest(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		ids := []string{
			a.integrate(w.prod, w.point, "jira", map[string]any{"project": "A"}),
			a.integrate(w.prod, w.point, "jira", map[string]any{"project": "B"}),
			a.integrate(w.prod, w.point, "jira", map[string]any{"project": "C"}),
		}
		a.integrate(w.test, w.point, "jira", map[string]any{"project": "T"})
		a.do(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": w.point, "maxIntegrationsPerAccount": 2}})
		for i, id := range ids {
			r := a.do(`query($id: ID!) { node(id: $id) { ... on Integration { compliance { status violations { code } } } } }`, map[string]any{"id": id})
			want := "COMPLIANT"
			if i == 2 {
				want = "NON_COMPLIANT"
			}
			if got := r.str(t, "node.compliance.status"); got != want {
				t.Errorf("integration %d: %s, want %s (%s)", i, got, want, r.Raw)
			}
		}
		r := a.do(`query($id: ID!) { node(id: $id) { ... on Organization { integrations(filter: {complianceStatus: NON_COMPLIANT}) { totalCount } } } }`,
			map[string]any{"id": w.org})
		if got := r.num(t, "node.integrations.totalCount"); got != 1 {
			t.Errorf("%d non-compliant, want 1 (the TEST account is under its limit)", got)
		}
	})
}

func TestUpdateIntegrationPoint(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		a.integrate(w.prod, w.point, "jira", map[string]any{"project": "SEC"})

		t.Run("StaleExpectedVersion", func(t *testing.T) {
			a := a.on(t)
			r := a.do(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": w.point, "expectedVersion": 7, "requiredConfig": []string{}}})
			if r.get(t, "updateIntegrationPoint.integrationPoint") != nil || r.str(t, "updateIntegrationPoint.userErrors.0.code") != "VERSION_CONFLICT" {
				t.Fatalf("stale expectedVersion accepted: %s", r.Raw)
			}
			r = a.do(`query($id: ID!) { node(id: $id) { ... on IntegrationPoint { version requiredConfig } } }`, map[string]any{"id": w.point})
			if r.num(t, "node.version") != 1 || len(r.list(t, "node.requiredConfig")) != 1 {
				t.Errorf("refused update changed the point: %s", r.Raw)
			}
		})

		t.Run("RenameKeepsVersion", func(t *testing.T) {
			a := a.on(t)
			r := a.do(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": w.point, "expectedVersion": 1, "name": "Tickets", "description": "Where findings go"}})
			if r.num(t, "updateIntegrationPoint.integrationPoint.version") != 1 {
				t.Errorf("a rename raised the version: %s", r.Raw)
			}
		})

		t.Run("RemoveLimitWithNull", func(t *testing.T) {
			a := a.on(t)
			a.do(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": w.point, "maxIntegrationsPerAccount": 4}})
			r := a.do(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": w.point, "maxIntegrationsPerAccount": nil}})
			if r.get(t, "updateIntegrationPoint.integrationPoint.maxIntegrationsPerAccount") != nil {
				t.Errorf("null did not remove the limit: %s", r.Raw)
			}
			r = a.do(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": w.point, "name": "Ticketing"}})
			if r.get(t, "updateIntegrationPoint.integrationPoint.maxIntegrationsPerAccount") != nil {
				t.Errorf("leaving the limit out changed it: %s", r.Raw)
			}
		})

		t.Run("CategoryMustFitProviders", func(t *testing.T) {
			a := a.on(t)
			r := a.do(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": w.point, "category": "SIEM"}})
			if r.str(t, "updateIntegrationPoint.userErrors.0.code") != "INVALID_INPUT" ||
				joinPath(r.list(t, "updateIntegrationPoint.userErrors.0.field")) != "input.allowedProviders.test.0" {
				t.Errorf("category change leaving TICKETING providers accepted: %s", r.Raw)
			}
		})

		t.Run("DeleteWithIntegrations", func(t *testing.T) {
			a := a.on(t)
			r := a.do(fmt.Sprintf(deleteMutation, "deleteIntegrationPoint"), map[string]any{"input": map[string]any{"id": w.point}})
			if r.get(t, "deleteIntegrationPoint.deletedId") != nil || r.str(t, "deleteIntegrationPoint.userErrors.0.code") != "HAS_INTEGRATIONS" {
				t.Errorf("point with integrations deleted: %s", r.Raw)
			}
			empty := a.createPoint(w.org, map[string]any{"slug": "empty"})
			r = a.do(fmt.Sprintf(deleteMutation, "deleteIntegrationPoint"), map[string]any{"input": map[string]any{"id": empty}})
			if r.str(t, "deleteIntegrationPoint.deletedId") != empty {
				t.Errorf("empty point not deleted: %s", r.Raw)
			}
		})
	})
}

func TestCreateIntegrationPointBadInput(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		r := a.do(createIntegrationPoint, map[string]any{"input": ticketingPoint(w.org, map[string]any{
			"slug": "Bad Slug", "name": "",
			"allowedProviders":          map[string]any{"test": []string{"jira", "jira"}, "prod": []string{"nope", "slack", "mock_ticketing"}},
			"requiredConfig":            []string{"project", "project"},
			"maxIntegrationsPerAccount": 0,
		})})
		if r.get(t, "createIntegrationPoint.integrationPoint") != nil {
			t.Fatalf("written: %s", r.Raw)
		}
		var got []string
		for i := range r.list(t, "createIntegrationPoint.userErrors") {
			got = append(got, joinPath(r.list(t, fmt.Sprintf("createIntegrationPoint.userErrors.%d.field", i))))
		}
		want := []string{"input.slug", "input.name", "input.allowedProviders.test.1", "input.allowedProviders.prod.0",
			"input.allowedProviders.prod.1", "input.allowedProviders.prod.2", "input.requiredConfig.1", "input.maxIntegrationsPerAccount"}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("fields of userErrors:\n got %v\nwant %v\n%s", got, want, r.Raw)
		}
		r = a.do(createIntegrationPoint, map[string]any{"input": ticketingPoint(w.org, nil)})
		if r.str(t, "createIntegrationPoint.userErrors.0.code") != "SLUG_TAKEN" {
			t.Errorf("duplicate slug: %s", r.Raw)
		}
		r = a.do(`query($id: ID!) { node(id: $id) { ... on Organization { integrationPoints { totalCount } } } }`, map[string]any{"id": w.org})
		if r.num(t, "node.integrationPoints.totalCount") != 1 {
			t.Errorf("refused creates wrote points: %s", r.Raw)
		}
	})
}
