// Command partner is a partner app's read of an organization's whole graph
// from Pointguard: its accounts, its integration points and every
// integration on them, page by page, printed as JSON lines (one node a line,
// with its __typename), and a summary on standard error. Copy it: it uses
// nothing but the standard library.
//
//	POINTGUARD_TOKEN=pointguard_… go run ./examples/partner -url http://localhost:8080/graphql -org acme
//
// An ORG_VIEWER token reads everything in its organization and can change
// nothing: `pointguard token create --org acme --role ORG_VIEWER --name "partner app"`.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"
)

// Every list is a connection read with first/after until
// pageInfo.hasNextPage is false. A point's integrations are a connection
// inside a connection: their first page comes with the page of points
// (one request for all the points with few integrations), and each later
// page with a query of its own through node(id:), which asks for that
// point's integrations alone instead of the whole page of points again.
const (
	orgQuery = `query Org($id: ID, $slug: String) { organization(id: $id, slug: $slug) { __typename id slug name } }`

	accountsQuery = `query Accounts($org: ID!, $first: Int!, $after: String) {
  organization(id: $org) { accounts(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { __typename id slug name environment labels { key value } } } } }`

	pointsQuery = `query Points($org: ID!, $first: Int!, $after: String) {
  organization(id: $org) { integrationPoints(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { __typename id slug name category version integrations(first: $first) { ...Integrations } } } } }` + integrationsFragment

	pointIntegrationsQuery = `query PointIntegrations($point: ID!, $first: Int!, $after: String) {
  node(id: $point) { ... on IntegrationPoint { integrations(first: $first, after: $after) { ...Integrations } } } }` + integrationsFragment

	integrationsFragment = `
fragment Integrations on IntegrationConnection {
  pageInfo { hasNextPage endCursor }
  nodes { __typename id name status provider { key } account { id slug } integrationPoint { id slug }
    compliance { status pointVersion violations { code message } } } }`
)

// maxFirst keeps a page of points, which carries up to first integrations
// of each, under the default POINTGUARD_MAX_COMPLEXITY (50,000): a
// connection costs first × its selections, so the page costs about
// first² × 18 (45,000 at 50). The API itself allows first up to 100.
const maxFirst = 50

func main() {
	url := flag.String("url", envOr("POINTGUARD_URL", "http://localhost:8080/graphql"), "the GraphQL endpoint (or $POINTGUARD_URL)")
	slug := flag.String("org", "", "the organization's slug")
	id := flag.String("org-id", "", "the organization's ID (org_…), instead of -org")
	first := flag.Int("first", maxFirst, "page size, 1 to 50")
	flag.Parse()
	// The token comes from the environment: a flag would show in ps.
	c := &Client{URL: *url, Token: os.Getenv("POINTGUARD_TOKEN"), HTTP: &http.Client{Timeout: 30 * time.Second}}
	if c.Token == "" || (*slug == "") == (*id == "") || *first < 1 || *first > maxFirst {
		fmt.Fprintln(os.Stderr, "usage: POINTGUARD_TOKEN=pointguard_… partner [-url URL] (-org SLUG | -org-id ID) [-first 1..50]")
		os.Exit(2)
	}
	out := json.NewEncoder(os.Stdout)
	n, err := Fetch(context.Background(), c, *id, *slug, *first, func(node json.RawMessage) error { return out.Encode(node) })
	fmt.Fprintf(os.Stderr, "%d accounts, %d integration points, %d integrations in %d requests\n", n.Accounts, n.Points, n.Integrations, c.Requests)
	if err != nil {
		fmt.Fprintln(os.Stderr, "partner:", err)
		os.Exit(1)
	}
}

// Counts are the nodes Fetch found, of each kind.
type Counts struct{ Accounts, Points, Integrations int }

// page is one page of a connection; nodes are left as JSON, to be passed on.
type page struct {
	PageInfo struct {
		HasNextPage bool
		EndCursor   string
	}
	Nodes []json.RawMessage
}

// Fetch reads the organization given by id or slug (one of them "") and
// calls emit with the organization, then each account, each point and each
// integration, each exactly once. It stops at the first error.
func Fetch(ctx context.Context, c *Client, id, slug string, first int, emit func(json.RawMessage) error) (Counts, error) {
	var n Counts
	vars := map[string]any{"id": id}
	if id == "" {
		vars = map[string]any{"slug": slug}
	}
	var org struct{ Organization json.RawMessage }
	if err := c.Do(ctx, "Org", orgQuery, vars, &org); err != nil {
		return n, err
	}
	var o struct{ ID string }
	if json.Unmarshal(org.Organization, &o); o.ID == "" {
		return n, errors.New("no such organization, or the token may not see it")
	}
	if err := emit(org.Organization); err != nil {
		return n, err
	}
	count := func(n *int) func(json.RawMessage) error {
		return func(node json.RawMessage) error { *n++; return emit(node) }
	}
	err := each(func(after *string) (page, error) {
		var d struct{ Organization struct{ Accounts page } }
		err := c.Do(ctx, "Accounts", accountsQuery, map[string]any{"org": o.ID, "first": first, "after": after}, &d)
		return d.Organization.Accounts, err
	}, count(&n.Accounts))
	if err != nil {
		return n, err
	}
	err = each(func(after *string) (page, error) {
		var d struct {
			Organization struct{ IntegrationPoints page }
		}
		err := c.Do(ctx, "Points", pointsQuery, map[string]any{"org": o.ID, "first": first, "after": after}, &d)
		return d.Organization.IntegrationPoints, err
	}, func(raw json.RawMessage) error {
		// The point goes out without its integrations, which go out a line each.
		var p map[string]json.RawMessage
		var firstPage page
		var point struct{ ID string }
		if err := errors.Join(json.Unmarshal(raw, &p), json.Unmarshal(p["integrations"], &firstPage), json.Unmarshal(raw, &point)); err != nil {
			return err
		}
		delete(p, "integrations")
		b, err := json.Marshal(p)
		if err == nil {
			err = count(&n.Points)(b)
		}
		if err != nil {
			return err
		}
		return each(func(after *string) (page, error) {
			if after == nil {
				return firstPage, nil // it came with the point
			}
			var d struct{ Node struct{ Integrations page } }
			err := c.Do(ctx, "PointIntegrations", pointIntegrationsQuery, map[string]any{"point": point.ID, "first": first, "after": after}, &d)
			return d.Node.Integrations, err
		}, count(&n.Integrations))
	})
	return n, err
}

// each calls fn with every node of a connection, page by page: get returns
// the page after a cursor (nil: the first page).
func each(get func(after *string) (page, error), fn func(json.RawMessage) error) error {
	var after *string
	for {
		p, err := get(after)
		if err != nil {
			return err
		}
		for _, node := range p.Nodes {
			if err := fn(node); err != nil {
				return err
			}
		}
		if !p.PageInfo.HasNextPage {
			return nil
		}
		after = &p.PageInfo.EndCursor
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
