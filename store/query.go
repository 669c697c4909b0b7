package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/pagination"
)

// get scans one row into dest; no row is domain.ErrNotFound. Outside
// transactions, the statement is prepared.
func (q *queries) get(ctx context.Context, dest any, query string, args ...any) error {
	query = q.ext.Rebind(query)
	var err error
	if stmt := q.stmt(ctx, query); stmt != nil {
		err = stmt.GetContext(ctx, dest, args...)
	} else {
		err = sqlx.GetContext(ctx, q.ext, dest, query, args...)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return domain.ErrNotFound
	}
	return err
}

// selectAll scans every row into dest, a pointer to a slice. Slice
// arguments are expanded for IN (?). Outside transactions, a statement
// whose text does not depend on a slice's length is prepared.
func (q *queries) selectAll(ctx context.Context, dest any, query string, args ...any) error {
	expanded, inArgs, err := sqlx.In(query, args...)
	if err != nil {
		return err
	}
	expanded = q.ext.Rebind(expanded)
	if len(inArgs) == len(args) {
		if stmt := q.stmt(ctx, expanded); stmt != nil {
			return stmt.SelectContext(ctx, dest, inArgs...)
		}
	}
	return sqlx.SelectContext(ctx, q.ext, dest, expanded, inArgs...)
}

// exec runs a statement; slice arguments are expanded for IN (?).
func (q *queries) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	query, args, err := sqlx.In(query, args...)
	if err != nil {
		return nil, err
	}
	return q.ext.ExecContext(ctx, q.ext.Rebind(query), args...)
}

// maxParameters is how many parameters one statement may bind: SQLite's
// limit (32,766) is the lower of the two engines'.
const maxParameters = 32_766

// insertRows inserts n rows into table's columns (row(i) gives row i's
// values, in order). On PostgreSQL it is one COPY FROM STDIN (lib/pq's copy protocol): a
// re-check's 50,000 events are otherwise a hundred statements of 3,500
// parameters each to parse and bind. On SQLite, multi-row INSERTs, as
// few as its limit on parameters allows.
func (tx *Tx) insertRows(ctx context.Context, table string, columns []string, n int, row func(i int) ([]any, error)) error {
	if n == 0 {
		return nil
	}
	if tx.engine == Postgres {
		return tx.copyRows(ctx, table, columns, n, row)
	}
	per := maxParameters / len(columns)
	placeholders := "(?" + strings.Repeat(", ?", len(columns)-1) + ")"
	for start := 0; start < n; start += per {
		end := min(start+per, n)
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES ")
		args := make([]any, 0, len(columns)*(end-start))
		for i := start; i < end; i++ {
			values, err := row(i)
			if err != nil {
				return err
			}
			if i > start {
				b.WriteString(", ")
			}
			b.WriteString(placeholders)
			args = append(args, values...)
		}
		if _, err := tx.ext.ExecContext(ctx, tx.ext.Rebind(b.String()), args...); err != nil {
			return err
		}
	}
	return nil
}

func (tx *Tx) copyRows(ctx context.Context, table string, columns []string, n int, row func(i int) ([]any, error)) (err error) {
	quoted := make([]string, len(columns))
	for i, c := range columns {
		quoted[i] = pq.QuoteIdentifier(c)
	}
	stmt, err := tx.tx.PrepareContext(ctx, "COPY "+pq.QuoteIdentifier(table)+" ("+strings.Join(quoted, ", ")+") FROM STDIN")
	if err != nil {
		return err
	}
	defer func() {
		if cerr := stmt.Close(); err == nil {
			err = cerr
		}
	}()
	for i := range n {
		values, err := row(i)
		if err != nil {
			return err
		}
		if _, err := stmt.ExecContext(ctx, values...); err != nil {
			return err
		}
	}
	_, err = stmt.ExecContext(ctx) // the end of the data: the rows are written
	return err
}

// execOne runs a statement that must touch exactly one row; none is
// domain.ErrNotFound.
func (q *queries) execOne(ctx context.Context, query string, args ...any) error {
	res, err := q.exec(ctx, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return domain.ErrNotFound
	}
	return nil
}

// LockMode is how a read in a transaction locks its rows.
type LockMode int

const (
	// Shared lets other Shared locks in and keeps Exclusive ones out.
	Shared LockMode = iota
	// Exclusive keeps every other lock out.
	Exclusive
)

// lock is the clause that locks selected rows until the transaction ends.
// SQLite needs none: an immediate transaction already holds the file's
// write lock.
func (q *queries) lock(mode LockMode) string {
	if q.engine != Postgres {
		return ""
	}
	if mode == Exclusive {
		return " FOR UPDATE"
	}
	return " FOR SHARE"
}

// where collects AND-ed conditions with their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// with returns a copy of w with one more condition.
func (w where) with(cond string, args ...any) where {
	c := where{conds: append([]string(nil), w.conds...), args: append([]any(nil), w.args...)}
	c.add(cond, args...)
	return c
}

// withAnyOf returns a copy of w with the condition "column is one of
// ids", with its one argument: an array on PostgreSQL, a JSON array on
// SQLite (json_each). However many the IDs, the statement is one, and its
// text is the same.
func (q *queries) withAnyOf(w where, column string, ids []string) where {
	if q.engine == Postgres {
		return w.with(column+" = ANY(?)", pq.Array(ids))
	}
	b, _ := json.Marshal(ids)
	return w.with(column+" IN (SELECT value FROM json_each(?))", string(b))
}

