// Package api is Pointguard's HTTP API, wired: GraphQL at /graphql with
// its middleware (request IDs, tokens, rate limits, body size, loaders),
// GraphiQL and the health checks. Its tests beside it are the stories of
// the API, told through this handler to a real database.
package api

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/pointguard/pointguard/admission"
	"github.com/pointguard/pointguard/auth"
	"github.com/pointguard/pointguard/dataloaders"
	"github.com/pointguard/pointguard/eventstream"
	"github.com/pointguard/pointguard/executor"
	"github.com/pointguard/pointguard/graph"
	"github.com/pointguard/pointguard/limits"
	"github.com/pointguard/pointguard/metrics"
	"github.com/pointguard/pointguard/persisted"
	"github.com/pointguard/pointguard/playground"
	"github.com/pointguard/pointguard/requestid"
	"github.com/pointguard/pointguard/resolvers"
	"github.com/pointguard/pointguard/scalars"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/tracing"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/trace"
)

// ReadExecutor names what executes query operations.
type ReadExecutor string

const (
	// Pointguard is package executor, with gqlgen for what it does not plan.
	Pointguard ReadExecutor = "pointguard"
	// Gqlgen is gqlgen's generated executor for every operation.
	Gqlgen ReadExecutor = "gqlgen"
)

// MaxBodyBytes bounds a GraphQL request body.
const MaxBodyBytes = 1 << 20

// Handler is the whole HTTP API. Close ends what outlives requests: the
// subscriptions' websockets and the event broker.
type Handler struct {
	http.Handler
	websockets *websockets
	events     *eventstream.Broker
}

// Close closes every websocket (1001, going away: clients connect again,
// to another replica), refuses new ones and stops the event broker. An
// http.Server's Shutdown does not wait for websockets, nor close them: call
// Close with it (server.go registers it with RegisterOnShutdown).
func (h *Handler) Close() {
	h.websockets.closeAll()
	h.events.Close()
}

// Subscriptions is the number of subscriptions running, for tests.
func (h *Handler) Subscriptions() int { return h.events.Count("") }

// New is the whole HTTP API: GraphQL at /graphql (POST and GET, and
// subscriptions over a websocket), GraphiQL at /, and the health checks.
func New(st *store.Store, svc *service.Service, log *slog.Logger, lim limits.Config, reads ReadExecutor, opts ...Option) *Handler {
	return newHandler(st, svc, log, lim, reads, eventstream.Default(), opts...)
}

// Option is an optional dependency of New.
type Option func(*options)

type options struct {
	metrics *metrics.Metrics
	trusted *persisted.Trusted
	tracer  trace.TracerProvider
	// demoToken is offered by GraphiQL to a browser on this machine.
	demoToken string
}

// WithDemoToken has the GraphiQL page offer token with one click, to a
// browser on this machine alone (playground.OffersDemoToken). Pass it only
// for the embedded demo on a loopback address (server.go).
func WithDemoToken(token string) Option { return func(o *options) { o.demoToken = token } }

// WithTracing gives each /graphql and /schema.graphql request a span, and
// each GraphQL operation one inside it (package tracing); without it, or
// with nil, nothing is traced. Give the store the same provider for the
// statements' spans (store.Options.Tracer).
func WithTracing(tp trace.TracerProvider) Option { return func(o *options) { o.tracer = tp } }

// WithMetrics counts the API's requests, errors, refusals and use-time
// decisions on m (package metrics); without it, nothing is counted.
func WithMetrics(m *metrics.Metrics) Option { return func(o *options) { o.metrics = m } }

// WithTrustedDocuments holds every token but the admins' to the documents
// t lists (POINTGUARD_TRUSTED_DOCUMENTS; persisted.TrustedOnly); without
// it, any document runs.
func WithTrustedDocuments(t *persisted.Trusted) Option { return func(o *options) { o.trusted = t } }

