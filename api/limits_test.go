package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pointguard/pointguard/apierror"
	"github.com/pointguard/pointguard/fixtures"
	"github.com/pointguard/pointguard/limits"
	"github.com/pointguard/pointguard/testdb"
)

// limitedApp is an app on SQLite whose handler is New given the
// limits cfg. It skips the test while New takes no limits.Config.
func limitedApp(t *testing.T, cfg limits.Config) *app {
	t.Helper()
	a := newApp(t, testdb.SQLite(t))
	srv := httptest.NewServer(handlerWithLimits(t, a, cfg, Pointguard))
	ref := httptest.NewServer(handlerWithLimits(t, a, cfg, Gqlgen))
	t.Cleanup(srv.Close)
	t.Cleanup(ref.Close)
	a.url, a.referenceURL = srv.URL, ref.URL
	return a
}

// handlerWithLimits is the real handler with the given limits.
func handlerWithLimits(t *testing.T, a *app, cfg limits.Config, reads ReadExecutor) http.Handler {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	return New(a.store, a.service, log, cfg, reads)
}

// unlimited runs setup against the app's database through a handler
// without rate limits, so that a test's budget is all its own.
func unlimited[A, B, C any](t *testing.T, a *app, setup func() (A, B, C)) (A, B, C) {
	t.Helper()
	cfg := limits.Default()
	cfg.RatePerSecond = 0
	srv := httptest.NewServer(handlerWithLimits(t, a, cfg, Pointguard))
	defer srv.Close()
	url, ref := a.url, a.referenceURL
	a.url, a.referenceURL = srv.URL, ""
	defer func() { a.url, a.referenceURL = url, ref }()
	return setup()
}

// readmeGraphQuery is the README's first example, the whole graph.
func readmeGraphQuery(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```graphql\n(.*?)```").FindStringSubmatch(string(readme))
	if m == nil {
		t.Fatal("no graphql block in the README")
	}
	return m[1]
}

