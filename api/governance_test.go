package api

import (
	"fmt"
	"strings"
	"testing"
)

const pointWithRules = `mutation($input: CreateIntegrationPointInput!) {
	createIntegrationPoint(input: $input) {
		integrationPoint { id version rules { name expression message messageExpression enforcement } accountSelector { environments matchLabels { key value } } }
		userErrors { code field message } } }`

const integrationCompliance = `query($id: ID!) { node(id: $id) { ... on Integration {
	compliance { status pointVersion violations { code rule message field enforcement } } } } }`

func rule(name, expression, message, enforcement string) map[string]any {
	return map[string]any{"name": name, "expression": expression, "message": message, "enforcement": enforcement}
}

func TestEnforcementModes(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		r := a.do(pointWithRules, map[string]any{"input": ticketingPoint(w.org, map[string]any{"slug": "ruled", "rules": []any{
			rule("atlassian-cloud", `!has(integration.config.site_url) || integration.config.site_url.endsWith('.atlassian.net')`,
				"Jira must be on our Atlassian cloud (*.atlassian.net)", "DENY"),
			rule("short-names", `integration.name.size() <= 20`, "Integration names should be at most 20 characters", "WARN"),
			rule("no-zendesk-soon", `provider.key != 'zendesk'`, "We are migrating off Zendesk", "AUDIT"),
			map[string]any{"name": "known-project", "expression": `integration.config.project != 'LEGACY'`,
				"message": `'Project ' + integration.config.project + ' is retired'`, "messageExpression": true, "enforcement": "DENY"},
		}})})
		point := r.str(t, "createIntegrationPoint.integrationPoint.id")
		if r.str(t, "createIntegrationPoint.integrationPoint.rules.3.enforcement") != "DENY" {
			t.Fatalf("rules not saved: %s", r.Raw)
		}

		t.Run("Deny", func(t *testing.T) {
			a := a.on(t)
			r := a.do(createIntegration, integrationInput(w.prod, point, "jira", map[string]any{"project": "SEC", "site_url": "https://jira.example.com"}))
			if r.get(t, "createIntegration.integration") != nil {
				t.Fatalf("DENY rule did not refuse: %s", r.Raw)
			}
			if r.str(t, "createIntegration.violations.0.code") != "RULE_FAILED" || r.str(t, "createIntegration.violations.0.rule") != "atlassian-cloud" ||
				r.str(t, "createIntegration.violations.0.enforcement") != "DENY" ||
				r.str(t, "createIntegration.violations.0.message") != "Jira must be on our Atlassian cloud (*.atlassian.net)" {
				t.Errorf("violation: %s", r.Raw)
			}
		})

		t.Run("MessageExpression", func(t *testing.T) {
			a := a.on(t)
			r := a.do(createIntegration, integrationInput(w.prod, point, "jira", map[string]any{"project": "LEGACY"}))
			if r.get(t, "createIntegration.integration") != nil || r.str(t, "createIntegration.violations.0.message") != "Project LEGACY is retired" {
				t.Errorf("message expression: %s", r.Raw)
			}
		})

		t.Run("Warn", func(t *testing.T) {
			a := a.on(t)
			in := integrationInput(w.prod, point, "jira", map[string]any{"project": "SEC"})
			in["input"].(map[string]any)["name"] = "A name that is far too long"
			r := a.do(createIntegration, in)
			id, _ := r.get(t, "createIntegration.integration.id").(string)
			if id == "" {
				t.Fatalf("WARN refused: %s", r.Raw)
			}
			if v := r.list(t, "createIntegration.violations"); len(v) != 1 || r.str(t, "createIntegration.violations.0.enforcement") != "WARN" {
				t.Errorf("WARN violation not returned: %s", r.Raw)
			}
			if len(r.list(t, "createIntegration.userErrors")) != 0 {
				t.Errorf("allowed create has userErrors: %s", r.Raw)
			}
			if c := a.do(integrationCompliance, map[string]any{"id": id}); c.str(t, "node.compliance.status") != "WARNING" {
				t.Errorf("status: %s", c.Raw)
			}
		})

		t.Run("Audit", func(t *testing.T) {
			a := a.on(t)
			a.do(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": point,
				"allowedProviders": map[string]any{"test": []string{"jira"}, "prod": []string{"jira", "zendesk"}}}})
			r := a.do(createIntegration, integrationInput(w.prod, point, "zendesk", map[string]any{"project": "ESC"}))
			id, _ := r.get(t, "createIntegration.integration.id").(string)
			if id == "" || len(r.list(t, "createIntegration.violations")) != 0 {
				t.Fatalf("AUDIT must allow silently: %s", r.Raw)
			}
			c := a.do(integrationCompliance, map[string]any{"id": id})
			if c.str(t, "node.compliance.status") != "WARNING" || c.str(t, "node.compliance.violations.0.enforcement") != "AUDIT" ||
				c.str(t, "node.compliance.violations.0.rule") != "no-zendesk-soon" {
				t.Errorf("AUDIT not recorded: %s", c.Raw)
			}
		})

		t.Run("EvaluationErrorFailsClosed", func(t *testing.T) {
			a := a.on(t)
			p := a.createPoint(w.org, map[string]any{"slug": "eu-only", "rules": []any{
				rule("eu-region", `integration.config.region == 'eu'`, "Only EU regions", "DENY")}})
			r := a.do(createIntegration, integrationInput(w.prod, p, "jira", map[string]any{"project": "SEC"}))
			if r.get(t, "createIntegration.integration") != nil || r.str(t, "createIntegration.violations.0.code") != "RULE_ERROR" ||
				!strings.Contains(r.str(t, "createIntegration.violations.0.message"), "eu-region") {
				t.Errorf("a DENY rule that cannot be evaluated must refuse: %s", r.Raw)
			}
		})
	})
}

