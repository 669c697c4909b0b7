package executor

import (
	"context"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/pagination"
)

// The values fields produce are the domain's own types, read by
// pointer, plus the few below. A list is a []any or a slice of a domain
// type (see forEach); an edge is represented by its node and a page's
// PageInfo by its connection, so that neither costs an allocation.

// query is the type of the root object, the parent of Query's fields.
type query struct{ _ byte }

// theQuery is the root object: one value, so that fetches and writes find
// the same parent (distinct zero-size values need not be distinct).
var theQuery = &query{}

// connection is one page of a list, as the schema's XConnection types show it.
type connection struct {
	rows    []any // the page's nodes, in order
	page    pagination.Page
	hasNext bool
	// parentID and count give totalCount: count counts the rows of every
	// parent of one field's connections in one statement. With count nil,
	// total is known already.
	parentID string
	count    *counter
	total    int
}

// counter counts the rows of many parents' lists, by parent ID.
type counter struct {
	count func(ctx context.Context, parentIDs []string) (map[string]int, error)
}

// newConnection builds a page from up to page.Limit() rows, like
// pagination.Connection: the row past First only tells there is a next page.
func newConnection[T any](rows []T, page pagination.Page, parentID string, count *counter) *connection {
	c := &connection{page: page, parentID: parentID, count: count}
	if len(rows) > page.First {
		rows = rows[:page.First]
		c.hasNext = true
	}
	c.rows = make([]any, len(rows))
	for i, r := range rows {
		c.rows[i] = r
	}
	return c
}

// forEach calls fn with every element of a list value, in order: a
// pointer into the slice for slices of structs.
func forEach(v any, fn func(any) error) error {
	switch l := v.(type) {
	case []any:
		for _, x := range l {
			if err := fn(x); err != nil {
				return err
			}
		}
	case []*domain.Provider:
		for _, x := range l {
			if err := fn(x); err != nil {
				return err
			}
		}
	case []domain.Label:
		return eachRef(l, fn)
	case []domain.Rule:
		return eachRef(l, fn)
	case []domain.Violation:
		return eachRef(l, fn)
	default:
		return unplanned("executor: %T is not a list", v)
	}
	return nil
}

func eachRef[T any](l []T, fn func(any) error) error {
	for i := range l {
		if err := fn(&l[i]); err != nil {
			return err
		}
	}
	return nil
}

// typeOf is the GraphQL type of a value of an interface type (Node).
func typeOf(v any) string {
	switch v.(type) {
	case *domain.Organization:
		return "Organization"
	case *domain.Account:
		return "Account"
	case *domain.IntegrationPoint:
		return "IntegrationPoint"
	case *domain.Integration:
		return "Integration"
	case *domain.Provider:
		return "Provider"
	}
	return ""
}
