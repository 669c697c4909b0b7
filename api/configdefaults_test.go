package api

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

const integrationConfigRead = `query($id: ID!) { node(id: $id) { ... on Integration {
	config effectiveConfig configSources { path source } compliance { status violations { code enforcement } } } } }`

// jiraLocked is a Ticketing point input whose defaults lock Jira's site,
// give every provider a default project and recommend an issue type.
func jiraLocked(orgID string) map[string]any {
	return ticketingPoint(orgID, map[string]any{"slug": "inherit", "configDefaults": []any{
		map[string]any{"provider": "jira", "path": "site_url", "value": "https://acme.atlassian.net", "mode": "LOCKED"},
		map[string]any{"path": "project", "value": "SEC", "mode": "DEFAULT"},
		map[string]any{"provider": "jira", "path": "issue_type", "value": "Bug", "mode": "RECOMMENDED"},
	}})
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestConfigInheritance: an organization locks site_url for Jira; an
// account's integration inherits it and an override is refused with
// CONFIG_LOCKED; a RECOMMENDED value overridden gives a WARN; a required
// key is satisfied by a DEFAULT; the gate returns the effective config.
func TestConfigInheritance(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		r := a.do(`mutation($input: CreateIntegrationPointInput!) { createIntegrationPoint(input: $input) {
			integrationPoint { id version configDefaults { provider { key } path value mode } secretFields }
			userErrors { code field message } } }`, map[string]any{"input": jiraLocked(w.org)})
		point := r.str(t, "createIntegrationPoint.integrationPoint.id")
		if got := asJSON(t, r.get(t, "createIntegrationPoint.integrationPoint.configDefaults")); got !=
			`[{"mode":"LOCKED","path":"site_url","provider":{"key":"jira"},"value":"https://acme.atlassian.net"},`+
				`{"mode":"DEFAULT","path":"project","provider":null,"value":"SEC"},`+
				`{"mode":"RECOMMENDED","path":"issue_type","provider":{"key":"jira"},"value":"Bug"}]` {
			t.Errorf("configDefaults: %s", got)
		}

		// Inherits: nothing set, the required project comes from the point.
		id := a.integrate(w.prod, point, "jira", map[string]any{})
		r = a.do(integrationConfigRead, map[string]any{"id": id})
		if got := asJSON(t, r.get(t, "node.config")); got != `{}` {
			t.Errorf("config: %s", got)
		}
		if got := asJSON(t, r.get(t, "node.effectiveConfig")); got != `{"issue_type":"Bug","project":"SEC","site_url":"https://acme.atlassian.net"}` {
			t.Errorf("effectiveConfig: %s", got)
		}
		if got := asJSON(t, r.get(t, "node.configSources")); got !=
			`[{"path":"issue_type","source":"POINT_RECOMMENDED"},{"path":"project","source":"POINT_DEFAULT"},{"path":"site_url","source":"POINT_LOCKED"}]` {
			t.Errorf("configSources: %s", got)
		}
		if r.str(t, "node.compliance.status") != "COMPLIANT" {
			t.Errorf("compliance: %s", r.Raw)
		}

		// An override of the locked site is refused, naming the point and the value.
		r = a.do(createIntegration, integrationInput(w.prod, point, "jira", map[string]any{"site_url": "https://evil.atlassian.net"}))
		if r.get(t, "createIntegration.integration") != nil || r.str(t, "createIntegration.violations.0.code") != "CONFIG_LOCKED" ||
			r.str(t, "createIntegration.violations.0.field") != "config.site_url" ||
			r.str(t, "createIntegration.violations.0.message") != `Config key "site_url" is locked by integration point Ticketing to "https://acme.atlassian.net"; leave it out or set that value` {
			t.Errorf("locked override: %s", r.Raw)
		}
		r = a.do(updateIntegration, map[string]any{"input": map[string]any{"id": id, "config": map[string]any{"site_url": "https://evil.atlassian.net"}}})
		if r.get(t, "updateIntegration.integration") != nil || r.str(t, "updateIntegration.violations.0.code") != "CONFIG_LOCKED" {
			t.Errorf("locked override on update: %s", r.Raw)
		}
		r = a.do(checkIntegration, integrationInput(w.prod, point, "jira", map[string]any{"site_url": "https://evil.atlassian.net"}))
		if r.get(t, "checkIntegration.allowed") != false || r.str(t, "checkIntegration.violations.0.code") != "CONFIG_LOCKED" {
			t.Errorf("check: %s", r.Raw)
		}
		// The same value is fine; servicenow is not bound by Jira's lock.
		a.integrate(w.prod, point, "jira", map[string]any{"site_url": "https://acme.atlassian.net", "project": "OPS"})

		// A RECOMMENDED value overridden: allowed, with a WARN.
		r = a.do(createIntegration, integrationInput(w.prod, point, "jira", map[string]any{"issue_type": "Task"}))
		if r.get(t, "createIntegration.integration") == nil || r.str(t, "createIntegration.violations.0.code") != "CONFIG_NOT_RECOMMENDED" ||
			r.str(t, "createIntegration.violations.0.enforcement") != "WARN" ||
			r.str(t, "createIntegration.integration.compliance.status") != "WARNING" {
			t.Errorf("recommended override: %s", r.Raw)
		}
		warned := r.str(t, "createIntegration.integration.id")
		r = a.do(integrationConfigRead, map[string]any{"id": warned})
		if got := asJSON(t, r.get(t, "node.configSources")); got !=
			`[{"path":"issue_type","source":"INTEGRATION"},{"path":"project","source":"POINT_DEFAULT"},{"path":"site_url","source":"POINT_LOCKED"}]` {
			t.Errorf("configSources of an override: %s", got)
		}

		// The gate answers with the effective config.
		r = a.do(`query($id: ID!) { authorizeIntegrationUse(integrationId: $id) { allowed effectiveConfig } }`, map[string]any{"id": id})
		if r.get(t, "authorizeIntegrationUse.allowed") != true ||
			asJSON(t, r.get(t, "authorizeIntegrationUse.effectiveConfig")) != `{"issue_type":"Bug","project":"SEC","site_url":"https://acme.atlassian.net"}` {
			t.Errorf("gate: %s", r.Raw)
		}
		r = a.do(`query { authorizeIntegrationUse(integrationId: "int_00000000000000000000000000000000") { allowed effectiveConfig } }`, nil)
		if r.get(t, "authorizeIntegrationUse.effectiveConfig") != nil {
			t.Errorf("gate, unknown ID: %s", r.Raw)
		}
	})
}

