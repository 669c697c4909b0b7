package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/testdb"
)

// orgGraphQuery is what a partner app asks: an organization, its first 20
// points, each point's first 50 integrations with provider and account.
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
				AccountID: accountIDs[i%accounts], IntegrationPointID: point.ID, Provider: "jira",
				Name: fmt.Sprintf("Integration %d", i), Config: map[string]any{"project": fmt.Sprint(i)},
			})
			if err != nil || len(v) > 0 {
				tb.Fatalf("seed integration: %v %v", err, v)
			}
		}
	}
}

// TestOrgGraphStatementCount: the org-graph query costs one statement per
// level of nesting (organization, points, integrations, accounts; providers
// are in memory), on a small and on a 100 times larger organization, plus
// one to check the token.
func TestOrgGraphStatementCount(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		a := newApp(t, databaseURL)
		seedOrgGraph(t, a, "small", 2, 5, 2)
		seedOrgGraph(t, a, "large", 20, 50, 10)
		// One statement checks the token; recording its use (once a minute)
		// is done here, before counting.
		const levels, tokenCheck = 4, 1
		a.do(`{ __typename }`, nil)
		for _, tc := range []struct {
			slug                 string
			points, integrations int
		}{{"small", 2, 10}, {"large", 20, 1000}} {
			// Each request has fresh loaders: the first one is no cache warm-up.
			a.statements.Store(0)
			a.gqlgenRuns.Store(0)
			r := a.do(orgGraphQuery, map[string]any{"slug": tc.slug})
			got := a.statements.Load()
			if n := a.gqlgenRuns.Load(); n != 0 {
				t.Errorf("%s: package executor handed the query to gqlgen", tc.slug)
			}
			points := r.list(t, "organization.integrationPoints.nodes")
			n := 0
			for i := range points {
				n += len(r.list(t, fmt.Sprintf("organization.integrationPoints.nodes.%d.integrations.nodes", i)))
			}
			if len(points) != tc.points || n != tc.integrations {
				t.Fatalf("%s: got %d points and %d integrations, want %d and %d", tc.slug, len(points), n, tc.points, tc.integrations)
			}
			if got != levels+tokenCheck {
				t.Errorf("%s organization: %d SQL statements, want %d (one per level, one for the token)", tc.slug, got, levels+tokenCheck)
			}
		}
	})
}

// BenchmarkOrgGraph serves the org-graph query (20 points × 50 integrations,
// with provider and account) through the HTTP handler, checking each answer.
func BenchmarkOrgGraph(b *testing.B) {
	for _, engine := range testdb.Engines {
		b.Run(engine, func(b *testing.B) {
			databaseURL := testdb.URL(b, engine)
			a := newApp(b, databaseURL)
			seedOrgGraph(b, a, "bench", 20, 50, 10)
			// A partner app fetches the graph with a token of the organization.
			token := a.mintToken("ORG_VIEWER", a.do(`{ organization(slug: "bench") { id } }`, nil).str(b, "organization.id"))
			body, _ := json.Marshal(map[string]any{"query": orgGraphQuery, "variables": map[string]any{"slug": "bench"}})
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				// Checked by counting, not decoding: the benchmark measures the server.
				req, _ := http.NewRequest(http.MethodPost, a.url+"/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || bytes.Contains(raw, []byte(`"errors"`)) || bytes.Count(raw, []byte(`"provider":`)) != 1000 {
					b.Fatalf("bad answer: %.300s", raw)
				}
			}
		})
	}
}
