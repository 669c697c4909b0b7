package limits

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/pointguard/pointguard/apierror"
	"github.com/pointguard/pointguard/fixtures"
)

func TestDepth(t *testing.T) {
	for _, tc := range []struct {
		name  string
		query string
		want  int
	}{
		{"typename", `{ __typename }`, 1},
		{"one object", `{ organization(slug: "a") { id } }`, 2},
		{"deepest branch wins", `{ organization(slug: "a") { id accounts { nodes { id } } } providers { key } }`, 4},
		{"typename counts", `{ organization(slug: "a") { accounts { nodes { __typename } } } }`, 4},
		{"fragment spread", `
			{ organization(slug: "a") { ...Org } }
			fragment Org on Organization { accounts { nodes { id } } }`, 4},
		{"fragment spread twice at different depths", `
			{ organization(slug: "a") { ...Acc integrationPoints { nodes { organization { ...Acc } } } } }
			fragment Acc on Organization { accounts { nodes { slug } } }`, 7},
		{"nested fragments", `
			{ organization(slug: "a") { ...A } }
			fragment A on Organization { accounts { ...B } }
			fragment B on AccountConnection { nodes { ...C } }
			fragment C on Account { integrations { nodes { id } } }`, 6},
		{"inline fragment", `
			{ node(id: "x") { ... on Organization { integrationPoints { nodes { integrations { nodes { id } } } } } } }`, 6},
		{"inline fragment without type condition", `{ organization(slug: "a") { ... { accounts { nodes { id } } } } }`, 4},
		{"mutation", `mutation { createOrganization(input: { slug: "a", name: "A" }) { organization { id } userErrors { code } } }`, 3},
		{"introspection counts", `{ __schema { types { fields { type { fields { type { name } } } } } } }`, 7},
		{"ofType adds nothing", `{ __type(name: "Query") { fields { type { ofType { ofType { ofType { ofType { name } } } } } } } }`, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := load(t, tc.query)
			if got := Depth(doc, doc.Operations[0]); got != tc.want {
				t.Errorf("depth %d, want %d", got, tc.want)
			}
		})
	}
}

func TestDeepQueryHelper(t *testing.T) {
	for n := 2; n <= 25; n++ {
		doc := load(t, fixtures.DeepQuery(n))
		if got := Depth(doc, doc.Operations[0]); got != n {
			t.Fatalf("fixtures.DeepQuery(%d) has depth %d: %s", n, got, fixtures.DeepQuery(n))
		}
	}
}

// TestDepthGraphiQLIntrospection: GraphiQL's introspection query nests
// ofType nine deep, 15 levels in all; without ofType it is 6.
func TestDepthGraphiQLIntrospection(t *testing.T) {
	doc := load(t, introspectionQuery())
	if got := Depth(doc, doc.Operations[0]); got != 6 {
		t.Errorf("depth %d, want 6", got)
	}
	if got := strings.Count(introspectionQuery(), "ofType {"); got != 9 {
		t.Errorf("the fixture nests ofType %d deep, want GraphiQL's 9", got)
	}
}

// TestDepthUnvalidated: on a document only parsed (spreads unresolved, no
// definitions), fragments are found by name and cycles are not followed.
func TestDepthUnvalidated(t *testing.T) {
	doc, err := parser.ParseQuery(&ast.Source{Input: `
		{ a { ...F } }
		fragment F on T { b { c { ...G } } }
		fragment G on T { d { ...F } }`})
	if err != nil {
		t.Fatal(err)
	}
	if got := Depth(doc, doc.Operations[0]); got != 4 {
		t.Errorf("depth %d, want 4", got)
	}
	if got := Depth(doc, nil); got != 0 {
		t.Errorf("depth of no operation %d", got)
	}
}