func TestInvalidRules(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		many := make([]any, 51)
		for i := range many {
			many[i] = rule(fmt.Sprintf("r%d", i), "true", "m", "DENY")
		}
		for _, tc := range []struct {
			name  string
			rules []any
			field string
			msg   string
		}{
			{"Syntax", []any{rule("broken", "integration.name ==", "m", "DENY")}, "input.rules.0.expression", `Rule "broken": line 1, column`},
			{"UnknownField", []any{rule("typo", "integration.nmae == 'x'", "m", "DENY")}, "input.rules.0.expression", "nmae"},
			{"NotBool", []any{rule("number", "1 + 1", "m", "DENY")}, "input.rules.0.expression", "must be a bool"},
			{"DuplicateName", []any{rule("same", "true", "m", "DENY"), rule("same", "true", "m", "WARN")}, "input.rules.1.name", "used twice"},
			{"TooLong", []any{rule("long", "true || "+strings.Repeat("true || ", 600)+"true", "m", "DENY")}, "input.rules.0.expression", "more than the 4096 allowed"},
			{"TooCostly", []any{rule("costly", "integration.config.all(a, integration.config.all(b, integration.config.all(c, true)))", "m", "DENY")},
				"input.rules.0.expression", "bound its loops"},
			{"BadMessageExpression", []any{map[string]any{"name": "msg", "expression": "true", "message": "1", "messageExpression": true}},
				"input.rules.0.message", "must be a string"},
			{"TooMany", many, "input.rules", "at most 50 rules"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a := a.on(t)
				r := a.do(pointWithRules, map[string]any{"input": ticketingPoint(w.org, map[string]any{"slug": "bad", "rules": tc.rules})})
				if r.get(t, "createIntegrationPoint.integrationPoint") != nil {
					t.Fatalf("saved: %s", r.Raw)
				}
				if r.str(t, "createIntegrationPoint.userErrors.0.code") != "INVALID_RULE" ||
					joinPath(r.list(t, "createIntegrationPoint.userErrors.0.field")) != tc.field ||
					!strings.Contains(r.str(t, "createIntegrationPoint.userErrors.0.message"), tc.msg) {
					t.Errorf("want INVALID_RULE at %s containing %q, got %s", tc.field, tc.msg, r.Raw)
				}
			})
		}
		r := a.do(`query($id: ID!) { node(id: $id) { ... on Organization { integrationPoints { totalCount } } } }`, map[string]any{"id": w.org})
		if r.num(t, "node.integrationPoints.totalCount") != 1 {
			t.Errorf("refused points were written: %s", r.Raw)
		}
	})
}

