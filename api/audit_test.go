package api

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/testdb"
)

const auditEventsQuery = `query($id: ID!, $filter: AuditEventFilter) { node(id: $id) { ... on Organization {
	auditEvents(first: 100, filter: $filter) { totalCount nodes {
		id at actor { tokenId name role } action target { id type } changes requestId } } } } }`

const (
	auditSecret        = "audit-SECRET-3f9a71c2"
	auditRotatedSecret = "audit-ROTATED-77be20d4"
)

var uuidFormat = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// auditEvents reads the organization's audit log (its first 100 events)
// with the app's token.
func (a *app) auditEvents(orgID string, filter map[string]any) (result, []map[string]any) {
	a.t.Helper()
	vars := map[string]any{"id": orgID}
	if filter != nil {
		vars["filter"] = filter
	}
	r := a.do(auditEventsQuery, vars)
	var out []map[string]any
	for _, n := range r.list(a.t, "node.auditEvents.nodes") {
		out = append(out, n.(map[string]any))
	}
	return r, out
}

func (a *app) auditCount(orgID string) int {
	a.t.Helper()
	r, _ := a.auditEvents(orgID, nil)
	return r.num(a.t, "node.auditEvents.totalCount")
}

// jsonAt walks a decoded JSON object along a dotted path; nil when absent.
func jsonAt(v any, path string) any {
	for _, part := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[part]
	}
	return v
}

func requestIDs(events []map[string]any) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i], _ = e["requestId"].(string)
	}
	return out
}

