package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/limits"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/secrets"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/testdb"
)

// comparisonQuery is the org graph of the shared comparison with
// PostGraphile (../shared/bench/orggraph): an organization, its first 20
// points, each point's first 50 integrations with provider and account.
const comparisonQuery = `query($slug: String!) { organization(slug: $slug) { name
	integrationPoints(first: 20) { nodes { name category
		integrations(first: 50) { nodes { name compliance { status } provider { name category } account { name environment } } } } } } }`

// orgGraphQuery is the same graph with IDs, configs and violations.
const orgGraphQuery = `query($slug: String!) { organization(slug: $slug) { id name
	integrationPoints(first: 20) { nodes { id name version
		integrations(first: 50) { nodes { id name config
			provider { key name category }
			account { id slug environment }
			compliance { status pointVersion violations { code message } } } } } } } }`

// seedOrgGraph creates an organization with points × perPoint integrations
// spread over accounts, through the service (faster than HTTP, same rules).
func seedOrgGraph(tb testing.TB, a *app, slug string, points, perPoint, accounts int) {
	tb.Helper()
	ctx := policy.With(context.Background(), policy.System)
	org, err := a.service.CreateOrganization(ctx, service.CreateOrganizationInput{Slug: slug, Name: slug})
	if err != nil {
		tb.Fatal(err)
	}
	accountIDs := make([]string, accounts)
	for i := range accountIDs {
		acc, err := a.service.CreateAccount(ctx, service.CreateAccountInput{
			OrganizationID: org.ID, Slug: fmt.Sprintf("account-%d", i), Name: "Account", Environment: domain.EnvironmentProd})
		if err != nil {
			tb.Fatal(err)
		}
		accountIDs[i] = acc.ID
	}
	for p := 0; p < points; p++ {
		point, err := a.service.CreateIntegrationPoint(ctx, service.CreateIntegrationPointInput{
			OrganizationID: org.ID, Slug: fmt.Sprintf("point-%d", p), Name: fmt.Sprintf("Point %d", p),
			Category: domain.CategoryTicketing, AllowedProviders: domain.AllowedProviders{Prod: []string{"jira", "servicenow"}},
			RequiredConfig: []string{"project"},
		})
		if err != nil {
			tb.Fatal(err)
		}
		for i := 0; i < perPoint; i++ {
			_, v, err := a.service.CreateIntegration(ctx, service.CreateIntegrationInput{
				AccountID: accountIDs[(p*perPoint+i)%accounts], IntegrationPointID: point.ID, Provider: "jira",
				Name: fmt.Sprintf("Integration %d", i), Config: map[string]any{"project": fmt.Sprint(i)},
			})
			if err != nil || len(v.Violations) > 0 {
				tb.Fatalf("seed integration: %v %v", err, v)
			}
		}
	}
}

// The shapes of a 1,000-integration read that the executor must serve
// alike: the org graph (points first), the partner-app query of the shared
// comparison, accounts first, nodes by ID, and the org graph through
// nested fragments. Each comes with the SQL statements it costs: one per
// field that reads (organization, points, integrations, accounts...), and
// none for providers, which are in memory.
type orgGraphShape struct {
	name       string
	query      string
	statements int
	// many is how many integrations it shows of the large organizations
	// (20 points × 50 integrations over 250 accounts); 0 means 1,000.
	many int
	// vars builds the variables from the organization's slug and its
	// integrations' IDs.
	vars func(slug string, integrationIDs []string) map[string]any
}

