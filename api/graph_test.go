package api

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pointguard/pointguard/testdb"
)

func TestNode(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		integration := a.integrate(w.prod, w.point, "jira", map[string]any{"project": "P"})
		r := a.do(`query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`, map[string]any{
			"ids": []string{integration, "garbage", w.point, w.prod, w.org, "prv_jira", "int_0000000000000000000000000000ffff"}})
		want := []string{"Integration", "", "IntegrationPoint", "Account", "Organization", "Provider", ""}
		nodes := r.list(t, "nodes")
		if len(nodes) != len(want) {
			t.Fatalf("nodes: %s", r.Raw)
		}
		for i, typ := range want {
			if typ == "" {
				if nodes[i] != nil {
					t.Errorf("nodes[%d] = %v, want null", i, nodes[i])
				}
				continue
			}
			if got := r.str(t, fmt.Sprintf("nodes.%d.__typename", i)); got != typ {
				t.Errorf("nodes[%d] is a %s, want %s", i, got, typ)
			}
		}
		r = a.post(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": make([]string, 101)})
		if r.errorCode(t) != "BAD_USER_INPUT" {
			t.Errorf("101 ids: %s", r.Raw)
		}
	})
}

// TestPagination walks a list in pages while rows are added: keyset pages
// neither repeat nor skip a row.
func TestPagination(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		for i := 0; i < 5; i++ {
			a.integrate(w.prod, w.point, "jira", map[string]any{"project": fmt.Sprint(i)})
		}
		const q = `query($id: ID!, $after: String) { node(id: $id) { ... on Account {
			integrations(first: 2, after: $after) { totalCount edges { cursor node { config } }
				pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } } }`
		var seen []string
		var after any
		for page := 0; ; page++ {
			r := a.do(q, map[string]any{"id": w.prod, "after": after})
			for i := range r.list(t, "node.integrations.edges") {
				seen = append(seen, r.str(t, fmt.Sprintf("node.integrations.edges.%d.node.config.project", i)))
			}
			if r.get(t, "node.integrations.pageInfo.hasPreviousPage") != (page > 0) {
				t.Errorf("page %d: hasPreviousPage wrong: %s", page, r.Raw)
			}
			if page == 0 {
				// Rows added while paging land at the end and are reached.
				a.integrate(w.prod, w.point, "jira", map[string]any{"project": "late"})
			}
			if r.get(t, "node.integrations.pageInfo.hasNextPage") != true {
				break
			}
			after = r.str(t, "node.integrations.pageInfo.endCursor")
		}
		if got := strings.Join(seen, ","); got != "0,1,2,3,4,late" {
			t.Errorf("pages gave %s, want 0,1,2,3,4,late", got)
		}

		for _, bad := range []struct {
			query string
			vars  map[string]any
			msg   string
		}{
			{`query($id: ID!) { node(id: $id) { ... on Account { integrations(first: 101) { totalCount } } } }`, map[string]any{"id": w.prod}, "first must be between 0 and 100"},
			{`query($id: ID!) { node(id: $id) { ... on Account { integrations(after: "bm9wZQ") { totalCount } } } }`, map[string]any{"id": w.prod}, "is not a cursor"},
			{`{ organizations(first: -1) { totalCount } }`, nil, "first must be between 0 and 100"},
		} {
			r := a.post(bad.query, bad.vars)
			if r.errorCode(t) != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, bad.msg) {
				t.Errorf("want BAD_USER_INPUT %q, got %s", bad.msg, r.Raw)
			}
		}
	})
}

// TestErrorsDoNotLeak: a failing database gives "internal error", never SQL.
func TestErrorsDoNotLeak(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		a.createOrg("acme")
		a.store.Close()
		a.referenceURL = "" // the reference's own store stays open
		r := a.post(`{ organizations { nodes { slug } } }`, nil)
		if r.errorCode(t) != "INTERNAL" || r.Errors[0].Message != "internal error" {
			t.Errorf("want a bare internal error, got %s", r.Raw)
		}
		for _, leak := range []string{"sql", "SELECT", "database", "closed"} {
			if strings.Contains(r.Raw, leak) {
				t.Errorf("response leaks %q: %s", leak, r.Raw)
			}
		}
		resp, err := http.Get(a.url + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("/readyz with the database closed: %d, want 503", resp.StatusCode)
		}
	})
}

