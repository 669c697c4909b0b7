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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pointguard/pointguard/auth"
	"github.com/pointguard/pointguard/demo"
	"github.com/pointguard/pointguard/limits"
	"github.com/pointguard/pointguard/secrets"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/testdb"
)

// app is Pointguard running on a fresh database behind a real HTTP server.
type app struct {
	t   testing.TB
	url string
	// referenceURL serves the same database with gqlgen's executor alone:
	// send asks it every query operation too and fails on any difference
	// (see differential), so every read of every test compares the two
	// executors. "" turns that off.
	referenceURL string
	store        *store.Store
	service      *service.Service
	statements   *atomic.Int64
	// gqlgenRuns counts the query operations package executor handed to
	// gqlgen, from its log; executorFailures those it handed over because
	// it failed while running them, with the last failure's error.
	gqlgenRuns       *atomic.Int64
	executorFailures *failures
	// token is sent as the Bearer token of every request; newApp sets the
	// platform admin's, as sees the one it returns with as.
	token string
	// adminToken is the platform admin's, demo the demo's (withDemo).
	adminToken string
	demo       *demo.Tokens
	// clock is both servers' time: a test moves it on instead of sleeping.
	clock *testClock
	// handler is the API url serves (its subscriptions, for tests).
	handler *Handler
}

// testClock is the time now, moved on by advance.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// as is the app seen by another token ("" for none).
func (a *app) as(token string) *app {
	c := *a
	c.token = token
	return &c
}

// on is the app seen from another (sub)test, so that failures land there.
func (a *app) on(t testing.TB) *app {
	c := *a
	c.t = t
	return &c
}

func newApp(t testing.TB, databaseURL string) *app {
	t.Helper()
	a := &app{t: t, statements: new(atomic.Int64), gqlgenRuns: new(atomic.Int64), executorFailures: &failures{}, clock: &testClock{}}
	ring, _ := secrets.NewKeyring(secrets.NewKey())
	st, err := store.Open(context.Background(), databaseURL, store.Options{
		OnQuery: func(string) { a.statements.Add(1) },
		Secrets: ring,
	})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	a.store = st
	a.service = service.New(st)
	a.service.SetClock(a.clock.now)
	var logTo io.Writer = io.Discard
	if testing.Verbose() {
		logTo = testWriter{t}
	}
	log := slog.New(countingHandler{slog.NewTextHandler(logTo, nil), a.gqlgenRuns, a.executorFailures})
	a.adminToken = auth.NewToken()
	a.token = a.adminToken
	if _, err := a.service.SetBootstrapToken(context.Background(), a.adminToken); err != nil {
		t.Fatalf("admin token: %v", err)
	}
	lim := limits.Default()
	lim.RatePerSecond = 0 // tests and benchmarks hammer the server from one address
	a.handler = New(st, a.service, log, lim, Pointguard)
	srv := httptest.NewServer(a.handler)
	// The reference opens the database again, without the statement hook,
	// so that comparing does not change what tests count.
	ref, err := store.Open(context.Background(), databaseURL, store.Options{Secrets: ring})
	if err != nil {
		t.Fatalf("open reference store: %v", err)
	}
	refService := service.New(ref)
	refService.SetClock(a.clock.now)
	refSrv := httptest.NewServer(New(ref, refService, log, lim, Gqlgen))
	t.Cleanup(func() {
		a.handler.Close() // its websockets and event broker
		srv.Close()
		refSrv.Close()
		ref.Close()
		st.Close()
	})
	a.url = srv.URL
	a.referenceURL = refSrv.URL
	return a
}

// eachBackend runs a story once on SQLite and once on PostgreSQL.
func eachBackend(t *testing.T, story func(t *testing.T, a *app)) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		story(t, newApp(t, databaseURL))
	})
}

// withDemo loads the demo organization.
func (a *app) withDemo() *app {
	a.t.Helper()
	tokens, err := demo.Load(context.Background(), a.store, a.service, demo.Asked, nil)
	if err != nil || tokens == nil {
		a.t.Fatalf("load demo: %v", err)
	}
	a.demo = tokens
	return a
}

// startTestServer serves Pointguard on SQLite with the demo data, its
// GraphiQL page offering the demo ORG_ADMIN token as the embedded demo on
// loopback does, for the browser test; it returns its URL and that token.
func startTestServer(t testing.TB) (string, string) {
	a := newApp(t, testdb.SQLite(t)).withDemo()
	lim := limits.Default()
	lim.RatePerSecond = 0
	h := New(a.store, a.service, slog.New(slog.NewTextHandler(io.Discard, nil)), lim, Pointguard, WithDemoToken(a.demo.OrgAdmin))
	srv := httptest.NewServer(h)
	t.Cleanup(func() { h.Close(); srv.Close() })
	return srv.URL, a.demo.OrgAdmin
}

