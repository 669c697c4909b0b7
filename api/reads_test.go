package api

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/service"
)

// TestExecutorAnswersItself: reads package executor must answer without
// handing them to gqlgen, each compared with gqlgen's answer by the
// harness: root fields under two aliases (one fetch for both), and secret
// fields without the ID that opens them.
func TestExecutorAnswersItself(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		id := a.integrate(w.prod, w.point, "jira", map[string]any{"project": "SEC", "site_url": "https://acme.atlassian.net",
			"auth_method": "api_token", "email": "bot@acme.example", "api_token": "tok-secret"})
		for _, q := range []struct {
			query string
			vars  map[string]any
		}{
			{`{ a: viewer { name } b: viewer { role } }`, nil},
			{`{ a: organizations { totalCount } b: organizations { nodes { slug } } }`, nil},
			{`query($id: ID!) { a: node(id: $id) { id } b: node(id: $id) { __typename } }`, map[string]any{"id": id}},
			{`query($ids: [ID!]!) { a: nodes(ids: $ids) { id } b: nodes(ids: $ids) { __typename } }`, map[string]any{"ids": []string{id, w.point}}},
			{`{ a: organization(slug: "acme") { name } b: organization(slug: "acme") { slug } }`, nil},
			{`{ organization(slug: "acme") { integrations { nodes { secretFields } } } }`, nil},
			{`query($id: ID!) { node(id: $id) { ... on Integration { secretFields } } }`, map[string]any{"id": id}},
		} {
			a.gqlgenRuns.Store(0)
			r := a.do(q.query, q.vars)
			if n := a.gqlgenRuns.Load(); n != 0 {
				t.Errorf("%s: handed to gqlgen; answer %s", q.query, r.Raw)
			}
		}
	})
}

// TestManyParentsAtOneLevel: a level of 600 parents, more than SQLite
// takes in one compound SELECT (500), is answered whole, in two statements
// there and one on PostgreSQL.
func TestManyParentsAtOneLevel(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		ctx := policy.With(context.Background(), policy.System)
		org, err := a.service.CreateOrganization(ctx, service.CreateOrganizationInput{Slug: "many", Name: "Many"})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for i := range 600 {
			acc, err := a.service.CreateAccount(ctx, service.CreateAccountInput{
				OrganizationID: org.ID, Slug: fmt.Sprintf("a-%d", i), Name: "A", Environment: domain.EnvironmentTest})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, acc.ID)
		}
		// Six nodes fields of 100 accounts: their integrations read alike,
		// so they are one fetch of 600 parents.
		query, vars := "query(", map[string]any{}
		for i := range 6 {
			query += fmt.Sprintf("$ids%d: [ID!]! ", i)
			vars[fmt.Sprintf("ids%d", i)] = ids[i*100 : (i+1)*100]
		}
		query += ") {"
		for i := range 6 {
			query += fmt.Sprintf(" n%d: nodes(ids: $ids%d) { ... on Account { slug integrations(first: 1) { nodes { name } } } }", i, i)
		}
		query += " }"
		a.do(`{ __typename }`, nil) // the token's use is recorded here, before counting
		a.statements.Store(0)
		a.gqlgenRuns.Store(0)
		r := a.do(query, vars)
		if n := a.gqlgenRuns.Load(); n != 0 {
			t.Errorf("handed to gqlgen: %.300s", r.Raw)
		}
		if got := len(r.list(t, "n5")); got != 100 {
			t.Errorf("n5 has %d accounts, want 100", got)
		}
		pages := map[string]int64{"sqlite": 2, "postgres": 1}[string(a.store.Engine())]
		// The token, the accounts of all six nodes fields, the pages.
		if want := 1 + 1 + pages; a.statements.Load() != want {
			t.Errorf("%d statements, want %d", a.statements.Load(), want)
		}
	})
}

