package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/fixtures"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/testdb"
)

// BenchmarkAuthorizeUse asks the use-time gate through the HTTP handler
// from 8 concurrent clients, about 1,000 integrations on a point with 10
// custom rules and a config schema, and reports latency percentiles.
func BenchmarkAuthorizeUse(b *testing.B) {
	const clients = 8
	for _, engine := range testdb.Engines {
		b.Run(engine, func(b *testing.B) {
			databaseURL := testdb.URL(b, engine)
			a := newApp(b, databaseURL)
			ids := seedGate(b, a, 1000)
			// A runtime asks with a token of its organization.
			token := a.mintToken("ORG_VIEWER", a.do(`{ organization(slug: "gate") { id } }`, nil).str(b, "organization.id"))
			bodies := make([][]byte, len(ids))
			for i, id := range ids {
				bodies[i], _ = json.Marshal(map[string]any{"query": `query($id: ID!) { authorizeIntegrationUse(integrationId: $id) { allowed pointVersion violations { code } } }`,
					"variables": map[string]any{"id": id}})
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
			var (
				mu        sync.Mutex
				latencies = make([]time.Duration, 0, b.N)
				next      = make(chan int)
				wg        sync.WaitGroup
			)
			b.ResetTimer()
			for c := 0; c < clients; c++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for n := range next {
						start := time.Now()
						req, _ := http.NewRequest(http.MethodPost, a.url+"/graphql", bytes.NewReader(bodies[n%len(bodies)]))
						req.Header.Set("Content-Type", "application/json")
						req.Header.Set("Authorization", "Bearer "+token)
						resp, err := client.Do(req)
						if err != nil {
							b.Error(err)
							return
						}
						body, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						took := time.Since(start)
						if !bytes.Contains(body, []byte(`"allowed":true`)) {
							b.Errorf("unexpected answer: %s", body)
							return
						}
						mu.Lock()
						latencies = append(latencies, took)
						mu.Unlock()
					}
				}()
			}
			for n := 0; n < b.N; n++ {
				next <- n
			}
			close(next)
			wg.Wait()
			b.StopTimer()
			slices.Sort(latencies)
			if len(latencies) > 0 {
				b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
			}
		})
	}
}

// seedGate creates a point with 10 custom rules and n integrations that pass them.
func seedGate(b *testing.B, a *app, n int) []string {
	ctx := policy.With(context.Background(), policy.System)
	org, _ := a.service.CreateOrganization(ctx, service.CreateOrganizationInput{Slug: "gate", Name: "Gate"})
	acc, _ := a.service.CreateAccount(ctx, service.CreateAccountInput{OrganizationID: org.ID, Slug: "prod", Name: "Prod",
		Environment: domain.EnvironmentProd, Labels: []domain.Label{{Key: "region", Value: "eu"}}})
	point, err := a.service.CreateIntegrationPoint(ctx, service.CreateIntegrationPointInput{
		OrganizationID: org.ID, Slug: "ticketing", Name: "Ticketing", Category: domain.CategoryTicketing,
		AllowedProviders: domain.AllowedProviders{Prod: []string{"jira"}}, RequiredConfig: []string{"project"},
		Rules: fixtures.BenchmarkRules(),
	})
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, n)
	for i := range ids {
		in, v, err := a.service.CreateIntegration(ctx, service.CreateIntegrationInput{AccountID: acc.ID, IntegrationPointID: point.ID,
			Provider: "jira", Name: fmt.Sprintf("Jira %d", i), Config: map[string]any{
				"project": "SEC", "site_url": "https://acme.atlassian.net", "auth_method": "api_token",
				"email": "bot@acme.example", "api_token": "secret-token"}})
		if err != nil || !v.Allowed {
			b.Fatalf("seed: %v %v", err, v)
		}
		ids[i] = in.ID
	}
	return ids
}