const previewConfig = `query($input: UpdateIntegrationPointInput!) { previewIntegrationPointUpdate(input: $input) {
	newVersion toNonCompliant toWarning toCompliant unchanged configChanged
	changes { nodes { integration { id } before after effectiveConfigChanged effectiveConfig violations { code } } }
	userErrors { code field message } } }`

// TestConfigDefaultChange: a change of a default is a rule change: a new
// version, previewed exactly, every integration re-checked and the drift
// shown, with no write for those whose result stays.
func TestConfigDefaultChange(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		r := a.do(createIntegrationPoint, map[string]any{"input": jiraLocked(w.org)})
		point := r.str(t, "createIntegrationPoint.integrationPoint.id")
		inherits := a.integrate(w.prod, point, "jira", map[string]any{})
		own := a.integrate(w.prod, point, "jira", map[string]any{"project": "OPS"})
		sn := a.integrate(w.prod, point, "servicenow", map[string]any{"instance_url": "https://acme.service-now.com"})

		// The default project becomes blank: the schema refuses it alone, so
		// the save does; a blank project must not reach any integration.
		change := map[string]any{"id": point, "configDefaults": []any{
			map[string]any{"provider": "jira", "path": "site_url", "value": "https://acme.atlassian.net", "mode": "LOCKED"},
			map[string]any{"provider": "jira", "path": "project", "value": "", "mode": "DEFAULT"},
		}}
		r = a.do(previewConfig, map[string]any{"input": change})
		if r.str(t, "previewIntegrationPointUpdate.userErrors.0.code") != "INVALID_INPUT" ||
			!strings.Contains(r.str(t, "previewIntegrationPointUpdate.userErrors.0.message"), "config default 1 (jira, project)") {
			t.Errorf("a default the schema refuses: %s", r.Raw)
		}

		// Jira's site moves; the project default goes: the inheriting Jira
		// integration drifts (its required project is gone), the one with its
		// own project only gets the new site; ServiceNow loses its default project.
		change = map[string]any{"id": point, "configDefaults": []any{
			map[string]any{"provider": "jira", "path": "site_url", "value": "https://acme-eu.atlassian.net", "mode": "LOCKED"},
		}}
		preview := a.do(previewConfig, map[string]any{"input": change})
		p := "previewIntegrationPointUpdate."
		if preview.num(t, p+"newVersion") != 2 || preview.num(t, p+"toNonCompliant") != 2 || preview.num(t, p+"unchanged") != 1 ||
			preview.num(t, p+"configChanged") != 3 || len(preview.list(t, p+"changes.nodes")) != 3 {
			t.Fatalf("preview: %s", preview.Raw)
		}
		byID := map[string]map[string]any{}
		for _, n := range preview.list(t, p+"changes.nodes") {
			n := n.(map[string]any)
			byID[n["integration"].(map[string]any)["id"].(string)] = n
		}
		if got := asJSON(t, byID[inherits]["effectiveConfig"]); got != `{"site_url":"https://acme-eu.atlassian.net"}` || byID[inherits]["after"] != "NON_COMPLIANT" {
			t.Errorf("inheriting: %v", byID[inherits])
		}
		if got := asJSON(t, byID[own]["effectiveConfig"]); got != `{"project":"OPS","site_url":"https://acme-eu.atlassian.net"}` ||
			byID[own]["after"] != "COMPLIANT" || byID[own]["effectiveConfigChanged"] != true {
			t.Errorf("own project: %v", byID[own])
		}
		if byID[sn]["after"] != "NON_COMPLIANT" {
			t.Errorf("servicenow: %v", byID[sn])
		}

		// The one whose result stays is not written: its checkedAt and updatedAt stay.
		const stamps = `query($id: ID!) { node(id: $id) { ... on Integration { updatedAt compliance { checkedAt } } } }`
		ownBefore := a.do(stamps, map[string]any{"id": own}).Raw
		r = a.do(`mutation($input: UpdateIntegrationPointInput!) { updateIntegrationPoint(input: $input) {
			integrationPoint { version versions { nodes { version configDefaults { path value } } } } userErrors { code } } }`, map[string]any{"input": change})
		if r.num(t, "updateIntegrationPoint.integrationPoint.version") != 2 ||
			asJSON(t, r.get(t, "updateIntegrationPoint.integrationPoint.versions.nodes.1.configDefaults")) != `[{"path":"site_url","value":"https://acme-eu.atlassian.net"}]` ||
			len(r.list(t, "updateIntegrationPoint.integrationPoint.versions.nodes.0.configDefaults")) != 3 {
			t.Fatalf("update: %s", r.Raw)
		}
		if ownAfter := a.do(stamps, map[string]any{"id": own}).Raw; ownAfter != ownBefore {
			t.Errorf("an integration whose result stays was written: %s, then %s", ownBefore, ownAfter)
		}
		// Exactly as previewed.
		for id, want := range map[string]string{inherits: "NON_COMPLIANT", own: "COMPLIANT", sn: "NON_COMPLIANT"} {
			r = a.do(integrationConfigRead, map[string]any{"id": id})
			if r.str(t, "node.compliance.status") != want {
				t.Errorf("%s: %s", id, r.Raw)
			}
			if id == own && asJSON(t, r.get(t, "node.effectiveConfig")) != asJSON(t, byID[own]["effectiveConfig"]) {
				t.Errorf("effective config not as previewed: %s", r.Raw)
			}
			if id == own && asJSON(t, r.get(t, "node.config")) != `{"project":"OPS"}` {
				t.Errorf("the override was rewritten: %s", r.Raw)
			}
		}
		r = a.do(`query($id: ID!) { node(id: $id) { ... on IntegrationPoint { integrations(filter: { complianceStatus: NON_COMPLIANT }) { totalCount } } } }`,
			map[string]any{"id": point})
		if r.num(t, "node.integrations.totalCount") != 2 {
			t.Errorf("drift: %s", r.Raw)
		}
		// The same defaults again: no new version.
		r = a.do(`mutation($input: UpdateIntegrationPointInput!) { updateIntegrationPoint(input: $input) { integrationPoint { version } } }`,
			map[string]any{"input": change})
		if r.num(t, "updateIntegrationPoint.integrationPoint.version") != 2 {
			t.Errorf("same defaults: %s", r.Raw)
		}
	})
}