var orgGraphShapes = []orgGraphShape{
	{name: "org-graph", statements: 4, query: comparisonQuery},
	{name: "org-graph-full", query: orgGraphQuery, statements: 4},
	{name: "accounts-first", statements: 5, many: 400, query: `query($slug: String!) { organization(slug: $slug) { name
		accounts(first: 100) { totalCount nodes { slug
			integrations(first: 10) { edges { cursor node { name compliance { status pointVersion }
				integrationPoint { slug } provider { key } } } pageInfo { hasNextPage endCursor } } } } } }`},
	{name: "nodes", statements: 2, query: nodesQuery(10), vars: func(_ string, ids []string) map[string]any {
		v := map[string]any{}
		for i := 0; i < 10; i++ {
			v[fmt.Sprintf("ids%d", i)] = ids[i*100 : (i+1)*100]
		}
		return v
	}},
	{name: "fragments", statements: 4, query: `query($slug: String!) { organization(slug: $slug) { ...Org } }
		fragment Org on Organization { name integrationPoints(first: 20) { nodes { ...Point } } }
		fragment Point on IntegrationPoint { name category integrations(first: 50) { nodes { ...Integration } } }
		fragment Integration on Integration { ... on Node { id } name ...Compliance provider { ...Provider } account { ... on Account { name environment } } }
		fragment Compliance on Integration { compliance { status } }
		fragment Provider on Provider { name category }`},
}

// nodesQuery asks for n×100 integrations by ID, 100 per nodes field (its
// maximum), each with its account: one statement for the integrations of
// all the nodes fields, and one for all the accounts.
func nodesQuery(n int) string {
	var b strings.Builder
	b.WriteString("query(")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "$ids%d: [ID!]! ", i)
	}
	b.WriteString(") {")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, " n%d: nodes(ids: $ids%d) { __typename ... on Integration { name compliance { status } provider { name } account { name } } }", i, i)
	}
	b.WriteString(" }")
	return b.String()
}

// integrations is how many integrations the shape shows of the large organizations.
func (s orgGraphShape) integrations() int {
	if s.many == 0 {
		return 1000
	}
	return s.many
}

func (s orgGraphShape) variables(slug string, ids []string) map[string]any {
	if s.vars != nil {
		return s.vars(slug, ids)
	}
	return map[string]any{"slug": slug}
}

// integrationIDs are the organization's first 1,000 integrations' IDs.
func (a *app) integrationIDs(slug string) []string {
	a.t.Helper()
	var ids []string
	for after := ""; len(ids) < 1000; {
		r := a.do(`query($slug: String!, $after: String) { organization(slug: $slug) {
			integrations(first: 100, after: $after) { nodes { id } pageInfo { endCursor } } } }`, map[string]any{"slug": slug, "after": after})
		for _, n := range r.list(a.t, "organization.integrations.nodes") {
			ids = append(ids, n.(map[string]any)["id"].(string))
		}
		after = r.str(a.t, "organization.integrations.pageInfo.endCursor")
	}
	return ids
}

// integrationNodes counts the integration objects in an answer.
func integrationNodes(raw string) int {
	return strings.Count(raw, `"provider":`)
}

// TestOrgGraphStatementCount: each shape of a 1,000-integration read costs
// one statement per reading field, whatever the size of the data: on a
// small organization and on one whose 1,000 integrations belong to 250
// accounts, more than any batch of a loader held, plus one statement that
// checks the token. Package executor answers every shape itself.
func TestOrgGraphStatementCount(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		a := newApp(t, databaseURL)
		seedOrgGraph(t, a, "small", 2, 5, 2)
		seedOrgGraph(t, a, "large", 20, 50, 250)
		ids := a.integrationIDs("large")
		// Recording the token's use (once a minute) is done here, before counting.
		const tokenCheck = 1
		a.do(`{ __typename }`, nil)
		for _, shape := range orgGraphShapes {
			for _, slug := range []string{"small", "large"} {
				if shape.vars != nil && slug == "small" {
					continue // nodes asks for 1,000 IDs
				}
				a.statements.Store(0)
				a.gqlgenRuns.Store(0)
				r := a.do(shape.query, shape.variables(slug, ids))
				got := a.statements.Load()
				if n := a.gqlgenRuns.Load(); n != 0 {
					t.Errorf("%s on %s: package executor handed the query to gqlgen", shape.name, slug)
				}
				if want := map[string]int{"small": 10, "large": shape.integrations()}[slug]; integrationNodes(r.Raw) != want {
					t.Fatalf("%s on %s: %d integrations, want %d: %.500s", shape.name, slug, integrationNodes(r.Raw), want, r.Raw)
				}
				if got != int64(shape.statements+tokenCheck) {
					t.Errorf("%s on %s: %d SQL statements, want %d (one per reading field, one for the token)",
						shape.name, slug, got, shape.statements+tokenCheck)
				}
			}
		}
	})
}