const previewQuery = `query($input: UpdateIntegrationPointInput!) { previewIntegrationPointUpdate(input: $input) {
	newVersion toNonCompliant toWarning toCompliant unchanged
	changes(first: 100) { totalCount nodes { integration { id } before after violations { code enforcement } } }
	userErrors { code message } } }`

// TestRuleChangeWithPreview: the preview predicts exactly what the update
// then does, seen in compliance, filters and the summaries.
func TestRuleChangeWithPreview(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		cloud := a.integrate(w.prod, w.point, "jira", map[string]any{"project": "SEC", "site_url": "https://acme.atlassian.net"})
		onPrem := a.integrate(w.prod, w.point, "jira", map[string]any{"project": "OPS", "site_url": "https://jira.acme.internal"})
		snow := a.integrate(w.prod, w.point, "servicenow", map[string]any{"project": "IT"})
		mock := a.integrate(w.test, w.point, "mock_ticketing", map[string]any{"project": "T"})

		change := map[string]any{"id": w.point, "expectedVersion": 1, "rules": []any{
			rule("atlassian-cloud", `provider.key != 'jira' || integration.config.site_url.endsWith('.atlassian.net')`, "Jira must be on Atlassian cloud", "DENY"),
			rule("prefer-jira", `provider.key == 'jira' || account.environment == 'TEST'`, "Prefer Jira in PROD", "WARN"),
		}}
		p := a.do(previewQuery, map[string]any{"input": change})
		if p.num(t, "previewIntegrationPointUpdate.newVersion") != 2 || p.num(t, "previewIntegrationPointUpdate.toNonCompliant") != 1 ||
			p.num(t, "previewIntegrationPointUpdate.toWarning") != 1 || p.num(t, "previewIntegrationPointUpdate.unchanged") != 2 ||
			p.num(t, "previewIntegrationPointUpdate.toCompliant") != 0 {
			t.Fatalf("preview counts: %s", p.Raw)
		}
		predicted := map[string]string{}
		for i := range p.list(t, "previewIntegrationPointUpdate.changes.nodes") {
			at := fmt.Sprintf("previewIntegrationPointUpdate.changes.nodes.%d.", i)
			predicted[p.str(t, at+"integration.id")] = p.str(t, at+"after")
		}
		if len(predicted) != 2 || predicted[onPrem] != "NON_COMPLIANT" || predicted[snow] != "WARNING" {
			t.Fatalf("predicted changes: %s", p.Raw)
		}
		// The preview wrote nothing.
		if c := a.do(integrationCompliance, map[string]any{"id": onPrem}); c.str(t, "node.compliance.status") != "COMPLIANT" || c.num(t, "node.compliance.pointVersion") != 1 {
			t.Fatalf("preview changed an integration: %s", c.Raw)
		}

		r := a.do(updateIntegrationPoint, map[string]any{"input": change})
		if r.num(t, "updateIntegrationPoint.integrationPoint.version") != 2 {
			t.Fatalf("update: %s", r.Raw)
		}
		for id, want := range map[string]string{cloud: "COMPLIANT", onPrem: "NON_COMPLIANT", snow: "WARNING", mock: "COMPLIANT"} {
			c := a.do(integrationCompliance, map[string]any{"id": id})
			if got := c.str(t, "node.compliance.status"); got != want {
				t.Errorf("%s: %s, want %s", id, got, want)
			}
			if predicted[id] != "" && predicted[id] != c.str(t, "node.compliance.status") {
				t.Errorf("%s: preview said %s, update gave %s", id, predicted[id], c.str(t, "node.compliance.status"))
			}
			if c.num(t, "node.compliance.pointVersion") != 2 {
				t.Errorf("%s: pointVersion %d, want 2", id, c.num(t, "node.compliance.pointVersion"))
			}
		}
		s := a.do(`query($org: ID!, $point: ID!) {
			org: node(id: $org) { ... on Organization { complianceSummary { total compliant warning nonCompliant }
				integrations(filter: { complianceStatus: WARNING }) { nodes { id } } } }
			point: node(id: $point) { ... on IntegrationPoint { complianceSummary { total compliant warning nonCompliant }
				versions { totalCount nodes { id version rules { name } } } } } }`, map[string]any{"org": w.org, "point": w.point})
		for _, at := range []string{"org", "point"} {
			if s.num(t, at+".complianceSummary.total") != 4 || s.num(t, at+".complianceSummary.compliant") != 2 ||
				s.num(t, at+".complianceSummary.warning") != 1 || s.num(t, at+".complianceSummary.nonCompliant") != 1 {
				t.Errorf("%s summary: %s", at, s.Raw)
			}
		}
		if s.str(t, "org.integrations.nodes.0.id") != snow {
			t.Errorf("WARNING filter: %s", s.Raw)
		}
		if s.num(t, "point.versions.totalCount") != 2 || s.num(t, "point.versions.nodes.0.version") != 1 ||
			len(s.list(t, "point.versions.nodes.0.rules")) != 0 || s.str(t, "point.versions.nodes.1.rules.1.name") != "prefer-jira" {
			t.Errorf("versions: %s", s.Raw)
		}

		p = a.do(previewQuery, map[string]any{"input": change})
		if p.str(t, "previewIntegrationPointUpdate.userErrors.0.code") != "VERSION_CONFLICT" {
			t.Errorf("preview with a stale expectedVersion: %s", p.Raw)
		}
	})
}

