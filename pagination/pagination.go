// Package pagination implements Relay connections over keyset pages.
//
// Every list is ordered by ID, and IDs grow with creation time, so a page is
// "the first N rows with an ID after the cursor": stable under inserts
// (new rows land at the end) and as fast on page 1,000 as on page 1.
package pagination

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/pointguard/pointguard/domain"
)

const (
	DefaultFirst = 50
	MaxFirst     = 100
)

// Page asks for the First rows after the row with ID After ("" = from the start).
// It is comparable so that it can be part of a dataloader key.
type Page struct {
	First int
	After string
}

// Limit is how many rows to fetch: one more than asked tells whether there is a next page.
func (p Page) Limit() int { return p.First + 1 }

// NewPage validates the arguments of a connection of objects of the given
// kind; bad ones are a *domain.InputError. A cursor of another kind of list
// is refused: its ID would compare meaninglessly.
func NewPage(first *int, after *string, kind domain.Kind) (Page, error) {
	p := Page{First: DefaultFirst}
	if first != nil {
		if *first < 0 || *first > MaxFirst {
			return Page{}, &domain.InputError{Message: fmt.Sprintf("first must be between 0 and %d, got %d", MaxFirst, *first)}
		}
		p.First = *first
	}
	if after != nil && *after != "" {
		id, ok := decodeCursor(*after)
		if k, _ := domain.KindOf(id); !ok || k != kind {
			return Page{}, &domain.InputError{Message: fmt.Sprintf("after: %q is not a cursor returned by this API", *after)}
		}
		p.After = id
	}
	return p, nil
}

const cursorPrefix = "cursor:"

// Cursor encodes a row ID. Cursors are opaque to clients so that the
// ordering key can change without breaking them.
func Cursor(id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + id))
}

func decodeCursor(c string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", false
	}
	id, ok := strings.CutPrefix(string(b), cursorPrefix)
	if !ok {
		return "", false
	}
	if _, ok := domain.KindOf(id); !ok {
		return "", false
	}
	return id, true
}

// PageInfo is Relay's page information.
type PageInfo struct {
	HasNextPage     bool
	HasPreviousPage bool
	StartCursor     *string
	EndCursor       *string
}

// CountFunc returns the total number of rows in the list, across all pages.
// Connections call it only when totalCount is asked for.
type CountFunc func(ctx context.Context) (int, error)

// Edge pairs a node with its cursor.
type Edge[T domain.Node] struct {
	Cursor string
	Node   T
}

// Connection is a page of a list. gqlgen binds the schema's XConnection
// types to the named instances below.
type Connection[T domain.Node] struct {
	Edges    []*Edge[T]
	Nodes    []T
	PageInfo *PageInfo
	count    CountFunc
}

func (c *Connection[T]) TotalCount(ctx context.Context) (int, error) { return c.count(ctx) }

// build turns up to page.Limit() rows into a connection.
func build[T domain.Node](rows []T, page Page, count CountFunc) Connection[T] {
	info := &PageInfo{HasPreviousPage: page.After != ""}
	if len(rows) > page.First {
		rows = rows[:page.First]
		info.HasNextPage = true
	}
	edges := make([]*Edge[T], len(rows))
	for i, n := range rows {
		edges[i] = &Edge[T]{Cursor: Cursor(n.GetID()), Node: n}
	}
	if len(edges) > 0 {
		info.StartCursor = &edges[0].Cursor
		info.EndCursor = &edges[len(edges)-1].Cursor
	}
	return Connection[T]{Edges: edges, Nodes: rows, PageInfo: info, count: count}
}

// The connection and edge types of the schema.
type (
	OrganizationConnection     = Connection[*domain.Organization]
	OrganizationEdge           = Edge[*domain.Organization]
	AccountConnection          = Connection[*domain.Account]
	AccountEdge                = Edge[*domain.Account]
	IntegrationPointConnection = Connection[*domain.IntegrationPoint]
	IntegrationPointEdge       = Edge[*domain.IntegrationPoint]
	IntegrationConnection      = Connection[*domain.Integration]
	IntegrationEdge            = Edge[*domain.Integration]
	// Versions are ordered by version number; their IDs sort the same way.
	IntegrationPointVersionConnection = Connection[*domain.IntegrationPointVersion]
	IntegrationPointVersionEdge       = Edge[*domain.IntegrationPointVersion]
	ImpactConnection                  = Connection[*domain.Impact]
	ImpactEdge                        = Edge[*domain.Impact]
)

// NewImpactConnection pages impacts held in memory, ordered by integration ID.
func NewImpactConnection(all []*domain.Impact, page Page) *ImpactConnection {
	return NewConnection(Window(all, page), page, func(context.Context) (int, error) { return len(all), nil })
}

// The token and audit-log connections; audit events come newest first.
type (
	ApiTokenConnection   = Connection[*domain.ApiToken]
	ApiTokenEdge         = Edge[*domain.ApiToken]
	AuditEventConnection = Connection[*domain.AuditEvent]
	AuditEventEdge       = Edge[*domain.AuditEvent]
)

// NewConnection builds a page from up to page.Limit() rows, in the order given.
func NewConnection[T domain.Node](rows []T, page Page, count CountFunc) *Connection[T] {
	c := build(rows, page, count)
	return &c
}

// Window is the page of rows, a whole list ordered by ID, that a keyset
// statement would have read: those after the cursor, up to page.Limit().
// For lists kept in memory, such as the points that select an account.
func Window[T domain.Node](rows []T, page Page) []T {
	start := 0
	if page.After != "" {
		for start < len(rows) && rows[start].GetID() <= page.After {
			start++
		}
	}
	return rows[start:min(len(rows), start+page.Limit())]
}

// The webhook delivery log's connection: newest first, like the audit log.
type (
	WebhookDeliveryConnection = Connection[*domain.WebhookDelivery]
	WebhookDeliveryEdge       = Edge[*domain.WebhookDelivery]
)
