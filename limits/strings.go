package limits

import (
	"context"
	"fmt"
	"strconv"
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
	if rc.Operation == nil {
		return nil
	}
	for _, vd := range rc.Operation.VariableDefinitions {
		if p, at := inJSON(rc.Variables[vd.Variable], []string{vd.Variable}); p != "" {
			where := fmt.Sprintf("Variable \"$%s\"", vd.Variable)
			if len(at) > 1 {
				where += fmt.Sprintf(" at %q", strings.Join(at, "."))
			}
			return refuse(where, p)
		}
	}
	if p := inSelection(rc.Operation.SelectionSet, map[string]bool{}); p != "" {
		return refuse("", p)
	}
	return nil
}

func refuse(where, problem string) *gqlerror.Error {
	if where != "" {
		problem = where + ": " + problem
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

// inJSON looks through decoded JSON (variables) at any depth, keys
// included, and says where: the path from the variable.
func inJSON(v any, at []string) (string, []string) {
	switch v := v.(type) {
	case string:
		return badString(v), at
	case map[string]any:
		for k, x := range v {
			if p := badString(k); p != "" {
				return "a key " + p[len("strings "):], at
			}
			if p, where := inJSON(x, append(at[:len(at):len(at)], k)); p != "" {
				return p, where
			}
		}
	case []any:
		for i, x := range v {
			if p, where := inJSON(x, append(at[:len(at):len(at)], strconv.Itoa(i))); p != "" {
				return p, where
			}
		}
	}
	return "", nil
}

// inSelection looks through the literal arguments of every field the
// operation selects, fragments included (each fragment once), and says
// which argument.
func inSelection(set ast.SelectionSet, seen map[string]bool) string {
	for _, sel := range set {
		var p string
		switch s := sel.(type) {
		case *ast.Field:
			for _, arg := range s.Arguments {
				if p, at := inValue(arg.Value, []string{arg.Name}); p != "" {
					return fmt.Sprintf("Argument %q of %q: %s", strings.Join(at, "."), s.Name, p)
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

func inValue(v *ast.Value, at []string) (string, []string) {
	if v == nil {
		return "", nil
	}
	if p := badString(v.Raw); p != "" {
		return p, at
	}
	for i, c := range v.Children {
		name := c.Name
		if v.Kind == ast.ListValue {
			name = strconv.Itoa(i)
		} else if p := badString(c.Name); p != "" {
			return "a key " + p[len("strings "):], at
		}
		if p, where := inValue(c.Value, append(at[:len(at):len(at)], name)); p != "" {
			return p, where
		}
	}
	return "", nil
}