func graphiqlIntrospectionQuery(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../limits/testdata/graphiql-introspection.graphql")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// refused checks that the response is the one error code, with the status
// gqlgen gives validation errors.
func refused(t *testing.T, r result, status int, code, message string) {
	t.Helper()
	if r.Status != status || r.errorCode(t) != code {
		t.Fatalf("want %d %s, got %d: %s", status, code, r.Status, r.Raw)
	}
	if message != "" && r.Errors[0].Message != message {
		t.Errorf("message %q, want %q", r.Errors[0].Message, message)
	}
	// A refusal is a request error: no "data" key at all (GraphQL over HTTP).
	var body map[string]json.RawMessage
	json.Unmarshal([]byte(r.Raw), &body)
	if _, data := body["data"]; data {
		t.Errorf("data on a refused operation: %s", r.Raw)
	}
}

func TestLimitsQueryTooDeep(t *testing.T) {
	t.Parallel()
	a := limitedApp(t, limits.Default()).withDemo()
	refused(t, a.post(fixtures.DeepQuery(20), nil), http.StatusOK, apierror.CodeQueryTooDeep,
		"query depth 20 exceeds the limit of 12")
	refused(t, a.post(fixtures.DeepQuery(13), nil), http.StatusOK, apierror.CodeQueryTooDeep,
		"query depth 13 exceeds the limit of 12")

	// Depth 12, with pages small enough to stay under the complexity limit.
	q := strings.ReplaceAll(fixtures.DeepQuery(12), "accounts {", "accounts(first: 2) {")
	r := a.do(q, nil)
	if got := r.num(t, "organization.accounts.nodes.0.organization.accounts.nodes.0.organization.accounts.nodes.0.organization.accounts.totalCount"); got != 2 {
		t.Errorf("depth 12 answered %s", r.Raw)
	}

	// The limit comes from the configuration.
	cfg := limits.Default()
	cfg.MaxDepth = 3
	refused(t, limitedApp(t, cfg).post(`{ organization(slug: "acme") { accounts { nodes { id } } } }`, nil),
		http.StatusOK, apierror.CodeQueryTooDeep, "query depth 4 exceeds the limit of 3")
}

func TestLimitsQueryTooComplex(t *testing.T) {
	t.Parallel()
	a := limitedApp(t, limits.Default())
	refused(t, a.post(`{ organizations(first: 100) { nodes { accounts(first: 100) { nodes {
		integrations(first: 100) { nodes { id } } } } } } }`, nil),
		http.StatusOK, apierror.CodeQueryTooComplex,
		"query complexity 3020200 exceeds the limit of 50000")

	cfg := limits.Default()
	cfg.MaxComplexity = 100
	refused(t, limitedApp(t, cfg).post(`{ organizations { nodes { id } } }`, nil),
		http.StatusOK, apierror.CodeQueryTooComplex,
		"query complexity 150 exceeds the limit of 100")
}

// TestLimitsAllowTheReadmeQueries: the README's whole-graph query
// (complexity 38,552) and the org-graph query of its Speed section
// (18,103) pass the default limits.
func TestLimitsAllowTheReadmeQueries(t *testing.T) {
	t.Parallel()
	a := limitedApp(t, limits.Default()).withDemo()
	r := a.do(readmeGraphQuery(t), nil)
	if got := r.num(t, "organization.integrationPoints.nodes.0.integrations.totalCount"); got != 3 {
		t.Errorf("Ticketing has %d integrations, want 3", got)
	}
	r = a.do(orgGraphQuery, map[string]any{"slug": "acme"})
	if got := len(r.list(t, "organization.integrationPoints.nodes")); got != 2 {
		t.Errorf("%d points, want 2", got)
	}
}

func TestLimitsIntrospection(t *testing.T) {
	t.Parallel()
	r := limitedApp(t, limits.Default()).do(graphiqlIntrospectionQuery(t), nil)
	if types := r.list(t, "__schema.types"); len(types) < 20 {
		t.Errorf("introspection answered %d types", len(types))
	}

	cfg := limits.Default()
	cfg.Introspection = false
	a := limitedApp(t, cfg)
	refused(t, a.post(graphiqlIntrospectionQuery(t), nil), http.StatusOK, apierror.CodeIntrospectionDisabled, "")
	if r := a.do(`{ __typename }`, nil); r.str(t, "__typename") != "Query" {
		t.Errorf("__typename: %s", r.Raw)
	}
}

// TestLimitsRateLimit: past the burst, /graphql answers 429 with
// Retry-After and a RATE_LIMITED error, per token; requests without a
// valid token are limited per address, so made-up tokens escape nothing,
// and past that allowance are refused before any lookup;
// the rest of the server is not limited; a token is let in again once its
// allowance is back.
func TestLimitsRateLimit(t *testing.T) {
	t.Parallel()
	cfg := limits.Default()
	cfg.RatePerSecond, cfg.RateBurst = 20, 3 // a token every 50 ms; { __typename } costs 1
	cfg.FailuresPerSecond, cfg.FailureBurst = 20, 3
	a := limitedApp(t, cfg)
	_, mine, other := unlimited(t, a, func() (string, string, string) {
		org := a.createOrg("acme")
		return org, a.mintToken("ORG_ADMIN", org), a.mintToken("ORG_ADMIN", org)
	})

	ask := func(token string) *http.Response {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": "{ __typename }"})
		req, _ := http.NewRequest(http.MethodPost, a.url+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}

	for i := range 3 {
		if resp := ask(mine); resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d of the burst: %d", i+1, resp.StatusCode)
		}
	}
	resp := ask(mine)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("over the burst: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	raw, _ := io.ReadAll(resp.Body)
	var r result
	if err := json.Unmarshal(raw, &r); err != nil || r.errorCode(t) != apierror.CodeRateLimited {
		t.Fatalf("429 body %s (%v)", raw, err)
	}

	// Another token from the same address has its own allowance.
	if resp := ask(other); resp.StatusCode != http.StatusOK {
		t.Errorf("another token was limited with the first: %d", resp.StatusCode)
	}
	// Made-up tokens count against the address: 401 until its burst is
	// spent, then 429.
	for i := range 3 {
		if resp := ask(fmt.Sprintf("pointguard_made-up-token-number-%d-000000000000", i)); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("made-up token %d: %d, want 401", i, resp.StatusCode)
		}
	}
	// Once an address is out of failed attempts, its tokens are not even
	// looked up: guessing costs the database nothing.
	statements := a.statements.Load()
	if resp := ask("pointguard_made-up-token-number-x-000000000000"); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("made-up tokens escaped the limit: %d", resp.StatusCode)
	}
	if n := a.statements.Load() - statements; n != 0 {
		t.Errorf("a refused guess ran %d SQL statements", n)
	}
	// A token that was valid a moment ago is not locked out with the
	// guesser behind its address.
	if resp := ask(other); resp.StatusCode != http.StatusOK {
		t.Errorf("a good token from the guessing address: %d", resp.StatusCode)
	}
	health, err := http.Get(a.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	health.Body.Close()
	if health.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %d", health.StatusCode)
	}

	deadline := time.Now().Add(2 * time.Second)
	for ask(mine).StatusCode != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("still limited 2 s later at 20 requests per second")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCostBudget: a token's budget is spent by what its operations cost,
// not by their number: each response says in extensions.cost what the
// operation cost and what is left (rateLimit says the same), a mutation
// costs 10 more for each root field, and once the budget cannot pay for
// an operation it is refused 429 RATE_LIMITED with Retry-After and the
// cost, before it runs; both executors answer alike.
func TestCostBudget(t *testing.T) {
	t.Parallel()
	cfg := limits.Default()
	cfg.RatePerSecond, cfg.RateBurst = 1, 200_000 // nothing comes back to speak of during the test
	a := limitedApp(t, cfg)
	org, token, _ := unlimited(t, a, func() (string, string, string) {
		org := a.createOrg("acme")
		return org, a.mintToken("ORG_ADMIN", org), ""
	})
	type answer struct {
		status int
		retry  string
		body   map[string]any
	}
	ask := func(url, query string, variables map[string]any) answer {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": query, "variables": variables})
		req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			t.Fatal(err)
		}
		return answer{resp.StatusCode, resp.Header.Get("Retry-After"), got}
	}
	costOf := func(a answer) (requested, left float64) {
		t.Helper()
		cost, _ := jsonAt(a.body, "extensions.cost").(map[string]any)
		if cost == nil || cost["actualQueryCost"] != cost["requestedQueryCost"] ||
			jsonAt(cost, "throttleStatus.maximumAvailable") != 200_000.0 || jsonAt(cost, "throttleStatus.restoreRate") != 1.0 {
			t.Fatalf("extensions.cost of %d %v", a.status, a.body)
		}
		return cost["requestedQueryCost"].(float64), jsonAt(cost, "throttleStatus.currentlyAvailable").(float64)
	}

	graph := readmeGraphQuery(t)
	first := ask(a.url, graph, nil)
	cost, left := costOf(first)
	if first.status != http.StatusOK || cost < 100 || left < 200_000-cost || left > 200_000-cost+2 {
		t.Fatalf("the org graph: %d, cost %v, left %v", first.status, cost, left)
	}
	// gqlgen's executor answers the same cost from its own budget.
	if refCost, refLeft := costOf(ask(a.referenceURL, graph, nil)); refCost != cost || refLeft != left {
		t.Errorf("gqlgen's executor: cost %v, left %v; ours: %v, %v", refCost, refLeft, cost, left)
	}

	rl := ask(a.url, `{ rateLimit { cost remaining limit resetAt restoreRate } }`, nil)
	rlCost, rlLeft := costOf(rl)
	resetAt, _ := time.Parse(time.RFC3339, fmt.Sprint(jsonAt(rl.body, "data.rateLimit.resetAt")))
	if jsonAt(rl.body, "data.rateLimit.cost") != rlCost || jsonAt(rl.body, "data.rateLimit.remaining") != rlLeft ||
		jsonAt(rl.body, "data.rateLimit.limit") != 200_000.0 || jsonAt(rl.body, "data.rateLimit.restoreRate") != 1.0 ||
		rlLeft > left-rlCost+2 || time.Until(resetAt) < time.Duration(200_000-rlLeft-2)*time.Second {
		t.Errorf("rateLimit %v, extensions cost %v, left %v", jsonAt(rl.body, "data.rateLimit"), rlCost, rlLeft)
	}

	// createAccount { account { id } } is 3 by gqlgen's count, and 10 more as a mutation.
	m := ask(a.url, `mutation($in: CreateAccountInput!) { createAccount(input: $in) { account { id } } }`,
		map[string]any{"in": map[string]any{"organizationId": org, "slug": "paid", "name": "Paid", "environment": "TEST"}})
	if mCost, _ := costOf(m); m.status != http.StatusOK || mCost != 3+limits.MutationCost {
		t.Errorf("a mutation: %d, cost %v, want %d", m.status, mCost, 3+limits.MutationCost)
	}

	var refused answer
	for range 1000 {
		if refused = ask(a.url, graph, nil); refused.status != http.StatusOK {
			break
		}
	}
	// What authenticating costs: { __typename } reads nothing else.
	statements := a.statements.Load()
	ask(a.url, `{ __typename }`, nil)
	authenticating := a.statements.Load() - statements
	statements = a.statements.Load()
	again := ask(a.url, graph, nil)
	if n := a.statements.Load() - statements; n > authenticating {
		t.Errorf("a refused operation ran %d SQL statements, authenticating %d", n, authenticating)
	}
	for _, r := range []answer{refused, again} {
		errs, _ := r.body["errors"].([]any)
		if r.status != http.StatusTooManyRequests || r.retry == "" || r.retry == "0" || len(errs) != 1 ||
			jsonAt(errs[0], "extensions.code") != apierror.CodeRateLimited || jsonAt(errs[0], "extensions.cost.requestedQueryCost") != cost ||
			!strings.Contains(fmt.Sprint(jsonAt(errs[0], "message")), fmt.Sprintf("costs %d", int(cost))) {
			t.Errorf("out of budget: %d, Retry-After %q, %v", r.status, r.retry, r.body)
		}
	}
	// What is cheap still fits.
	if small := ask(a.url, `{ __typename }`, nil); small.status != http.StatusOK {
		t.Errorf("{ __typename } after the budget ran low: %d %v", small.status, small.body)
	}
}

