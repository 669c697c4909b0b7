package limits

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/pointguard/pointguard/apierror"
	"github.com/pointguard/pointguard/fixtures"
)

// guarded is server(cfg) with the selection limit and the error cap, as
// api.New installs them: the limit after APQ, skipping cached queries.
func guarded(cfg Config, maxSelections int) *handler.Server {
	srv := handler.New(schema())
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetRecoverFunc(func(context.Context, any) error { return errors.New("no resolvers in this test") })
	queries := lru.New[*ast.QueryDocument](100)
	srv.SetQueryCache(queries)
	srv.Use(ErrorCap{})
	cfg.Use(srv)
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	srv.Use(NewSelectionLimit(maxSelections, queries))
	return srv
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func measure(t *testing.T, query string, max int) (selections, pairs int) {
	t.Helper()
	selections, pairs, _ = measureAll(t, query, max)
	return selections, pairs
}

func measureAll(t *testing.T, query string, max int) (selections, pairs, widest int) {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		t.Fatal(err)
	}
	return Selections(doc, max)
}

// aliases is { a0: __typename … } of n distinct names.
func aliases(n int) string {
	var b strings.Builder
	b.WriteString("{ ")
	for i := range n {
		fmt.Fprintf(&b, "a%d: __typename ", i)
	}
	return b.String() + "}"
}

// TestWidest: the widest place is counted across fragments spelled out,
// per place, and a same name adds no width.
func TestWidest(t *testing.T) {
	for q, want := range map[string]int{
		aliases(3): 3,
		`{ a: __typename a: __typename b: __typename }`:                                   2,
		`{ ...F x: __typename } fragment F on Query { y: __typename z: __typename }`:      3,
		`{ organizations { nodes { a: name b: slug } } o: organizations { totalCount } }`: 2,
	} {
		if _, _, got := measureAll(t, q, MaxSelections); got != want {
			t.Errorf("%s: widest %d, want %d", q, got, want)
		}
	}
}

func TestSelections(t *testing.T) {
	// A chain of n: the operation is 1 + (3(n-1) + 2) = 3n, fragment i is
	// 3i + 2, all n of them 3n(n-1)/2 + 2n; pairs are the operation's a and
	// b, n of each (the fragments' own pairs are inside it).
	chain := func(n int) int { return 5*n + 3*n*(n-1)/2 }
	for _, tc := range []struct {
		name              string
		query             string
		selections, pairs int
	}{
		{"one field", `{ __typename }`, 1, 0},
		{"arguments and directives count their values", `{ organization(slug: "a") @include(if: true) { id } }`, 1 + 1 + 2 + 1, 0},
		{"list values count each element", `{ nodes(ids: ["a", "b", "c"]) { id } }`, 1 + 4 + 1, 0},
		{"a pair", `{ a: __typename a: __typename b: __typename }`, 3, 1},
		{"pairs are per place", `{ organization(slug: "a") { id } o: organization(slug: "b") { id } }`, 2 * 3, 0},
		{"merged fields pair their children", `{ o: organization(slug: "a") { id } o: organization(slug: "a") { id name } }`, 3 + 4, 1 + 1},
		{"inline fragments merge into their place", `{ node(id: "a") { id ... on Organization { id } ... on Account { id } } }`, 2 + 1 + 2*2, 3},
		{"a fragment counts wherever it is spread, and once on its own", `
			{ organization(slug: "a") { ...O } o: organization(slug: "b") { ...O } }
			fragment O on Organization { id name }`, 2*(2+1+2) + 2, 0},
		{"a fragment's pairs count in the operation", `
			{ ...F ...F } fragment F on Query { x: __typename }`, 2*2 + 1, 1},
		{"an unspread fragment's pairs count on their own", `
			{ __typename } fragment F on Query { x: __typename x: __typename }`, 1 + 2, 1},
		{"an unknown fragment adds its spread", `{ ...Nowhere }`, 1, 0},
		{"a cycle is not followed", `
			{ ...A } fragment A on Query { a: __typename ...B } fragment B on Query { b: __typename ...A }`,
			// The operation: its spread and A's 4 (a, the spread of B, and
			// B's 2, without its spread back into A); then A, and B as
			// counted inside A.
			1 + 4 + 4 + 2, 0},
		{"chain of 1", fixtures.FragmentChain(1), chain(1), 0},
		{"chain of 2", fixtures.FragmentChain(2), chain(2), 2},
		{"chain of 80", fixtures.FragmentChain(80), chain(80), 80 * 79},
		{"300 conflicting aliases", fixtures.ConflictingAliases(300), 2 + 300, 300 * 299 / 2},
		{"GraphiQL's introspection", introspectionQuery(), 492, 0},
		{"the org graph", orgGraphQuery, 29, 0},
		{"the README's whole graph", readmeGraphQuery, 41, 0},
		{"deep query", fixtures.DeepQuery(12), 13, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			selections, pairs := measure(t, tc.query, MaxSelections)
			if selections != tc.selections || pairs != tc.pairs {
				t.Errorf("%d selections, %d pairs; want %d, %d", selections, pairs, tc.selections, tc.pairs)
			}
		})
	}

	// Past max, the selections are still counted, exactly, and the pairs
	// are not counted at all.
	if s, p := measure(t, fixtures.FragmentChain(1200), MaxSelections); s != chain(1200) || p != 0 {
		t.Errorf("chain of 1,200: %d selections, %d pairs; want %d, 0", s, p, chain(1200))
	}
}

