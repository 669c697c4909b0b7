package limits

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/pointguard/pointguard/apierror"
)

// MaxSelections is the default of SelectionLimit: the most selections a
// document may expand to, and the most pairs of same-named fields it may
// ask validation to compare (see Selections). GraphiQL's introspection
// query expands to 492 selections and no pairs, the README's whole-graph
// query to 41. At the limit, gqlgen parses and validates a document in
// 10 to 40 ms of CPU (a chain of 80 fragments, 140 conflicting aliases,
// 9,990 distinct fields; a busy 2-core EPYC), where 1,200 fragments took
// seconds.
const MaxSelections = 10_000

// MaxWidth is the most response names one place of a response may have
// (Selections' widest): gqlgen collects a selection set's fields comparing
// each with every name collected before it, which both executors use, so
// the time is the square of the width: 1,000 aliases of __typename took
// 14 ms, 3,000 took 78 ms, 9,990 (170 KB, under every other limit) a
// second.
const MaxWidth = 1_000

// Selections measures the two quantities that make gqlparser's validation
// of doc slow, before it is validated:
//
//   - selections: the selections (fields, fragment spreads, inline
//     fragments, and the values of their arguments and directives) of
//     every operation and of every fragment definition, each fragment
//     spread replaced by the selections of its fragment, wherever it is
//     spread. The validator walks each operation and each fragment
//     definition on its own, entering the fragments it spreads, so a chain
//     of n fragments, each spreading the one before, is walked n²/2
//     fragments deep in all (1,200 of them, 60 KB, took gqlgen seconds).
//   - pairs: the pairs of fields that answer under one response name at
//     one place of the response, in every operation with its fragments
//     spelled out, and in every fragment definition that no operation
//     spreads. The validator compares every such pair
//     (OverlappingFieldsCanBeMerged) and reports each pair that differs:
//     300 aliases `x: name x: slug …` (2.6 KB) are 44,850 pairs, 22,500
//     errors, 145 ms.
//
// Each fragment's selections are counted once, so selections costs time
// linear in the document whatever it expands to (saturating at
// math.MaxInt). Pairs are counted on the spelled-out operations, only when
// selections is at most max, so in time O(max); past it, pairs is 0.
//
// Both bound the validator's work from above, within a small factor,
// rather than count it: the validator enters a fragment once per
// operation or definition however often it is spread there, and its memos
// compare a fragment's fields with another set of fields once; what the
// spelled-out operations count is what gqlgen's executor merges.
//
// widest is the most response names at one place, counted with the pairs.
func Selections(doc *ast.QueryDocument, max int) (selections, pairs, widest int) {
	if doc == nil {
		return 0, 0, 0
	}
	fragments := make(map[string]*ast.FragmentDefinition, len(doc.Fragments))
	for _, f := range doc.Fragments {
		if _, ok := fragments[f.Name]; !ok { // the first of a name, as the validator does
			fragments[f.Name] = f
		}
	}
	s := sizer{fragments: fragments, memo: map[string]int{}, active: map[string]bool{}}
	for _, op := range doc.Operations {
		selections = add(selections, s.set(op.SelectionSet))
	}
	for _, f := range doc.Fragments {
		if fragments[f.Name] == f {
			selections = add(selections, s.fragment(f.Name))
		} else {
			selections = add(selections, add(directives(f.Directives), s.set(f.SelectionSet)))
		}
	}
	if selections > max {
		return selections, 0, 0
	}
	p := pairer{fragments: fragments, active: map[string]bool{}, reached: map[string]bool{}, children: map[child]int{}}
	for _, op := range doc.Operations {
		p.root(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		// The pairs of a fragment that an operation spreads were counted
		// there: the validator compares them once, at the fragment's own
		// definition (its memos skip them in the operation).
		if fragments[f.Name] != f || !p.reached[f.Name] {
			p.root(f.SelectionSet)
		}
	}
	return selections, p.pairs, p.widest
}

// sizer counts selections, each fragment's once (memo).
type sizer struct {
	fragments map[string]*ast.FragmentDefinition
	memo      map[string]int  // selections of each fragment, spelled out
	active    map[string]bool // fragments being counted, against cycles
}

func (s *sizer) set(set ast.SelectionSet) int {
	n := 0
	for _, sel := range set {
		switch x := sel.(type) {
		case *ast.Field:
			n = add(n, 1+arguments(x.Arguments))
			n = add(n, directives(x.Directives))
			n = add(n, s.set(x.SelectionSet))
		case *ast.InlineFragment:
			n = add(n, 1)
			n = add(n, directives(x.Directives))
			n = add(n, s.set(x.SelectionSet))
		case *ast.FragmentSpread:
			n = add(n, 1)
			n = add(n, directives(x.Directives))
			n = add(n, s.fragment(x.Name))
		}
	}
	return n
}

// fragment is the selections of a fragment, with its directives (the
// validator walks them at every spread). A fragment that is not defined
// adds nothing; nor does a cycle back into a fragment being counted (the
// validator refuses cycles, NoFragmentCycles, and does not follow them).
func (s *sizer) fragment(name string) int {
	if n, ok := s.memo[name]; ok {
		return n
	}
	def := s.fragments[name]
	if def == nil || s.active[name] {
		return 0
	}
	s.active[name] = true
	n := add(directives(def.Directives), s.set(def.SelectionSet))
	delete(s.active, name)
	s.memo[name] = n
	return n
}

func arguments(args ast.ArgumentList) int {
	n := 0
	for _, a := range args {
		n = add(n, values(a.Value))
	}
	return n
}

func directives(dirs ast.DirectiveList) int {
	n := 0
	for _, d := range dirs {
		n = add(n, 1+arguments(d.Arguments))
	}
	return n
}

// values counts a value and, in a list or an object, every value inside.
func values(v *ast.Value) int {
	if v == nil {
		return 0
	}
	n := 1
	for _, c := range v.Children {
		n = add(n, values(c.Value))
	}
	return n
}

// pairer counts the pairs of fields under one response name at one place,
// spelling fragments out: a place is a path of response names from the
// root of an operation or fragment definition; a field adds to its place
// a pair with each field already there.
type pairer struct {
	fragments map[string]*ast.FragmentDefinition
	active    map[string]bool
	reached   map[string]bool // fragments spread, from the operations
	children  map[child]int   // a place's child places, by response name
	fields    []int           // the fields at each place so far
	names     []int           // the response names at each place so far
	pairs     int
	widest    int
}

// child names a place: its parent place and its response name.
type child struct {
	parent int
	name   string
}

func (p *pairer) root(set ast.SelectionSet) {
	clear(p.children)
	p.fields = append(p.fields[:0], 0)
	p.names = append(p.names[:0], 0)
	p.set(0, set)
}

func (p *pairer) set(place int, set ast.SelectionSet) {
	for _, sel := range set {
		switch x := sel.(type) {
		case *ast.Field:
			key := child{place, x.Alias}
			if key.name == "" {
				key.name = x.Name
			}
			c, ok := p.children[key]
			if !ok {
				c = len(p.fields)
				p.fields = append(p.fields, 0)
				p.names = append(p.names, 0)
				p.children[key] = c
				p.names[place]++
				p.widest = max(p.widest, p.names[place])
			}
			p.pairs += p.fields[c]
			p.fields[c]++
			p.set(c, x.SelectionSet)
		case *ast.InlineFragment:
			p.set(place, x.SelectionSet)
		case *ast.FragmentSpread:
			def := p.fragments[x.Name]
			if def == nil || p.active[x.Name] {
				continue
			}
			p.active[x.Name] = true
			p.reached[x.Name] = true
			p.set(place, def.SelectionSet)
			delete(p.active, x.Name)
		}
	}
}

// SelectionLimit is a gqlgen handler extension that refuses, with a
// QUERY_TOO_COMPLEX error answered like the validation errors (HTTP 422),
// a document of more than Max selections, more than Max pairs of
// same-named fields, or more than MaxWidth response names at one place
// (see Selections), before gqlgen validates it.
//
// It has to come before validation: validation is the expensive part, and
// gqlgen's extensions see the parsed document only once it is validated.
// So it parses the query itself, in MutateOperationParameters, the one
// hook before gqlgen parses; parsing is linear, and a query that does not
// parse is left for gqlgen to refuse. Use it after any extension that
// fills in the query (AutomaticPersistedQuery does, from a hash).
type SelectionLimit struct {
	Max int
	// Cache, if not nil, is the server's query cache: a query found there
	// passed this limit before gqlgen parsed, validated and cached it, and
	// is not parsed again.
	Cache graphql.Cache[*ast.QueryDocument]
}

// NewSelectionLimit is a SelectionLimit of max, skipping the queries of
// cache (nil for none).
func NewSelectionLimit(max int, cache graphql.Cache[*ast.QueryDocument]) *SelectionLimit {
	return &SelectionLimit{Max: max, Cache: cache}
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = &SelectionLimit{}

// ExtensionName implements graphql.HandlerExtension.
func (l *SelectionLimit) ExtensionName() string { return "QuerySelectionLimit" }

// Validate implements graphql.HandlerExtension.
func (l *SelectionLimit) Validate(graphql.ExecutableSchema) error {
	if l.Max < 1 {
		return errors.New("SelectionLimit: the limit must be positive")
	}
	return nil
}

// MutateOperationParameters implements graphql.OperationParameterMutator.
func (l *SelectionLimit) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	if params.Query == "" {
		return nil
	}
	if l.Cache != nil {
		if _, ok := l.Cache.Get(ctx, params.Query); ok {
			return nil
		}
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: params.Query})
	if err != nil {
		return nil // gqlgen parses it again, and says what is wrong its way
	}
	var refusal *gqlerror.Error
	switch selections, pairs, widest := Selections(doc, l.Max); {
	case selections > l.Max:
		refusal = gqlerror.Errorf("query expands to %d selections, which exceeds the limit of %d "+
			"(a fragment counts wherever it is spread, and once more on its own)", selections, l.Max)
	case pairs > l.Max:
		refusal = gqlerror.Errorf("query has %d pairs of fields under one response name, which exceeds the limit of %d "+
			"(validation compares every such pair)", pairs, l.Max)
	case widest > MaxWidth:
		refusal = gqlerror.Errorf("query asks for %d fields under different names at one place, which exceeds the limit of %d",
			widest, MaxWidth)
	default:
		return nil
	}
	errcode.Set(refusal, apierror.CodeQueryTooComplex)
	return refusal
}
