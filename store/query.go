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

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/pagination"
)

// get scans one row into dest; no row is domain.ErrNotFound.
func (q *queries) get(ctx context.Context, dest any, query string, args ...any) error {
	err := sqlx.GetContext(ctx, q.ext, dest, q.ext.Rebind(query), args...)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.ErrNotFound
	}
	return err
}

// selectAll scans every row into dest, a pointer to a slice. Slice
// arguments are expanded for IN (?).
func (q *queries) selectAll(ctx context.Context, dest any, query string, args ...any) error {
	query, args, err := sqlx.In(query, args...)
	if err != nil {
		return err
	}
	return sqlx.SelectContext(ctx, q.ext, dest, q.ext.Rebind(query), args...)
}

// exec runs a statement; slice arguments are expanded for IN (?).
func (q *queries) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	query, args, err := sqlx.In(query, args...)
	if err != nil {
		return nil, err
	}
	return q.ext.ExecContext(ctx, q.ext.Rebind(query), args...)
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

// pagesByParent selects, in one statement, the page of each parent: for
// every parent ID a sub-select "rows of this parent after the cursor,
// ORDER BY id LIMIT n", joined with UNION ALL. Each sub-select is an index
// range scan, on both engines, however many rows a parent has.
// Rows come back in no particular order; group them with groupByParent.
func (q *queries) pagesByParent(ctx context.Context, dest any, table, columns, parentColumn string, parentIDs []string, w where, page pagination.Page) error {
	if page.After != "" {
		w = w.with("id > ?", page.After)
	}
	return q.pagesByParentOrdered(ctx, dest, table, columns, parentColumn, "id", parentIDs, w, page.Limit())
}

// pagesByParentOrdered is pagesByParent for any ordering column; w holds
// the keyset condition.
func (q *queries) pagesByParentOrdered(ctx context.Context, dest any, table, columns, parentColumn, orderColumn string, parentIDs []string, w where, limit int) error {
	if len(parentIDs) == 0 {
		return nil
	}
	parts := make([]string, len(parentIDs))
	var args []any
	for i, id := range parentIDs {
		pw := w.with(parentColumn+" = ?", id)
		parts[i] = fmt.Sprintf("SELECT * FROM (SELECT %s FROM %s%s ORDER BY %s LIMIT %d) AS page%d",
			columns, table, pw.sql(), orderColumn, limit, i)
		args = append(args, pw.args...)
	}
	return q.selectAll(ctx, dest, strings.Join(parts, " UNION ALL "), args...)
}

// countsByParent counts, in one statement, the rows of each parent.
// Parents with no rows are absent from the map.
func (q *queries) countsByParent(ctx context.Context, table, parentColumn string, parentIDs []string, w where) (map[string]int, error) {
	counts := make(map[string]int, len(parentIDs))
	if len(parentIDs) == 0 {
		return counts, nil
	}
	w = w.with(parentColumn+" IN (?)", parentIDs)
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
