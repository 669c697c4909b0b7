package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/pointguard/pointguard/catalog"
	"github.com/pointguard/pointguard/graph"
	"github.com/pointguard/pointguard/pagination"
	"github.com/pointguard/pointguard/resolvers"
	"github.com/pointguard/pointguard/testdb"
)

// TestDifferentialRandomQueries sends seeded random query operations, walked
// from the schema, through both executors (app.send compares every answer),
// with tokens of every role, on a database of several tenants with drift.
//
// POINTGUARD_DIFF_QUERIES sets how many queries per engine (default 300),
// POINTGUARD_DIFF_SEED the seed (default 1). A mismatch names the seed and
// the query's index; POINTGUARD_DIFF_ONLY=<index> then sends that query
// alone (the others are still generated, so it is the same query).
func TestDifferentialRandomQueries(t *testing.T) {
	t.Parallel()
	count := envInt(t, "POINTGUARD_DIFF_QUERIES", 300)
	seed := envInt(t, "POINTGUARD_DIFF_SEED", 1)
	only := envInt(t, "POINTGUARD_DIFF_ONLY", -1)
	if only >= 0 {
		count = only + 1 // generate the queries before it, send it alone
	}
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &resolvers.Resolver{}}).Schema()
	sampled := false
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		a := newApp(t, databaseURL)
		pool := seedRandomWorld(a)
		g := newQueryGen(schema, pool, uint64(seed))
		compared := differentialCompared.Load()
		handed := a.gqlgenRuns.Load()
		var st answerStats
		sent, mismatches := 0, 0
		for i := range count {
			query, vars := g.operation()
			tok := pool.tokens[g.rng.IntN(len(pool.tokens))]
			if only >= 0 && i != only {
				continue
			}
			if !sampled && i < 5 {
				t.Logf("sample query %d as %s: %s\nvariables: %s", i, tok.role, query, mustJSON(vars))
			}
			q := queryT{TB: t, prefix: fmt.Sprintf("seed %d, query %d, as %s (replay: POINTGUARD_DIFF_SEED=%d POINTGUARD_DIFF_ONLY=%d go test -run '%s$' .): ",
				seed, i, tok.role, seed, i, t.Name())}
			sent++
			r, ok := q.post(a, tok.token, query, vars)
			if !ok {
				if mismatches++; mismatches == 20 {
					t.Fatalf("seed %d: stopping after %d queries that failed", seed, mismatches)
				}
				continue
			}
			st.add(r)
		}
		sampled = true
		t.Logf("seed %d: %d queries sent, %d answers compared, %d mismatched, %d with errors, %d with non-null data, %d refused by validation or parsing (%.1f%%)",
			seed, sent, differentialCompared.Load()-compared, mismatches, st.withErrors, st.withData, st.invalid, 100*float64(st.invalid)/float64(max(st.answers, 1)))
		t.Logf("error codes: %s", st.codeSummary())
		// The walk must mostly test package executor, not gqlgen against
		// itself: gqlgen runs only what selects a field the executor does
		// not know (rare fields here) or an argument it refuses.
		byGqlgen := a.gqlgenRuns.Load() - handed
		t.Logf("seed %d: %d of %d queries answered by package executor, %d handed to gqlgen", seed, int64(sent)-byGqlgen, sent, byGqlgen)
		if sent > 0 && byGqlgen*2 > int64(sent) {
			t.Errorf("gqlgen ran %d of %d queries: the walk hardly tests package executor", byGqlgen, sent)
		}
	})
}

// queryT is an engine's test as one random query sees it: its failures
// name the seed, the query and the token, and a fatal one (differential's)
// ends only that query, so that one run shows every mismatch.
type queryT struct {
	testing.TB
	prefix string
}

// queryFailed is the panic that ends a query on a fatal failure.
type queryFailed struct{}

func (q queryT) Errorf(format string, args ...any) {
	q.TB.Helper()
	q.TB.Errorf(q.prefix+format, args...)
}

func (q queryT) Error(args ...any) {
	q.TB.Helper()
	q.TB.Error(append([]any{q.prefix}, args...)...)
}

func (q queryT) Fatalf(format string, args ...any) {
	q.TB.Helper()
	q.TB.Errorf(q.prefix+format, args...)
	panic(queryFailed{})
}

func (q queryT) Fatal(args ...any) {
	q.TB.Helper()
	q.TB.Error(append([]any{q.prefix}, args...)...)
	panic(queryFailed{})
}

func (q queryT) FailNow() {
	q.TB.Fail()
	panic(queryFailed{})
}

// post sends one query as token; ok is false when it failed the test.
func (q queryT) post(a *app, token, query string, vars map[string]any) (r result, ok bool) {
	defer func() {
		if p := recover(); p != nil {
			if _, failed := p.(queryFailed); !failed {
				panic(p)
			}
			ok = false
		}
	}()
	return a.on(q).as(token).post(query, vars), true
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, s, err)
	}
	return n
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	return string(b)
}

// answerStats counts what the answers were, to tell whether the generator
// mostly writes queries that get past validation and run.
type answerStats struct {
	answers, withErrors, withData, invalid int
	codes                                  map[string]int
}

func (s *answerStats) add(r result) {
	if s.codes == nil {
		s.codes = map[string]int{}
	}
	s.answers++
	if len(r.Errors) > 0 {
		s.withErrors++
	}
	if r.Data != nil {
		s.withData++
	}
	invalid := false
	for _, e := range r.Errors {
		code, _ := e.Extensions["code"].(string)
		s.codes[code]++
		invalid = invalid || code == "GRAPHQL_VALIDATION_FAILED" || code == "GRAPHQL_PARSE_FAILED"
	}
	if invalid {
		s.invalid++
	}
}

