package limits

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/pointguard/pointguard/apierror"
)

// Introspection is the handler extension for the introspection policy, in
// place of gqlgen's extension.Introspection{}.
//
// Enabled, it is gqlgen's extension.Introspection{}. Disabled, it refuses
// any operation that selects __schema or __type with an
// INTROSPECTION_DISABLED error, answered like a validation error (HTTP
// 422), before anything runs; __typename stays allowed. (Merely leaving
// gqlgen's extension out also disables introspection, but then __schema
// fails while the operation runs, with the plain error "introspection
// disabled", which our error presenter turns into an INTERNAL error and
// logs as one, and a null data.)
func Introspection(enabled bool) graphql.HandlerExtension {
	if enabled {
		return extension.Introspection{}
	}
	return noIntrospection{}
}

type noIntrospection struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = noIntrospection{}

func (noIntrospection) ExtensionName() string { return "NoIntrospection" }

func (noIntrospection) Validate(graphql.ExecutableSchema) error { return nil }

func (noIntrospection) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	// gqlgen leaves DisableIntrospection true unless an extension clears it,
	// so execution refuses introspection too, should this check miss one.
	opCtx.DisableIntrospection = true
	op := opCtx.Operation
	if op == nil {
		op = opCtx.Doc.Operations.ForName(opCtx.OperationName)
	}
	if op == nil {
		return nil
	}
	if f := introspectionField(opCtx.Doc, op.SelectionSet, map[string]bool{}); f != nil {
		err := gqlerror.ErrorPosf(f.Position, "introspection is disabled on this server: %s cannot be queried", f.Name)
		errcode.Set(err, apierror.CodeIntrospectionDisabled)
		return err
	}
	return nil
}

// introspectionField finds a __schema or __type field among the root
// fields of an operation, looking into its fragments (they are the only
// fields that reach introspection: both exist only on the query root).
func introspectionField(doc *ast.QueryDocument, set ast.SelectionSet, seen map[string]bool) *ast.Field {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" {
				return s
			}
		case *ast.InlineFragment:
			if f := introspectionField(doc, s.SelectionSet, seen); f != nil {
				return f
			}
		case *ast.FragmentSpread:
			if seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			def := s.Definition
			if def == nil && doc != nil {
				def = doc.Fragments.ForName(s.Name)
			}
			if def == nil {
				continue
			}
			if f := introspectionField(doc, def.SelectionSet, seen); f != nil {
				return f
			}
		}
	}
	return nil
}