// countingHandler counts the executor's hand-overs to gqlgen, which it
// logs at debug level, and passes the rest on.
type countingHandler struct {
	slog.Handler
	gqlgenRuns *atomic.Int64
	failures   *failures
}

// failures counts the executor's failures and keeps the last one's error.
type failures struct {
	count   atomic.Int64
	mu      sync.Mutex
	lastErr string
}

func (f *failures) last() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastErr
}

func (h countingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l == slog.LevelDebug || h.Handler.Enabled(ctx, l)
}

func (h countingHandler) Handle(ctx context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, "query run") && strings.Contains(r.Message, "by gqlgen") {
		h.gqlgenRuns.Add(1)
	}
	if r.Message == "query run again by gqlgen" || strings.HasPrefix(r.Message, "executor panic") {
		var msg strings.Builder
		msg.WriteString(r.Message)
		r.Attrs(func(a slog.Attr) bool {
			fmt.Fprintf(&msg, " %s=%v", a.Key, a.Value)
			return a.Key != "stack"
		})
		h.failures.mu.Lock()
		h.failures.lastErr = msg.String()
		h.failures.mu.Unlock()
		h.failures.count.Add(1)
	}
	if !h.Handler.Enabled(ctx, r.Level) {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h countingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return countingHandler{h.Handler.WithAttrs(attrs), h.gqlgenRuns, h.failures}
}

func (h countingHandler) WithGroup(name string) slog.Handler {
	return countingHandler{h.Handler.WithGroup(name), h.gqlgenRuns, h.failures}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// result is a GraphQL response, decoded loosely so that tests can walk it.
type result struct {
	Status int
	Data   map[string]any
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	}
	Raw string
}

// post sends a GraphQL request and returns the response, whatever it says.
func (a *app) post(query string, vars map[string]any) result {
	a.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return a.send(body)
}

func (a *app) send(body []byte) result {
	a.t.Helper()
	failed := a.executorFailures.count.Load()
	r := a.sendTo(a.url, body)
	if a.referenceURL != "" && isQuery(body) {
		// With the database well, package executor fails on nothing: a
		// failure it hands over is a bug that gqlgen's answer would hide.
		if a.executorFailures.count.Load() != failed {
			a.t.Errorf("package executor failed on %s: %s", body, a.executorFailures.last())
		}
		differential(a.t, body, r, a.sendTo(a.referenceURL, body))
	}
	return r
}

func (a *app) sendTo(url string, body []byte) result {
	a.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("POST /graphql: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := result{Status: resp.StatusCode, Raw: string(raw)}
	if err := json.Unmarshal(raw, &r); err != nil {
		a.t.Fatalf("response is not JSON (%d): %s", resp.StatusCode, raw)
	}
	return r
}

// do sends a request that must succeed with no GraphQL errors.
func (a *app) do(query string, vars map[string]any) result {
	a.t.Helper()
	r := a.post(query, vars)
	if r.Status != http.StatusOK || len(r.Errors) > 0 {
		a.t.Fatalf("request failed (%d): %s", r.Status, r.Raw)
	}
	return r
}

// get walks the response data along a dotted path ("a.b.0.c").
func (r result) get(t testing.TB, path string) any {
	t.Helper()
	var cur any = r.Data
	for _, part := range strings.Split(path, ".") {
		switch v := cur.(type) {
		case map[string]any:
			var ok bool
			if cur, ok = v[part]; !ok {
				t.Fatalf("no %q in %s (response %s)", part, path, r.Raw)
			}
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i >= len(v) {
				t.Fatalf("no element %q in %s (response %s)", part, path, r.Raw)
			}
			cur = v[i]
		default:
			t.Fatalf("cannot walk %q of %s: value is %v (response %s)", part, path, cur, r.Raw)
		}
	}
	return cur
}

func (r result) str(t testing.TB, path string) string {
	t.Helper()
	s, ok := r.get(t, path).(string)
	if !ok {
		t.Fatalf("%s is %v, not a string (response %s)", path, r.get(t, path), r.Raw)
	}
	return s
}

func (r result) num(t testing.TB, path string) int {
	t.Helper()
	n, ok := r.get(t, path).(float64)
	if !ok {
		t.Fatalf("%s is %v, not a number (response %s)", path, r.get(t, path), r.Raw)
	}
	return int(n)
}

func (r result) list(t testing.TB, path string) []any {
	t.Helper()
	l, ok := r.get(t, path).([]any)
	if !ok {
		t.Fatalf("%s is %v, not a list (response %s)", path, r.get(t, path), r.Raw)
	}
	return l
}

// errorCode is the extensions.code of the response's only error.
func (r result) errorCode(t testing.TB) string {
	t.Helper()
	if len(r.Errors) != 1 {
		t.Fatalf("want exactly one error, got %s", r.Raw)
	}
	code, _ := r.Errors[0].Extensions["code"].(string)
	return code
}
