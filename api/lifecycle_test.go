package api

import (
	"fmt"
	"strings"
	"testing"
)

// The lifecycle of integrations: disabled by a person, suspended and
// resumed by their point (onViolation: SUSPEND), and the use-time gate
// refusing both.

const (
	lifecycleQuery = `query($id: ID!) { node(id: $id) { ... on Integration {
		id status statusReason statusChangedAt createdAt compliance { status } } } }`
	disableIntegration = `mutation($input: DisableIntegrationInput!) { disableIntegration(input: $input) {
		integration { id status statusReason statusChangedAt }
		violations { code enforcement } userErrors { code field message } } }`
	enableIntegration = `mutation($input: EnableIntegrationInput!) { enableIntegration(input: $input) {
		integration { id status statusReason statusChangedAt }
		violations { code enforcement } userErrors { code field message } } }`
	lifecyclePreview = `query($input: UpdateIntegrationPointInput!) { previewIntegrationPointUpdate(input: $input) {
		newVersion toNonCompliant toSuspended toResumed unchanged
		changes(first: 100) { nodes { integration { id } before after statusBefore statusAfter } }
		userErrors { code message } } }`
	lifecycleSummary = `query($org: ID!, $point: ID!) {
		org: node(id: $org) { ... on Organization {
			complianceSummary { total compliant warning nonCompliant active disabled suspended }
			suspended: integrations(filter: { status: SUSPENDED }) { totalCount nodes { id status } }
			disabled: integrations(filter: { status: DISABLED }) { totalCount nodes { id } }
			active: integrations(filter: { status: ACTIVE, complianceStatus: COMPLIANT }) { totalCount nodes { id } } } }
		point: node(id: $point) { ... on IntegrationPoint { onViolation version
			complianceSummary { total active disabled suspended }
			integrations(filter: { status: SUSPENDED }) { nodes { id statusReason } } } } }`
)

var noSEC = []any{rule("no-sec", `integration.config.project != 'SEC'`, "SEC is frozen", "DENY")}

// status reads an integration's lifecycle status and compliance status.
func (a *app) status(id string) (string, string) {
	a.t.Helper()
	r := a.do(lifecycleQuery, map[string]any{"id": id})
	return r.str(a.t, "node.status"), r.str(a.t, "node.compliance.status")
}

func (a *app) wantStatus(id, status, compliance string) {
	a.t.Helper()
	if s, c := a.status(id); s != status || c != compliance {
		a.t.Errorf("%s: %s and %s, want %s and %s", id, s, c, status, compliance)
	}
}

// lifecycleEvents are the organization's events of one action on target,
// newest first.
func (a *app) lifecycleEvents(org, target, action string) []map[string]any {
	a.t.Helper()
	_, events := a.auditEvents(org, map[string]any{"targetId": target, "action": action})
	return events
}

// wantSystemEvent checks that target has exactly n events of action, by
// Pointguard itself, the newest with the status after.
func (a *app) wantSystemEvent(org, target, action string, n int, after string) {
	a.t.Helper()
	events := a.lifecycleEvents(org, target, action)
	if len(events) != n {
		a.t.Fatalf("%s of %s: %d events, want %d: %v", action, target, len(events), n, events)
	}
	e := events[0]
	if jsonAt(e, "actor.tokenId") != nil || jsonAt(e, "actor.name") != "pointguard" || jsonAt(e, "target.type") != "Integration" ||
		jsonAt(e, "changes.after.status") != after {
		a.t.Errorf("%s event: %v", action, e)
	}
}

func suspendingPoint(org string, overrides map[string]any) map[string]any {
	in := ticketingPoint(org, map[string]any{"slug": "suspending", "onViolation": "SUSPEND"})
	for k, v := range overrides {
		in[k] = v
	}
	return in
}

