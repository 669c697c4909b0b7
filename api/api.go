// Package api is Pointguard's HTTP API, wired: GraphQL at /graphql with
// its middleware (request IDs, tokens, rate limits, body size, loaders),
// GraphiQL and the health checks. Its tests beside it are the stories of
// the API, told through this handler to a real database.
package api

import (
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/pointguard/pointguard/admission"
	"github.com/pointguard/pointguard/auth"
	"github.com/pointguard/pointguard/dataloaders"
	"github.com/pointguard/pointguard/executor"
	"github.com/pointguard/pointguard/graph"
	"github.com/pointguard/pointguard/limits"
	"github.com/pointguard/pointguard/playground"
	"github.com/pointguard/pointguard/requestid"
	"github.com/pointguard/pointguard/resolvers"
	"github.com/pointguard/pointguard/scalars"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
	"github.com/vektah/gqlparser/v2/ast"
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

// New is the whole HTTP API: GraphQL at /graphql (POST and GET), GraphiQL
// at /, and the health checks.
func New(st *store.Store, svc *service.Service, log *slog.Logger, lim limits.Config, reads ReadExecutor) http.Handler {
	if lim.Log == nil {
		lim.Log = log // where the limits warn that Redis does not answer
	}
	schema := graph.Config{Resolvers: &resolvers.Resolver{Store: st, Service: svc}}
	limits.Complexity(&schema.Complexity)
	es := graph.NewExecutableSchema(schema)
	gql := handler.New(es)
	gql.AddTransport(transport.GET{})
	if reads == Pointguard {
		gql.AddTransport(executor.POST{})
	} else {
		gql.AddTransport(transport.POST{})
	}
	queries := lru.New[*ast.QueryDocument](1000)
	gql.SetQueryCache(queries)
	// Literals and variables held to GraphQL's input coercion (32-bit
	// Ints, no number for a String…), before the limits read them.
	gql.SetValidationRulesFn(scalars.ValidationRules)
	gql.Use(&scalars.StrictVariables{})
	lim.Use(gql) // introspection policy, depth and complexity limits
	gql.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	// After APQ, which fills in the query of a request sending its hash
	// alone, and before gqlgen parses and validates the query.
	gql.Use(limits.NewSelectionLimit(limits.MaxSelections, queries))
	gql.Use(limits.ErrorCap{}) // every response's errors cut to limits.MaxErrors
	gql.Use(limits.RejectBadStrings{})
	// After every refusal, so that only what will run waits for room.
	gate := admission.New(lim.Admission)
	gql.Use(gate.Extension())
	if reads == Pointguard {
		// Last, so that it sees operations every other extension let through.
		gql.Use(executor.New(es.Schema(), st, log))
	}
	gql.SetErrorPresenter(resolvers.PresentError(log))
	gql.SetRecoverFunc(resolvers.Recover(log))

	// Outside in: name the request, bound its time, find its token (unless its address is
	// out of failed attempts), rate-limit by token (or address, without
	// one), refuse it without one, bound its body (one JSON object), run
	// a mutation with an Idempotency-Key in one transaction with its
	// stored answer (or answer it again: idempotent), give it loaders
	// that read what its token may see, hold its operation's room
	// (package admission) until its answer is written.
	api := http.MaxBytesHandler(oneJSONObject(idempotent(st, svc.Now, log, dataloaders.Middleware(st, gate.Middleware(gql)))), MaxBodyBytes)
	api = lim.Middleware(auth.Require(api), auth.ClientKey(limits.ClientIP))
	api = auth.Authenticate(st, lim.FailureLimit(), log, svc.Now, api)
	api = requestid.Middleware(withDeadline(api, lim.RequestTimeout))

	mux := http.NewServeMux()
	mux.Handle("/graphql", api)
	playground.Register(mux, "/graphql")
	registerHealth(mux, st, log)
	return mux
}