// TestCostBudgetDefaults: the default budget lets a runtime ask
// authorizeIntegrationUse 3,000 times a second, and refuses ten org
// graphs (of 1,000 integrations, the README's query) a second from one
// token, at the costs the API reports for them.
func TestCostBudgetDefaults(t *testing.T) {
	t.Parallel()
	a := limitedApp(t, limits.Default())
	w := a.world()
	id := a.integrate(w.prod, w.point, "jira", map[string]any{"project": "SEC"})
	costOf := func(query string, variables map[string]any) float64 {
		t.Helper()
		var r map[string]any
		if err := json.Unmarshal([]byte(a.do(query, variables).Raw), &r); err != nil {
			t.Fatal(err)
		}
		cost, ok := jsonAt(r, "extensions.cost.requestedQueryCost").(float64)
		if !ok {
			t.Fatalf("no extensions.cost: %v", r)
		}
		return cost
	}
	use := costOf(`query($id: ID!) { authorizeIntegrationUse(integrationId: $id) { allowed pointVersion violations { code message } effectiveConfig } }`,
		map[string]any{"id": id})
	graph := costOf(readmeGraphQuery(t), nil)
	d := limits.Default()
	t.Logf("authorizeIntegrationUse costs %v, the org graph %v", use, graph)
	if 3_000*use > d.RatePerSecond || 10*graph <= d.RatePerSecond || d.RateBurst < d.MaxComplexity {
		t.Errorf("authorizeIntegrationUse costs %v (3,000 a second: %v), the org graph %v (10 a second: %v); the budget refills at %v, holds %d",
			use, 3_000*use, graph, 10*graph, d.RatePerSecond, d.RateBurst)
	}
}
