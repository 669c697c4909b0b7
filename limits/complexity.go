package limits

import (
	"context"
	"errors"
	"math"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/pointguard/pointguard/apierror"
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/graph"
	"github.com/pointguard/pointguard/pagination"
)

// Complexity sets the cost of every list-returning field with an argument
// that sizes it, in gqlgen's ComplexityRoot; every other field keeps
// gqlgen's default cost, 1 + the cost of its selections.
//
//   - Each connection (every field with `first`) costs first × (child + 1),
//     first being pagination.DefaultFirst (50) when null, as in the
//     resolvers: each of up to `first` nodes costs its selections, plus one
//     for the node itself. A first over pagination.MaxFirst costs what it
//     says (the resolver refuses it anyway, if it gets to run).
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

	c.Organization.ApiTokens = func(child int, first *int, _ *string) int {
		return page(first, child)
	}
	c.Organization.AuditEvents = func(child int, first *int, _ *string, _ *domain.AuditEventFilter) int {
		return page(first, child)
	}
	c.Account.ApiTokens = func(child int, first *int, _ *string) int {
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
	c.WebhookEndpoint.Deliveries = func(child int, first *int, _ *string, _ *domain.WebhookDeliveryFilter) int {
		return page(first, child)
	}
}

// page is the cost of a connection of up to first nodes whose selections
// cost child. A negative first is refused by the resolver; it costs as 0
// here, which makes gqlgen fall back to its default, 1 + child.
func page(first *int, child int) int {
	n := pagination.DefaultFirst
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

// Calculate is gqlgen's complexity.Calculate (same walk, same costs: the
// schema's Complexity functions, else 1 + the selections' cost; a field of
// type __Schema costs nothing; on an interface, the dearest implementation)
// computing each fragment's cost once. gqlgen's walks a fragment again at
// every spread, which is exponential: a document of n fragments that each
// spread the next twice (valid GraphQL, and cheap to execute, since the
// executor merges repeated spreads) makes it walk 2^n times; 22 fragments,
// under 900 bytes, take it 2.3 s of CPU per request, 40 would take days.
// A fragment's cost does not depend on where it is spread, so the memo
// changes no result, only the time.
func Calculate(ctx context.Context, es graphql.ExecutableSchema, op *ast.OperationDefinition, vars map[string]any) int {
	if op == nil {
		return 0
	}
	w := costWalker{ctx: ctx, es: es, schema: es.Schema(), vars: vars, memo: map[string]int{}, active: map[string]bool{}}
	return w.selectionSet(op.SelectionSet)
}

type costWalker struct {
	ctx    context.Context
	es     graphql.ExecutableSchema
	schema *ast.Schema
	vars   map[string]any
	memo   map[string]int  // cost of each fragment's selection set
	active map[string]bool // fragments being walked, against cycles
}

func (w *costWalker) selectionSet(set ast.SelectionSet) int {
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			total = safeAdd(total, w.field(s))
		case *ast.InlineFragment:
			total = safeAdd(total, w.selectionSet(s.SelectionSet))
		case *ast.FragmentSpread:
			total = safeAdd(total, w.fragment(s))
		}
	}
	return total
}

func (w *costWalker) field(s *ast.Field) int {
	if s.Definition == nil || s.ObjectDefinition == nil {
		return 0 // not validated: gqlgen validates before the limits run
	}
	typ := w.schema.Types[s.Definition.Type.Name()]
	if typ == nil || typ.Name == "__Schema" {
		return 0
	}
	child := 0
	switch typ.Kind {
	case ast.Object, ast.Interface, ast.Union:
		child = w.selectionSet(s.SelectionSet)
	}
	args := s.ArgumentMap(w.vars)
	if s.ObjectDefinition.Kind != ast.Interface {
		return w.fieldCost(s.ObjectDefinition, s.Name, child, args)
	}
	// Interfaces have no costs of their own: the dearest implementation's.
	dearest := 0
	for _, impl := range w.schema.GetPossibleTypes(s.ObjectDefinition) {
		dearest = max(dearest, w.fieldCost(impl, s.Name, child, args))
	}
	return dearest
}

func (w *costWalker) fieldCost(def *ast.Definition, field string, child int, args map[string]any) int {
	if c, ok := w.es.Complexity(w.ctx, def.Name, field, child, args); ok && c >= 1 {
		return c
	}
	return safeAdd(1, child)
}

func (w *costWalker) fragment(s *ast.FragmentSpread) int {
	if c, ok := w.memo[s.Name]; ok {
		return c
	}
	if s.Definition == nil || w.active[s.Name] {
		return 0
	}
	w.active[s.Name] = true
	c := w.selectionSet(s.Definition.SelectionSet)
	delete(w.active, s.Name)
	w.memo[s.Name] = c
	return c
}

// safeAdd is gqlgen's complexity sum: saturating, ignoring negative terms.
func safeAdd(a, b int) int {
	switch {
	case a < 0 && b < 0:
		return 1
	case a < 0:
		return b
	case b < 0:
		return a
	}
	return add(a, b)
}

// complexityExtension is the stats key of gqlgen's extension.ComplexityLimit:
// ComplexityLimit records its result there too, so that
// extension.GetComplexityStats works with either.
const complexityExtension = "ComplexityLimit"

// ComplexityLimit is a gqlgen handler extension that refuses an operation
// costing more than Limit before it runs, with a QUERY_TOO_COMPLEX error.
// It is gqlgen's extension.ComplexityLimit with our code and message, and
// with Calculate in place of complexity.Calculate (same result, linear
// time): gqlgen's sets the code COMPLEXITY_LIMIT_EXCEEDED, which it cannot
// be told to change, answers it with HTTP 200 where this one is a 422 like
// the validation errors, and its calculation is exponential in repeated
// fragment spreads.
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
	cost := Calculate(ctx, l.es, op, opCtx.Variables)
	opCtx.Stats.SetExtension(complexityExtension, &extension.ComplexityStats{
		Complexity:      cost,
		ComplexityLimit: l.Limit,
	})
	if cost > l.Limit {
		err := gqlerror.Errorf("query complexity %d exceeds the limit of %d", cost, l.Limit)
		errcode.Set(err, apierror.CodeQueryTooComplex)
		return err
	}
	return nil
}
