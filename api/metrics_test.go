package api

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pointguard/pointguard/auth"
	"github.com/pointguard/pointguard/demo"
	"github.com/pointguard/pointguard/limits"
	"github.com/pointguard/pointguard/metrics"
	"github.com/pointguard/pointguard/secrets"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/testdb"
)

// metricsServer is the real handler with metrics, on SQLite with the demo
// organization: the metrics, the URL, the platform admin's token and the
// demo's.
func metricsServer(t *testing.T, lim limits.Config) (*metrics.Metrics, string, string, *demo.Tokens) {
	t.Helper()
	ring, _ := secrets.NewKeyring(secrets.NewKey())
	st, err := store.Open(context.Background(), testdb.SQLite(t), store.Options{Secrets: ring})
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	m.WatchDB(st.DB(), string(st.Engine()))
	svc := service.New(st)
	svc.SetObserver(m)
	token := auth.NewToken()
	if _, err := svc.SetBootstrapToken(context.Background(), token); err != nil {
		t.Fatal(err)
	}
	tokens, err := demo.Load(context.Background(), st, svc, demo.Asked, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := New(st, svc, slog.New(slog.NewTextHandler(io.Discard, nil)), lim, Pointguard, WithMetrics(m))
	srv := httptest.NewServer(h)
	t.Cleanup(func() { h.Close(); srv.Close(); st.Close() })
	return m, srv.URL, token, tokens
}

// scrape reads /metrics from the admin handler: each series, as
// Prometheus's text format writes it (name{labels}), to its value.
func scrape(t *testing.T, m *metrics.Metrics) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics: %d", rec.Code)
	}
	series := map[string]float64{}
	lines := bufio.NewScanner(rec.Body)
	for lines.Scan() {
		line := lines.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		at := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[at+1:], 64)
		if err != nil {
			t.Fatalf("/metrics: %q", line)
		}
		series[line[:at]] = v
	}
	return series
}

// moved is how much each series moved between two scrapes.
func moved(before, after map[string]float64, series string) float64 {
	return after[series] - before[series]
}

