// Package metrics is Pointguard's Prometheus metrics
// (github.com/prometheus/client_golang), on a registry of its own with the
// Go and process collectors, and the admin handler that serves them at
// /metrics beside net/http/pprof's /debug/pprof/ (server.go serves it on
// POINTGUARD_ADMIN_ADDR, never on the API's address).
//
// Every label is bounded: an operation's name (the first 100 seen, then
// "other"), a status code, an error code, an outcome. Never an ID or a
// token. A nil *Metrics counts nothing, so that callers need no check.
package metrics

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/pprof"
	"strconv"
	"sync"
	"time"

	"github.com/pointguard/pointguard/domain"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MaxNames bounds the distinct values of the operation and code labels:
// past it, a new one counts as "other".
const MaxNames = 100

// Metrics holds Pointguard's collectors.
type Metrics struct {
	reg              *prometheus.Registry
	requests         *prometheus.CounterVec
	requestSeconds   *prometheus.HistogramVec
	graphqlErrors    *prometheus.CounterVec
	rateLimited      prometheus.Counter
	overloaded       prometheus.Counter
	decisions        *prometheus.CounterVec
	decisionSeconds  prometheus.Histogram
	rechecks         prometheus.Counter
	rechecked        prometheus.Counter
	recheckSeconds   prometheus.Histogram
	checks           *prometheus.CounterVec
	checkSeconds     prometheus.Histogram
	operations, code names
}

// New registers Pointguard's collectors, and Go's and the process's, on
// a registry of their own.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	m := &Metrics{reg: reg, operations: names{max: MaxNames}, code: names{max: MaxNames}}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pointguard_http_requests_total",
		Help: "Requests on /graphql answered, by GraphQL operation name (anonymous without one; other past 100 names) and HTTP status."},
		[]string{"operation", "status"})
	m.requestSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "pointguard_http_request_duration_seconds",
		Help: "Time to answer a request on /graphql, by operation name and HTTP status.", Buckets: prometheus.DefBuckets},
		[]string{"operation", "status"})
	m.graphqlErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pointguard_graphql_errors_total",
		Help: "GraphQL errors answered, by extensions.code."}, []string{"code"})
	m.rateLimited = prometheus.NewCounter(prometheus.CounterOpts{Name: "pointguard_rate_limit_refusals_total",
		Help: "Requests and operations refused 429 RATE_LIMITED (the cost budget or the limit on failed authentications)."})
	m.overloaded = prometheus.NewCounter(prometheus.CounterOpts{Name: "pointguard_admission_refusals_total",
		Help: "Operations refused 503 OVERLOADED by admission control."})
	m.decisions = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pointguard_use_decisions_total",
		Help: "Use-time decisions (authorizeIntegrationUse), by outcome: allowed or refused."}, []string{"outcome"})
	m.decisionSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "pointguard_use_decision_duration_seconds",
		Help: "Time to decide a use (read and rule check).", Buckets: prometheus.ExponentialBuckets(0.0001, 4, 9)})
	m.rechecks = prometheus.NewCounter(prometheus.CounterOpts{Name: "pointguard_recheck_runs_total",
		Help: "Re-checks run (a point's rules or an account changed)."})
	m.rechecked = prometheus.NewCounter(prometheus.CounterOpts{Name: "pointguard_rechecked_integrations_total",
		Help: "Integrations the re-checks judged again."})
	m.recheckSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "pointguard_recheck_duration_seconds",
		Help: "Time to judge a re-check's integrations and write what changed.", Buckets: prometheus.ExponentialBuckets(0.001, 4, 9)})
	m.checks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pointguard_rule_checks_total",
		Help: "Integrations the rules judged as they were created, updated or checked (checkIntegration), by result; re-checks count in pointguard_rechecked_integrations_total."},
		[]string{"result"})
	m.checkSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "pointguard_rule_check_duration_seconds",
		Help: "Time the rules took to judge one integration (built-in rules, JSON Schema, CEL).", Buckets: prometheus.ExponentialBuckets(0.00001, 4, 9)})
	for _, c := range []prometheus.Collector{m.requests, m.requestSeconds, m.graphqlErrors, m.rateLimited, m.overloaded,
		m.decisions, m.decisionSeconds, m.rechecks, m.rechecked, m.recheckSeconds, m.checks, m.checkSeconds} {
		f(c)
	}
	// Seen at 0 from the start, so that rate() has a first point.
	for _, o := range []string{"allowed", "refused"} {
		m.decisions.WithLabelValues(o)
	}
	return m
}