func (s *answerStats) codeSummary() string {
	var parts []string
	for code, n := range s.codes {
		parts = append(parts, fmt.Sprintf("%s=%d", code, n))
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

// diffPool is what the random queries draw from: the seeded world's real
// IDs and slugs, and a token of every role.
type diffPool struct {
	// ids by kind: org, acc, ipt, int, prv, tok, aud, ipv.
	ids          map[string][]string
	orgSlugs     []string
	providerKeys []string
	tokens       []diffToken
}

type diffToken struct{ role, token string }

// seedRandomWorld builds the tenants the random queries read: three
// organizations alike (TEST and PROD accounts, with and without labels,
// four points of different categories and selectors, integrations with
// nested configs and secrets), the first two with rule changes that leave
// integrations NON_COMPLIANT and WARNING, and a fourth organization with a
// single account, for empty lists.
func seedRandomWorld(a *app) *diffPool {
	a.t.Helper()
	p := &diffPool{ids: map[string][]string{}}
	add := func(kind, id string) string {
		p.ids[kind] = append(p.ids[kind], id)
		return id
	}
	labels := func(kv ...string) []any {
		var out []any
		for i := 0; i < len(kv); i += 2 {
			out = append(out, map[string]any{"key": kv[i], "value": kv[i+1]})
		}
		return out
	}
	account := func(org, slug, env string, l []any) string {
		r := a.do(createAccount, map[string]any{"input": map[string]any{
			"organizationId": org, "slug": slug, "name": "Account " + slug, "environment": env, "labels": l}})
		return add("acc", r.str(a.t, "createAccount.account.id"))
	}
	updatePoint := func(in map[string]any) {
		r := a.do(updateIntegrationPoint, map[string]any{"input": in})
		if ue := r.list(a.t, "updateIntegrationPoint.userErrors"); len(ue) > 0 {
			a.t.Fatalf("updateIntegrationPoint refused: %s", r.Raw)
		}
	}
	atlassian := rule("atlassian-cloud", `!has(integration.config.site_url) || integration.config.site_url.endsWith('.atlassian.net')`,
		"Jira must be on our Atlassian cloud", "DENY")

	var alpha, alphaProd string
	for i, slug := range []string{"alpha", "bravo", "charlie"} {
		org := add("org", a.createOrg(slug))
		p.orgSlugs = append(p.orgSlugs, slug)
		test := account(org, slug+"-test", "TEST", labels("region", "eu", "tier", "gold"))
		prod := account(org, slug+"-prod", "PROD", labels("region", "us"))
		prodEU := account(org, slug+"-prod-eu", "PROD", labels("region", "eu", "tier", "gold"))
		sandbox := account(org, slug+"-sandbox", "TEST", nil)
		if i == 0 {
			alpha, alphaProd = org, prod
		}

		// Every account; PROD only; labels only; environment and labels.
		ticketing := add("ipt", a.createPoint(org, map[string]any{"rules": []any{atlassian}}))
		alerts := add("ipt", a.createPoint(org, map[string]any{"slug": "alerts", "name": "Alerts", "category": "NOTIFICATIONS",
			"allowedProviders": map[string]any{"test": []string{"mock_notifications", "slack"}, "prod": []string{"slack", "microsoft_teams", "pagerduty"}},
			"requiredConfig":   []string{"channel"}, "accountSelector": map[string]any{"environments": []string{"PROD"}}}))
		siem := add("ipt", a.createPoint(org, map[string]any{"slug": "siem", "name": "SIEM", "category": "SIEM", "description": "Security events",
			"allowedProviders": map[string]any{"test": []string{"mock_siem"}, "prod": []string{"splunk", "sentinel"}},
			"requiredConfig":   []string{"index"}, "maxIntegrationsPerAccount": 2,
			"accountSelector": map[string]any{"matchLabels": labels("region", "eu")}}))
		assets := add("ipt", a.createPoint(org, map[string]any{"slug": "assets", "name": "Assets", "category": "ASSETS",
			"allowedProviders": map[string]any{"test": []string{"mock_assets"}, "prod": []string{"axonius"}}, "requiredConfig": []string{},
			"accountSelector": map[string]any{"environments": []string{"TEST"}, "matchLabels": labels("tier", "gold")}}))

		integrate := func(acc, point, provider string, config map[string]any) {
			add("int", a.integrate(acc, point, provider, config))
		}
		integrate(prod, ticketing, "jira", map[string]any{"project": "SEC", "site_url": "https://" + slug + ".atlassian.net",
			"auth_method": "api_token", "email": "bot@" + slug + ".example", "api_token": "tok-secret-" + slug,
			"labels": []any{"pointguard", "sec"}, "routing": map[string]any{"team": "soc", "levels": []any{1, 2.5, map[string]any{"p": "high", "ack": nil}}}})
		integrate(prodEU, ticketing, "servicenow", map[string]any{"project": "IT", "instance_url": "https://" + slug + ".service-now.com",
			"auth_method": "basic", "username": "svc", "password": "pw-secret-" + slug})
		integrate(test, ticketing, "mock_ticketing", map[string]any{"project": "T", "nested": map[string]any{"a": map[string]any{"b": []any{true, "x"}}}})
		integrate(sandbox, ticketing, "jira", map[string]any{"project": "LEGACY"})
		integrate(prod, alerts, "slack", map[string]any{"channel": "#soc-alerts", "auth_method": "bot_token", "bot_token": "xoxb-secret-" + slug})
		integrate(prodEU, alerts, "slack", map[string]any{"channel": "#general", "auth_method": "incoming_webhook",
			"webhook_url": "https://hooks.slack.com/services/T0/B0/" + slug, "mention": "here"})
		integrate(prodEU, siem, "splunk", map[string]any{"index": "main", "hec_url": "https://http-inputs-" + slug + ".splunkcloud.com/services/collector/event",
			"hec_token": "0b6c1a4e-8f35-4c1e-9a43-9d1f7e2b5c60", "verify_tls": false})
		integrate(test, siem, "mock_siem", map[string]any{"index": "sandbox", "tags": []any{"a", map[string]any{"k": 1}}})
		integrate(test, assets, "mock_assets", map[string]any{})

		if i == 2 {
			continue // charlie keeps version 1 everywhere: all compliant
		}
		// Drift: servicenow leaves PROD and LEGACY is retired (NON_COMPLIANT),
		// long names warn (WARNING); #general warns; splunk is audited.
		updatePoint(map[string]any{"id": ticketing, "expectedVersion": 1,
			"allowedProviders": map[string]any{"test": []string{"jira", "servicenow", "mock_ticketing"}, "prod": []string{"jira"}},
			"rules": []any{atlassian, rule("short-names", `integration.name.size() <= 20`, "Integration names should be at most 20 characters", "WARN"),
				map[string]any{"name": "known-project", "expression": `integration.config.project != 'LEGACY'`,
					"message": `'Project ' + integration.config.project + ' is retired'`, "messageExpression": true, "enforcement": "DENY"}}})
		updatePoint(map[string]any{"id": alerts, "rules": []any{
			rule("soc-channels", `integration.config.channel.startsWith('#soc')`, "Alerts go to #soc channels", "WARN")}})
		updatePoint(map[string]any{"id": siem, "maxIntegrationsPerAccount": 1, "rules": []any{
			rule("no-splunk-soon", `provider.key != 'splunk'`, "We are moving off Splunk", "AUDIT")}})
	}
	delta := add("org", a.createOrg("delta"))
	p.orgSlugs = append(p.orgSlugs, "delta")
	account(delta, "delta-prod", "PROD", nil)

	bravo := p.ids["org"][1]
	p.tokens = []diffToken{
		{"PLATFORM_ADMIN", a.adminToken},
		{"ORG_ADMIN", a.mintToken("ORG_ADMIN", alpha)},
		{"ORG_VIEWER", a.mintToken("ORG_VIEWER", alpha)},
		// alpha-prod is selected by ticketing and alerts, not by siem or assets.
		{"ACCOUNT_ADMIN", a.mintToken("ACCOUNT_ADMIN", alphaProd)},
		{"ACCOUNT_VIEWER", a.mintToken("ACCOUNT_VIEWER", alphaProd)},
		{"ORG_VIEWER of bravo", a.mintToken("ORG_VIEWER", bravo)},
	}

	// The IDs the fixtures do not return: tokens, audit events, versions.
	r := a.do(`{ organizations(first: 10) { nodes {
		apiTokens(first: 10) { nodes { id } }
		auditEvents(first: 20) { nodes { id } }
		accounts(first: 10) { nodes { apiTokens(first: 10) { nodes { id } } } }
		integrationPoints(first: 10) { nodes { versions(first: 10) { nodes { id } } } } } } }`, nil)
	var walk func(kind string, v any)
	walk = func(kind string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				switch k {
				case "apiTokens":
					walk("tok", child)
				case "auditEvents":
					walk("aud", child)
				case "versions":
					walk("ipv", child)
				case "id":
					if kind != "" {
						add(kind, child.(string))
					}
				default:
					walk(kind, child)
				}
			}
		case []any:
			for _, child := range v {
				walk(kind, child)
			}
		}
	}
	walk("", r.Data)
	for _, kind := range []string{"tok", "aud", "ipv"} {
		slices.Sort(p.ids[kind]) // map order above is random; the walk must not be
	}
	for _, pr := range catalog.All() {
		p.providerKeys = append(p.providerKeys, pr.Key)
		add("prv", "prv_"+pr.Key)
	}
	return p
}

