package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/pointguard/pointguard/graph"
	"github.com/pointguard/pointguard/resolvers"
)

// TestMalformedArgumentsAreRefused walks the schema: every argument of
// every Query and Mutation field, and every field of their input objects,
// at any depth, is given malformed values of its type (wrong type, out of
// range, not an enum value, not a Time, numbers JSON cannot hold, NUL,
// bytes that are not UTF-8), as a variable and as a literal. Each must be
// refused as the caller's mistake, naming what it was given to (in the
// message or the error's path), never INTERNAL or an HTTP 5xx, on both
// engines, and nothing may be written.
func TestMalformedArgumentsAreRefused(t *testing.T) {
	t.Parallel()
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &resolvers.Resolver{}}).Schema()
	cases := malformedCases(schema)
	if len(cases) < 300 {
		t.Fatalf("the walk found only %d cases", len(cases))
	}
	eachBackend(t, func(t *testing.T, a *app) {
		a.world()
		before := digest(t, a.store)
		for _, c := range cases {
			var r result
			switch c.form {
			case "get":
				r = getQuery(t, a, c.query)
			default:
				r = a.post(c.query, c.vars)
			}
			if problem := refusal(r, c); problem != "" {
				t.Errorf("%s %s = %s (%s): %s\n%s", c.form, c.where, c.shown, problem, r.Raw, c.query)
			}
		}
		if digest(t, a.store) != before {
			t.Error("a malformed argument wrote to the database")
		}
	})
}

// malformedCase is one request with one malformed value in it.
type malformedCase struct {
	form  string // "variable", "literal" or "get"
	where string // e.g. createAccount(input.labels.0.key)
	leaf  string // the argument's or input field's name
	shown string // the malformed value
	query string
	vars  map[string]any
}

// bareEnum is a baseline enum value: bare in a literal, a string in JSON.
type bareEnum string

// rawLiteral is a malformed value as written in a query's text.
type rawLiteral string

// badValue is a malformed value as a variable (JSON; nil: none) and as a
// literal ("": none).
type badValue struct {
	json    any
	literal string
}

func malformedValues(def *ast.Definition) []badValue {
	if def.Kind == ast.Enum {
		first := def.EnumValues[0].Name
		return []badValue{
			{"NOT_A_VALUE", "NOT_A_VALUE"},
			{strings.ToLower(first), strings.ToLower(first)},
			{json.Number("5"), "5"},
			{true, "true"},
			{nil, `"` + first + `"`}, // a string is not an enum literal
		}
	}
	str := []badValue{
		{true, "true"},
		{map[string]any{"a": "b"}, `{a: "b"}`},
		{"a\x00b", `"a\u0000b"`},
		{[]any{[]any{"a"}}, `[["a"]]`},
	}
	switch def.Name {
	case "Int":
		return []badValue{
			{json.Number("2147483648"), "2147483648"},
			{json.Number("-2147483649"), "-2147483649"},
			{json.Number("99999999999999999999"), "99999999999999999999"},
			{json.Number("1e400"), "1e400"},
			{json.Number("1.5"), "1.5"},
			{json.Number("1e2"), "1e2"},
			{"1", `"1"`},
			{true, "true"},
		}
	case "Float":
		return []badValue{{"1.5", `"1.5"`}, {true, "true"}, {json.Number("1e400"), "1e400"}}
	case "Boolean":
		return []badValue{{"true", `"true"`}, {json.Number("1"), "1"}}
	case "String":
		return append(str, badValue{json.Number("5"), "5"})
	case "ID":
		return append(str, badValue{json.Number("1.5"), "1.5"})
	case "Time":
		return []badValue{
			{"tomorrow", `"tomorrow"`},
			{json.Number("5"), "5"},
			{json.Number("99999999999999999999"), "99999999999999999999"},
			{json.Number("1e400"), "1e400"},
			{"a\x00b", `"a\u0000b"`},
		}
	case "JSON":
		bad := []badValue{{"not an object", `"not an object"`}}
		for _, n := range []string{"1e400", "-1e400", "1e-400", "9007199254740993", "99999999999999999999"} {
			bad = append(bad, badValue{map[string]any{"n": json.Number(n)}, "{n: " + n + "}"})
		}
		return append(bad, badValue{map[string]any{"n": "a\x00b"}, `{n: "a\u0000b"}`})
	}
	panic("no malformed values for " + def.Name)
}