// BenchmarkOrgGraph serves the org graph of the shared comparison (20
// points × 50 integrations, with provider and account) through the HTTP
// handler, checking each answer.
func BenchmarkOrgGraph(b *testing.B) {
	for _, engine := range testdb.Engines {
		b.Run(engine, func(b *testing.B) {
			a := newApp(b, testdb.URL(b, engine))
			seedOrgGraph(b, a, "bench", 20, 50, 10)
			analyze(b, a)
			benchmarkShape(b, a, "bench", orgGraphShape{query: comparisonQuery}, nil)
		})
	}
}

// BenchmarkOrgGraphTraced is BenchmarkOrgGraph with tracing on: every
// span made and batched as in production, to an exporter that drops them,
// so that the difference is what tracing costs the server.
func BenchmarkOrgGraphTraced(b *testing.B) {
	for _, engine := range testdb.Engines {
		b.Run(engine, func(b *testing.B) {
			databaseURL := testdb.URL(b, engine)
			a := newApp(b, databaseURL)
			seedOrgGraph(b, a, "bench", 20, 50, 10)
			analyze(b, a)
			tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
			ring, _ := secrets.NewKeyring(secrets.NewKey())
			st, err := store.Open(context.Background(), databaseURL, store.Options{Secrets: ring, Tracer: tp})
			if err != nil {
				b.Fatal(err)
			}
			lim := limits.Default()
			lim.RatePerSecond = 0
			h := New(st, service.New(st), slog.New(slog.NewTextHandler(io.Discard, nil)), lim, Pointguard, WithTracing(tp))
			srv := httptest.NewServer(h)
			b.Cleanup(func() { srv.Close(); h.Close(); st.Close(); tp.Shutdown(context.Background()) })
			traced := *a
			traced.url = srv.URL
			benchmarkShape(b, &traced, "bench", orgGraphShape{query: comparisonQuery}, nil)
		})
	}
}

// BenchmarkOrgGraphShapes serves each shape of a read of up to 1,000
// integrations over 250 accounts through the HTTP handler.
func BenchmarkOrgGraphShapes(b *testing.B) {
	for _, engine := range testdb.Engines {
		b.Run(engine, func(b *testing.B) {
			a := newApp(b, testdb.URL(b, engine))
			seedOrgGraph(b, a, "bench", 20, 50, 250)
			analyze(b, a)
			ids := a.integrationIDs("bench")
			for _, shape := range orgGraphShapes {
				b.Run(shape.name, func(b *testing.B) { benchmarkShape(b, a, "bench", shape, ids) })
			}
		})
	}
}

// analyze gathers the planner's statistics, as autovacuum (PostgreSQL) and
// the optimize pragma (SQLite) keep them on a database in use: without
// them, a new table's plans are guesses.
func analyze(b *testing.B, a *app) {
	if _, err := a.store.DB().Exec("ANALYZE"); err != nil {
		b.Fatal(err)
	}
}

// benchmarkShape measures the server, as a partner app with an ORG_VIEWER
// token would call it, checking each answer by counting, not decoding.
func benchmarkShape(b *testing.B, a *app, slug string, shape orgGraphShape, ids []string) {
	a = a.on(b)
	a.referenceURL = "" // measure the server, not the comparison
	token := a.mintToken("ORG_VIEWER", a.do(`query($slug: String!) { organization(slug: $slug) { id } }`, map[string]any{"slug": slug}).str(b, "organization.id"))
	body, _ := json.Marshal(map[string]any{"query": shape.query, "variables": shape.variables(slug, ids)})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, a.url+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || bytes.Contains(raw, []byte(`"errors"`)) || integrationNodes(string(raw)) != shape.integrations() {
			b.Fatalf("bad answer: %.300s", raw)
		}
	}
}