const authorize = `query($id: ID!) { authorizeIntegrationUse(integrationId: $id) {
	allowed pointVersion integration { id } violations { code rule enforcement } } }`

// TestUseGate: the gate follows the point's current rules the moment they change.
func TestUseGate(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		id := a.integrate(w.prod, w.point, "jira", map[string]any{"project": "SEC"})
		r := a.do(authorize, map[string]any{"id": id})
		if r.get(t, "authorizeIntegrationUse.allowed") != true || r.num(t, "authorizeIntegrationUse.pointVersion") != 1 {
			t.Fatalf("allowed integration: %s", r.Raw)
		}
		a.do(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": w.point,
			"rules": []any{rule("no-sec", `integration.config.project != 'SEC'`, "SEC is frozen", "DENY")}}})
		r = a.do(authorize, map[string]any{"id": id})
		if r.get(t, "authorizeIntegrationUse.allowed") != false || r.str(t, "authorizeIntegrationUse.violations.0.rule") != "no-sec" ||
			r.num(t, "authorizeIntegrationUse.pointVersion") != 2 {
			t.Errorf("after the rule change: %s", r.Raw)
		}
		a.do(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": w.point,
			"rules": []any{rule("no-sec", `integration.config.project != 'SEC'`, "SEC is frozen", "WARN")}}})
		r = a.do(authorize, map[string]any{"id": id})
		if r.get(t, "authorizeIntegrationUse.allowed") != true || r.str(t, "authorizeIntegrationUse.violations.0.enforcement") != "WARN" {
			t.Errorf("WARN must allow use: %s", r.Raw)
		}
		r = a.do(authorize, map[string]any{"id": "int_0000000000000000000000000000dead"})
		if r.get(t, "authorizeIntegrationUse.allowed") != false || r.get(t, "authorizeIntegrationUse.integration") != nil {
			t.Errorf("unknown integration: %s", r.Raw)
		}
	})
}

