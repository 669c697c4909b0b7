package limits

import (
	"net/http"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"

	"github.com/pointguard/pointguard/testdb"
)

// operation is a handler that runs CostBudget on an operation costing
// cost, as gqlgen would after the complexity limit, and answers 200, or
// 422 when refused (the middleware makes that 429).
func operation(cost int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := &graphql.OperationContext{}
		op.Stats.SetExtension(complexityExtension, &extension.ComplexityStats{Complexity: cost})
		if err := (CostBudget{}).MutateOperationContext(r.Context(), op); err != nil {
			w.WriteHeader(http.StatusUnprocessableEntity)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// TestBudgetSharedByCost: replicas on one Redis share one budget, spent
// by what operations cost (40 each of 100: two, then 429 with
// Retry-After on either); per process, each replica has its own.
func TestBudgetSharedByCost(t *testing.T) {
	t.Parallel()
	redisURL, prefix := testdb.Redis(t)
	const rate, burst = 0.1, 100
	a, b := redisConfig(t, redisURL, prefix, rate, burst), redisConfig(t, redisURL, prefix, rate, burst)
	ha, hb := a.Middleware(operation(40), byHeader), b.Middleware(operation(40), byHeader)
	for i, h := range []http.Handler{ha, hb} {
		if rec := hit(h, "x"); rec.Code != http.StatusOK {
			t.Fatalf("operation %d: %d", i+1, rec.Code)
		}
	}
	rec := hit(ha, "x")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "200" {
		t.Errorf("a third operation of 40 from a budget of 100: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	if rec := hit(hb, "y"); rec.Code != http.StatusOK {
		t.Errorf("another client: %d", rec.Code)
	}

	perProcess := Default()
	perProcess.RatePerSecond, perProcess.RateBurst = rate, burst
	pa, pb := perProcess.Middleware(operation(40), byHeader), perProcess.Middleware(operation(40), byHeader)
	codes := []int{hit(pa, "x").Code, hit(pa, "x").Code, hit(pa, "x").Code, hit(pb, "x").Code}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != http.StatusTooManyRequests || codes[3] != 200 {
		t.Errorf("per process: %v, want 200 200 429 200", codes)
	}
}

// TestBudgetCostliestOperation: an operation costing more than the whole
// budget takes all of it, rather than never running.
func TestBudgetCostliestOperation(t *testing.T) {
	c := Default()
	c.RatePerSecond, c.RateBurst = 0.1, 100
	h := c.Middleware(operation(5_000), byHeader)
	if first, second := hit(h, "x").Code, hit(h, "x").Code; first != http.StatusOK || second != http.StatusTooManyRequests {
		t.Errorf("an operation of 5,000 on a budget of 100: %d, then %d", first, second)
	}
}