// TestSuspendOnRuleChange: a rule change that breaks an integration on a
// SUSPEND point suspends it in the same transaction, as the preview said;
// the gate refuses it; the filter and the summaries count it; a later
// change that makes it comply (of the rules, or of the integration)
// resumes it; each suspension and resumption is Pointguard's own event.
func TestSuspendOnRuleChange(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		point := a.createPoint(w.org, suspendingPoint(w.org, nil))
		sec := a.integrate(w.prod, point, "jira", map[string]any{"project": "SEC"})
		ops := a.integrate(w.prod, point, "jira", map[string]any{"project": "OPS"})
		kept := a.integrate(w.prod, w.point, "jira", map[string]any{"project": "SEC"}) // on a KEEP point
		r := a.do(lifecycleQuery, map[string]any{"id": sec})
		if r.str(t, "node.status") != "ACTIVE" || r.get(t, "node.statusReason") != nil || r.str(t, "node.statusChangedAt") != r.str(t, "node.createdAt") {
			t.Fatalf("a new integration: %s", r.Raw)
		}

		change := map[string]any{"id": point, "rules": noSEC}
		p := a.do(lifecyclePreview, map[string]any{"input": change})
		if p.num(t, "previewIntegrationPointUpdate.toSuspended") != 1 || p.num(t, "previewIntegrationPointUpdate.toResumed") != 0 ||
			p.str(t, "previewIntegrationPointUpdate.changes.nodes.0.integration.id") != sec ||
			p.str(t, "previewIntegrationPointUpdate.changes.nodes.0.statusBefore") != "ACTIVE" ||
			p.str(t, "previewIntegrationPointUpdate.changes.nodes.0.statusAfter") != "SUSPENDED" {
			t.Fatalf("preview: %s", p.Raw)
		}
		a.wantStatus(sec, "ACTIVE", "COMPLIANT") // the preview wrote nothing
		if events := a.lifecycleEvents(w.org, sec, "suspendIntegration"); len(events) != 0 {
			t.Fatalf("the preview left an event: %v", events)
		}

		a.do(updateIntegrationPoint, map[string]any{"input": change})
		a.do(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": w.point, "rules": noSEC}})
		a.wantStatus(sec, "SUSPENDED", "NON_COMPLIANT")
		a.wantStatus(ops, "ACTIVE", "COMPLIANT")
		a.wantStatus(kept, "ACTIVE", "NON_COMPLIANT") // KEEP only reports
		r = a.do(lifecycleQuery, map[string]any{"id": sec})
		if !strings.Contains(r.str(t, "node.statusReason"), "suspending") || r.str(t, "node.statusChangedAt") == r.str(t, "node.createdAt") {
			t.Errorf("suspended: %s", r.Raw)
		}
		a.wantSystemEvent(w.org, sec, "suspendIntegration", 1, "SUSPENDED")

		g := a.do(authorize, map[string]any{"id": sec})
		if g.get(t, "authorizeIntegrationUse.allowed") != false || g.str(t, "authorizeIntegrationUse.violations.0.code") != "INTEGRATION_SUSPENDED" ||
			g.str(t, "authorizeIntegrationUse.violations.1.rule") != "no-sec" {
			t.Errorf("gate on a suspended integration: %s", g.Raw)
		}

		s := a.do(lifecycleSummary, map[string]any{"org": w.org, "point": point})
		if s.num(t, "org.complianceSummary.total") != 3 || s.num(t, "org.complianceSummary.active") != 2 ||
			s.num(t, "org.complianceSummary.suspended") != 1 || s.num(t, "org.complianceSummary.disabled") != 0 ||
			s.num(t, "org.complianceSummary.nonCompliant") != 2 || s.num(t, "org.suspended.totalCount") != 1 ||
			s.str(t, "org.suspended.nodes.0.id") != sec || s.num(t, "org.active.totalCount") != 1 || s.str(t, "org.active.nodes.0.id") != ops ||
			s.num(t, "point.complianceSummary.suspended") != 1 || s.num(t, "point.complianceSummary.active") != 1 ||
			s.str(t, "point.onViolation") != "SUSPEND" || s.str(t, "point.integrations.nodes.0.id") != sec {
			t.Errorf("summary and filters: %s", s.Raw)
		}

		// A rule change that makes it comply resumes it.
		a.do(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": point, "rules": []any{}}})
		a.wantStatus(sec, "ACTIVE", "COMPLIANT")
		if r := a.do(lifecycleQuery, map[string]any{"id": sec}); r.get(t, "node.statusReason") != nil {
			t.Errorf("resumed with a reason: %s", r.Raw)
		}
		a.wantSystemEvent(w.org, sec, "resumeIntegration", 1, "ACTIVE")
		if g := a.do(authorize, map[string]any{"id": sec}); g.get(t, "authorizeIntegrationUse.allowed") != true {
			t.Errorf("gate on a resumed integration: %s", g.Raw)
		}

		// So does an update of the integration that makes it comply, in
		// its own transaction.
		a.do(updateIntegrationPoint, map[string]any{"input": change})
		a.wantStatus(sec, "SUSPENDED", "NON_COMPLIANT")
		u := a.do(`mutation($input: UpdateIntegrationInput!) { updateIntegration(input: $input) {
			integration { status statusReason compliance { status } } userErrors { code } } }`,
			map[string]any{"input": map[string]any{"id": sec, "config": map[string]any{"project": "NEW"}}})
		if u.str(t, "updateIntegration.integration.status") != "ACTIVE" || u.get(t, "updateIntegration.integration.statusReason") != nil {
			t.Errorf("an update that complies: %s", u.Raw)
		}
		a.wantStatus(sec, "ACTIVE", "COMPLIANT")
		a.wantSystemEvent(w.org, sec, "resumeIntegration", 2, "ACTIVE")
		if events := a.lifecycleEvents(w.org, sec, "updateIntegration"); len(events) != 1 || jsonAt(events[0], "actor.tokenId") == nil {
			t.Errorf("the update is the caller's: %v", events)
		}
	})
}

