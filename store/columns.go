package store

import (
	"context"
	"database/sql"
	"reflect"
	"strings"
	"sync"
)

// Columns selects what a read of integrations, accounts or points fills in, so
// that it reads and decodes no more than its caller shows: the read
// executor asks for what a query selects. Every read fills in the parent
// column it groups by, and the ID of an account or a point with its
// organization's; the rest is left zero unless asked.
type Columns uint64

const (
	IntegrationID           Columns = 1 << iota // ID
	IntegrationOrganization                     // OrganizationID
	IntegrationAccount                          // AccountID
	IntegrationPoint                            // IntegrationPointID
	IntegrationProvider                         // ProviderKey
	IntegrationName                             // Name
	IntegrationConfig                           // Config, without secrets
	IntegrationSecrets                          // Config's secrets (opened), with IntegrationConfig
	IntegrationStatus                           // Compliance.Status
	IntegrationPointVersion                     // Compliance.PointVersion
	IntegrationCheckedAt                        // Compliance.CheckedAt
	IntegrationViolations                       // Compliance.Violations
	IntegrationCreatedAt                        // CreatedAt
	IntegrationUpdatedAt                        // UpdatedAt
	IntegrationLifecycle                        // Status, StatusReason, StatusChangedAt

	AccountOrganization // OrganizationID
	AccountSlug         // Slug
	AccountName         // Name
	AccountEnvironment  // Environment
	AccountLabels       // Labels
	AccountCreatedAt    // CreatedAt
	AccountUpdatedAt    // UpdatedAt

	PointSlug             // Slug
	PointName             // Name
	PointDescription      // Description
	PointCategory         // Category
	PointVersion          // Version
	PointAllowedProviders // AllowedProviders
	PointRequiredConfig   // RequiredConfig
	PointMaxIntegrations  // MaxIntegrationsPerAccount
	PointRules            // Rules
	PointAccountSelector  // AccountSelector
	PointCreatedAt        // CreatedAt
	PointUpdatedAt        // UpdatedAt
	PointConfigDefaults   // ConfigDefaults, SecretDefaults (opened)
	PointOnViolation      // OnViolation

	// AllColumns fills in everything.
	AllColumns Columns = 1<<iota - 1
)

// column is one column a read may select, and where its value goes.
type column[R any] struct {
	bit  Columns
	sql  string
	dest func(*R) any
}

// selection is the columns of cols among all (always: those with bit 0,
// and the one named keep), as a select list and the scan of one row.
type selection[R any] struct {
	list  string
	dests []func(*R) any
}

func selectColumns[R any](all []column[R], cols Columns, keep string) selection[R] {
	var names []string
	var s selection[R]
	for _, c := range all {
		if c.bit == 0 || cols&c.bit != 0 || c.sql == keep {
			names = append(names, c.sql)
			s.dests = append(s.dests, c.dest)
		}
	}
	s.list = strings.Join(names, ", ")
	return s
}

// scanAll reads every row of a query into a new R each, through the
// selection's destinations: no reflection, and no growing of the slice
// up to expected rows (an ID list's length, a count).
//
// The rows are a buffer of the caller's, from rowBuffers and back with
// release once the rows are turned into domain objects.
func scanAll[R any](ctx context.Context, q *queries, s selection[R], expected int, query string, args ...any) ([]R, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := rowBuffer[R](expected)
	dests := make([]any, len(s.dests))
	for rows.Next() {
		out = append(out, *new(R))
		r := &out[len(out)-1]
		for i, d := range s.dests {
			dests[i] = d(r)
		}
		if err := rows.Scan(dests...); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}

// query runs a read: prepared, outside transactions.
func (q *queries) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query = q.ext.Rebind(query)
	if stmt := q.stmt(ctx, query); stmt != nil {
		return stmt.QueryContext(ctx, args...)
	}
	return q.ext.QueryContext(ctx, query, args...)
}

// rowBuffers keeps the row slices of reads between requests, by row type:
// a large read's rows are otherwise as much garbage again as its objects.
var rowBuffers sync.Map // reflect.Type of R → *sync.Pool of *[]R

func rowPool[R any]() *sync.Pool {
	key := reflect.TypeFor[R]()
	if p, ok := rowBuffers.Load(key); ok {
		return p.(*sync.Pool)
	}
	p, _ := rowBuffers.LoadOrStore(key, &sync.Pool{})
	return p.(*sync.Pool)
}

// rowBuffer is an empty slice of rows with room for n.
func rowBuffer[R any](n int) []R {
	if b, ok := rowPool[R]().Get().(*[]R); ok && cap(*b) >= n {
		return (*b)[:0]
	}
	return make([]R, 0, n)
}

// release gives rows back to their pool, cleared so that they keep
// nothing alive.
func release[R any](rows []R) {
	if cap(rows) == 0 || cap(rows) > maxPooledRows {
		return
	}
	clear(rows[:cap(rows)])
	rows = rows[:0]
	rowPool[R]().Put(&rows)
}

// maxPooledRows bounds the row buffers kept.
const maxPooledRows = 20_000
