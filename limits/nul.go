package limits

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/pointguard/pointguard/apierror"
)

// RejectNUL refuses, as BAD_USER_INPUT, an operation with the NUL
// character (U+0000) in any string of its arguments or variables.
// PostgreSQL stores no NUL in text or jsonb and would fail the statement;
// refusing up front gives one clear error for every field, instead of an
// internal one from whichever statement meets it first.
type RejectNUL struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = RejectNUL{}

func (RejectNUL) ExtensionName() string                          { return "RejectNUL" }
func (RejectNUL) Validate(schema graphql.ExecutableSchema) error { return nil }

func (RejectNUL) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if hasNUL(rc.Variables) || (rc.Operation != nil && selectionHasNUL(rc.Operation.SelectionSet, map[string]bool{})) {
		return &gqlerror.Error{
			Message:    "strings may not contain the NUL character (U+0000)",
			Extensions: map[string]any{"code": apierror.CodeBadUserInput},
		}
	}
	return nil
}

// hasNUL looks through decoded JSON (variables) at any depth, keys included.
func hasNUL(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.ContainsRune(v, 0)
	case map[string]any:
		for k, x := range v {
			if strings.ContainsRune(k, 0) || hasNUL(x) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if hasNUL(x) {
				return true
			}
		}
	}
	return false
}

// selectionHasNUL looks through the literal arguments of every field the
// operation selects, fragments included (each fragment once).
func selectionHasNUL(set ast.SelectionSet, seen map[string]bool) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			for _, arg := range s.Arguments {
				if valueHasNUL(arg.Value) {
					return true
				}
			}
			if selectionHasNUL(s.SelectionSet, seen) {
				return true
			}
		case *ast.InlineFragment:
			if selectionHasNUL(s.SelectionSet, seen) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && !seen[s.Name] {
				seen[s.Name] = true
				if selectionHasNUL(s.Definition.SelectionSet, seen) {
					return true
				}
			}
		}
	}
	return false
}

func valueHasNUL(v *ast.Value) bool {
	if v == nil {
		return false
	}
	if strings.ContainsRune(v.Raw, 0) {
		return true
	}
	for _, c := range v.Children {
		if strings.ContainsRune(c.Name, 0) || valueHasNUL(c.Value) {
			return true
		}
	}
	return false
}