// TestSuspendOnAccountChange: an account change that takes an account out
// of a SUSPEND point's selector suspends its integrations; changing it back
// resumes them.
func TestSuspendOnAccountChange(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		eu := []any{map[string]any{"key": "region", "value": "eu"}}
		a.do(updateAccount, map[string]any{"input": map[string]any{"id": w.prod, "labels": eu}})
		point := a.createPoint(w.org, suspendingPoint(w.org, map[string]any{
			"accountSelector": map[string]any{"matchLabels": eu}}))
		id := a.integrate(w.prod, point, "jira", map[string]any{"project": "SEC"})

		a.do(updateAccount, map[string]any{"input": map[string]any{"id": w.prod, "labels": []any{}}})
		a.wantStatus(id, "SUSPENDED", "NON_COMPLIANT")
		a.wantSystemEvent(w.org, id, "suspendIntegration", 1, "SUSPENDED")

		a.do(updateAccount, map[string]any{"input": map[string]any{"id": w.prod, "labels": eu}})
		a.wantStatus(id, "ACTIVE", "COMPLIANT")
		a.wantSystemEvent(w.org, id, "resumeIntegration", 1, "ACTIVE")
	})
}

// TestSuspendOnLoweredLimit: lowering maxIntegrationsPerAccount suspends
// the newest integrations past it, as many as the preview said; deleting
// one under the limit frees its place, and the next one resumes at once;
// raising the limit resumes the rest.
func TestSuspendOnLoweredLimit(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		point := a.createPoint(w.org, suspendingPoint(w.org, nil))
		var ids []string
		for _, project := range []string{"A", "B", "C"} {
			ids = append(ids, a.integrate(w.prod, point, "jira", map[string]any{"project": project}))
		}
		a.integrate(w.test, point, "jira", map[string]any{"project": "T"})
		lower := map[string]any{"id": point, "maxIntegrationsPerAccount": 1}
		p := a.do(lifecyclePreview, map[string]any{"input": lower})
		predicted := p.num(t, "previewIntegrationPointUpdate.toSuspended")
		a.do(updateIntegrationPoint, map[string]any{"input": lower})
		s := a.do(lifecycleSummary, map[string]any{"org": w.org, "point": point})
		if predicted != 2 || s.num(t, "point.complianceSummary.suspended") != predicted || s.num(t, "point.complianceSummary.active") != 2 {
			t.Fatalf("preview said %d, update suspended: %s", predicted, s.Raw)
		}
		a.wantStatus(ids[0], "ACTIVE", "COMPLIANT")
		a.wantStatus(ids[1], "SUSPENDED", "NON_COMPLIANT")
		a.wantStatus(ids[2], "SUSPENDED", "NON_COMPLIANT")

		a.do(fmt.Sprintf(deleteMutation, "deleteIntegration"), map[string]any{"input": map[string]any{"id": ids[0]}})
		a.wantStatus(ids[1], "ACTIVE", "COMPLIANT")
		a.wantStatus(ids[2], "SUSPENDED", "NON_COMPLIANT")
		a.wantSystemEvent(w.org, ids[1], "resumeIntegration", 1, "ACTIVE")
		ids = ids[1:]

		raise := map[string]any{"id": point, "maxIntegrationsPerAccount": nil}
		p = a.do(lifecyclePreview, map[string]any{"input": raise})
		if p.num(t, "previewIntegrationPointUpdate.toResumed") != 1 || p.num(t, "previewIntegrationPointUpdate.toSuspended") != 0 {
			t.Errorf("preview of the raise: %s", p.Raw)
		}
		a.do(updateIntegrationPoint, map[string]any{"input": raise})
		for _, id := range ids {
			a.wantStatus(id, "ACTIVE", "COMPLIANT")
		}
	})
}