// TestLookupsReadTogether: the root's node and nodes fields are read
// together, one statement per kind of ID, and each still answers as
// gqlgen does (the harness compares): IDs met twice, in two fields and
// in one, kinds mixed, unknown and foreign IDs, and a point an account
// token may not see, which stays hidden though another field looked it up.
func TestLookupsReadTogether(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		prodOnly := a.createPoint(w.org, map[string]any{"slug": "prod-only", "accountSelector": map[string]any{"environments": []string{"PROD"}}})
		in := a.integrate(w.test, w.point, "jira", map[string]any{"project": "SEC", "site_url": "https://acme.atlassian.net",
			"auth_method": "api_token", "email": "bot@acme.example", "api_token": "tok-secret"})
		other := a.createOrg("globex")
		otherAccount := a.createAccount(other, "globex-test", "TEST")
		ids := []string{in, w.point, prodOnly, w.test, w.org, "jira", in, "int_nothing", other, otherAccount}
		query := `query($ids: [ID!]!, $one: ID!, $two: ID!) {
			a: nodes(ids: $ids) { __typename id ... on IntegrationPoint { slug } ... on Integration { name account { slug } } }
			b: node(id: $one) { id ... on IntegrationPoint { name } }
			c: nodes(ids: [$two, $one]) { ... on Account { name environment } ... on IntegrationPoint { category } }
			d: node(id: $two) { __typename } }`
		vars := map[string]any{"ids": ids, "one": prodOnly, "two": w.test}
		for role, token := range map[string]string{
			"ORG_VIEWER":     a.mintToken("ORG_VIEWER", w.org),
			"ACCOUNT_VIEWER": a.mintToken("ACCOUNT_VIEWER", w.test),
		} {
			as := a.as(token)
			as.do(`{ __typename }`, nil) // the token's use is recorded here, before counting
			as.statements.Store(0)
			as.gqlgenRuns.Store(0)
			r := as.do(query, vars)
			if n := as.gqlgenRuns.Load(); n != 0 {
				t.Errorf("%s: handed to gqlgen: %.300s", role, r.Raw)
			}
			nodes := r.list(t, "a")
			if len(nodes) != len(ids) || nodes[0] == nil || nodes[6] == nil || nodes[7] != nil || nodes[8] != nil || nodes[9] != nil {
				t.Errorf("%s: nodes %.600s", role, r.Raw)
			}
			if hidden := nodes[2] == nil; hidden != (role == "ACCOUNT_VIEWER") {
				t.Errorf("%s: the PROD-only point hidden = %v: %.600s", role, hidden, r.Raw)
			}
			// The token; one statement each for the integrations, the points,
			// the accounts and the organizations looked up; the integrations'
			// accounts; for an account token, its account, which the points'
			// selectors are matched against.
			want := int64(1 + 4 + 1)
			if role == "ACCOUNT_VIEWER" {
				want++
			}
			if got := as.statements.Load(); got != want {
				t.Errorf("%s: %d statements, want %d", role, got, want)
			}
		}
	})
}

// TestPoolKeepsConnections: under concurrent reads through the handler,
// the pool reuses its connections instead of closing one after each
// request and opening another (which on PostgreSQL is a new backend).
func TestPoolKeepsConnections(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		a.integrate(w.test, w.point, "jira", map[string]any{"project": "SEC", "site_url": "https://acme.atlassian.net",
			"auth_method": "api_token", "email": "bot@acme.example", "api_token": "tok-secret"})
		viewer := a.as(a.mintToken("ORG_VIEWER", w.org))
		viewer.do(`{ __typename }`, nil)
		before := a.store.Stats()
		const clients, each = 8, 25
		var wg sync.WaitGroup
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					viewer.do(`{ organization(slug: "acme") { integrationPoints { nodes { integrations { nodes { name account { name } } } } } } }`, nil)
				}
			}()
		}
		wg.Wait()
		after := a.store.Stats()
		if closed := after.MaxIdleClosed - before.MaxIdleClosed; closed != 0 {
			t.Errorf("%d connections closed for want of an idle slot during %d requests (%d open at most)", closed, clients*each, after.MaxOpenConnections)
		}
		if opened := after.OpenConnections; opened > clients+1 {
			t.Errorf("%d connections open for %d clients", opened, clients)
		}
	})
}