// baseline is a well-formed value of a type: required input fields only.
func baseline(s *ast.Schema, t *ast.Type) any {
	if t.Elem != nil {
		return []any{baseline(s, t.Elem)}
	}
	def := s.Types[t.Name()]
	switch def.Kind {
	case ast.Enum:
		return bareEnum(def.EnumValues[0].Name)
	case ast.InputObject:
		obj := map[string]any{}
		for _, f := range def.Fields {
			if f.Type.NonNull && f.DefaultValue == nil {
				obj[f.Name] = baseline(s, f.Type)
			}
		}
		return obj
	}
	switch def.Name {
	case "Int":
		return json.Number("1")
	case "Float":
		return json.Number("1.5")
	case "Boolean":
		return true
	case "Time":
		return "2030-01-01T00:00:00Z"
	case "JSON":
		return map[string]any{}
	}
	return "x" // String, ID
}

// leaves calls emit for every scalar or enum reachable in a value of type
// t, with a function that builds the whole value around a leaf's value.
func leaves(s *ast.Schema, t *ast.Type, name string, path []string, wrap func(any) any, emit func(name string, path []string, def *ast.Definition, wrap func(any) any)) {
	if t.Elem != nil {
		leaves(s, t.Elem, name, append(slices.Clip(path), "0"), func(v any) any { return wrap([]any{v}) }, emit)
		return
	}
	def := s.Types[t.Name()]
	if def.Kind != ast.InputObject {
		emit(name, path, def, wrap)
		return
	}
	for _, f := range def.Fields {
		leaves(s, f.Type, f.Name, append(slices.Clip(path), f.Name), func(v any) any {
			obj := baseline(s, ast.NamedType(def.Name, nil)).(map[string]any)
			obj[f.Name] = v
			return wrap(obj)
		}, emit)
	}
}

func malformedCases(s *ast.Schema) []malformedCase {
	var cases []malformedCase
	for _, root := range []*ast.Definition{s.Query, s.Mutation} {
		op := strings.ToLower(string(root.Name))
		for _, field := range root.Fields {
			if strings.HasPrefix(field.Name, "__") {
				continue
			}
			sel := ""
			if ret := s.Types[field.Type.Name()]; ret.Kind == ast.Object || ret.Kind == ast.Interface {
				sel = "{ __typename }"
				if ret.Fields.ForName("userErrors") != nil {
					sel = "{ __typename userErrors { code field message } }"
				}
			}
			for _, arg := range field.Arguments {
				// The other required arguments, well formed.
				var others []string
				for _, o := range field.Arguments {
					if o != arg && o.Type.NonNull {
						others = append(others, o.Name+": "+gqlLiteral(baseline(s, o.Type)))
					}
				}
				call := func(value string) string {
					return field.Name + "(" + strings.Join(append([]string{arg.Name + ": " + value}, others...), ", ") + ")" + sel
				}
				leaves(s, arg.Type, arg.Name, nil, func(v any) any { return v }, func(name string, path []string, def *ast.Definition, wrap func(any) any) {
					where := field.Name + "(" + strings.Join(append([]string{arg.Name}, path...), ".") + ")"
					for _, bad := range malformedValues(def) {
						if def.Name == "JSON" && name == "value" && bad.literal == `"not an object"` {
							continue // a config default's value is any JSON value
						}
						if bad.json != nil {
							cases = append(cases, malformedCase{form: "variable", where: where, leaf: name, shown: fmt.Sprintf("%#v", bad.json),
								query: fmt.Sprintf("%s($%s: %s) { %s }", op, arg.Name, arg.Type.String(), call("$"+arg.Name)),
								vars:  map[string]any{arg.Name: wrap(bad.json)}})
						}
						if bad.literal != "" {
							cases = append(cases, malformedCase{form: "literal", where: where, leaf: name, shown: bad.literal,
								query: op + " { " + call(gqlLiteral(wrap(rawLiteral(bad.literal)))) + " }"})
						}
					}
					if (def.Name == "String" || def.Name == "ID") && op == "query" {
						// Only a GET's query text carries bytes that are not UTF-8.
						cases = append(cases, malformedCase{form: "get", where: where, leaf: name, shown: `"a\xffb"`,
							query: op + " { " + call(gqlLiteral(wrap(rawLiteral("\"a\xffb\"")))) + " }"})
					}
				})
			}
		}
	}
	return cases
}