func TestAccountScope(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		a.do(updateAccount, map[string]any{"input": map[string]any{"id": w.prod, "labels": []any{map[string]any{"key": "region", "value": "eu"}}}})
		r := a.do(pointWithRules, map[string]any{"input": ticketingPoint(w.org, map[string]any{"slug": "eu-prod",
			"accountSelector": map[string]any{"environments": []string{"PROD"}, "matchLabels": []any{map[string]any{"key": "region", "value": "eu"}}}})})
		p := r.str(t, "createIntegrationPoint.integrationPoint.id")

		r = a.do(createIntegration, integrationInput(w.test, p, "jira", map[string]any{"project": "T"}))
		if r.get(t, "createIntegration.integration") != nil || r.str(t, "createIntegration.violations.0.code") != "ACCOUNT_NOT_IN_SCOPE" ||
			r.str(t, "createIntegration.violations.0.field") != "accountId" {
			t.Errorf("TEST account outside the selector: %s", r.Raw)
		}
		id := a.integrate(w.prod, p, "jira", map[string]any{"project": "P"})

		q := `query($id: ID!) { node(id: $id) { ... on Account { integrationPoints { totalCount nodes { id } } } } }`
		if r := a.do(q, map[string]any{"id": w.prod}); r.num(t, "node.integrationPoints.totalCount") != 2 {
			t.Errorf("PROD eu account sees %s", r.Raw)
		}
		if r := a.do(q, map[string]any{"id": w.test}); r.num(t, "node.integrationPoints.totalCount") != 1 || r.str(t, "node.integrationPoints.nodes.0.id") != w.point {
			t.Errorf("TEST account sees %s", r.Raw)
		}

		// Moving the account out of scope re-checks its integrations.
		a.do(updateAccount, map[string]any{"input": map[string]any{"id": w.prod, "labels": []any{map[string]any{"key": "region", "value": "us"}}}})
		c := a.do(integrationCompliance, map[string]any{"id": id})
		if c.str(t, "node.compliance.status") != "NON_COMPLIANT" || c.str(t, "node.compliance.violations.0.code") != "ACCOUNT_NOT_IN_SCOPE" {
			t.Errorf("after the label change: %s", c.Raw)
		}

		r = a.do(pointWithRules, map[string]any{"input": ticketingPoint(w.org, map[string]any{"slug": "bad-selector",
			"accountSelector": map[string]any{"matchLabels": []any{map[string]any{"key": "bad key", "value": "x"}}}})})
		if r.str(t, "createIntegrationPoint.userErrors.0.code") != "INVALID_INPUT" ||
			joinPath(r.list(t, "createIntegrationPoint.userErrors.0.field")) != "input.accountSelector.matchLabels.0.key" {
			t.Errorf("malformed selector label: %s", r.Raw)
		}
	})
}

func TestProviderConfigSchema(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		r := a.do(createIntegration, integrationInput(w.prod, w.point, "jira", map[string]any{"project": "SEC", "site_url": "http://acme.atlassian.net"}))
		if r.get(t, "createIntegration.integration") != nil || r.str(t, "createIntegration.violations.0.code") != "INVALID_CONFIG" ||
			r.str(t, "createIntegration.violations.0.field") != "config.site_url" {
			t.Errorf("http site_url: %s", r.Raw)
		}
		p := a.do(`{ provider(key: "jira") { configSchema authMethods secretFields } }`, nil)
		if p.str(t, "provider.configSchema.$schema") != "https://json-schema.org/draft/2020-12/schema" ||
			len(p.list(t, "provider.authMethods")) == 0 || !strings.Contains(fmt.Sprint(p.list(t, "provider.secretFields")), "api_token") {
			t.Errorf("jira's schema: %.500s", p.Raw)
		}
	})
}

func TestCheckIntegrationWithWarnings(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		p := a.createPoint(w.org, map[string]any{"slug": "warned", "rules": []any{
			rule("short-names", `integration.name.size() <= 5`, "Keep names short", "WARN"),
			rule("audit-all", `false`, "Audited", "AUDIT")}})
		r := a.do(checkIntegration, integrationInput(w.prod, p, "jira", map[string]any{"project": "SEC"}))
		if r.get(t, "checkIntegration.allowed") != true || len(r.list(t, "checkIntegration.violations")) != 1 ||
			r.str(t, "checkIntegration.violations.0.enforcement") != "WARN" {
			t.Errorf("WARN and AUDIT violations allow, and checkIntegration shows the WARN one only: %s", r.Raw)
		}
	})
}