// The server's limits (limits.Default): the generator keeps most queries
// under them, so that they run, and lets a few over, so that the refusals
// are compared too.
const (
	serverMaxDepth      = 12
	serverMaxComplexity = 50000
)

// queryGen writes random, mostly valid query operations by walking the
// schema from Query.
type queryGen struct {
	rng    *rand.Rand
	schema *ast.Schema
	pool   *diffPool

	// The operation being written.
	maxDepth  int            // deepest field nesting this query may reach
	vars      []string       // variable definitions, "$v3: ID!"
	values    map[string]any // their values; a nullable one may be left out
	fragments []*fragment    // finished named fragments
	serial    int            // numbers aliases, variables and fragments
	// inFragment > 0 while a named fragment is written: there every field
	// with arguments gets an alias of its own, so that spreading the
	// fragment next to any selection cannot make fields that fail to merge.
	inFragment int
	// inline counts nested inline fragments, which add no depth.
	inline int
}

// fragment is a named fragment: its text and what it adds where it is spread.
type fragment struct {
	name        string
	on          *ast.Definition
	body        string
	depth, cost int
}

// sel is a piece of selection text with the depth and cost it adds: depth
// in field levels, cost as the server's complexity (limits.Complexity).
type sel struct {
	text        string
	depth, cost int
}

// scope holds the response names used in one merged selection set. A
// field with arguments goes unaliased only where its name is still free,
// and fields of the same response name share the scope of their
// selections (they merge), so that no two fields conflict.
type scope struct {
	taken map[string]bool
	sub   map[string]*scope
}