// pagesByParent selects, in one statement, the page of each parent: for
// every parent ID a sub-select "rows of this parent after the cursor,
// ORDER BY id LIMIT n" (see pagesQuery). Each sub-select is an index range
// scan, on both engines, however many rows a parent has. Parents' rows
// come back in no particular order; group them by parent.
func (q *queries) pagesByParent(ctx context.Context, dest any, table, columns, parentColumn string, parentIDs []string, w where, page pagination.Page) error {
	return q.pagesByParentOrdered(ctx, dest, table, columns, parentColumn, "id", parentIDs, keyset(w, page), page.Limit())
}

// keyset adds to w the condition of a page ordered by ID: after its cursor.
func keyset(w where, page pagination.Page) where {
	if page.After != "" {
		return w.with("id > ?", page.After)
	}
	return w
}

// pagesByParentOrdered is pagesByParent for any ordering column; w holds
// the keyset condition.
func (q *queries) pagesByParentOrdered(ctx context.Context, dest any, table, columns, parentColumn, orderColumn string, parentIDs []string, w where, limit int) error {
	if len(parentIDs) == 0 {
		return nil
	}
	for _, ids := range q.parentChunks(parentIDs) {
		query, args := q.pagesQuery(table, columns, parentColumn, orderColumn, ids, w, limit)
		// sqlx appends to dest: the chunks' rows add up.
		if err := q.selectAll(ctx, dest, query, args...); err != nil {
			return err
		}
	}
	return nil
}

// maxArms is SQLite's limit on the arms of a compound SELECT
// (SQLITE_MAX_COMPOUND_SELECT): past it, a level of pages takes one
// statement per maxArms parents there.
const maxArms = 500

// parentChunks splits parent IDs into the pages statements they need.
func (q *queries) parentChunks(ids []string) [][]string {
	if q.engine == Postgres || len(ids) <= maxArms {
		return [][]string{ids}
	}
	var out [][]string
	for len(ids) > maxArms {
		out = append(out, ids[:maxArms])
		ids = ids[maxArms:]
	}
	return append(out, ids)
}

// findPages reads the pages of parentIDs with the selection sel, chunk by
// chunk, as domain objects.
func findPages[R any, T any](ctx context.Context, q *queries, sel selection[R], table, parentColumn string, parentIDs []string, w where, page pagination.Page,
	convert func([]R, error) ([]T, error)) ([]T, error) {
	var out []T
	for _, ids := range q.parentChunks(parentIDs) {
		query, args := q.pagesQuery(table, sel.list, parentColumn, "id", ids, keyset(w, page), page.Limit())
		// A page's limit is an upper bound: most pages are not full.
		found, err := convert(scanAll(ctx, q, sel, min(len(ids)*page.Limit(), 4096), query, args...))
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = found
		} else {
			out = append(out, found...)
		}
	}
	return out, nil
}

// pagesQuery is the statement of pagesByParentOrdered. PostgreSQL takes
// the parents as one array, each parent's page a LATERAL sub-select, so
// that the text is the same for any number of parents; SQLite, which has
// no LATERAL, a UNION ALL of one sub-select per parent.
func (q *queries) pagesQuery(table, columns, parentColumn, orderColumn string, parentIDs []string, w where, limit int) (string, []any) {
	if q.engine == Postgres {
		pw := w.with(table + "." + parentColumn + " = parent.id")
		return fmt.Sprintf("SELECT page.* FROM unnest(?::text[]) AS parent(id) CROSS JOIN LATERAL (SELECT %s FROM %s%s ORDER BY %s LIMIT %d) AS page",
			columns, table, pw.sql(), orderColumn, limit), append([]any{pq.Array(parentIDs)}, pw.args...)
	}
	parts := make([]string, len(parentIDs))
	var args []any
	for i, id := range parentIDs {
		pw := w.with(parentColumn+" = ?", id)
		parts[i] = fmt.Sprintf("SELECT * FROM (SELECT %s FROM %s%s ORDER BY %s LIMIT %d) AS page%d",
			columns, table, pw.sql(), orderColumn, limit, i)
		args = append(args, pw.args...)
	}
	return strings.Join(parts, " UNION ALL "), args
}

// countsByParent counts, in one statement, the rows of each parent.
// Parents with no rows are absent from the map.
func (q *queries) countsByParent(ctx context.Context, table, parentColumn string, parentIDs []string, w where) (map[string]int, error) {
	counts := make(map[string]int, len(parentIDs))
	if len(parentIDs) == 0 {
		return counts, nil
	}
	w = q.withAnyOf(w, parentColumn, parentIDs)
	var rows []struct {
		Parent string `db:"parent"`
		N      int    `db:"n"`
	}
	query := fmt.Sprintf("SELECT %s AS parent, count(*) AS n FROM %s%s GROUP BY %s", parentColumn, table, w.sql(), parentColumn)
	if err := q.selectAll(ctx, &rows, query, w.args...); err != nil {
		return nil, err
	}
	for _, r := range rows {
		counts[r.Parent] = r.N
	}
	return counts, nil
}

// toJSON encodes a value for a JSON column. Strings, not []byte: lib/pq
// would send []byte as bytea.
func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// fromJSON decodes a JSON column, keeping numbers exact (json.Number).
func fromJSON(s string, dst any) error {
	if s == "[]" {
		// Most violation lists are empty: leave dst nil and skip the decoder.
		return nil
	}
	d := json.NewDecoder(bytes.NewReader([]byte(s)))
	d.UseNumber()
	return d.Decode(dst)
}