// TestMetrics: after known requests, /metrics on the admin handler counts
// exactly them: 3 named queries under their operation and 200, one
// without a token under anonymous and 401, a validation error by its
// code, each use-time decision by its outcome, and a re-check's run and
// integrations; the pool's stats and Go's are there.
func TestMetrics(t *testing.T) {
	lim := limits.Default()
	lim.RatePerSecond = 0
	m, url, admin, tokens := metricsServer(t, lim)
	post := func(token, query string, vars map[string]any) answered {
		t.Helper()
		a, err := ask(http.DefaultClient, url, token, query, vars)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}

	before := scrape(t, m)
	for range 3 {
		if a := post(admin, `query Me { viewer { role } }`, nil); a.Status != http.StatusOK || a.Code != "" {
			t.Fatalf("query Me: %d %q", a.Status, a.Code)
		}
	}
	if a := post("", `query Me { viewer { role } }`, nil); a.Status != http.StatusUnauthorized {
		t.Fatalf("without a token: %d", a.Status)
	}
	if a := post(admin, `query Bad { nope }`, nil); a.Code != "GRAPHQL_VALIDATION_FAILED" {
		t.Fatalf("query Bad: %d %q", a.Status, a.Code)
	}
	after := scrape(t, m)
	for series, want := range map[string]float64{
		`pointguard_http_requests_total{operation="Me",status="200"}`:                 3,
		`pointguard_http_request_duration_seconds_count{operation="Me",status="200"}`: 3,
		`pointguard_http_requests_total{operation="anonymous",status="401"}`:          1,
		`pointguard_graphql_errors_total{code="GRAPHQL_VALIDATION_FAILED"}`:           1,
	} {
		if got := moved(before, after, series); got != want {
			t.Errorf("%s moved by %v, want %v", series, got, want)
		}
	}
	for _, series := range []string{`pointguard_go_sql_max_open_connections{db_name="sqlite"}`, `go_goroutines`} {
		if _, ok := after[series]; !ok {
			t.Errorf("no %s", series)
		}
	}

	// Use-time decisions: each of the demo's integrations, and one that
	// is not there.
	r := post(tokens.OrgAdmin, `query Points { organization(slug: "acme") {
		accounts(first: 10) { nodes { id environment } }
		integrations(first: 100) { nodes { id } }
		integrationPoints(first: 100) { nodes { id slug onViolation integrations(first: 1) { totalCount } } } } }`, nil)
	org, _ := r.Data["organization"].(map[string]any)
	if org == nil {
		t.Fatalf("the demo organization: %v", r)
	}
	ids := []any{"int_00000000000000000000000000000000"}
	for _, n := range org["integrations"].(map[string]any)["nodes"].([]any) {
		ids = append(ids, n.(map[string]any)["id"])
	}
	before = scrape(t, m)
	outcomes := map[string]float64{}
	for _, id := range ids {
		a := post(tokens.OrgAdmin, `query Use($id: ID!) { authorizeIntegrationUse(integrationId: $id) { allowed } }`, map[string]any{"id": id})
		allowed, ok := a.Data["authorizeIntegrationUse"].(map[string]any)["allowed"].(bool)
		if !ok {
			t.Fatalf("authorizeIntegrationUse(%v): %v", id, a)
		}
		outcomes[map[bool]string{true: "allowed", false: "refused"}[allowed]]++
	}
	if outcomes["allowed"] == 0 || outcomes["refused"] == 0 {
		t.Fatalf("decisions %v: want some of each", outcomes)
	}
	after = scrape(t, m)
	for outcome, want := range outcomes {
		series := `pointguard_use_decisions_total{outcome="` + outcome + `"}`
		if got := moved(before, after, series); got != want {
			t.Errorf("%s moved by %v, want %v", series, got, want)
		}
	}
	if got := moved(before, after, `pointguard_use_decision_duration_seconds_count`); got != float64(len(ids)) {
		t.Errorf("decision durations: %v, want %d", got, len(ids))
	}

	// Rule checks at write time: checkIntegration, one allowed and one
	// refused (a provider the point does not approve).
	var prod, ticketing any
	for _, n := range org["accounts"].(map[string]any)["nodes"].([]any) {
		if a := n.(map[string]any); a["environment"] == "PROD" {
			prod = a["id"]
		}
	}
	for _, n := range org["integrationPoints"].(map[string]any)["nodes"].([]any) {
		if p := n.(map[string]any); p["slug"] == "ticketing" {
			ticketing = p["id"]
		}
	}
	before = scrape(t, m)
	results := map[string]float64{}
	for _, provider := range []string{"jira", "slack"} {
		a := post(tokens.OrgAdmin, `query Check($input: CreateIntegrationInput!) { checkIntegration(input: $input) { allowed userErrors { message } } }`,
			map[string]any{"input": map[string]any{"accountId": prod, "integrationPointId": ticketing, "provider": provider, "name": "Checked",
				"config": map[string]any{"project": "SEC"}}})
		check, _ := a.Data["checkIntegration"].(map[string]any)
		if check == nil || len(check["userErrors"].([]any)) > 0 {
			t.Fatalf("checkIntegration(%s): %v", provider, a)
		}
		results[map[bool]string{true: "COMPLIANT", false: "NON_COMPLIANT"}[check["allowed"].(bool)]]++
	}
	if results["COMPLIANT"] != 1 || results["NON_COMPLIANT"] != 1 {
		t.Fatalf("checks %v: want one of each", results)
	}
	after = scrape(t, m)
	for result, want := range results {
		if series := `pointguard_rule_checks_total{result="` + result + `"}`; moved(before, after, series) != want {
			t.Errorf("%s moved by %v, want %v", series, moved(before, after, series), want)
		}
	}
	if got := moved(before, after, `pointguard_rule_check_duration_seconds_count`); got != 2 {
		t.Errorf("rule check durations: %v, want 2", got)
	}

	// A re-check: a point's onViolation changed re-judges its integrations.
	var point map[string]any
	for _, n := range org["integrationPoints"].(map[string]any)["nodes"].([]any) {
		if p := n.(map[string]any); p["integrations"].(map[string]any)["totalCount"].(float64) > 0 {
			point = p
			break
		}
	}
	if point == nil {
		t.Fatal("no demo point has integrations")
	}
	next := map[string]string{"KEEP": "SUSPEND", "SUSPEND": "KEEP"}[point["onViolation"].(string)]
	before = scrape(t, m)
	a := post(tokens.OrgAdmin, `mutation Change($input: UpdateIntegrationPointInput!) { updateIntegrationPoint(input: $input) { userErrors { message } } }`,
		map[string]any{"input": map[string]any{"id": point["id"], "onViolation": next}})
	if errs := a.Data["updateIntegrationPoint"].(map[string]any)["userErrors"].([]any); a.Status != http.StatusOK || len(errs) > 0 {
		t.Fatalf("updateIntegrationPoint: %v", a)
	}
	after = scrape(t, m)
	for series, want := range map[string]float64{
		`pointguard_recheck_runs_total`:                                   1,
		`pointguard_rechecked_integrations_total`:                         point["integrations"].(map[string]any)["totalCount"].(float64),
		`pointguard_recheck_duration_seconds_count`:                       1,
		`pointguard_http_requests_total{operation="Change",status="200"}`: 1,
	} {
		if got := moved(before, after, series); got != want {
			t.Errorf("%s moved by %v, want %v", series, got, want)
		}
	}
}

