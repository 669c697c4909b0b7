package scalars

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// StrictVariables refuses, before anything runs, the variables GraphQL's
// input coercion refuses but gqlparser lets through: an Int past 32 bits
// or sent as a string, a number for a String, a fraction for an ID, an
// enum value in the wrong case. Refused up front, like gqlparser's own
// variable errors (GRAPHQL_VALIDATION_FAILED, HTTP 422), they are refused
// alike whichever executor runs the operation, even in a field that would
// not have run; each error names the variable and the path inside it.
// Install it before the complexity limit, which reads the arguments.
type StrictVariables struct{ schema *ast.Schema }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
} = (*StrictVariables)(nil)

func (*StrictVariables) ExtensionName() string { return "StrictVariables" }

func (s *StrictVariables) Validate(es graphql.ExecutableSchema) error {
	s.schema = es.Schema()
	return nil
}

// MutateOperationParameters words the refusal of a number that is no
// Int at all (1e400, 1.5, 2^64) in a variable, before gqlparser refuses it
// as "cannot use value 0 as Int" or "cannot use string as Int". Such a
// number is rare, so the query is parsed a second time only then.
func (s *StrictVariables) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	if !hasNonInteger(params.Variables) {
		return nil
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: params.Query}, maxTokens)
	if err != nil {
		return nil // gqlgen says what is wrong with it
	}
	op := doc.Operations.ForName(params.OperationName)
	if op == nil {
		return nil
	}
	return s.variables(op, params.Variables)
}

// maxTokens bounds the second parse; a bigger query gets gqlparser's words.
const maxTokens = 20000

// hasNonInteger tells whether decoded JSON holds a number that is not an
// integer of 64 bits.
func hasNonInteger(v any) bool {
	switch v := v.(type) {
	case json.Number:
		_, err := strconv.ParseInt(string(v), 10, 64)
		return err != nil
	case map[string]any:
		for _, x := range v {
			if hasNonInteger(x) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if hasNonInteger(x) {
				return true
			}
		}
	}
	return false
}

func (s *StrictVariables) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if rc.Operation == nil {
		return nil
	}
	return s.variables(rc.Operation, rc.Variables)
}

func (s *StrictVariables) variables(op *ast.OperationDefinition, vars map[string]any) *gqlerror.Error {
	for _, vd := range op.VariableDefinitions {
		v, ok := vars[vd.Variable]
		if !ok {
			continue
		}
		at := ast.Path{ast.PathName("variable"), ast.PathName(vd.Variable)}
		if msg, leaf, at := s.check(vd.Type, v, at); msg != "" {
			where := ""
			if len(at) > 2 {
				where = fmt.Sprintf(" at %q", dotted(at[1:]))
			}
			err := &gqlerror.Error{
				Message: fmt.Sprintf("Variable \"$%s\" got invalid value %s%s; %s", vd.Variable, shown(leaf), where, msg),
				Path:    at,
			}
			errcode.Set(err, errcode.ValidationFailed)
			return err
		}
	}
	return nil
}

// check returns what is wrong with v as a value of type t, the value it
// is about and its path, or "".
func (s *StrictVariables) check(t *ast.Type, v any, at ast.Path) (string, any, ast.Path) {
	if v == nil {
		return "", nil, nil
	}
	if t.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			return s.check(t.Elem, v, at) // one value stands for a list of it
		}
		for i, x := range list {
			if msg, leaf, p := s.check(t.Elem, x, append(at[:len(at):len(at)], ast.PathIndex(i))); msg != "" {
				return msg, leaf, p
			}
		}
		return "", nil, nil
	}
	def := s.schema.Types[t.NamedType]
	if def == nil {
		return "", nil, nil
	}
	switch def.Kind {
	case ast.InputObject:
		obj, _ := v.(map[string]any)
		for _, f := range def.Fields {
			if x, ok := obj[f.Name]; ok {
				if msg, leaf, p := s.check(f.Type, x, append(at[:len(at):len(at)], ast.PathName(f.Name))); msg != "" {
					return msg, leaf, p
				}
			}
		}
	case ast.Enum:
		if str, ok := v.(string); ok && def.EnumValues.ForName(str) == nil {
			return fmt.Sprintf("Value %q does not exist in %q enum", str, def.Name), v, at
		}
	case ast.Scalar:
		if msg := scalarProblem(def.Name, v); msg != "" {
			return msg, v, at
		}
	}
	return "", nil, nil
}

var integer = regexp.MustCompile(`^-?[0-9]+$`)

// scalarProblem is what the GraphQL spec's input coercion of a built-in
// scalar refuses in v, or "". Custom scalars (Time, JSON) check their own.
func scalarProblem(scalar string, v any) string {
	switch scalar {
	case "Int":
		var n int64
		switch v := v.(type) {
		case int64:
			n = v
		case int:
			n = int64(v)
		case json.Number:
			var err error
			if n, err = strconv.ParseInt(string(v), 10, 64); err != nil {
				f, _ := strconv.ParseFloat(string(v), 64)
				canonical, err := Number(string(v))
				switch {
				case integer.MatchString(string(v)) || math.IsInf(f, 0):
					return "Int cannot represent non 32-bit signed integer value: " + shown(v)
				case err != nil || !integer.MatchString(canonical):
					return "Int cannot represent non-integer value: " + shown(v)
				case f < math.MinInt32 || f > math.MaxInt32:
					return "Int cannot represent non 32-bit signed integer value: " + shown(v)
				}
				return "Int cannot represent " + shown(v) + ": write an Int in digits alone, without a fraction or an exponent"
			}
		case float64:
			if v != math.Trunc(v) {
				return "Int cannot represent non-integer value: " + shown(v)
			}
			n = int64(max(min(v, math.MaxInt32+1), math.MinInt32-1))
		default:
			return "Int cannot represent non-integer value: " + shown(v)
		}
		if n < math.MinInt32 || n > math.MaxInt32 {
			return "Int cannot represent non 32-bit signed integer value: " + shown(v)
		}
	case "Float":
		if _, ok := v.(string); ok {
			return "Float cannot represent non numeric value: " + shown(v)
		}
	case "String":
		if _, ok := v.(string); !ok {
			return "String cannot represent a non string value: " + shown(v)
		}
	case "ID":
		switch v := v.(type) {
		case string, int, int64:
		case json.Number:
			if !integer.MatchString(string(v)) {
				return "ID cannot represent a non-string and non-integer value: " + shown(v)
			}
		default:
			return "ID cannot represent a non-string and non-integer value: " + shown(v)
		}
	}
	return ""
}

// shown is a value as JSON, cut short.
func shown(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return shorten(string(b))
}

// dotted is a path as userErrors spell it: input.labels.0.key.
func dotted(p ast.Path) string {
	parts := make([]string, len(p))
	for i, e := range p {
		switch e := e.(type) {
		case ast.PathName:
			parts[i] = string(e)
		case ast.PathIndex:
			parts[i] = strconv.Itoa(int(e))
		}
	}
	return strings.Join(parts, ".")
}