func newScope() *scope { return &scope{taken: map[string]bool{}, sub: map[string]*scope{}} }

func (s *scope) child(name string) *scope {
	if s.sub[name] == nil {
		s.sub[name] = newScope()
	}
	return s.sub[name]
}

func newQueryGen(schema *ast.Schema, pool *diffPool, seed uint64) *queryGen {
	return &queryGen{rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)), schema: schema, pool: pool}
}

func (g *queryGen) chance(p float64) bool { return g.rng.Float64() < p }

func pick[T any](g *queryGen, list []T) T { return list[g.rng.IntN(len(list))] }

func (g *queryGen) fresh(prefix string) string {
	g.serial++
	return prefix + strconv.Itoa(g.serial)
}

// operation returns a query document and its variables. Queries over the
// server's depth or complexity limit are mostly written again.
func (g *queryGen) operation() (string, map[string]any) {
	for attempt := 0; ; attempt++ {
		text, root := g.document()
		if root.depth <= serverMaxDepth && root.cost <= serverMaxComplexity || attempt == 5 || g.chance(0.1) {
			return text, g.values
		}
	}
}

func (g *queryGen) document() (string, sel) {
	g.vars, g.values, g.fragments, g.serial, g.inFragment, g.inline = nil, map[string]any{}, nil, 0, 0, 0
	g.maxDepth = 2 + g.rng.IntN(8)
	if g.chance(0.03) {
		g.maxDepth = 14 // past the server's limit, if the walk gets that deep
	}
	root := g.selectionSet(g.schema.Query, newScope(), 0, 1)
	var b strings.Builder
	switch {
	case len(g.vars) == 0 && g.chance(0.4):
		b.WriteString(root.text) // the shorthand form
	default:
		b.WriteString("query")
		if g.chance(0.5) {
			b.WriteString(" Random" + strconv.Itoa(g.rng.IntN(1000)))
		}
		if len(g.vars) > 0 {
			b.WriteString("(" + strings.Join(g.vars, ", ") + ")")
		}
		b.WriteString(" " + root.text)
	}
	for _, f := range g.fragments {
		fmt.Fprintf(&b, "\nfragment %s on %s %s", f.name, f.on.Name, f.body)
	}
	return b.String(), root
}

// selectionSet writes the selections of a field of type typ at depth
// (the fields inside are at depth+1); mult is the product of the page sizes
// above, which keeps pages small deep down.
func (g *queryGen) selectionSet(typ *ast.Definition, sc *scope, depth, mult int) sel {
	var parts []sel
	if typ.Kind == ast.Interface || typ.Kind == ast.Union {
		parts = g.abstractSelections(typ, sc, depth, mult)
	} else {
		n := 1 + g.rng.IntN(3)
		if depth == 0 && g.chance(0.6) {
			n = 1
		}
		for range n {
			parts = append(parts, g.pickAndWrite(typ, sc, depth, mult))
		}
		if depth == 0 && g.chance(0.03) {
			parts = append(parts, g.introspection(sc))
		}
		if g.chance(0.1) {
			parts = append(parts, g.typename())
		}
		if g.chance(0.12) {
			parts = append(parts, g.duplicate(typ, sc, depth, mult)...)
		}
		if g.chance(0.1) && g.inline < 2 {
			parts = append(parts, g.inlineFragment(typ, sc, depth, mult))
		}
		if g.chance(0.12) {
			parts = append(parts, g.spread(typ, sc, depth, mult)...)
		}
	}
	return join(parts)
}

func join(parts []sel) sel {
	out := sel{}
	texts := make([]string, len(parts))
	for i, p := range parts {
		texts[i] = p.text
		out.depth = max(out.depth, p.depth)
		out.cost = satAdd(out.cost, p.cost)
	}
	out.text = "{ " + strings.Join(texts, " ") + " }"
	return out
}

func satAdd(a, b int) int { return min(a+b, 1<<40) }
func satMul(a, b int) int { return min(a*b, 1<<40) }

// abstractSelections selects on an interface (Node): its own field, and
// inline fragments and spreads on its implementations.
func (g *queryGen) abstractSelections(typ *ast.Definition, sc *scope, depth, mult int) []sel {
	var parts []sel
	if g.chance(0.5) {
		parts = append(parts, g.pickAndWrite(typ, sc, depth, mult))
	}
	if g.chance(0.3) {
		parts = append(parts, g.typename())
	}
	if g.inline < 2 {
		possible := g.schema.GetPossibleTypes(typ)
		for range g.rng.IntN(3) + 1 {
			on := pick(g, possible)
			for tries := 0; rareTypes[on.Name] && tries < 4 && !g.chance(0.1); tries++ {
				on = pick(g, possible)
			}
			if g.chance(0.1) {
				on = typ // ... on Node
			}
			g.inline++
			body := g.selectionSet(on, sc, depth, mult)
			g.inline--
			parts = append(parts, sel{"... on " + on.Name + g.directives() + " " + body.text, body.depth, body.cost})
		}
		if g.chance(0.1) {
			parts = append(parts, g.inlineFragment(typ, sc, depth, mult))
		}
	}
	if g.chance(0.15) {
		parts = append(parts, g.spread(typ, sc, depth, mult)...)
	}
	if len(parts) == 0 {
		parts = append(parts, g.pickAndWrite(typ, sc, depth, mult))
	}
	return parts
}

