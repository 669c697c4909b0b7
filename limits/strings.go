package limits

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/pointguard/pointguard/apierror"
)

// RejectBadStrings refuses, as BAD_USER_INPUT, an operation with the NUL
// character (U+0000) or bytes that are not UTF-8 in any string of its
// arguments or variables (a GET query's literals arrive as raw bytes).
// PostgreSQL stores neither in text or jsonb and would fail the statement,
// where SQLite would store or compare them: refusing up front gives one
// clear error for every field, on both engines alike, instead of an
// internal one from whichever statement meets it first.
type RejectBadStrings struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = RejectBadStrings{}

func (RejectBadStrings) ExtensionName() string                          { return "RejectBadStrings" }
func (RejectBadStrings) Validate(schema graphql.ExecutableSchema) error { return nil }

func (RejectBadStrings) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	var problem string
	if problem = inJSON(rc.Variables); problem == "" && rc.Operation != nil {
		problem = inSelection(rc.Operation.SelectionSet, map[string]bool{})
	}
	if problem == "" {
		return nil
	}
	return &gqlerror.Error{Message: problem, Extensions: map[string]any{"code": apierror.CodeBadUserInput}}
}

// badString is what is wrong with s, or "".
func badString(s string) string {
	switch {
	case strings.ContainsRune(s, 0):
		return "strings may not contain the NUL character (U+0000)"
	case !utf8.ValidString(s):
		return "strings must be UTF-8; this one holds bytes that are not"
	}
	return ""
}

// inJSON looks through decoded JSON (variables) at any depth, keys included.
func inJSON(v any) string {
	switch v := v.(type) {
	case string:
		return badString(v)
	case map[string]any:
		for k, x := range v {
			if p := badString(k); p != "" {
				return p
			}
			if p := inJSON(x); p != "" {
				return p
			}
		}
	case []any:
		for _, x := range v {
			if p := inJSON(x); p != "" {
				return p
			}
		}
	}
	return ""
}

// inSelection looks through the literal arguments of every field the
// operation selects, fragments included (each fragment once).
func inSelection(set ast.SelectionSet, seen map[string]bool) string {
	for _, sel := range set {
		var p string
		switch s := sel.(type) {
		case *ast.Field:
			for _, arg := range s.Arguments {
				if p = inValue(arg.Value); p != "" {
					return p
				}
			}
			p = inSelection(s.SelectionSet, seen)
		case *ast.InlineFragment:
			p = inSelection(s.SelectionSet, seen)
		case *ast.FragmentSpread:
			if s.Definition != nil && !seen[s.Name] {
				seen[s.Name] = true
				p = inSelection(s.Definition.SelectionSet, seen)
			}
		}
		if p != "" {
			return p
		}
	}
	return ""
}

func inValue(v *ast.Value) string {
	if v == nil {
		return ""
	}
	if p := badString(v.Raw); p != "" {
		return p
	}
	for _, c := range v.Children {
		if p := badString(c.Name); p != "" {
			return p
		}
		if p := inValue(c.Value); p != "" {
			return p
		}
	}
	return ""
}
