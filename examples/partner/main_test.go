package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/pointguard/pointguard/api"
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/limits"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/secrets"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/testdb"
)

// seeded is what the test wrote: the point of each integration, by ID.
type seeded struct {
	orgID       string
	accounts    []string
	points      []string
	integration map[string]string
	viewer      string // an ORG_VIEWER token of the organization
}

// seed creates an organization with 3 accounts and 4 points holding 11,
// 12, 2 and 0 integrations (25): with pages of 2, more than a page at every
// level, a last page that is full, one that is not, and an empty list.
func seed(t *testing.T, svc *service.Service) seeded {
	t.Helper()
	ctx := policy.With(context.Background(), policy.System)
	org, err := svc.CreateOrganization(ctx, service.CreateOrganizationInput{Slug: "acme", Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	s := seeded{orgID: org.ID, integration: map[string]string{}}
	for i := range 3 {
		acc, err := svc.CreateAccount(ctx, service.CreateAccountInput{
			OrganizationID: org.ID, Slug: fmt.Sprintf("account-%d", i), Name: "Account", Environment: domain.EnvironmentProd})
		if err != nil {
			t.Fatal(err)
		}
		s.accounts = append(s.accounts, acc.ID)
	}
	for p, count := range []int{11, 12, 2, 0} {
		point, err := svc.CreateIntegrationPoint(ctx, service.CreateIntegrationPointInput{
			OrganizationID: org.ID, Slug: fmt.Sprintf("point-%d", p), Name: fmt.Sprintf("Point %d", p),
			Category: domain.CategoryTicketing, AllowedProviders: domain.AllowedProviders{Prod: []string{"jira"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		s.points = append(s.points, point.ID)
		for i := range count {
			in, v, err := svc.CreateIntegration(ctx, service.CreateIntegrationInput{
				AccountID: s.accounts[i%3], IntegrationPointID: point.ID, Provider: "jira",
				Name: fmt.Sprintf("Jira %d.%d", p, i), Config: map[string]any{"project": "SEC"},
			})
			if err != nil || len(v.Violations) > 0 {
				t.Fatalf("seed integration: %v %v", err, v)
			}
			s.integration[in.ID] = point.ID
		}
	}
	s.viewer, _, err = svc.CreateApiToken(ctx, service.CreateApiTokenInput{OrganizationID: &org.ID, Role: domain.RoleOrgViewer, Name: "partner app"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// serve runs the real API on a fresh database behind an HTTP server that
// counts the requests of each operation.
func serve(t *testing.T, databaseURL string, lim limits.Config) (*service.Service, string, map[string]int) {
	t.Helper()
	ring, _ := secrets.NewKeyring(secrets.NewKey())
	st, err := store.Open(context.Background(), databaseURL, store.Options{Secrets: ring})
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(st)
	h := api.New(st, svc, slog.New(slog.NewTextHandler(io.Discard, nil)), lim, api.Pointguard)
	var mu sync.Mutex
	counts := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req struct{ OperationName string }
		json.Unmarshal(body, &req)
		mu.Lock()
		counts[req.OperationName]++
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		srv.Close()
		h.Close()
		st.Close()
	})
	return svc, srv.URL + "/graphql", counts
}

// fetchAll runs Fetch and returns what it emitted, by __typename and ID.
func fetchAll(t *testing.T, url, token, id, slug string, first int) (map[string]map[string]int, map[string]string, *Client) {
	t.Helper()
	c := &Client{URL: url, Token: token, HTTP: http.DefaultClient}
	seen := map[string]map[string]int{}
	pointOf := map[string]string{}
	_, err := Fetch(context.Background(), c, id, slug, first, func(raw json.RawMessage) error {
		var node struct {
			Typename         string `json:"__typename"`
			ID               string
			IntegrationPoint struct{ ID string }
		}
		if err := json.Unmarshal(raw, &node); err != nil {
			return err
		}
		if seen[node.Typename] == nil {
			seen[node.Typename] = map[string]int{}
		}
		seen[node.Typename][node.ID]++
		pointOf[node.ID] = node.IntegrationPoint.ID
		return nil
	})
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	return seen, pointOf, c
}

// exactlyOnce fails unless seen holds every one of want once, and nothing else.
func exactlyOnce(t *testing.T, kind string, seen map[string]int, want []string) {
	t.Helper()
	for _, id := range want {
		if seen[id] != 1 {
			t.Errorf("%s %s fetched %d times, want once", kind, id, seen[id])
		}
	}
	if len(seen) != len(want) {
		t.Errorf("%d %ss fetched, want %d: %v", len(seen), kind, len(want), seen)
	}
}

// TestFetch pages through an organization with an ORG_VIEWER token, pages
// of 2: every node comes once, and each page of a point's integrations
// after its first is one request of its own (PointIntegrations), not the
// page of points again.
func TestFetch(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		lim := limits.Default()
		lim.RatePerSecond = 0
		svc, url, counts := serve(t, databaseURL, lim)
		s := seed(t, svc)
		seen, pointOf, c := fetchAll(t, url, s.viewer, "", "acme", 2)
		exactlyOnce(t, "Organization", seen["Organization"], []string{s.orgID})
		exactlyOnce(t, "Account", seen["Account"], s.accounts)
		exactlyOnce(t, "IntegrationPoint", seen["IntegrationPoint"], s.points)
		var ints []string
		for id, point := range s.integration {
			ints = append(ints, id)
			if pointOf[id] != point {
				t.Errorf("integration %s came with point %q, want %s", id, pointOf[id], point)
			}
		}
		exactlyOnce(t, "Integration", seen["Integration"], ints)
		// 3 accounts and 4 points: 2 pages each. Integrations: 6 pages of
		// 11 and 6 of 12, the first of each with its point: 10 more.
		want := map[string]int{"Org": 1, "Accounts": 2, "Points": 2, "PointIntegrations": 10}
		if fmt.Sprint(counts) != fmt.Sprint(want) || c.Requests != 15 {
			t.Errorf("requests %v (%d in all), want %v (15)", counts, c.Requests, want)
		}
	})
}

// TestFetchWithinTheBudget fetches the same graph by ID with a cost budget
// far smaller than the whole walk costs: the example waits for the budget
// (paced by extensions.cost, or told by a 429's Retry-After) and still
// gets every integration once.
func TestFetchWithinTheBudget(t *testing.T) {
	lim := limits.Default()
	lim.RatePerSecond, lim.RateBurst = 1000, 300
	svc, url, counts := serve(t, testdb.SQLite(t), lim)
	s := seed(t, svc)
	seen, _, c := fetchAll(t, url, s.viewer, s.orgID, "", 2)
	var ints []string
	for id := range s.integration {
		ints = append(ints, id)
	}
	exactlyOnce(t, "Integration", seen["Integration"], ints)
	t.Logf("requests %v, %d in all", counts, c.Requests)
}