// newHandler is New with the subscriptions' broker configured (tests).
func newHandler(st *store.Store, svc *service.Service, log *slog.Logger, lim limits.Config, reads ReadExecutor, streamCfg eventstream.Config, opts ...Option) *Handler {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if lim.Log == nil {
		lim.Log = log // where the limits warn that Redis does not answer
	}
	streamCfg.Log = log
	events := eventstream.New(st, streamCfg)
	schema := graph.Config{Resolvers: &resolvers.Resolver{Store: st, Service: svc, Events: events, Metrics: o.metrics}}
	limits.Complexity(&schema.Complexity)
	es := graph.NewExecutableSchema(schema)
	queries := lru.New[*ast.QueryDocument](1000)
	// Automatic persisted queries: in Redis when the limits are (every
	// replica knows them), behind this process's LRU; in the LRU alone
	// otherwise. One cache for both servers.
	var apq graphql.Cache[string] = lru.New[string](100)
	if lim.Redis != nil {
		apq = persisted.NewCache(lim.Redis.Client(), lim.Redis.Prefix(), apq, lim.Log)
	}
	gql := handler.New(es)
	gql.AddTransport(transport.GET{})
	if reads == Pointguard {
		gql.AddTransport(executor.POST{})
	} else {
		gql.AddTransport(transport.POST{})
	}
	gql.Use(operationName{}) // for the access log
	if o.tracer != nil {
		// Before package executor's interceptor: its work is in the span.
		gql.Use(tracing.NewOperations(o.tracer))
	}
	useLimits(gql, lim, queries, apq, log, o)
	// After every refusal, so that only what will run waits for room.
	gate := admission.New(lim.Admission)
	gql.Use(gate.Extension())
	if reads == Pointguard {
		// Last, so that it sees operations every other extension let through.
		gql.Use(executor.New(es.Schema(), st, log))
	}

	// The same schema and limits over a websocket, for subscriptions
	// (api/subscriptions.go).
	failures := lim.FailureLimit()
	ws := newWebsockets(st, svc.Now, failures, log)
	sub := handler.New(es)
	sub.AddTransport(ws.transport())
	useLimits(sub, lim, queries, apq, log, o)
	sub.Use(subscriptionsOnly{})
	sub.Use(freshLoaders{st})

	// Outside in: name the request, log it once answered, bound its time, find its token (unless its address is
	// out of failed attempts), rate-limit by token (or address, without
	// one), refuse it without one, bound its body, hold it to GraphQL over
	// HTTP (graphqlHTTP: method, media types, one JSON object of the right
	// shape, and the statuses of request errors, for both transports), run
	// a mutation with an Idempotency-Key in one transaction with its
	// stored answer (or answer it again: idempotent), give it loaders
	// that read what its token may see, hold its operation's room
	// (package admission) until its answer is written.
	api := http.MaxBytesHandler(graphqlHTTP(idempotent(st, svc.Now, log, o.trusted, dataloaders.Middleware(st, gate.Middleware(gql)))), MaxBodyBytes)
	api = lim.Middleware(auth.Require(api), auth.ClientKey(limits.ClientIP))
	api = auth.Authenticate(st, failures, log, svc.Now, knownToken(api))
	api = traced(o.tracer, requestid.Middleware(accessLog(log, o.metrics, withDeadline(api, lim.RequestTimeout))))
	// A websocket upgrade: named, rate-limited by address, authenticated
	// at connection_init (see websockets).
	upgrade := requestid.Middleware(accessLog(log, o.metrics, lim.Middleware(ws.handler(sub), func(r *http.Request) string { return "ip:" + limits.ClientIP(r) })))

	mux := http.NewServeMux()
	mux.Handle("/graphql", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			upgrade.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	}))
	// The schema as SDL, for a token, rate-limited as /graphql is.
	mux.Handle("/schema.graphql", traced(o.tracer, requestid.Middleware(auth.Authenticate(st, failures, log, svc.Now,
		lim.Middleware(auth.Require(schemaSDL(es.Schema(), lim.Introspection)), auth.ClientKey(limits.ClientIP))))))
	playground.Register(mux, "/graphql", o.demoToken)
	registerHealth(mux, st, log)
	return &Handler{Handler: mux, websockets: ws, events: events}
}

// traced is next in a request's span, outermost so that the request ID
// can be the trace's (package requestid), or next itself when tracing is off.
func traced(tp trace.TracerProvider, next http.Handler) http.Handler {
	if tp == nil {
		return next
	}
	return tracing.Middleware(tp, next)
}

// useLimits adds to a gqlgen server what every operation passes, POST or
// websocket: GraphQL's input coercion, the query limits, persisted queries,
// the cap on errors, and the error presenter.
func useLimits(gql *handler.Server, lim limits.Config, queries *lru.LRU[*ast.QueryDocument], apq graphql.Cache[string], log *slog.Logger, o options) {
	gql.SetQueryCache(queries)
	// Literals and variables held to GraphQL's input coercion (32-bit
	// Ints, no number for a String…), before the limits read them.
	gql.SetValidationRulesFn(scalars.ValidationRules)
	gql.Use(&scalars.StrictVariables{})
	lim.Use(gql) // introspection policy, depth and complexity limits
	if o.trusted != nil {
		// Before APQ, so that a listed hash sent alone is the manifest's.
		gql.Use(persisted.TrustedOnly{Documents: o.trusted})
	}
	gql.Use(extension.AutomaticPersistedQuery{Cache: apq})
	// After APQ, which fills in the query of a request sending its hash
	// alone, and before gqlgen parses and validates the query.
	gql.Use(limits.NewSelectionLimit(limits.MaxSelections, queries))
	gql.Use(limits.ErrorCap{}) // every response's errors cut to limits.MaxErrors
	gql.Use(limits.RejectBadStrings{})
	gql.SetErrorPresenter(countCodes(o.metrics, resolvers.PresentError(log)))
	gql.SetRecoverFunc(resolvers.Recover(log))
}