func TestHTTP(t *testing.T) {
	t.Parallel()
	a := newApp(t, testdb.SQLite(t))
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/": 200, "/nope": 404} {
		resp, err := http.Get(a.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}

	t.Run("GET", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, a.url+"/graphql?query="+url.QueryEscape(`{ provider(key: "jira") { name category } }`), nil)
		req.Header.Set("Authorization", "Bearer "+a.adminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"name":"Jira","category":"TICKETING"`) {
			t.Errorf("GET /graphql: %s %s", resp.Status, body)
		}
	})

	t.Run("BodyTooLarge", func(t *testing.T) {
		a := a.on(t)
		body := `{"query":"{ providers { key } }","variables":{"pad":"` + strings.Repeat("x", 2<<20) + `"}}`
		r := a.send([]byte(body))
		if r.Status >= 500 || len(r.Errors) == 0 {
			t.Errorf("2 MiB body: %d %s", r.Status, r.Raw[:min(len(r.Raw), 300)])
		}
	})

	t.Run("ValidationErrorsHaveCodes", func(t *testing.T) {
		a := a.on(t)
		r := a.post(`{ providers { nope } }`, nil)
		if r.errorCode(t) != "GRAPHQL_VALIDATION_FAILED" {
			t.Errorf("unknown field: %s", r.Raw)
		}
		r = a.post(`{ providers(category: NOPE) { key } }`, nil)
		if r.errorCode(t) != "GRAPHQL_VALIDATION_FAILED" {
			t.Errorf("unknown enum value: %s", r.Raw)
		}
	})
}

// TestNULRefused: the NUL character, which PostgreSQL stores nowhere, is
// refused in any argument or variable with one clear error, never an
// internal one, and nothing is written.
func TestNULRefused(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		before := digest(t, a.store)
		for _, c := range []struct {
			name  string
			query string
			vars  map[string]any
		}{
			{"variable", createApiToken, map[string]any{"input": map[string]any{"role": "ORG_VIEWER", "name": "a\x00b", "organizationId": w.org}}},
			{"deep in config", createIntegration, integrationInput(w.prod, w.point, "jira", map[string]any{"project": "X", "x": []any{map[string]any{"k": "\x00"}}})},
			{"config key", createIntegration, integrationInput(w.prod, w.point, "jira", map[string]any{"project": "X", "a\x00": 1})},
			{"literal", `{ organization(slug: "ac\u0000me") { id } }`, nil},
			{"literal in a fragment", `{ ...f } fragment f on Query { organization(slug: "\u0000") { id } }`, nil},
			{"filter", `query($org: ID!) { node(id: $org) { ... on Organization { auditEvents(filter: { action: "x\u0000" }) { totalCount } } } }`,
				map[string]any{"org": w.org}},
		} {
			r := a.post(c.query, c.vars)
			if r.errorCode(t) != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "NUL") {
				t.Errorf("%s: %s", c.name, r.Raw)
			}
		}
		if digest(t, a.store) != before {
			t.Error("a request with NUL wrote to the database")
		}
	})
}

// TestInvalidUTF8Refused: bytes that are not UTF-8 in a GET query's
// literals (the one way they arrive undecoded) are BAD_USER_INPUT on both
// engines alike; PostgreSQL used to fail the statement (INTERNAL) where
// SQLite answered null.
func TestInvalidUTF8Refused(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		for _, query := range []string{
			`{ organization(slug: "` + "\xff" + `") { id } }`,
			`query($org: ID!) { node(id: $org) { ... on Organization { auditEvents(filter: { action: "a` + "\xfe" + `" }) { totalCount } } } }`,
		} {
			u := a.url + "/graphql?query=" + url.QueryEscape(query) + "&variables=" + url.QueryEscape(`{"org":"`+w.org+`"}`)
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			req.Header.Set("Authorization", "Bearer "+a.adminToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode >= 500 || !strings.Contains(string(body), `"code":"BAD_USER_INPUT"`) || !strings.Contains(string(body), "UTF-8") {
				t.Errorf("%q: %d %s", query, resp.StatusCode, body)
			}
		}
	})
}