// inlineFragment is `... on T { }` for the same type or an interface it
// implements, or `... { }` without a type condition, often with a directive.
func (g *queryGen) inlineFragment(typ *ast.Definition, sc *scope, depth, mult int) sel {
	on, cond := typ, ""
	switch r := g.rng.Float64(); {
	case r < 0.35:
		cond = " on " + typ.Name
	case r < 0.65 && len(typ.Interfaces) > 0:
		on = g.schema.Types[pick(g, typ.Interfaces)]
		cond = " on " + on.Name
	}
	g.inline++
	body := g.selectionSet(on, sc, depth, mult)
	g.inline--
	return sel{"..." + cond + g.directives() + " " + body.text, body.depth, body.cost}
}

// spread spreads a named fragment whose type applies here: a finished one
// when one fits the depth left, else a new one. Fragments only spread
// finished fragments, so there are no cycles.
func (g *queryGen) spread(typ *ast.Definition, sc *scope, depth, mult int) []sel {
	candidates := []*ast.Definition{typ}
	for _, name := range typ.Interfaces {
		candidates = append(candidates, g.schema.Types[name])
	}
	if typ.Kind == ast.Interface {
		candidates = append(candidates, g.schema.GetPossibleTypes(typ)...)
	}
	on := pick(g, candidates)
	var fits []*fragment
	for _, f := range g.fragments {
		if f.on == on && depth+f.depth <= g.maxDepth {
			fits = append(fits, f)
		}
	}
	var f *fragment
	switch {
	case len(fits) > 0 && g.chance(0.6):
		f = pick(g, fits)
	case g.inFragment < 3 && depth < g.maxDepth:
		g.inFragment++
		saved := g.inline
		g.inline = 0
		body := g.selectionSet(on, newScope(), depth, mult)
		g.inline = saved
		g.inFragment--
		f = &fragment{name: g.fresh("F"), on: on, body: body.text, depth: body.depth, cost: body.cost}
		g.fragments = append(g.fragments, f)
	default:
		return nil
	}
	return []sel{{"..." + f.name + g.directives(), f.depth, f.cost}}
}

// typename is __typename, sometimes aliased.
func (g *queryGen) typename() sel {
	if g.chance(0.2) {
		return sel{g.fresh("t") + ": __typename", 1, 1}
	}
	return sel{"__typename" + g.directives(), 1, 1}
}

// duplicate writes one field with arguments twice, under two aliases, with
// arguments drawn separately.
func (g *queryGen) duplicate(typ *ast.Definition, sc *scope, depth, mult int) []sel {
	var withArgs []*ast.FieldDefinition
	for _, f := range g.choices(typ, depth) {
		if len(f.Arguments) > 0 {
			withArgs = append(withArgs, f)
		}
	}
	if len(withArgs) == 0 {
		return nil
	}
	f := pick(g, withArgs)
	return []sel{g.field(typ, f, sc, depth, mult, true), g.field(typ, f, sc, depth, mult, true)}
}

// The fields of the organization graph are what clients ask most: they get
// most of the walk. The rest is covered too, rarely.
var (
	orgGraphFields = map[string]bool{"organization": true, "organizations": true, "node": true, "nodes": true, "accounts": true,
		"integrationPoints": true, "integrations": true, "provider": true, "providers": true, "edges": true, "pageInfo": true,
		"totalCount": true, "compliance": true, "account": true, "integrationPoint": true, "labels": true, "rules": true,
		"accountSelector": true, "allowedProviders": true, "complianceSummary": true}
	rareFields = map[string]bool{"viewer": true, "versions": true}
	// gqlgenFields are those package executor hands to gqlgen: a query
	// selecting one compares gqlgen with itself, so they are walked
	// rarest of all (the stories cover them).
	gqlgenFields = map[string]bool{"checkIntegration": true, "authorizeIntegrationUse": true, "previewIntegrationPointUpdate": true,
		"rateLimit": true, "webhookEndpoints": true, "effectiveConfig": true, "configSources": true, "secretFields": true, "configDefaults": true,
		"apiTokens": true, "auditEvents": true}
)

// rareTypes are the nodes only gqlgen runs (webhooks' and events'): a
// fragment on Node picks them rarely.
var rareTypes = map[string]bool{"Event": true, "WebhookEndpoint": true, "WebhookDelivery": true}

func fieldWeight(f *ast.FieldDefinition) float64 {
	switch {
	case orgGraphFields[f.Name]:
		return 10
	case rareFields[f.Name]:
		return 1
	case gqlgenFields[f.Name]:
		return 0.25
	case f.Name == "configSchema":
		return 1 // large, and all alike
	default:
		return 4
	}
}

func (g *queryGen) composite(t *ast.Type) bool {
	switch g.schema.Types[t.Name()].Kind {
	case ast.Object, ast.Interface, ast.Union:
		return true
	}
	return false
}

// choices are the fields of typ that fit at depth+1: only leaves where no
// level is left for selections below.
func (g *queryGen) choices(typ *ast.Definition, depth int) []*ast.FieldDefinition {
	var out []*ast.FieldDefinition
	for _, f := range typ.Fields {
		if strings.HasPrefix(f.Name, "__") || depth+2 > g.maxDepth && g.composite(f.Type) {
			continue
		}
		out = append(out, f)
	}
	return out
}

// pickAndWrite picks a field of typ by weight and writes it; __typename
// when nothing fits.
func (g *queryGen) pickAndWrite(typ *ast.Definition, sc *scope, depth, mult int) sel {
	fields := g.choices(typ, depth)
	total := 0.0
	for _, f := range fields {
		total += fieldWeight(f)
	}
	x := g.rng.Float64() * total
	for _, f := range fields {
		if x -= fieldWeight(f); x < 0 {
			return g.field(typ, f, sc, depth, mult, false)
		}
	}
	return g.typename()
}

