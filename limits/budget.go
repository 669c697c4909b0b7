package limits

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/pointguard/pointguard/apierror"
	"github.com/pointguard/pointguard/metrics"
)

// The rate limit is a budget of query cost per client, as GitHub's and
// Shopify's are: a bucket of RateBurst that refills at RatePerSecond. The
// middleware (Config.Middleware) takes 1 for every request before anything
// runs, so that a client that never gets as far as an operation (a body
// that does not parse, say) still pays; CostBudget takes the rest of the
// operation's cost once the complexity limit has computed it, before it
// runs. What is taken is not given back.

// MutationCost is what each root field of a mutation costs on top of its
// selections: a write costs the database more than its answer shows.
const MutationCost = 10

func init() {
	// A protocol error, so that gqlgen answers it before executing; the
	// middleware turns its status into 429.
	errcode.RegisterErrorType(apierror.CodeRateLimited, errcode.KindProtocol)
}

// Charge is one request's account with its client's budget.
type Charge struct {
	perSecond float64
	burst     int
	// take takes n more, and says whether it could, how long until it
	// could (seconds), and what is left.
	take func(n int) (ok bool, wait, left float64)
	at   func() time.Time

	requested int     // the operation's cost; 0 before CostBudget saw it
	left      float64 // what the budget holds after the charge
	refused   bool
	wait      float64
}

type chargeKey struct{}

// ChargeFrom is the request's charge, or nil when no budget limits it
// (rate limiting is off, or the request did not come through the
// middleware).
func ChargeFrom(ctx context.Context) *Charge {
	c, _ := ctx.Value(chargeKey{}).(*Charge)
	return c
}

// Cost is the operation's cost, as charged (0 before it is known).
func (c *Charge) Cost() int { return c.requested }

// RestoreRate is how much comes back each second.
func (c *Charge) RestoreRate() float64 { return c.perSecond }

// Limit is the whole budget.
func (c *Charge) Limit() int { return c.burst }

// Remaining is what the budget holds after this operation, in whole units.
func (c *Charge) Remaining() int { return int(math.Floor(c.left)) }

// ResetAt is when the budget is whole again, if nothing more is taken.
func (c *Charge) ResetAt() time.Time {
	return c.at().Add(time.Duration((float64(c.burst) - c.left) / c.perSecond * float64(time.Second))).UTC().Truncate(time.Second)
}

// report is extensions.cost of the response, named as Shopify names it.
func (c *Charge) report() map[string]any {
	return map[string]any{
		"requestedQueryCost": c.requested,
		// The estimate is what is charged: nothing is given back after.
		"actualQueryCost": c.requested,
		"throttleStatus": map[string]any{
			"maximumAvailable":   c.burst,
			"currentlyAvailable": c.Remaining(),
			"restoreRate":        c.perSecond,
		},
	}
}

// served runs next with c in the request's context, turning the status of
// an operation CostBudget refused into 429 with Retry-After.
func (c *Charge) served(next http.Handler, w http.ResponseWriter, r *http.Request) {
	next.ServeHTTP(&overBudget{ResponseWriter: w, c: c}, r.WithContext(context.WithValue(r.Context(), chargeKey{}, c)))
}

type overBudget struct {
	http.ResponseWriter
	c *Charge
}

// Unwrap lets http.ResponseController and websocket upgrades reach the
// writer beneath (to flush, to hijack).
func (w *overBudget) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *overBudget) WriteHeader(status int) {
	if w.c.refused {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter(w.c.wait)))
		status = http.StatusTooManyRequests
	}
	w.ResponseWriter.WriteHeader(status)
}

// retryAfter is a wait as Retry-After gives it: whole seconds, never 0.
func retryAfter(wait float64) int { return max(1, int(math.Ceil(wait))) }

// CostBudget is the gqlgen extension that charges each operation's cost
// to its client's budget (see Charge), refusing with RATE_LIMITED an
// operation the budget cannot pay, and reports the charge in every
// response's extensions.cost. Config.Use installs it after the complexity
// limit, whose cost it reads.
type CostBudget struct{}

var _ interface {
	graphql.OperationContextMutator
	graphql.ResponseInterceptor
} = CostBudget{}

func (CostBudget) ExtensionName() string                   { return "CostBudget" }
func (CostBudget) Validate(graphql.ExecutableSchema) error { return nil }

func (CostBudget) MutateOperationContext(ctx context.Context, op *graphql.OperationContext) *gqlerror.Error {
	c := ChargeFrom(ctx)
	if c == nil || c.requested > 0 {
		return nil
	}
	c.requested = OperationCost(op)
	// The costliest operation the complexity limit lets through may cost
	// more than a small budget holds: it takes the whole budget.
	ok, wait, left := c.take(min(c.requested, c.burst) - 1)
	c.left = left
	if ok {
		return nil
	}
	c.refused, c.wait = true, wait
	metrics.RateLimited(ctx)
	err := gqlerror.Errorf("rate limit exceeded: this operation costs %d, and %d of the budget of %d is left, restored at %s a second; retry after %d s",
		c.requested, c.Remaining(), c.burst, strconv.FormatFloat(c.perSecond, 'f', -1, 64), retryAfter(wait))
	errcode.Set(err, apierror.CodeRateLimited)
	err.Extensions["cost"] = c.report()
	return err
}

func (CostBudget) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if c := ChargeFrom(ctx); c != nil && c.requested > 0 && !c.refused {
		graphql.RegisterExtension(ctx, "cost", c.report())
	}
	return next(ctx)
}

// OperationCost is what an operation costs: the complexity the complexity
// limit computed (at least 1), plus MutationCost for each root field of a
// mutation.
func OperationCost(op *graphql.OperationContext) int {
	cost := 1
	if s, ok := op.Stats.GetExtension(complexityExtension).(*extension.ComplexityStats); ok {
		cost = max(1, s.Complexity)
	}
	if op.Operation != nil && op.Operation.Operation == ast.Mutation {
		cost += MutationCost * len(graphql.CollectFields(op, op.Operation.SelectionSet, nil))
	}
	return cost
}