// TestConfigDefaultsRefused: bad defaults are user errors naming the
// default, and nothing is saved.
func TestConfigDefaultsRefused(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		cases := []struct {
			name     string
			defaults []any
			field    string
			message  string
		}{
			{"breaks the schema alone", []any{map[string]any{"provider": "jira", "path": "site_url", "value": "ftp://x", "mode": "LOCKED"}},
				"input.configDefaults.0.value", "config default 0 (jira, site_url) does not fit provider jira"},
			{"twice", []any{map[string]any{"path": "project", "value": "A", "mode": "DEFAULT"}, map[string]any{"path": "project", "value": "B", "mode": "LOCKED"}},
				"input.configDefaults.1.path", "same provider and path as config default 0"},
			{"provider not approved", []any{map[string]any{"provider": "zendesk", "path": "project", "value": "A", "mode": "DEFAULT"}},
				"input.configDefaults.0.provider", "does not approve in any environment"},
			{"unknown provider", []any{map[string]any{"provider": "nope", "path": "project", "value": "A", "mode": "DEFAULT"}},
				"input.configDefaults.0.provider", "not in the catalog"},
			{"bad path", []any{map[string]any{"path": "a..b", "value": "A", "mode": "DEFAULT"}},
				"input.configDefaults.0.path", "bad path"},
			{"null", []any{map[string]any{"path": "project", "value": nil, "mode": "DEFAULT"}},
				"input.configDefaults.0.value", "null value"},
			{"inside another", []any{map[string]any{"path": "mapping", "value": map[string]any{"a": "b"}, "mode": "DEFAULT"},
				map[string]any{"path": "mapping.severity", "value": "high", "mode": "DEFAULT"}},
				"input.configDefaults.1.path", "inside the path of config default 0"},
		}
		for _, c := range cases {
			r := a.do(createIntegrationPoint, map[string]any{"input": ticketingPoint(w.org, map[string]any{"slug": "x", "configDefaults": c.defaults})})
			if r.get(t, "createIntegrationPoint.integrationPoint") != nil || r.str(t, "createIntegrationPoint.userErrors.0.code") != "INVALID_INPUT" ||
				strings.Join(strs(r.list(t, "createIntegrationPoint.userErrors.0.field")), ".") != c.field ||
				!strings.Contains(r.str(t, "createIntegrationPoint.userErrors.0.message"), c.message) {
				t.Errorf("%s: %s", c.name, r.Raw)
			}
			r = a.do(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": w.point, "configDefaults": c.defaults}})
			if r.get(t, "updateIntegrationPoint.integrationPoint") != nil || r.str(t, "updateIntegrationPoint.userErrors.0.code") != "INVALID_INPUT" {
				t.Errorf("%s, update: %s", c.name, r.Raw)
			}
		}
		// Nothing saved: the point is still at version 1, without defaults.
		r := a.do(`query($id: ID!) { node(id: $id) { ... on IntegrationPoint { version configDefaults { path } } } }`, map[string]any{"id": w.point})
		if r.num(t, "node.version") != 1 || len(r.list(t, "node.configDefaults")) != 0 {
			t.Errorf("saved: %s", r.Raw)
		}
		if n := a.countPoints(w.org); n != 1 {
			t.Errorf("%d points", n)
		}
		// Dropping a provider a default names is refused too.
		r = a.do(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": w.point, "configDefaults": []any{
			map[string]any{"provider": "servicenow", "path": "instance_url", "value": "https://acme.service-now.com", "mode": "LOCKED"}}}})
		if len(r.list(t, "updateIntegrationPoint.userErrors")) != 0 {
			t.Fatalf("%s", r.Raw)
		}
		r = a.do(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": w.point,
			"allowedProviders": map[string]any{"test": []string{"jira"}, "prod": []string{"jira"}}}})
		if r.str(t, "updateIntegrationPoint.userErrors.0.code") != "INVALID_INPUT" ||
			!reflect.DeepEqual(strs(r.list(t, "updateIntegrationPoint.userErrors.0.field")), []string{"input", "configDefaults", "provider"}) {
			t.Errorf("provider dropped under a default: %s", r.Raw)
		}
	})
}

func strs(list []any) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = fmt.Sprint(v)
	}
	return out
}

func (a *app) countPoints(orgID string) int {
	a.t.Helper()
	r := a.do(`query($id: ID!) { node(id: $id) { ... on Organization { integrationPoints { totalCount } } } }`, map[string]any{"id": orgID})
	return r.num(a.t, "node.integrationPoints.totalCount")
}

// TestDemoInheritance: the demo's Ticketing point locks Jira's site and
// gives a default project, and its Jira integration overrides a
// RECOMMENDED value, as the README shows (its "Configuration inheritance"
// example and answer).
func TestDemoInheritance(t *testing.T) {
	t.Parallel()
	graphql, answers := readmeBlocks(t)
	eachBackend(t, func(t *testing.T, a *app) {
		a = a.withDemo()
		a = a.as(a.demo.OrgAdmin)
		r := a.do(graphql[2], nil)
		var want any
		if err := json.Unmarshal([]byte(answers[1]), &want); err != nil {
			t.Fatal(err)
		}
		if got := asJSON(t, r.Data); got != asJSON(t, want) {
			t.Errorf("demo inheritance:\n got %s\nwant %s", got, asJSON(t, want))
		}
	})
}