// field writes one field with its alias, arguments, directives and
// selections, and its cost as the server counts it.
func (g *queryGen) field(parent *ast.Definition, f *ast.FieldDefinition, sc *scope, depth, mult int, forceAlias bool) sel {
	hasArgs := len(f.Arguments) > 0
	name := f.Name
	if forceAlias || hasArgs && (g.inFragment > 0 || sc.taken[f.Name]) || g.chance(0.08) {
		name = g.fresh("a")
	}
	sc.taken[name] = true
	args, size := g.arguments(parent, f, mult)
	text := name
	if name != f.Name {
		text += ": " + f.Name
	}
	text += args + g.directives()
	if !g.composite(f.Type) {
		return sel{text, 1, 1}
	}
	child := g.selectionSet(g.schema.Types[f.Type.Name()], sc.child(name), depth+1, satMul(mult, max(size, 1)))
	cost := satAdd(1, child.cost)
	switch {
	case size > 0 && f.Name == "nodes" && parent.Name == "Query":
		cost = satMul(size, child.cost)
	case size > 0:
		cost = satMul(size, satAdd(child.cost, 1))
	}
	return sel{text + " " + child.text, 1 + child.depth, cost}
}

// arguments writes a field's arguments, as literals or variables, and
// returns the size it asks for: the page size of a connection (50 when
// left out), the number of IDs of nodes, else 0.
func (g *queryGen) arguments(parent *ast.Definition, f *ast.FieldDefinition, mult int) (string, int) {
	size := 0
	if f.Arguments.ForName("first") != nil {
		size = pagination.DefaultFirst
	}
	give := g.wants
	if parent.Name == "Query" && f.Name == "organization" {
		set := g.organizationArgs()
		give = func(arg *ast.ArgumentDefinition) bool { return set[arg.Name] }
	}
	var parts []string
	for _, arg := range f.Arguments {
		if !give(arg) {
			continue
		}
		c := valueCtx{field: f, mult: mult}
		text, v := g.argument(arg.Name, arg.Type, c)
		parts = append(parts, text)
		switch arg.Name {
		case "first":
			if n, ok := v.(int); ok {
				size = max(n, 0)
			}
		case "ids":
			l, _ := v.([]any)
			size = len(l)
		}
	}
	if len(parts) == 0 {
		return "", size
	}
	return "(" + strings.Join(parts, ", ") + ")", size
}

// organizationArgs are the arguments of Query.organization: exactly one
// of id and slug, mostly; both or neither (an error) now and then.
func (g *queryGen) organizationArgs() map[string]bool {
	switch r := g.rng.Float64(); {
	case r < 0.47:
		return map[string]bool{"slug": true}
	case r < 0.94:
		return map[string]bool{"id": true}
	case r < 0.98:
		return map[string]bool{"id": true, "slug": true}
	}
	return nil
}

// wants tells whether to give an argument: required ones always, the
// optional ones at rates that make most answers data, not errors.
func (g *queryGen) wants(arg *ast.ArgumentDefinition) bool {
	if arg.Type.NonNull {
		return true
	}
	switch arg.Name {
	case "first":
		return g.chance(0.7)
	case "after":
		return g.chance(0.25)
	case "filter":
		return g.chance(0.35)
	default:
		return g.chance(0.5)
	}
}

// valueCtx is where a value goes: it tells which IDs, cursors and page
// sizes make sense.
type valueCtx struct {
	field *ast.FieldDefinition
	input string // the input object type the value is a field of
	mult  int
}

// argument writes `name: value`, the value a literal or a variable of the
// argument's own type, and returns the value the server will see.
func (g *queryGen) argument(name string, typ *ast.Type, c valueCtx) (string, any) {
	if g.chance(0.3) {
		ref, v := g.variable(name, typ, c)
		return name + ": " + ref, v
	}
	v := g.value(name, typ, c, true)
	return name + ": " + literal(v), v
}

// variable declares a variable for a value of type typ and returns its
// reference and the value the server will see: a nullable variable is
// sometimes left out (the argument is then absent) or given a default.
func (g *queryGen) variable(name string, typ *ast.Type, c valueCtx) (string, any) {
	v := g.value(name, typ, c, false)
	vn := g.fresh("v")
	decl := "$" + vn + ": " + typ.String()
	switch {
	case !typ.NonNull && v == nil && g.chance(0.5):
		// left out of the variables
	case !typ.NonNull && v != nil && g.chance(0.15):
		decl += " = " + literal(v) // and left out, so the default applies
	default:
		g.values[vn] = v
	}
	g.vars = append(g.vars, decl)
	return "$" + vn, v
}

// Values are Go values rendered either as GraphQL literals or as JSON:
// enumValue and object keep what JSON cannot say (bare enums, key order),
// and variableRef is a variable inside a literal.
type (
	enumValue   string
	variableRef string
	object      []member
	member      struct {
		key   string
		value any
	}
)

func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.key)
		v, err := json.Marshal(m.value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func literal(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case enumValue:
		return string(v)
	case variableRef:
		return "$" + string(v)
	case string:
		b, _ := json.Marshal(v) // JSON escapes are GraphQL escapes
		return string(b)
	case bool:
		return strconv.FormatBool(v)
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case []any:
		items := make([]string, len(v))
		for i, item := range v {
			items[i] = literal(item)
		}
		return "[" + strings.Join(items, ", ") + "]"
	case object:
		fields := make([]string, len(v))
		for i, m := range v {
			fields[i] = m.key + ": " + literal(m.value)
		}
		return "{" + strings.Join(fields, ", ") + "}"
	}
	panic(fmt.Sprintf("literal of %T", v))
}

