package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/pointguard/pointguard/graph"
	"github.com/pointguard/pointguard/limits"
	"github.com/pointguard/pointguard/resolvers"
	"github.com/pointguard/pointguard/testdb"
)

// TestSchemaSDL: GET /schema.graphql gives a token the schema as SDL,
// which parses into the same types and fields as the server's schema;
// without a token it is 401, another method 405, and with introspection
// off 403 INTROSPECTION_DISABLED; an unchanged schema answers 304 to its
// ETag.
func TestSchemaSDL(t *testing.T) {
	t.Parallel()
	a := newApp(t, testdb.SQLite(t))
	get := func(url, method, token, etag string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, url+"/schema.graphql", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	resp, sdl := get(a.url, http.MethodGet, a.token, "")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("%d %s: %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), sdl)
	}
	served, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: sdl})
	if err != nil {
		t.Fatalf("the SDL does not parse: %v", err)
	}
	want := graph.NewExecutableSchema(graph.Config{Resolvers: &resolvers.Resolver{}}).Schema()
	for name, def := range want.Types {
		if strings.HasPrefix(name, "__") || def.BuiltIn {
			continue
		}
		got := served.Types[name]
		if got == nil || len(got.Fields) != len(def.Fields) || len(got.EnumValues) != len(def.EnumValues) || got.Description != def.Description {
			t.Errorf("type %s: served %+v", name, got)
		}
	}
	if served.Subscription == nil || served.Mutation == nil {
		t.Error("no mutation or subscription root in the SDL")
	}
	if again, _ := get(a.url, http.MethodGet, a.token, resp.Header.Get("ETag")); again.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match its ETag: %d", again.StatusCode)
	}
	if r, _ := get(a.url, http.MethodGet, "", ""); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("without a token: %d", r.StatusCode)
	}
	if r, _ := get(a.url, http.MethodPost, a.token, ""); r.StatusCode != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d, Allow %q", r.StatusCode, r.Header.Get("Allow"))
	}
	cfg := limits.Default()
	cfg.Introspection = false
	closed := httptest.NewServer(handlerWithLimits(t, a, cfg, Pointguard))
	defer closed.Close()
	if r, body := get(closed.URL, http.MethodGet, a.token, ""); r.StatusCode != http.StatusForbidden || !strings.Contains(body, "INTROSPECTION_DISABLED") {
		t.Errorf("introspection off: %d %s", r.StatusCode, body)
	}
}