// WatchDB adds the pool's sql.DBStats as pointguard_go_sql_… with
// db_name (the engine).
func (m *Metrics) WatchDB(db *sql.DB, name string) {
	if m == nil {
		return
	}
	prometheus.WrapRegistererWithPrefix("pointguard_", m.reg).MustRegister(collectors.NewDBStatsCollector(db, name))
}

// Handler is the admin address's: /metrics and net/http/pprof's
// /debug/pprof/, mounted here (not on http.DefaultServeMux).
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// Request counts a request answered with status after took.
func (m *Metrics) Request(operation string, status int, took time.Duration) {
	if m == nil {
		return
	}
	op, code := "anonymous", strconv.Itoa(status)
	if operation != "" {
		op = m.operations.bound(operation)
	}
	m.requests.WithLabelValues(op, code).Inc()
	m.requestSeconds.WithLabelValues(op, code).Observe(took.Seconds())
}

// GraphQLError counts an error answered with code (extensions.code).
func (m *Metrics) GraphQLError(code string) {
	if m == nil {
		return
	}
	if code == "" {
		code = "none"
	}
	m.graphqlErrors.WithLabelValues(m.code.bound(code)).Inc()
}

// Decided counts a use-time decision and its time.
func (m *Metrics) Decided(allowed bool, took time.Duration) {
	if m == nil {
		return
	}
	outcome := "refused"
	if allowed {
		outcome = "allowed"
	}
	m.decisions.WithLabelValues(outcome).Inc()
	m.decisionSeconds.Observe(took.Seconds())
}

// Checked counts a rule check of one integration, its result and time.
func (m *Metrics) Checked(status domain.ComplianceStatus, took time.Duration) {
	if m == nil {
		return
	}
	m.checks.WithLabelValues(string(status)).Inc()
	m.checkSeconds.Observe(took.Seconds())
}

// Rechecked counts a re-check of n integrations and its time.
func (m *Metrics) Rechecked(n int, took time.Duration) {
	if m == nil {
		return
	}
	m.rechecks.Inc()
	m.rechecked.Add(float64(n))
	m.recheckSeconds.Observe(took.Seconds())
}

type contextKey struct{}

// NewContext carries m to the limits that refuse a request (RateLimited,
// Overloaded).
func NewContext(ctx context.Context, m *Metrics) context.Context {
	if m == nil {
		return ctx
	}
	return context.WithValue(ctx, contextKey{}, m)
}

func from(ctx context.Context) *Metrics {
	m, _ := ctx.Value(contextKey{}).(*Metrics)
	return m
}

// RateLimited counts a 429 RATE_LIMITED, on the metrics of the request's
// context, if any.
func RateLimited(ctx context.Context) {
	if m := from(ctx); m != nil {
		m.rateLimited.Inc()
	}
}

// Overloaded counts a 503 OVERLOADED, on the metrics of the request's
// context, if any.
func Overloaded(ctx context.Context) {
	if m := from(ctx); m != nil {
		m.overloaded.Inc()
	}
}

// names keeps a label's values to the first max seen (and of at most 128
// bytes); any other is "other".
type names struct {
	mu   sync.RWMutex
	max  int
	seen map[string]struct{}
}

func (n *names) bound(s string) string {
	n.mu.RLock()
	_, ok := n.seen[s]
	n.mu.RUnlock()
	if ok {
		return s
	}
	if len(s) > 128 {
		return "other"
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.seen[s]; ok {
		return s
	}
	if len(n.seen) >= n.max {
		return "other"
	}
	if n.seen == nil {
		n.seen = map[string]struct{}{}
	}
	n.seen[s] = struct{}{}
	return s
}