// TestMetricsRefusals: each 429 RATE_LIMITED and each 503 OVERLOADED is
// counted once, and the request under its status.
func TestMetricsRefusals(t *testing.T) {
	t.Run("rate limit", func(t *testing.T) {
		lim := limits.Default()
		// A budget of the heavy operation's cost and 1: the first request
		// leaves 1, the next takes it and its operation is refused
		// (CostBudget), the two after are refused before anything runs
		// (the middleware).
		const heavy = `organizations(first: 50) { nodes { accounts(first: 50) { nodes { name } } } }`
		_, url, admin, _ := metricsServer(t, lim)
		costs := [2]float64{}
		for n, q := range []string{`{ rateLimit { cost } }`, `{ ` + heavy + ` rateLimit { cost } }`} {
			a, err := ask(http.DefaultClient, url, admin, q, nil)
			if err != nil || a.Data["rateLimit"] == nil {
				t.Fatalf("%s: %v %v", q, a, err)
			}
			costs[n] = a.Data["rateLimit"].(map[string]any)["cost"].(float64)
		}
		lim.RatePerSecond, lim.RateBurst = 0.001, int(costs[1]-costs[0])+1
		m, url, admin, _ := metricsServer(t, lim)
		before := scrape(t, m)
		refused := 0.0
		for range 4 {
			a, err := ask(http.DefaultClient, url, admin, `{ `+heavy+` }`, nil)
			if err != nil {
				t.Fatal(err)
			}
			if a.Status == http.StatusTooManyRequests && a.Code == "RATE_LIMITED" {
				refused++
			}
		}
		after := scrape(t, m)
		if refused != 3 {
			t.Fatalf("%v of 4 refused, want 3", refused)
		}
		for series, want := range map[string]float64{
			`pointguard_rate_limit_refusals_total`:                               refused,
			`pointguard_http_requests_total{operation="anonymous",status="429"}`: refused,
			`pointguard_graphql_errors_total{code="RATE_LIMITED"}`:               1, // the operation's; the others are not GraphQL's
		} {
			if got := moved(before, after, series); got != want {
				t.Errorf("%s moved by %v, want %v", series, got, want)
			}
		}
	})
	t.Run("admission", func(t *testing.T) {
		lim := limits.Default()
		lim.RatePerSecond = 0
		lim.Admission.Capacity, lim.Admission.MaxQueue = 1, 0 // one heavy operation at a time, none waiting
		m, url, admin, _ := metricsServer(t, lim)
		const heavy = `{ organizations(first: 50) { nodes { accounts(first: 50) { nodes { name } } } } }`
		before := scrape(t, m)
		var mu sync.Mutex
		refused := 0.0
		for round := 0; round < 20 && refused == 0; round++ {
			var wg sync.WaitGroup
			for range 16 {
				wg.Go(func() {
					a, err := ask(http.DefaultClient, url, admin, heavy, nil)
					if err != nil {
						t.Error(err)
					}
					if a.Status == http.StatusServiceUnavailable && a.Code == "OVERLOADED" {
						mu.Lock()
						refused++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
		}
		if refused == 0 {
			t.Fatal("none refused")
		}
		after := scrape(t, m)
		for series, want := range map[string]float64{
			`pointguard_admission_refusals_total`:                                refused,
			`pointguard_http_requests_total{operation="anonymous",status="503"}`: refused,
			`pointguard_graphql_errors_total{code="OVERLOADED"}`:                 refused,
		} {
			if got := moved(before, after, series); got != want {
				t.Errorf("%s moved by %v, want %v", series, got, want)
			}
		}
	})
}