// literal writes a value in GraphQL's syntax.
func gqlLiteral(v any) string {
	switch v := v.(type) {
	case rawLiteral:
		return string(v)
	case bareEnum:
		return string(v)
	case json.Number:
		return string(v)
	case nil:
		return "null"
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = gqlLiteral(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range v {
				if !yield(k) {
					return
				}
			}
		})
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + gqlLiteral(v[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	b, _ := json.Marshal(v) // strings and booleans
	return string(b)
}

// clientCodes are the error codes that say the request was wrong.
var clientCodes = []string{"BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED"}

// refusal says what is wrong with the answer to a malformed case, or "".
func refusal(r result, c malformedCase) string {
	if r.Status >= 500 {
		return "a server error"
	}
	named := func(message string, path []any) bool {
		if strings.Contains(message, c.leaf) {
			return true
		}
		for _, p := range path {
			if p == c.leaf {
				return true
			}
		}
		return false
	}
	refused, found := false, false
	for _, e := range r.Errors {
		code, _ := e.Extensions["code"].(string)
		if !slices.Contains(clientCodes, code) {
			return "error code " + code
		}
		refused = true
		found = found || named(e.Message, e.Path)
	}
	// Or a payload's userError, INVALID_INPUT at the field.
	for _, payload := range r.Data {
		p, _ := payload.(map[string]any)
		ues, _ := p["userErrors"].([]any)
		for _, ue := range ues {
			ue, _ := ue.(map[string]any)
			if ue["code"] != "INVALID_INPUT" {
				continue
			}
			path, _ := ue["field"].([]any)
			msg, _ := ue["message"].(string)
			if named(msg, path) {
				refused, found = true, true
			}
		}
	}
	switch {
	case !refused:
		return "accepted"
	case !found:
		return "refused without naming " + c.leaf
	}
	return ""
}

// getQuery asks a query through GET, as the admin.
func getQuery(t *testing.T, a *app, query string) result {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, a.url+"/graphql?query="+url.QueryEscape(query), nil)
	req.Header.Set("Authorization", "Bearer "+a.adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := result{Status: resp.StatusCode, Raw: string(raw)}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("GET answered not JSON (%d): %s", resp.StatusCode, raw)
	}
	return r
}

// TestIntsAre32Bits: GraphQL's Int is a signed 32-bit integer. Past that
// (first: 2147483648, expectedVersion: 2147483648, 1e400), a literal or a
// variable is refused before anything runs, as an invalid Int naming the
// argument, by both executors, and nothing is written; gqlparser took up
// to 64 bits, and the complexity limit answered first: 2147483648.
func TestIntsAre32Bits(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		before := digest(t, a.store)
		invalid := func(r result, name string) {
			t.Helper()
			if r.Status != http.StatusOK || r.errorCode(t) != "GRAPHQL_VALIDATION_FAILED" ||
				!strings.Contains(r.Errors[0].Message, "Int cannot represent") || !strings.Contains(r.Errors[0].Message, name) {
				t.Errorf("want an invalid Int naming %s, got %d %s", name, r.Status, r.Raw)
			}
		}
		invalid(a.post(`{ organizations(first: 2147483648) { totalCount } }`, nil), `"first" of "organizations"`)
		invalid(a.post(`{ organizations(first: -2147483649) { totalCount } }`, nil), `"first" of "organizations"`)
		invalid(a.post(`query($first: Int) { organizations(first: $first) { totalCount } }`, map[string]any{"first": 2147483648}), `"$first"`)
		invalid(a.post(`query($first: Int) { organizations(first: $first) { totalCount } }`, map[string]any{"first": "10"}), `"$first"`)
		// Inside a field that never runs (no such organization), too.
		invalid(a.post(`{ organization(slug: "nope") { accounts(first: 2147483648) { totalCount } } }`, nil), `"first" of "accounts"`)
		// gqlparser said "cannot use value 0 as Int".
		invalid(a.send([]byte(`{"query":"query($first: Int) { organizations(first: $first) { totalCount } }","variables":{"first":1e400}}`)),
			`"$first" got invalid value 1e400`)

		update := `mutation($input: UpdateIntegrationPointInput!) { updateIntegrationPoint(input: $input) { integrationPoint { version } userErrors { code field } } }`
		// gqlparser said "cannot use string as Int" of a number, or nothing.
		for _, v := range []any{2147483648, json.Number("1e400"), json.Number("1e2"), json.Number("1.5"), "1"} {
			r := a.post(update, map[string]any{"input": map[string]any{"id": w.point, "expectedVersion": v, "name": "Renamed"}})
			invalid(r, `at "input.expectedVersion"`)
		}
		r := a.post(`mutation($id: ID!) { updateIntegrationPoint(input: { id: $id, expectedVersion: 2147483648, name: "Renamed" }) { userErrors { code } } }`,
			map[string]any{"id": w.point})
		invalid(r, `"input.expectedVersion" of "updateIntegrationPoint"`)
		if digest(t, a.store) != before {
			t.Error("an Int past 32 bits wrote to the database")
		}
		// The largest and smallest Ints are Ints (the service finds the
		// one no version, the other not the point's).
		for v, code := range map[int]string{2147483647: "VERSION_CONFLICT", -2147483648: "INVALID_INPUT"} {
			r := a.do(update, map[string]any{"input": map[string]any{"id": w.point, "expectedVersion": v, "name": "Renamed"}})
			if payloadCode(t, r, "updateIntegrationPoint") != code {
				t.Errorf("expectedVersion %d: %s", v, r.Raw)
			}
		}
	})
}