// TestOnViolationChange: switching a point to SUSPEND suspends the
// integrations NON_COMPLIANT on it now, and back to KEEP resumes them,
// without a new version of the rules.
func TestOnViolationChange(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		id := a.integrate(w.prod, w.point, "jira", map[string]any{"project": "SEC"})
		a.do(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": w.point, "rules": noSEC}})
		a.wantStatus(id, "ACTIVE", "NON_COMPLIANT")

		suspend := map[string]any{"id": w.point, "onViolation": "SUSPEND"}
		p := a.do(lifecyclePreview, map[string]any{"input": suspend})
		if p.num(t, "previewIntegrationPointUpdate.toSuspended") != 1 || p.num(t, "previewIntegrationPointUpdate.newVersion") != 2 {
			t.Fatalf("preview: %s", p.Raw)
		}
		a.do(updateIntegrationPoint, map[string]any{"input": suspend})
		a.wantStatus(id, "SUSPENDED", "NON_COMPLIANT")
		s := a.do(lifecycleSummary, map[string]any{"org": w.org, "point": w.point})
		if s.num(t, "point.version") != 2 || s.str(t, "point.onViolation") != "SUSPEND" {
			t.Errorf("point: %s", s.Raw)
		}
		a.do(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": w.point, "onViolation": "KEEP"}})
		a.wantStatus(id, "ACTIVE", "NON_COMPLIANT")
		a.wantSystemEvent(w.org, id, "resumeIntegration", 1, "ACTIVE")
		_, events := a.auditEvents(w.org, map[string]any{"targetId": w.point, "action": "updateIntegrationPoint"})
		if len(events) != 3 || jsonAt(events[0], "changes.before.onViolation") != "SUSPEND" || jsonAt(events[0], "changes.after.onViolation") != "KEEP" {
			t.Errorf("point events: %v", events)
		}
	})
}