// TestSelectionsSaturate: 100 fragments that each spread the next twice
// expand to 2^100 selections: counted once per fragment, they saturate.
func TestSelectionsSaturate(t *testing.T) {
	var b strings.Builder
	b.WriteString("{ ...F0 }\n")
	for i := range 100 {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	b.WriteString("fragment F100 on Query { __typename }\n")
	if s, p := measure(t, b.String(), MaxSelections); s != math.MaxInt || p != 0 {
		t.Errorf("%d selections, %d pairs; want %d, 0", s, p, math.MaxInt)
	}
}

// TestSelectionLimitRefuses: a document over the limit is refused before
// validation, like the other limits (422, or 400 to a client accepting
// application/graphql-response+json), whether sent whole, again, or as an
// APQ hash; the queries the API is meant for pass.
func TestSelectionLimitRefuses(t *testing.T) {
	h := guarded(Default(), MaxSelections)
	chain := fixtures.FragmentChain(1200)
	const want = "query expands to 2164200 selections, which exceeds the limit of 10000 " +
		"(a fragment counts wherever it is spread, and once more on its own)"
	for range 2 { // sending it again is refused the same way
		r := post(t, h, chain, nil)
		if r.Status != http.StatusUnprocessableEntity || r.code() != apierror.CodeQueryTooComplex || r.Errors[0].Message != want {
			t.Fatalf("%d %s", r.Status, r.Raw)
		}
	}
	r := post(t, h, chain, nil, "Accept", "application/graphql-response+json")
	if r.Status != http.StatusBadRequest || r.code() != apierror.CodeQueryTooComplex {
		t.Fatalf("graphql-response+json: %d %s", r.Status, r.Raw)
	}

	// APQ fills in the query of a hash before the limit reads it.
	apq := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": sha256Hex(chain)}}
	if r := send(t, h, map[string]any{"query": chain, "extensions": apq}); r.code() != apierror.CodeQueryTooComplex {
		t.Fatalf("APQ with the query: %d %s", r.Status, r.Raw)
	}
	if r := send(t, h, map[string]any{"extensions": apq}); r.code() != apierror.CodeQueryTooComplex {
		t.Fatalf("APQ hash alone: %d %s", r.Status, r.Raw)
	}

	r = post(t, h, aliases(MaxWidth+1), nil)
	if r.Status != http.StatusUnprocessableEntity || r.code() != apierror.CodeQueryTooComplex ||
		r.Errors[0].Message != "query asks for 1001 fields under different names at one place, which exceeds the limit of 1000" {
		t.Fatalf("1,001 aliases: %d %s", r.Status, r.Raw)
	}
	if r := post(t, h, aliases(MaxWidth), nil); r.hasCode(apierror.CodeQueryTooComplex) {
		t.Fatalf("1,000 aliases: %d %s", r.Status, r.Raw)
	}

	r = post(t, h, fixtures.ConflictingAliases(300), nil)
	if r.Status != http.StatusUnprocessableEntity || r.code() != apierror.CodeQueryTooComplex ||
		r.Errors[0].Message != "query has 44850 pairs of fields under one response name, which exceeds the limit of 10000 "+
			"(validation compares every such pair)" {
		t.Fatalf("300 aliases: %d %s", r.Status, r.Raw)
	}

	for name, q := range map[string]string{
		"GraphiQL's introspection": introspectionQuery(),
		"the README's whole graph": readmeGraphQuery,
		"the org graph":            orgGraphQuery,
		"deep query":               strings.ReplaceAll(fixtures.DeepQuery(12), "accounts {", "accounts(first: 2) {"),
		"chain of 80":              fixtures.FragmentChain(80),
	} {
		for range 2 { // the second time from the query cache
			if r := post(t, h, q, map[string]any{"slug": "acme"}); r.hasCode(apierror.CodeQueryTooComplex) || r.hasCode("GRAPHQL_VALIDATION_FAILED") {
				t.Errorf("%s refused: %s", name, r.Raw)
			}
		}
	}
	if r := post(t, h, fixtures.FragmentChain(81), nil); r.code() != apierror.CodeQueryTooComplex {
		t.Errorf("chain of 81 (10,125 selections): %d %s", r.Status, r.Raw)
	}
	// A query that does not parse is gqlgen's to refuse.
	if r := post(t, h, "{ organization(", nil); r.code() != "GRAPHQL_PARSE_FAILED" {
		t.Errorf("parse error: %d %s", r.Status, r.Raw)
	}
}

// TestErrorCap: validation's errors are cut to MaxErrors and one saying
// how many more there were; so is any other list (CapErrors).
func TestErrorCap(t *testing.T) {
	for _, tc := range []struct {
		name          string
		aliases, max  int
		left          int
		maxBodyLength int
	}{
		// 140 aliases: 9,730 pairs, within the limit; 70 × 70 errors.
		{"under the selection limit", 140, MaxSelections, 70*70 - MaxErrors, 16 << 10},
		// The 300, the selection limit raised: 150 × 150 errors.
		{"the issue's 300", 300, 100_000, 150*150 - MaxErrors, 16 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, guarded(Default(), tc.max), fixtures.ConflictingAliases(tc.aliases), nil)
			if r.Status != http.StatusUnprocessableEntity || len(r.Errors) != MaxErrors+1 {
				t.Fatalf("%d, %d errors", r.Status, len(r.Errors))
			}
			for _, e := range r.Errors[:MaxErrors] {
				if e.Extensions["code"] != "GRAPHQL_VALIDATION_FAILED" {
					t.Fatalf("error %v", e)
				}
			}
			last := r.Errors[MaxErrors]
			if want := fmt.Sprintf("%d more errors left out: a response lists at most 50", tc.left); last.Message != want || last.Extensions["code"] != apierror.CodeTooManyErrors {
				t.Errorf("last error %v, want %q", last, want)
			}
			if len(r.Raw) > tc.maxBodyLength {
				t.Errorf("%d bytes", len(r.Raw))
			}
		})
	}

	var errs gqlerror.List
	for range MaxErrors {
		errs = append(errs, gqlerror.Errorf("an error"))
	}
	if got := CapErrors(errs); len(got) != MaxErrors {
		t.Errorf("%d errors capped to %d", MaxErrors, len(got))
	}
	errs = append(errs, gqlerror.Errorf("one more"))
	if got := CapErrors(errs); len(got) != MaxErrors+1 || got[MaxErrors].Message != "1 more errors left out: a response lists at most 50" {
		t.Errorf("%d capped to %d, the last %v", len(errs), len(got), got[len(got)-1])
	}

	// The errors kept are the first by path, those without one first.
	errs = nil
	for i := range MaxErrors + 10 {
		errs = append(errs, &gqlerror.Error{Message: fmt.Sprint(i), Path: ast.Path{ast.PathName("b"), ast.PathIndex(MaxErrors + 10 - i)}})
	}
	errs = append(errs, &gqlerror.Error{Message: "a", Path: ast.Path{ast.PathName("a")}}, &gqlerror.Error{Message: "no path"})
	got := CapErrors(errs)
	if got[0].Message != "no path" || got[1].Message != "a" || got[2].Path.String() != "b[1]" || got[MaxErrors-1].Path.String() != "b[48]" {
		t.Errorf("kept %v, %v, %v … %v", got[0], got[1], got[2], got[MaxErrors-1])
	}
}

// BenchmarkFragmentChain is parsing, the selection limit and (when the
// limit lets it through) validation, through a gqlgen handler with the
// limits as api.New installs them, for growing chains: ns/fragment stays
// flat. "unlimited" is gqlgen with the other limits alone, and no query
// cache (as for an attacker who varies the document): validation grows
// with the square of the chain.
func BenchmarkFragmentChain(b *testing.B) {
	for _, limited := range []bool{true, false} {
		var h http.Handler = guarded(Default(), MaxSelections)
		name := "limited"
		if !limited {
			h = server(Default()) // no query cache either: every send is validated
			name = "unlimited"
		}
		for _, n := range []int{100, 200, 400, 800, 1600} {
			if !limited && n > 400 {
				break // seconds each
			}
			query := fixtures.FragmentChain(n)
			body, _ := json.Marshal(map[string]any{"query": query})
			b.Run(fmt.Sprintf("%s/n=%d", name, n), func(b *testing.B) {
				for b.Loop() {
					req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if refused := rec.Code == http.StatusUnprocessableEntity; refused != limited {
						b.Fatalf("%d %.200s", rec.Code, rec.Body)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/fragment")
				b.ReportMetric(float64(len(query)), "bytes")
			})
		}
	}
}