// value draws a value of type typ for the argument or input field name.
// With inLiteral, an input object's field may be a variable of its own.
func (g *queryGen) value(name string, typ *ast.Type, c valueCtx, inLiteral bool) any {
	if !typ.NonNull && g.chance(0.05) {
		return nil
	}
	if typ.Elem != nil {
		n := g.rng.IntN(4)
		if name == "ids" {
			n = g.rng.IntN(7)
		}
		items := make([]any, n)
		for i := range items {
			items[i] = g.value(name, typ.Elem, c, inLiteral)
		}
		return items
	}
	def := g.schema.Types[typ.NamedType]
	switch def.Kind {
	case ast.Enum:
		return enumValue(pick(g, def.EnumValues).Name)
	case ast.InputObject:
		return g.inputObject(def, c, inLiteral)
	}
	return g.scalar(name, def.Name, c)
}

// inputObject fills an input object: its required fields and some others,
// a field now and then as a variable when the object is a literal.
func (g *queryGen) inputObject(def *ast.Definition, c valueCtx, inLiteral bool) object {
	c.input = def.Name
	var o object
	for _, f := range def.Fields {
		if !f.Type.NonNull && !g.chance(0.35) {
			continue
		}
		var v any
		switch {
		case def.Name == "RuleInput":
			v = g.ruleField(f.Name)
		case inLiteral && g.chance(0.1):
			ref, _ := g.variable(f.Name, f.Type, c)
			v = variableRef(ref[1:])
		default:
			v = g.value(f.Name, f.Type, c, inLiteral)
		}
		o = append(o, member{f.Name, v})
	}
	return o
}

// celExpressions are custom rules the server accepts, and two it refuses.
var celExpressions = []string{
	`integration.name.size() <= 20`,
	`provider.key != 'zendesk'`,
	`!has(integration.config.site_url) || integration.config.site_url.endsWith('.atlassian.net')`,
	`account.labels['region'] == 'eu'`,
	`'tier' in account.labels`,
	`account.environment == 'TEST' || !provider.key.startsWith('mock_')`,
	`point.version >= 2`,
	`integration.config.project != 'LEGACY'`,
	`integration.nmae == 'x'`,
	`1 + 1`,
}

func (g *queryGen) ruleField(name string) any {
	switch name {
	case "name":
		return g.fresh("rule") // unique within the list
	case "expression":
		return pick(g, celExpressions)
	case "message":
		return pick(g, []string{"Rule failed", "'Failed for ' + integration.name"})
	case "messageExpression":
		return g.chance(0.3)
	case "enforcement":
		return enumValue(pick(g, []string{"DENY", "WARN", "AUDIT"}))
	}
	return "x"
}

// scalar draws a scalar by what its argument or field is for.
func (g *queryGen) scalar(name, typeName string, c valueCtx) any {
	switch typeName {
	case "ID":
		return g.id(g.idKind(name, c))
	case "Int":
		switch name {
		case "first":
			return g.first(c.mult)
		case "expectedVersion":
			return g.rng.IntN(5)
		case "maxIntegrationsPerAccount":
			return g.rng.IntN(4)
		}
		return g.rng.IntN(10)
	case "Boolean":
		return g.chance(0.5)
	case "JSON":
		return g.config()
	case "Time":
		return pick(g, []string{"2000-01-01T00:00:00Z", "2999-01-01T00:00:00Z", "2024-06-01T12:00:00.5+02:00", "yesterday"})
	}
	switch name {
	case "after":
		return g.cursor(c.field)
	case "slug":
		if c.input != "" {
			return pick(g, []string{"renamed", "alerts", "Bad Slug"})
		}
		return g.slug()
	case "key", "providerKey", "provider":
		if c.input == "LabelInput" {
			return pick(g, []string{"region", "tier", "team"})
		}
		return g.providerKey()
	case "test", "prod":
		return g.providerKey()
	case "value":
		return pick(g, []string{"eu", "us", "gold"})
	case "action":
		return pick(g, []string{"createIntegration", "updateIntegrationPoint", "createApiToken", "createAccount", "deleteIntegration", "nope"})
	case "requiredConfig":
		return pick(g, []string{"project", "channel", "index", "site_url", ""})
	}
	return pick(g, []string{"Ticketing", "A name that is far too long", "x", "", "café ✓", "line\nbreak"})
}

// idKind is the kind of ID an argument or input field takes ("" for any).
func (g *queryGen) idKind(name string, c valueCtx) string {
	switch name {
	case "accountId":
		return "acc"
	case "integrationPointId":
		return "ipt"
	case "integrationId":
		return "int"
	case "organizationId":
		return "org"
	case "id":
		switch {
		case c.input == "UpdateIntegrationPointInput":
			return "ipt"
		case c.field != nil && c.field.Name == "organization":
			return "org"
		}
	}
	return ""
}

var idKinds = []string{"org", "acc", "ipt", "int", "org", "acc", "ipt", "int", "prv", "tok", "aud", "ipv"}