// TestDisabledStaysDisabled: what a person disabled, no resumption
// enables; the gate refuses it with INTEGRATION_DISABLED; enabling it is
// refused while it is NON_COMPLIANT on a SUSPEND point, and puts it back
// in use once it complies; disable and enable are the person's events.
func TestDisabledStaysDisabled(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		point := a.createPoint(w.org, suspendingPoint(w.org, nil))
		id := a.integrate(w.prod, point, "jira", map[string]any{"project": "SEC"})
		admin := a.as(a.mintToken("ACCOUNT_ADMIN", w.prod))

		d := admin.do(disableIntegration, map[string]any{"input": map[string]any{"id": id, "reason": "Vendor incident 42"}})
		if d.str(t, "disableIntegration.integration.status") != "DISABLED" ||
			d.str(t, "disableIntegration.integration.statusReason") != "Vendor incident 42" || len(d.list(t, "disableIntegration.userErrors")) != 0 {
			t.Fatalf("disable: %s", d.Raw)
		}
		g := a.do(authorize, map[string]any{"id": id})
		if g.get(t, "authorizeIntegrationUse.allowed") != false || g.str(t, "authorizeIntegrationUse.violations.0.code") != "INTEGRATION_DISABLED" ||
			len(g.list(t, "authorizeIntegrationUse.violations")) != 1 {
			t.Errorf("gate on a disabled integration: %s", g.Raw)
		}

		// Broken and fixed again by rule changes: re-checked, still DISABLED.
		a.do(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": point, "rules": noSEC}})
		a.wantStatus(id, "DISABLED", "NON_COMPLIANT")
		e := admin.do(enableIntegration, map[string]any{"input": map[string]any{"id": id}})
		if e.get(t, "enableIntegration.integration") != nil || e.str(t, "enableIntegration.userErrors.0.code") != "RULES_VIOLATED" ||
			!strings.Contains(e.str(t, "enableIntegration.userErrors.0.message"), "stays DISABLED") ||
			e.str(t, "enableIntegration.violations.0.code") != "RULE_FAILED" {
			t.Errorf("enable while NON_COMPLIANT on a SUSPEND point: %s", e.Raw)
		}
		a.wantStatus(id, "DISABLED", "NON_COMPLIANT")
		a.do(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": point, "rules": []any{}}})
		a.wantStatus(id, "DISABLED", "COMPLIANT")
		if events := a.lifecycleEvents(w.org, id, "resumeIntegration"); len(events) != 0 {
			t.Errorf("a disabled integration was resumed: %v", events)
		}

		e = admin.do(enableIntegration, map[string]any{"input": map[string]any{"id": id}})
		if e.str(t, "enableIntegration.integration.status") != "ACTIVE" || e.get(t, "enableIntegration.integration.statusReason") != nil {
			t.Fatalf("enable: %s", e.Raw)
		}
		for _, action := range []string{"disableIntegration", "enableIntegration"} {
			events := a.lifecycleEvents(w.org, id, action)
			if len(events) != 1 || jsonAt(events[0], "actor.role") != "ACCOUNT_ADMIN" || jsonAt(events[0], "actor.tokenId") == nil {
				t.Errorf("%s events: %v", action, events)
			}
		}
		// Enabling an active integration, or disabling a disabled one with
		// the same reason, changes nothing and records nothing.
		admin.do(enableIntegration, map[string]any{"input": map[string]any{"id": id}})
		admin.do(disableIntegration, map[string]any{"input": map[string]any{"id": id, "reason": "again"}})
		admin.do(disableIntegration, map[string]any{"input": map[string]any{"id": id, "reason": "again"}})
		if n := len(a.lifecycleEvents(w.org, id, "enableIntegration")); n != 1 {
			t.Errorf("enable of an active integration recorded: %d events", n)
		}
		if n := len(a.lifecycleEvents(w.org, id, "disableIntegration")); n != 2 {
			t.Errorf("disable again with the same reason recorded: %d events", n)
		}

		// A SUSPENDED integration is not enabled by a person either: it
		// resumes when it complies.
		admin.do(enableIntegration, map[string]any{"input": map[string]any{"id": id}})
		a.do(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": point, "rules": noSEC}})
		a.wantStatus(id, "SUSPENDED", "NON_COMPLIANT")
		e = admin.do(enableIntegration, map[string]any{"input": map[string]any{"id": id}})
		if e.str(t, "enableIntegration.userErrors.0.code") != "RULES_VIOLATED" ||
			!strings.Contains(e.str(t, "enableIntegration.userErrors.0.message"), "stays SUSPENDED") {
			t.Errorf("enable of a suspended integration: %s", e.Raw)
		}
		// But a person may disable it, and then it stays DISABLED.
		admin.do(disableIntegration, map[string]any{"input": map[string]any{"id": id, "reason": "retired"}})
		a.do(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": point, "rules": []any{}}})
		a.wantStatus(id, "DISABLED", "COMPLIANT")
	})
}

// TestLifecycleBadInput: a bad disable or enable is a user error naming
// the problem, and writes nothing.
func TestLifecycleBadInput(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		id := a.integrate(w.prod, w.point, "jira", map[string]any{"project": "SEC"})
		before := a.auditCount(w.org)
		for _, c := range []struct {
			query string
			input map[string]any
			code  string
			field string
		}{
			{disableIntegration, map[string]any{"id": id, "reason": "  "}, "INVALID_INPUT", "input.reason"},
			{disableIntegration, map[string]any{"id": id, "reason": "red\x1b[31m"}, "INVALID_INPUT", "input.reason"},
			{disableIntegration, map[string]any{"id": id, "reason": strings.Repeat("x", 2001)}, "INVALID_INPUT", "input.reason"},
			{disableIntegration, map[string]any{"id": "int_0000000000000000000000000000dead", "reason": "x"}, "NOT_FOUND", "input.id"},
			{disableIntegration, map[string]any{"id": w.prod, "reason": "x"}, "NOT_FOUND", "input.id"},
			{enableIntegration, map[string]any{"id": "nope"}, "NOT_FOUND", "input.id"},
		} {
			r := a.do(c.query, map[string]any{"input": c.input})
			var payload string
			for k := range r.Data {
				payload = k
			}
			ue := r.list(t, payload+".userErrors")
			if len(ue) != 1 || r.get(t, payload+".integration") != nil || r.str(t, payload+".userErrors.0.code") != c.code ||
				strings.Join(toStrings(r.list(t, payload+".userErrors.0.field")), ".") != c.field {
				t.Errorf("%v: %s", c.input, r.Raw)
			}
		}
		a.wantStatus(id, "ACTIVE", "COMPLIANT")
		if after := a.auditCount(w.org); after != before {
			t.Errorf("refused changes were recorded: %d events, then %d", before, after)
		}
		r := a.do(`mutation($input: CreateIntegrationPointInput!) { createIntegrationPoint(input: $input) { integrationPoint { onViolation } } }`,
			map[string]any{"input": ticketingPoint(w.org, map[string]any{"slug": "default"})})
		if r.str(t, "createIntegrationPoint.integrationPoint.onViolation") != "KEEP" {
			t.Errorf("default onViolation: %s", r.Raw)
		}
	})
}

