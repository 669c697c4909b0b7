package limits

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/complexity"

	"github.com/pointguard/pointguard/apierror"
	"github.com/pointguard/pointguard/fixtures"
)

// orgGraphQuery is the org-graph query of the README's "Speed" section
// (orggraph_test.go): an organization, its first 20 points, each point's
// first 50 integrations with provider and account.
const orgGraphQuery = `query($slug: String!) { organization(slug: $slug) { id name
	integrationPoints(first: 20) { nodes { id name version
		integrations(first: 50) { nodes { id name config
			provider { key name category }
			account { id slug environment }
			compliance { status violations { code message } } } } } } } }`

// readmeGraphQuery is the README's first example, "the whole graph".
const readmeGraphQuery = `{
  organization(slug: "acme") {
    id
    accounts { nodes { id slug environment } }
    integrationPoints {
      nodes {
        id name version
        allowedProviders { prod { key } test { key } }
        integrations {
          totalCount
          nodes {
            name
            provider { key }
            account { slug }
            compliance { status pointVersion violations { code message field } }
          }
        }
      }
    }
    nonCompliant: integrations(filter: { complianceStatus: NON_COMPLIANT }) {
      nodes { name compliance { violations { message } } }
    }
  }
}`

const tooComplexQuery = `{ organizations(first: 100) { nodes { accounts(first: 100) { nodes {
	integrations(first: 100) { nodes { id } } } } } } }`

// cost is the complexity of a query, by Calculate, which must agree with
// gqlgen's complexity.Calculate.
func cost(t *testing.T, query string, vars map[string]any) int {
	t.Helper()
	doc := load(t, query)
	es := schema()
	got := Calculate(context.Background(), es, doc.Operations[0], vars)
	if theirs := complexity.Calculate(context.Background(), es, doc.Operations[0], vars); got != theirs {
		t.Errorf("Calculate %d, gqlgen's complexity.Calculate %d", got, theirs)
	}
	return got
}

func TestComplexity(t *testing.T) {
	for _, tc := range []struct {
		name  string
		query string
		vars  map[string]any
		want  int
	}{
		// node: id name config 3 + provider 4 + account 4 + compliance 5 = 16;
		// nodes 17; integrations 50 × 18 = 900; point: 3 + 900, nodes 904;
		// integrationPoints 20 × 905 = 18,100; organization 1 + 2 + 18,100.
		{"org graph", orgGraphQuery, map[string]any{"slug": "acme"}, 18_103},
		// accounts 50 × 5 = 250; points 50 × (1 + 3 + 5 + 50 × 15) = 38,000;
		// nonCompliant 50 × 6 = 300; organization 1 + 1 + 250 + 38,000 + 300.
		{"README whole graph", readmeGraphQuery, nil, 38_552},
		// 100 × (1 + 1 + 100 × (1 + 1 + 100 × (1 + 1 + 1)))
		{"three nested pages of 100", tooComplexQuery, nil, 3_020_200},
		{"first from a variable", `query($n: Int) { organizations(first: $n) { nodes { id } } }`, map[string]any{"n": 7}, 7 * 3},
		{"first null is 50", `{ organizations(first: null) { totalCount } }`, nil, 50 * 2},
		{"first absent is 50", `{ organizations { totalCount } }`, nil, 50 * 2},
		{"first 0 falls back to gqlgen's default", `{ organizations(first: 0) { totalCount } }`, nil, 2},
		{"edges count like nodes", `{ organizations(first: 10) { edges { cursor node { id name } } } }`, nil, 10 * (1 + 1 + 1 + 3)},
		{"nodes(ids:)", `{ nodes(ids: ["a", "b", "c"]) { id } }`, nil, 3 * 1},
		{"nodes(ids:) with fragments", `{ nodes(ids: ["a", "b"]) { id ... on Organization { name slug } } }`, nil, 2 * 3},
		{"plain field", `{ organization(slug: "a") { id name } }`, nil, 3},
		{"introspection is free in gqlgen", `{ __schema { types { name } } }`, nil, 0},
		{"__type is not", `{ __type(name: "Query") { name fields { name } } }`, nil, 1 + 1 + 2},
		{"fragments spread twice count twice", `
			{ organization(slug: "a") { ...P ...P integrationPoints(first: 2) { nodes { ...P } } } }
			fragment P on Node { id }`, nil, 1 + 1 + 1 + 2*(1+1+1)},
		{"GraphiQL's introspection", introspectionQuery(), nil, 0},
		{"deep query", fixtures.DeepQuery(9), nil, 1 + 50*(1+1+1+50*(1+1+1+50*2))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := cost(t, tc.query, tc.vars); got != tc.want {
				t.Errorf("complexity %d, want %d", got, tc.want)
			}
		})
	}
}