// id is mostly a real ID of the kind asked (of any tenant), else a real ID
// of another kind, a well-formed ID that names nothing, or a malformed one.
func (g *queryGen) id(kind string) string {
	anyKind := kind == ""
	if anyKind {
		kind = pick(g, idKinds)
	}
	switch r := g.rng.Float64(); {
	case r < 0.72 || anyKind && r < 0.8:
		if ids := g.pool.ids[kind]; len(ids) > 0 {
			return pick(g, ids)
		}
	case r < 0.84:
		if ids := g.pool.ids[pick(g, idKinds)]; len(ids) > 0 {
			return pick(g, ids)
		}
	case r < 0.94:
		if kind == "prv" {
			return "prv_nope"
		}
		return kind + "_" + fmt.Sprintf("%016x%016x", g.rng.Uint64(), g.rng.Uint64())
	}
	return pick(g, []string{"", "not-an-id", "org_", "acc_xyz", "ipt_0000", "INT_0190000000007000800000000000DEAD",
		"ipv_123", "prv_", "tok_\u00e9t\u00e9", "acc_\u0000", "  "})
}

// first is a page size: mostly 0 to 10, now and then 50, 100 and the
// refused 101 and -1, and smaller where pages above multiply it.
func (g *queryGen) first(mult int) int {
	if mult > 10 {
		return g.rng.IntN(3)
	}
	switch r := g.rng.Float64(); {
	case r < 0.86:
		return g.rng.IntN(11)
	case r < 0.90:
		return 50
	case r < 0.93:
		return 100
	case r < 0.965:
		return 101
	}
	return -1
}

// connectionKinds are the ID kinds of each connection's cursors.
var connectionKinds = map[string]string{"OrganizationConnection": "org", "AccountConnection": "acc",
	"IntegrationPointConnection": "ipt", "IntegrationConnection": "int", "ApiTokenConnection": "tok",
	"AuditEventConnection": "aud", "IntegrationPointVersionConnection": "ipv", "ImpactConnection": "int"}

// cursor is mostly a cursor of a real row of the connection's kind, else
// one of another kind, of a row that does not exist, or garbage.
func (g *queryGen) cursor(f *ast.FieldDefinition) string {
	kind := connectionKinds[f.Type.Name()]
	switch r := g.rng.Float64(); {
	case r < 0.55 && len(g.pool.ids[kind]) > 0:
		return pagination.Cursor(pick(g, g.pool.ids[kind]))
	case r < 0.7:
		return pagination.Cursor(g.id(""))
	case r < 0.8:
		return pagination.Cursor(kind + "_00000000000070008000000000000000")
	}
	return pick(g, []string{"", "garbage", "Y3Vyc29yOg", "Y3Vyc29yOm9yZ18=", "cursor:org_0190", "%%%"})
}

func (g *queryGen) slug() string {
	if g.chance(0.8) {
		return pick(g, g.pool.orgSlugs)
	}
	return pick(g, []string{"zulu", "ALPHA", "", "alpha ", "a-b-c", "acme"})
}

func (g *queryGen) providerKey() string {
	if g.chance(0.85) {
		return pick(g, g.pool.providerKeys)
	}
	return pick(g, []string{"nope", "", "JIRA", "prv_jira"})
}

// config is an integration config: the keys the seeded points require,
// sometimes secrets and nested values, now and then not an object at all.
func (g *queryGen) config() any {
	if g.chance(0.05) {
		return pick(g, []any{"not an object", []any{1, 2}, 42})
	}
	var o object
	if g.chance(0.7) {
		o = append(o, member{"project", pick(g, []string{"SEC", "LEGACY", ""})})
	}
	if g.chance(0.3) {
		o = append(o, member{"channel", pick(g, []string{"#soc-alerts", "#general", "no-hash"})})
	}
	if g.chance(0.2) {
		o = append(o, member{"index", "main"})
	}
	if g.chance(0.3) {
		o = append(o, member{"site_url", pick(g, []string{"https://alpha.atlassian.net", "https://jira.example.com", "ftp://x"})})
	}
	if g.chance(0.2) {
		o = append(o, member{"auth_method", "api_token"}, member{"email", "bot@alpha.example"}, member{"api_token", "tok-secret"})
	}
	if g.chance(0.2) {
		o = append(o, member{"routing", object{{"team", "soc"}, {"levels", []any{1, 2.5, object{{"p", "high"}}}}, {"off", nil}}})
	}
	return o
}

// introspection is one of a few small __schema and __type selections:
// walked rarely, and kept shallow (gqlparser bounds introspection depth).
// __type takes an argument, so it is aliased as fields with arguments are.
func (g *queryGen) introspection(sc *scope) sel {
	if g.chance(0.4) {
		return pick(g, []sel{
			{"__schema { queryType { name } mutationType { name } }", 3, 0},
			{"__schema { types { name kind } }", 3, 0},
		})
	}
	names := make([]string, 0, len(g.schema.Types))
	for name := range g.schema.Types {
		if !strings.HasPrefix(name, "__") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	field := fmt.Sprintf("__type(name: %q)", pick(g, append(names, "Nope")))
	if g.inFragment > 0 || sc.taken["__type"] {
		field = g.fresh("a") + ": " + field
	}
	sc.taken["__type"] = true
	return pick(g, []sel{
		{field + " { name kind fields { name args { name } type { name kind ofType { name kind } } } }", 4, 20},
		{field + " { name enumValues { name } possibleTypes { name } interfaces { name } inputFields { name } }", 3, 10},
	})
}

// directives is now and then @include or @skip, with a literal or a
// Boolean variable.
func (g *queryGen) directives() string {
	if !g.chance(0.08) {
		return ""
	}
	cond := strconv.FormatBool(g.chance(0.6))
	if g.chance(0.5) {
		vn := g.fresh("b")
		g.vars = append(g.vars, "$"+vn+": Boolean!")
		g.values[vn] = g.chance(0.6)
		cond = "$" + vn
	}
	return " @" + pick(g, []string{"include", "skip"}) + "(if: " + cond + ")"
}
