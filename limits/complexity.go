package limits

import (
	"context"
	"errors"
	"math"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/graph"
)

// DefaultPageSize is what a connection returns when `first` is null; it
// must match the resolvers' default (README: "first (default 50, at most
// 100)").
const DefaultPageSize = 50

// Complexity sets the cost of every list-returning field with an argument
// that sizes it, in gqlgen's ComplexityRoot; every other field keeps
// gqlgen's default cost, 1 + the cost of its selections.
//
//   - Each connection (every field with `first`) costs first × (child + 1),
//     first being 50 when null: each of up to `first` nodes costs its
//     selections, plus one for the node itself.
//   - Query.nodes(ids:) costs len(ids) × child.
//
// Use it on the graph.Config that builds the executable schema:
//
//	cfg := graph.Config{Resolvers: …}
//	limits.Complexity(&cfg.Complexity)
func Complexity(c *graph.ComplexityRoot) {
	c.Query.Organizations = func(child int, first *int, _ *string) int {
		return page(first, child)
	}
	c.Query.Nodes = func(child int, ids []string) int {
		return mul(len(ids), child)
	}

	c.Organization.Accounts = func(child int, first *int, _ *string, _ *domain.AccountFilter) int {
		return page(first, child)
	}
	c.Organization.IntegrationPoints = func(child int, first *int, _ *string) int {
		return page(first, child)
	}
	c.Organization.Integrations = func(child int, first *int, _ *string, _ *domain.IntegrationFilter) int {
		return page(first, child)
	}

	c.Account.Integrations = func(child int, first *int, _ *string, _ *domain.IntegrationFilter) int {
		return page(first, child)
	}
	c.Account.IntegrationPoints = func(child int, first *int, _ *string) int {
		return page(first, child)
	}

	c.IntegrationPoint.Integrations = func(child int, first *int, _ *string, _ *domain.IntegrationFilter) int {
		return page(first, child)
	}
	c.IntegrationPoint.Versions = func(child int, first *int, _ *string) int {
		return page(first, child)
	}

	c.ImpactPreview.Changes = func(child int, first *int, _ *string) int {
		return page(first, child)
	}
}

// page is the cost of a connection of up to first nodes whose selections
// cost child. A negative first is refused by the resolver; it costs as 0
// here, which makes gqlgen fall back to its default, 1 + child.
func page(first *int, child int) int {
	n := DefaultPageSize
	if first != nil {
		n = max(*first, 0)
	}
	return mul(n, add(child, 1))
}

// mul and add saturate at math.MaxInt, as gqlgen's own sums do, so that a
// huge `first` cannot wrap around to a small cost.
func mul(a, b int) int {
	if a <= 0 || b <= 0 {
		return 0
	}
	if a > math.MaxInt/b {
		return math.MaxInt
	}
	return a * b
}

func add(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

// complexityExtension is the stats key of gqlgen's extension.ComplexityLimit:
// ComplexityLimit records its result there too, so that
// extension.GetComplexityStats works with either.
const complexityExtension = "ComplexityLimit"

// ComplexityLimit is a gqlgen handler extension that refuses an operation
// costing more than Limit before it runs, with a QUERY_TOO_COMPLEX error.
// It is gqlgen's extension.ComplexityLimit (same calculation,
// complexity.Calculate, over the costs that Complexity sets) with our code
// and message: gqlgen's sets the code COMPLEXITY_LIMIT_EXCEEDED, which it
// cannot be told to change, and answers it with HTTP 200, where this one
// is a 422 like the validation errors.
type ComplexityLimit struct {
	Limit int
	es    graphql.ExecutableSchema
}

// NewComplexityLimit is a ComplexityLimit of limit.
func NewComplexityLimit(limit int) *ComplexityLimit { return &ComplexityLimit{Limit: limit} }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &ComplexityLimit{}

// ExtensionName implements graphql.HandlerExtension.
func (l *ComplexityLimit) ExtensionName() string { return "QueryComplexityLimit" }

// Validate implements graphql.HandlerExtension.
func (l *ComplexityLimit) Validate(es graphql.ExecutableSchema) error {
	if l.Limit < 1 {
		return errors.New("ComplexityLimit: the limit must be positive")
	}
	l.es = es
	return nil
}

// MutateOperationContext implements graphql.OperationContextMutator.
func (l *ComplexityLimit) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	op := opCtx.Operation
	if op == nil {
		op = opCtx.Doc.Operations.ForName(opCtx.OperationName)
	}
	cost := complexity.Calculate(ctx, l.es, op, opCtx.Variables)
	opCtx.Stats.SetExtension(complexityExtension, &extension.ComplexityStats{
		Complexity:      cost,
		ComplexityLimit: l.Limit,
	})
	if cost > l.Limit {
		err := gqlerror.Errorf("query complexity %d exceeds the limit of %d", cost, l.Limit)
		errcode.Set(err, CodeQueryTooComplex)
		return err
	}
	return nil
}
