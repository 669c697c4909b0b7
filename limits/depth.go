package limits

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/pointguard/pointguard/apierror"
)

// Depth is the deepest field nesting of op: `{ a }` is 1, `{ a { b } }` is
// 2. Fragment spreads and inline fragments add nothing themselves; their
// fields count where they are spread. __typename and introspection fields
// count like any other, with one exception: __Type.ofType adds no depth.
// ofType only unwraps list and non-null wrappers, so a chain of them is
// bounded by the schema (null after the named type) and costs nothing,
// while GraphiQL's introspection query nests it nine deep (its depth is 15
// counting ofType, 6 without). Every other introspection field, fields and
// type included, still counts. (The fan-out of an introspection walk is
// bounded by gqlparser's validation besides: its MaxIntrospectionDepth rule
// refuses __Type's list fields nested three deep.)
//
// doc supplies the fragments that op spreads when the spreads are not
// resolved yet (a validated document has them resolved); a fragment that
// cannot be found adds nothing, and a fragment cycle is not followed.
func Depth(doc *ast.QueryDocument, op *ast.OperationDefinition) int {
	if op == nil {
		return 0
	}
	w := depthWalker{doc: doc, memo: map[string]int{}, active: map[string]bool{}}
	return w.selectionSet(op.SelectionSet)
}

type depthWalker struct {
	doc    *ast.QueryDocument
	memo   map[string]int  // depth of each fragment's selection set
	active map[string]bool // fragments being walked, against cycles
}

func (w *depthWalker) selectionSet(set ast.SelectionSet) int {
	deepest := 0
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			d = w.selectionSet(s.SelectionSet)
			if !isOfType(s) {
				d++
			}
		case *ast.InlineFragment:
			d = w.selectionSet(s.SelectionSet)
		case *ast.FragmentSpread:
			d = w.fragment(s)
		}
		deepest = max(deepest, d)
	}
	return deepest
}

// fragment is the depth of a spread fragment, computed once per fragment
// (its depth does not depend on where it is spread), so that a document
// spreading fragments many times is still walked in linear time.
func (w *depthWalker) fragment(s *ast.FragmentSpread) int {
	if d, ok := w.memo[s.Name]; ok {
		return d
	}
	def := s.Definition
	if def == nil && w.doc != nil {
		def = w.doc.Fragments.ForName(s.Name)
	}
	if def == nil || w.active[s.Name] {
		return 0
	}
	w.active[s.Name] = true
	d := w.selectionSet(def.SelectionSet)
	delete(w.active, s.Name)
	w.memo[s.Name] = d
	return d
}

func isOfType(f *ast.Field) bool {
	return f.Name == "ofType" && (f.ObjectDefinition == nil || f.ObjectDefinition.Name == "__Type")
}

// DepthStats is what DepthLimit records in the operation's stats.
type DepthStats struct {
	Depth int // the operation's depth
	Limit int // the limit it was checked against
}

const depthExtension = "QueryDepthLimit"

// GetDepthStats is the depth DepthLimit measured for the current
// operation, or nil.
func GetDepthStats(ctx context.Context) *DepthStats {
	if !graphql.HasOperationContext(ctx) {
		return nil
	}
	s, _ := graphql.GetOperationContext(ctx).Stats.GetExtension(depthExtension).(*DepthStats)
	return s
}

// DepthLimit is a gqlgen handler extension that refuses an operation
// deeper than Limit (see Depth) before it runs, with a QUERY_TOO_DEEP error.
// Like gqlgen's ComplexityLimit, it works on the parsed and validated
// operation, and its error is returned from MutateOperationContext, so it
// is answered like a validation error (HTTP 422).
type DepthLimit struct {
	Limit int
}

// NewDepthLimit is a DepthLimit of limit.
func NewDepthLimit(limit int) *DepthLimit { return &DepthLimit{Limit: limit} }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &DepthLimit{}

// ExtensionName implements graphql.HandlerExtension.
func (l *DepthLimit) ExtensionName() string { return depthExtension }

// Validate implements graphql.HandlerExtension.
func (l *DepthLimit) Validate(graphql.ExecutableSchema) error {
	if l.Limit < 1 {
		return errors.New("DepthLimit: the limit must be positive")
	}
	return nil
}

// MutateOperationContext implements graphql.OperationContextMutator.
func (l *DepthLimit) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	op := opCtx.Operation
	if op == nil {
		op = opCtx.Doc.Operations.ForName(opCtx.OperationName)
	}
	depth := Depth(opCtx.Doc, op)
	opCtx.Stats.SetExtension(depthExtension, &DepthStats{Depth: depth, Limit: l.Limit})
	if depth > l.Limit {
		err := gqlerror.Errorf("query depth %d exceeds the limit of %d", depth, l.Limit)
		errcode.Set(err, apierror.CodeQueryTooDeep)
		return err
	}
	return nil
}