// TestVersionsAndChangesPage: version and impact lists page like every
// connection.
func TestVersionsAndChangesPage(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		for i := 0; i < 3; i++ {
			a.integrate(w.prod, w.point, "jira", map[string]any{"project": fmt.Sprint("P", i)})
		}
		for _, keys := range [][]string{{"project", "a"}, {"project", "b"}} {
			a.do(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": w.point, "requiredConfig": keys}})
		}
		const q = `query($id: ID!, $after: String) { node(id: $id) { ... on IntegrationPoint {
			versions(first: 2, after: $after) { totalCount nodes { version requiredConfig } pageInfo { hasNextPage endCursor } } } } }`
		r := a.do(q, map[string]any{"id": w.point})
		if r.num(t, "node.versions.totalCount") != 3 || r.num(t, "node.versions.nodes.1.version") != 2 || r.get(t, "node.versions.pageInfo.hasNextPage") != true {
			t.Fatalf("first page of versions: %s", r.Raw)
		}
		r = a.do(q, map[string]any{"id": w.point, "after": r.str(t, "node.versions.pageInfo.endCursor")})
		if n := r.list(t, "node.versions.nodes"); len(n) != 1 || r.num(t, "node.versions.nodes.0.version") != 3 ||
			fmt.Sprint(r.list(t, "node.versions.nodes.0.requiredConfig")) != "[project b]" {
			t.Fatalf("second page of versions: %s", r.Raw)
		}

		const p = `query($input: UpdateIntegrationPointInput!, $after: String) { previewIntegrationPointUpdate(input: $input) {
			changes(first: 2, after: $after) { totalCount nodes { integration { id } } pageInfo { hasNextPage endCursor } } } }`
		in := map[string]any{"id": w.point, "requiredConfig": []string{"project", "c"}}
		seen := map[string]bool{}
		var after any
		for page := 0; page < 3; page++ {
			r := a.do(p, map[string]any{"input": in, "after": after})
			for i := range r.list(t, "previewIntegrationPointUpdate.changes.nodes") {
				seen[r.str(t, fmt.Sprintf("previewIntegrationPointUpdate.changes.nodes.%d.integration.id", i))] = true
			}
			if r.get(t, "previewIntegrationPointUpdate.changes.pageInfo.hasNextPage") != true {
				break
			}
			after = r.str(t, "previewIntegrationPointUpdate.changes.pageInfo.endCursor")
		}
		if len(seen) != 3 {
			t.Errorf("paging the preview's changes saw %d integrations, want 3", len(seen))
		}
	})
}

// TestPreviewLeavesNoTrace: a previewed version is rolled back, and the
// real update that takes its number is judged by its own rules.
func TestPreviewLeavesNoTrace(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		id := a.integrate(w.prod, w.point, "jira", map[string]any{"project": "SEC"})
		p := a.do(previewQuery, map[string]any{"input": map[string]any{"id": w.point,
			"rules": []any{rule("nothing", "false", "Nothing passes", "DENY")}}})
		if p.num(t, "previewIntegrationPointUpdate.toNonCompliant") != 1 {
			t.Fatalf("preview: %s", p.Raw)
		}
		r := a.do(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": w.point,
			"rules": []any{rule("everything", "true", "Everything passes", "DENY")}}})
		if r.num(t, "updateIntegrationPoint.integrationPoint.version") != 2 {
			t.Fatalf("update: %s", r.Raw)
		}
		if c := a.do(integrationCompliance, map[string]any{"id": id}); c.str(t, "node.compliance.status") != "COMPLIANT" {
			t.Errorf("judged by the previewed rules: %s", c.Raw)
		}
		if g := a.do(authorize, map[string]any{"id": id}); g.get(t, "authorizeIntegrationUse.allowed") != true {
			t.Errorf("the gate uses the previewed rules: %s", g.Raw)
		}
	})
}