// TestAuditLog: every change made through the API is recorded with who made
// it, what changed (secrets redacted) and the request's ID; refused
// mutations record nothing; the log can be filtered; only the organization's
// admins and viewers read it; the database refuses to change it.
func TestAuditLog(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		adminToken := a.mintToken("ORG_ADMIN", w.org)
		adminID := a.as(adminToken).do(viewerQuery, nil).str(t, "viewer.id")
		viewerToken := a.mintToken("ORG_VIEWER", w.org)
		admin, viewer := a.as(adminToken), a.as(viewerToken)

		// mutate sends a mutation as the ORG_ADMIN with X-Request-Id requestID
		// ("" for none) and returns the response and the ID it came back with.
		mutate := func(t *testing.T, requestID, query string, vars map[string]any) (result, string) {
			t.Helper()
			h := bearer(adminToken)
			if requestID != "" {
				h["X-Request-Id"] = requestID
			}
			r := postWithHeaders(t, a.url, query, vars, h)
			if r.Status != http.StatusOK || len(r.Errors) > 0 || strings.Contains(r.Raw, `"userErrors":[{`) {
				t.Fatalf("mutation failed (%d): %s", r.Status, r.Raw)
			}
			return r.result, r.Header.Get("X-Request-Id")
		}

		secretConfig := map[string]any{"project": "SEC", "site_url": "https://acme.atlassian.net", "auth_method": "api_token",
			"email": "bot@acme.example", "api_token": auditSecret}
		r, echoed := mutate(t, "req-create-1", createIntegration, integrationInput(w.prod, w.point, "jira", secretConfig))
		if echoed != "req-create-1" {
			t.Errorf("X-Request-Id came back as %q, want req-create-1", echoed)
		}
		integrationID := r.str(t, "createIntegration.integration.id")
		mutate(t, "req-update-2", updateIntegration, map[string]any{"input": map[string]any{"id": integrationID, "config": map[string]any{
			"project": "OPS", "site_url": "https://acme.atlassian.net", "auth_method": "api_token",
			"email": "bot@acme.example", "api_token": auditRotatedSecret}}})
		mutate(t, "req-account-3", updateAccount, map[string]any{"input": map[string]any{"id": w.test, "name": "Renamed test"}})
		r, _ = mutate(t, "req-create-4", createIntegration, integrationInput(w.test, w.point, "mock_ticketing", map[string]any{"project": "SANDBOX"}))
		doomedID := r.str(t, "createIntegration.integration.id")
		mutate(t, "req-delete-5", fmt.Sprintf(deleteMutation, "deleteIntegration"), map[string]any{"input": map[string]any{"id": doomedID}})
		r, _ = mutate(t, "req-token-6", createApiToken, map[string]any{"input": map[string]any{
			"organizationId": w.org, "role": "ORG_VIEWER", "name": "dashboard"}})
		mintedSecret := r.str(t, "createApiToken.token")
		mintedID := r.str(t, "createApiToken.apiToken.id")
		mintedPrefix := r.str(t, "createApiToken.apiToken.prefix")
		const revoke = `mutation($id: ID!) { revokeApiToken(input: { id: $id }) { apiToken { id revokedAt } userErrors { code field message } } }`
		mutate(t, "req-revoke-7", revoke, map[string]any{"id": mintedID})

		t.Run("Events", func(t *testing.T) {
			r, events := admin.auditEvents(w.org, nil)
			byRequest := map[string]map[string]any{}
			for _, e := range events {
				id, _ := e["requestId"].(string)
				if _, dup := byRequest[id]; dup && strings.HasPrefix(id, "req-") {
					t.Errorf("two events for request %s: %s", id, r.Raw)
				}
				byRequest[id] = e
			}
			for _, tc := range []struct {
				requestID, action, targetID, targetType string
				check                                   func(t *testing.T, before, after any)
			}{
				{"req-create-1", "createIntegration", integrationID, "Integration", func(t *testing.T, before, after any) {
					if before != nil || jsonAt(after, "name") != "jira integration" || jsonAt(after, "provider") != "jira" ||
						jsonAt(after, "config.project") != "SEC" || jsonAt(after, "config.email") != "bot@acme.example" ||
						jsonAt(after, "accountId") != w.prod || jsonAt(after, "integrationPointId") != w.point {
						t.Errorf("changes: before %v, after %v", before, after)
					}
					if jsonAt(after, "config.api_token") != "[REDACTED]" {
						t.Errorf("after.config.api_token = %v, want [REDACTED]", jsonAt(after, "config.api_token"))
					}
				}},
				{"req-update-2", "updateIntegration", integrationID, "Integration", func(t *testing.T, before, after any) {
					if jsonAt(before, "config.project") != "SEC" || jsonAt(after, "config.project") != "OPS" {
						t.Errorf("config.project: before %v, after %v", jsonAt(before, "config.project"), jsonAt(after, "config.project"))
					}
					if jsonAt(before, "config.api_token") != "[REDACTED]" || jsonAt(after, "config.api_token") != "[REDACTED]" {
						t.Errorf("api_token: before %v, after %v; want [REDACTED] both", jsonAt(before, "config.api_token"), jsonAt(after, "config.api_token"))
					}
				}},
				{"req-account-3", "updateAccount", w.test, "Account", func(t *testing.T, before, after any) {
					if jsonAt(before, "name") != "Account acme-test" || jsonAt(after, "name") != "Renamed test" ||
						jsonAt(before, "slug") != "acme-test" || jsonAt(after, "environment") != "TEST" {
						t.Errorf("changes: before %v, after %v", before, after)
					}
				}},
				{"req-create-4", "createIntegration", doomedID, "Integration", func(t *testing.T, before, after any) {
					if before != nil || jsonAt(after, "provider") != "mock_ticketing" {
						t.Errorf("changes: before %v, after %v", before, after)
					}
				}},
				{"req-delete-5", "deleteIntegration", doomedID, "Integration", func(t *testing.T, before, after any) {
					if after != nil || jsonAt(before, "provider") != "mock_ticketing" || jsonAt(before, "config.project") != "SANDBOX" {
						t.Errorf("changes: before %v, after %v", before, after)
					}
				}},
				{"req-token-6", "createApiToken", mintedID, "ApiToken", func(t *testing.T, before, after any) {
					if before != nil || jsonAt(after, "role") != "ORG_VIEWER" || jsonAt(after, "name") != "dashboard" ||
						jsonAt(after, "prefix") != mintedPrefix || jsonAt(after, "organizationId") != w.org || jsonAt(after, "revokedAt") != nil {
						t.Errorf("changes: before %v, after %v", before, after)
					}
				}},
				{"req-revoke-7", "revokeApiToken", mintedID, "ApiToken", func(t *testing.T, before, after any) {
					if jsonAt(before, "revokedAt") != nil || jsonAt(after, "revokedAt") == nil || jsonAt(after, "name") != "dashboard" {
						t.Errorf("changes: before %v, after %v", before, after)
					}
				}},
			} {
				t.Run(tc.requestID, func(t *testing.T) {
					e, ok := byRequest[tc.requestID]
					if !ok {
						t.Fatalf("no event with requestId %s: %v", tc.requestID, requestIDs(events))
					}
					if e["action"] != tc.action || jsonAt(e, "target.id") != tc.targetID || jsonAt(e, "target.type") != tc.targetType {
						t.Errorf("event %v: want action %s, target %s %s", e, tc.action, tc.targetType, tc.targetID)
					}
					if jsonAt(e, "actor.tokenId") != adminID || jsonAt(e, "actor.role") != "ORG_ADMIN" || jsonAt(e, "actor.name") != "ORG_ADMIN token" {
						t.Errorf("actor = %v, want token %s, ORG_ADMIN, %q", e["actor"], adminID, "ORG_ADMIN token")
					}
					if at, err := time.Parse(time.RFC3339Nano, fmt.Sprint(e["at"])); err != nil || time.Since(at) > time.Minute || time.Until(at) > time.Minute {
						t.Errorf("at = %v (%v), want about now", e["at"], err)
					}
					changes, ok := e["changes"].(map[string]any)
					if !ok {
						t.Fatalf("changes = %v, want {before, after}", e["changes"])
					}
					for _, k := range []string{"before", "after"} {
						if _, ok := changes[k]; !ok {
							t.Errorf("changes has no %q: %v", k, changes)
						}
					}
					tc.check(t, changes["before"], changes["after"])
				})
			}

			// Newest first: the last mutation leads, the first of this story comes after.
			ids := requestIDs(events)
			if len(ids) == 0 || ids[0] != "req-revoke-7" {
				t.Errorf("the newest event is not the last change: %v", ids)
			}
			if i, j := slices.Index(ids, "req-create-1"), slices.Index(ids, "req-update-2"); i < j {
				t.Errorf("not newest first: %v", ids)
			}
			for i := 1; i < len(events); i++ {
				prev, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(events[i-1]["at"]))
				cur, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(events[i]["at"]))
				if cur.After(prev) {
					t.Errorf("event %d (%v) is newer than event %d (%v)", i, events[i]["at"], i-1, events[i-1]["at"])
				}
			}
			// The story's setup, by the platform admin, is there too.
			for _, e := range events {
				if e["action"] == "createOrganization" {
					if jsonAt(e, "target.id") != w.org || jsonAt(e, "target.type") != "Organization" || jsonAt(e, "actor.role") != "PLATFORM_ADMIN" {
						t.Errorf("createOrganization event: %v", e)
					}
				}
			}
			if r.num(t, "node.auditEvents.totalCount") != len(events) {
				t.Errorf("totalCount %d, %d nodes", r.num(t, "node.auditEvents.totalCount"), len(events))
			}

			for _, s := range []string{auditSecret, auditRotatedSecret, mintedSecret, mintedSecret[len(mintedPrefix):], adminToken} {
				if strings.Contains(r.Raw, s) {
					t.Errorf("the audit log shows a secret %q", s)
				}
				if where := testdb.CellsContaining(t, a.store.DB(), a.store.Engine() == store.SQLite, s); len(where) > 0 {
					t.Errorf("secret %q is in clear in %v", s, where)
				}
			}
			if !strings.Contains(r.Raw, "[REDACTED]") {
				t.Error("no [REDACTED] marker in the audit log")
			}
		})

		t.Run("RequestID", func(t *testing.T) {
			for i, sent := range []string{"", "has spaces and / slashes", strings.Repeat("a", 129), "ok-but-\u00e9"} {
				_, echoed := mutate(t, sent, updateAccount, map[string]any{"input": map[string]any{"id": w.test, "name": fmt.Sprintf("Renamed %d", i)}})
				if !uuidFormat.MatchString(echoed) {
					t.Errorf("X-Request-Id %q: came back as %q, want a generated UUID", sent, echoed)
				}
				_, events := admin.auditEvents(w.org, nil)
				if events[0]["requestId"] != echoed || events[0]["action"] != "updateAccount" {
					t.Errorf("X-Request-Id %q: the event's requestId is %v, the response's %q", sent, events[0]["requestId"], echoed)
				}
			}
			// Exactly 128 sane characters are kept.
			long := strings.Repeat("Ab1.-_:", 19)[:128]
			if _, echoed := mutate(t, long, updateAccount, map[string]any{"input": map[string]any{"id": w.test, "name": "Renamed long"}}); echoed != long {
				t.Errorf("a 128-character X-Request-Id came back as %q", echoed)
			}
			if _, events := admin.auditEvents(w.org, nil); events[0]["requestId"] != long {
				t.Errorf("the event's requestId is %v, want the client's", events[0]["requestId"])
			}
		})

		t.Run("NoChangeNoEvent", func(t *testing.T) {
			n := admin.auditCount(w.org)
			// An update to the same values writes nothing: not even updatedAt.
			updatedAt := func() any {
				return admin.do(`query($id: ID!) { node(id: $id) { ... on Account { updatedAt } } }`, map[string]any{"id": w.test}).get(t, "node.updatedAt")
			}
			was := updatedAt()
			r := admin.do(updateAccount, map[string]any{"input": map[string]any{"id": w.test, "name": "Renamed long"}})
			if len(r.list(t, "updateAccount.userErrors")) > 0 {
				t.Fatalf("update: %s", r.Raw)
			}
			if now := updatedAt(); now != was {
				t.Errorf("an update that changes nothing moved updatedAt from %v to %v", was, now)
			}
			r = admin.do(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": w.point, "name": "Ticketing"}})
			if len(r.list(t, "updateIntegrationPoint.userErrors")) > 0 || r.num(t, "updateIntegrationPoint.integrationPoint.version") != 1 {
				t.Fatalf("point update to the same name: %s", r.Raw)
			}
			// Revoking a revoked token changes nothing either.
			r = admin.do(revoke, map[string]any{"id": mintedID})
			if len(r.list(t, "revokeApiToken.userErrors")) > 0 {
				t.Fatalf("revoke again: %s", r.Raw)
			}
			if got := admin.auditCount(w.org); got != n {
				t.Errorf("updates that change nothing wrote %d events", got-n)
			}
		})

		t.Run("RefusedMutationsRecordNothing", func(t *testing.T) {
			n := admin.auditCount(w.org)
			refused := []struct {
				name    string
				as      *app
				query   string
				vars    map[string]any
				payload string
				code    string
			}{
				{"RulesViolated", admin, createIntegration, integrationInput(w.prod, w.point, "zendesk", map[string]any{"project": "ESC"}),
					"createIntegration", "RULES_VIOLATED"},
				{"ForbiddenForViewer", viewer, createIntegration, integrationInput(w.prod, w.point, "jira", map[string]any{"project": "SEC"}),
					"createIntegration", "FORBIDDEN"},
				{"ViewerMintsToken", viewer, createApiToken, map[string]any{"input": map[string]any{"organizationId": w.org, "role": "ORG_VIEWER", "name": "nope"}},
					"createApiToken", "FORBIDDEN"},
				{"BadInput", admin, createAccount, map[string]any{"input": map[string]any{"organizationId": w.org, "slug": "Not A Slug!",
					"name": "Bad", "environment": "TEST"}}, "createAccount", "INVALID_INPUT"},
				{"UnknownTarget", admin, updateIntegration, map[string]any{"input": map[string]any{"id": doomedID, "name": "ghost"}},
					"updateIntegration", "NOT_FOUND"},
				// Refused after the event was written in the transaction: both roll back.
				{"HasIntegrations", admin, fmt.Sprintf(deleteMutation, "deleteIntegrationPoint"), map[string]any{"input": map[string]any{"id": w.point}},
					"deleteIntegrationPoint", "HAS_INTEGRATIONS"},
			}
			for _, tc := range refused {
				t.Run(tc.name, func(t *testing.T) {
					r := tc.as.on(t).do(tc.query, tc.vars)
					if got, _ := r.get(t, tc.payload+".userErrors.0.code").(string); got != tc.code {
						t.Errorf("want user error %s: %s", tc.code, r.Raw)
					}
					if got := admin.on(t).auditCount(w.org); got != n {
						t.Errorf("a refused %s wrote %d audit events", tc.payload, got-n)
						n = got
					}
				})
			}
		})

		t.Run("Filters", func(t *testing.T) {
			r, events := admin.auditEvents(w.org, map[string]any{"action": "updateIntegration"})
			if r.num(t, "node.auditEvents.totalCount") != 1 || len(events) != 1 || events[0]["requestId"] != "req-update-2" {
				t.Errorf("filter by action: %s", r.Raw)
			}
			r, events = admin.auditEvents(w.org, map[string]any{"targetId": integrationID})
			if got := requestIDs(events); r.num(t, "node.auditEvents.totalCount") != 2 || !slices.Equal(got, []string{"req-update-2", "req-create-1"}) {
				t.Errorf("filter by target: %v, want [req-update-2 req-create-1]: %s", got, r.Raw)
			}
			r, events = admin.auditEvents(w.org, map[string]any{"targetId": doomedID, "action": "deleteIntegration"})
			if got := requestIDs(events); !slices.Equal(got, []string{"req-delete-5"}) || r.num(t, "node.auditEvents.totalCount") != 1 {
				t.Errorf("filter by target and action: %v: %s", got, r.Raw)
			}

			_, all := admin.auditEvents(w.org, nil)
			var at string
			for _, e := range all {
				if e["requestId"] == "req-account-3" {
					at, _ = e["at"].(string)
				}
			}
			if at == "" {
				t.Fatal("no req-account-3 event")
			}
			r, events = admin.auditEvents(w.org, map[string]any{"since": at})
			got := requestIDs(events)
			if !slices.Contains(got, "req-account-3") || !slices.Contains(got, "req-revoke-7") ||
				slices.Contains(got, "req-update-2") || slices.Contains(got, "req-create-1") {
				t.Errorf("since %s (inclusive): %v", at, got)
			}
			if r.num(t, "node.auditEvents.totalCount") != len(events) {
				t.Errorf("since: totalCount %d, %d nodes", r.num(t, "node.auditEvents.totalCount"), len(events))
			}
			r, events = admin.auditEvents(w.org, map[string]any{"since": at, "action": "createIntegration"})
			if got := requestIDs(events); !slices.Equal(got, []string{"req-create-4"}) {
				t.Errorf("since %s and action createIntegration: %v, want [req-create-4]", at, got)
			}
			r, _ = admin.auditEvents(w.org, map[string]any{"since": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
			if r.num(t, "node.auditEvents.totalCount") != 0 {
				t.Errorf("events in the future: %s", r.Raw)
			}
		})

		t.Run("Readers", func(t *testing.T) {
			want := admin.auditCount(w.org)
			if got := viewer.auditCount(w.org); got != want {
				t.Errorf("ORG_VIEWER sees %d events, ORG_ADMIN %d", got, want)
			}
			if got := a.auditCount(w.org); got != want {
				t.Errorf("PLATFORM_ADMIN sees %d events, ORG_ADMIN %d", got, want)
			}
			const q = `query($id: ID!) { node(id: $id) { ... on Organization { id auditEvents { totalCount nodes { id } } } } }`
			for _, role := range []string{"ACCOUNT_ADMIN", "ACCOUNT_VIEWER"} {
				r := a.as(a.mintToken(role, w.prod)).post(q, map[string]any{"id": w.org})
				if r.Status != http.StatusOK || jsonAt(r.Data, "node.id") != w.org {
					t.Fatalf("%s reading its organization: %s", role, r.Raw)
				}
				if got := jsonAt(r.Data, "node.auditEvents"); got != nil {
					t.Errorf("%s reads the audit log: %s", role, r.Raw)
				}
				if r.errorCode(t) != "FORBIDDEN" || fmt.Sprint(r.Errors[0].Path) != "[node auditEvents]" {
					t.Errorf("%s: want one FORBIDDEN error at node.auditEvents: %s", role, r.Raw)
				}
			}
			// Another organization's admin does not see this log.
			other := a.createOrg("globex")
			r := a.as(a.mintToken("ORG_ADMIN", other)).post(q, map[string]any{"id": w.org})
			if strings.Contains(r.Raw, "req-") || jsonAt(r.Data, "node.auditEvents") != nil {
				t.Errorf("another organization's admin reads the log: %s", r.Raw)
			}
		})

		t.Run("AppendOnly", func(t *testing.T) {
			db := a.store.DB()
			count := func() int {
				var n int
				if err := db.QueryRow("SELECT COUNT(*) FROM audit_events").Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			n := count()
			if n == 0 {
				t.Fatal("no audit events to tamper with")
			}
			statements := []string{
				"UPDATE audit_events SET action = 'tampered'",
				"UPDATE audit_events SET changes = '{}' WHERE request_id = 'req-update-2'",
				"DELETE FROM audit_events",
				"DELETE FROM audit_events WHERE request_id = 'req-create-1'",
			}
			if a.store.Engine() == store.Postgres {
				statements = append(statements, "TRUNCATE audit_events")
			}
			for _, s := range statements {
				if _, err := db.Exec(s); err == nil {
					t.Errorf("the database accepted %q", s)
				}
			}
			if got := count(); got != n {
				t.Errorf("%d audit events, was %d", got, n)
			}
			var tampered int
			db.QueryRow("SELECT COUNT(*) FROM audit_events WHERE action = 'tampered' OR changes = '{}'").Scan(&tampered)
			if tampered != 0 {
				t.Errorf("%d events were changed", tampered)
			}
			if _, events := admin.auditEvents(w.org, map[string]any{"targetId": integrationID}); len(events) != 2 {
				t.Errorf("after the attempts, the integration has %d events, want 2", len(events))
			}
		})
	})
}

// TestUserErrorCodesInSchema: the codes refused mutations return in
// userErrors are values of the schema's UserErrorCode enum, which typed
// clients generate their code from.
func TestUserErrorCodesInSchema(t *testing.T) {
	t.Parallel()
	a := newApp(t, testdb.SQLite(t))
	w := a.world()
	viewer := a.as(a.mintToken("ORG_VIEWER", w.org))
	codes := map[string]bool{}
	for _, r := range []result{
		viewer.do(createIntegration, integrationInput(w.prod, w.point, "jira", map[string]any{"project": "SEC"})),
		viewer.do(createApiToken, map[string]any{"input": map[string]any{"organizationId": w.org, "role": "ORG_VIEWER", "name": "nope"}}),
		a.do(createIntegration, integrationInput(w.prod, w.point, "zendesk", map[string]any{"project": "ESC"})),
		a.do(createAccount, map[string]any{"input": map[string]any{"organizationId": w.org, "slug": "Not A Slug!", "name": "Bad", "environment": "TEST"}}),
	} {
		for _, payload := range r.Data {
			for _, ue := range toList(jsonAt(payload, "userErrors")) {
				codes[fmt.Sprint(jsonAt(ue, "code"))] = true
			}
		}
	}
	if !codes["FORBIDDEN"] || !codes["RULES_VIOLATED"] || !codes["INVALID_INPUT"] {
		t.Fatalf("the refusals did not give FORBIDDEN, RULES_VIOLATED and INVALID_INPUT: %v", codes)
	}
	r := a.do(`{ __type(name: "UserErrorCode") { enumValues { name } } }`, nil)
	var values []string
	for _, v := range r.list(t, "__type.enumValues") {
		values = append(values, fmt.Sprint(jsonAt(v, "name")))
	}
	for code := range codes {
		if !slices.Contains(values, code) {
			t.Errorf("user error code %s is returned but is not a value of the schema's UserErrorCode enum %v", code, values)
		}
	}
}

func toList(v any) []any {
	l, _ := v.([]any)
	return l
}