// TestDepthManySpreads: fragments are walked once each, so a document that
// spreads each of 40 fragments twice into the next is measured at once.
func TestDepthManySpreads(t *testing.T) {
	var b strings.Builder
	b.WriteString("{ ...F0 }\n")
	for i := range 40 {
		b.WriteString("fragment F" + strconv.Itoa(i) + " on Query { ")
		if i < 39 {
			b.WriteString("...F" + strconv.Itoa(i+1) + " ...F" + strconv.Itoa(i+1))
		} else {
			b.WriteString("__typename")
		}
		b.WriteString(" }\n")
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: b.String()})
	if err != nil {
		t.Fatal(err)
	}
	if got := Depth(doc, doc.Operations[0]); got != 1 {
		t.Errorf("depth %d, want 1", got)
	}
}

func TestDepthLimitRefuses(t *testing.T) {
	h := server(Default())

	r := post(t, h, fixtures.DeepQuery(15), nil)
	if r.Status != http.StatusUnprocessableEntity || r.code() != apierror.CodeQueryTooDeep {
		t.Fatalf("depth 15: %d %s", r.Status, r.Raw)
	}
	if msg := r.Errors[0].Message; msg != "query depth 15 exceeds the limit of 12" {
		t.Errorf("message %q", msg)
	}
	if r.Data != nil {
		t.Errorf("data %v", r.Data)
	}

	// A client asking for application/graphql-response+json gets 400, as
	// for gqlgen's validation errors.
	r = post(t, h, fixtures.DeepQuery(13), nil, "Accept", "application/graphql-response+json")
	if r.Status != http.StatusBadRequest || r.code() != apierror.CodeQueryTooDeep {
		t.Fatalf("depth 13, graphql-response+json: %d %s", r.Status, r.Raw)
	}

	// At the limit the operation is let through (it then fails here for
	// want of resolvers, which is not a limit's error).
	r = post(t, server(Config{MaxDepth: 12, MaxComplexity: 1 << 40, Introspection: true}), fixtures.DeepQuery(12), nil)
	if r.hasCode(apierror.CodeQueryTooDeep) {
		t.Fatalf("depth 12 refused: %s", r.Raw)
	}

	// A lower limit from the configuration.
	r = post(t, server(Config{MaxDepth: 3, MaxComplexity: 50_000, Introspection: true}), `{ organization(slug: "a") { accounts { nodes { id } } } }`, nil)
	if r.code() != apierror.CodeQueryTooDeep || r.Errors[0].Message != "query depth 4 exceeds the limit of 3" {
		t.Fatalf("limit 3: %d %s", r.Status, r.Raw)
	}
}

// TestIntrospectionQueryPasses: GraphiQL's introspection query passes every
// default limit and answers.
func TestIntrospectionQueryPasses(t *testing.T) {
	r := post(t, server(Default()), introspectionQuery(), nil)
	if r.Status != http.StatusOK || len(r.Errors) != 0 {
		t.Fatalf("introspection: %d %.500s", r.Status, r.Raw)
	}
	schema, _ := r.Data["__schema"].(map[string]any)
	if types, _ := schema["types"].([]any); len(types) < 20 {
		t.Fatalf("introspection answered %d types", len(types))
	}
}

// TestIntrospectionAbuseRefused: a walk through the schema's types that
// nests __Type's list fields three deep is refused by gqlparser's own
// MaxIntrospectionDepth validation rule, before the depth limit; the depth
// limit refuses a deep walk that nests them less.
func TestIntrospectionAbuseRefused(t *testing.T) {
	h := server(Default())
	q := `{ __schema { types { fields { type { fields { type { fields { type { name } } } } } } } } }`
	r := post(t, h, q, nil)
	if r.Status != http.StatusUnprocessableEntity || r.code() != "GRAPHQL_VALIDATION_FAILED" ||
		r.Errors[0].Message != "Maximum introspection depth exceeded" {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}

	r = post(t, server(Config{MaxDepth: 5, MaxComplexity: 50_000, Introspection: true}),
		`{ __schema { types { fields { type { fields { name } } } } } }`, nil)
	if r.Status != http.StatusUnprocessableEntity || r.code() != apierror.CodeQueryTooDeep {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
}