// TestGateStatusInItsOneRead: the gate learns an integration's status
// from the read it already made: refusing a disabled integration costs
// no statement more than allowing an active one.
func TestGateStatusInItsOneRead(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		active := a.integrate(w.prod, w.point, "jira", map[string]any{"project": "A"})
		disabled := a.integrate(w.prod, w.point, "jira", map[string]any{"project": "B"})
		a.do(disableIntegration, map[string]any{"input": map[string]any{"id": disabled, "reason": "off"}})
		statements := func(id string) int {
			before := a.statements.Load()
			a.do(authorize, map[string]any{"id": id})
			return int(a.statements.Load() - before)
		}
		statements(active) // the token's lastUsedAt, written at most once a minute
		onActive, onDisabled := statements(active), statements(disabled)
		if onActive != onDisabled || onActive > 2 {
			t.Errorf("the gate took %d statements on an active integration, %d on a disabled one (want the same, at most 2: the token and the read)",
				onActive, onDisabled)
		}
		if r := a.do(authorize, map[string]any{"id": disabled}); r.str(t, "authorizeIntegrationUse.violations.0.code") != "INTEGRATION_DISABLED" {
			t.Errorf("gate: %s", r.Raw)
		}
	})
}

// TestStatusChangedAtOfLoadedRows: a row inserted without
// status_changed_at (a bulk load, as the shared benchmark's) reads as
// changed at its creation, by both executors, by ID and in lists.
func TestStatusChangedAtOfLoadedRows(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		a = a.withDemo()
		if _, err := a.store.DB().Exec("UPDATE integrations SET status_changed_at = NULL"); err != nil {
			t.Fatal(err)
		}
		r := a.do(`{ organization(slug: "acme") { integrations(first: 10) { nodes { id createdAt statusChangedAt status } } } }`, nil)
		nodes := r.list(t, "organization.integrations.nodes")
		if len(nodes) == 0 {
			t.Fatal("no integrations")
		}
		for i := range nodes {
			at := fmt.Sprintf("organization.integrations.nodes.%d.", i)
			if created, changed := r.str(t, at+"createdAt"), r.str(t, at+"statusChangedAt"); changed != created {
				t.Errorf("statusChangedAt %q, want the creation %q", changed, created)
			}
			one := a.do(`query($id: ID!) { node(id: $id) { ... on Integration { createdAt statusChangedAt } } }`,
				map[string]any{"id": r.str(t, at+"id")})
			if one.str(t, "node.statusChangedAt") != one.str(t, "node.createdAt") {
				t.Errorf("by ID: %s", one.Raw)
			}
		}
	})
}