// TestCalculateFragmentFanOut: a document whose 40 fragments each spread
// the next twice costs 2^39 per leaf; gqlgen's calculation would walk it
// 2^39 times, Calculate walks each fragment once.
func TestCalculateFragmentFanOut(t *testing.T) {
	var b strings.Builder
	b.WriteString("{ ...F0 }\n")
	for i := range 40 {
		fmt.Fprintf(&b, "fragment F%d on Query { ", i)
		if i < 39 {
			fmt.Fprintf(&b, "...F%d ...F%d", i+1, i+1)
		} else {
			b.WriteString("organization(slug: \"a\") { id }")
		}
		b.WriteString(" }\n")
	}
	doc := load(t, b.String())
	start := time.Now()
	got := Calculate(context.Background(), schema(), doc.Operations[0], nil)
	if got != 2<<39 {
		t.Errorf("complexity %d, want 2 × 2^39", got)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v", d)
	}

	r := post(t, server(Default()), b.String(), nil)
	if r.Status != http.StatusUnprocessableEntity || r.code() != apierror.CodeQueryTooComplex {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
}

// TestComplexityEveryConnection: every field of the schema with a `first`
// argument has its cost, first × (child + 1), so that a connection added to
// the schema without one fails here.
func TestComplexityEveryConnection(t *testing.T) {
	es := schema()
	n := 0
	for _, def := range es.Schema().Types {
		for _, f := range def.Fields {
			if f.Arguments.ForName("first") == nil {
				continue
			}
			n++
			first := 3
			got, ok := es.Complexity(context.Background(), def.Name, f.Name, 7, map[string]any{"first": first})
			if !ok || got != 3*8 {
				t.Errorf("%s.%s costs %d (set: %v), want 3 × (7 + 1) = 24", def.Name, f.Name, got, ok)
			}
			got, _ = es.Complexity(context.Background(), def.Name, f.Name, 7, map[string]any{})
			if got != 50*8 {
				t.Errorf("%s.%s without first costs %d, want 50 × 8", def.Name, f.Name, got)
			}
		}
	}
	if n != 13 { // the 9 of the graph, the two token lists, the audit log and a webhook endpoint's deliveries
		t.Errorf("%d connection fields, want 13 (a new one needs its cost in Complexity)", n)
	}
}

// TestComplexitySaturates: the largest pages do not overflow into a small
// or negative cost.
func TestComplexitySaturates(t *testing.T) {
	got := cost(t, `{ organizations(first: 2147483647) { nodes { accounts(first: 2147483647) { nodes {
		integrations(first: 2147483647) { nodes { integrationPoint { versions(first: 2147483647) { nodes { id } } } } } } } } } }`, nil)
	if got != math.MaxInt {
		t.Errorf("complexity %d, want saturation at %d", got, math.MaxInt)
	}
	if mul(math.MaxInt, 2) != math.MaxInt || add(math.MaxInt, 1) != math.MaxInt || mul(-1, 5) != 0 {
		t.Error("mul and add do not saturate")
	}
}

func TestComplexityLimitRefuses(t *testing.T) {
	h := server(Default())
	r := post(t, h, tooComplexQuery, nil)
	if r.Status != http.StatusUnprocessableEntity || r.code() != apierror.CodeQueryTooComplex {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	if msg := r.Errors[0].Message; msg != "query complexity 3020200 exceeds the limit of 50000" {
		t.Errorf("message %q", msg)
	}

	// Just over a configured limit; the README query (38,552) is under the default.
	r = post(t, server(Config{MaxDepth: 12, MaxComplexity: 38_551, Introspection: true}), readmeGraphQuery, nil)
	if r.code() != apierror.CodeQueryTooComplex || r.Errors[0].Message != "query complexity 38552 exceeds the limit of 38551" {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	r = post(t, h, readmeGraphQuery, nil)
	if r.hasCode(apierror.CodeQueryTooComplex) || r.hasCode(apierror.CodeQueryTooDeep) {
		t.Fatalf("README query refused: %s", r.Raw)
	}
}
