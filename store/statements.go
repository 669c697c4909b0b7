package store

import (
	"context"
	"database/sql"
	"sync"
)

// statements prepares the pool's reads, once each. With lib/pq a prepared
// statement is one round trip instead of two (parse, then bind), and the
// database parses it once per connection rather than once per call. The
// read executor's texts vary with the filters and the columns a query
// asks for, not with the number of IDs (array parameters), so they are
// few; an unbounded set would still be a leak, so past maxPrepared a
// read runs unprepared.
type statements struct {
	db *sql.DB
	// hook is Options.OnQuery, called for prepared reads as observed
	// calls it for the others.
	hook func(query string)
	mu   sync.Mutex
	m    map[string]*sql.Stmt
}

const maxPrepared = 512

// query runs a read through its prepared statement when it has or can
// get one, else directly through q.ext.
func (s *statements) query(ctx context.Context, q *queries, query string, args ...any) (*sql.Rows, error) {
	if stmt := s.prepared(ctx, query); stmt != nil {
		if s.hook != nil {
			s.hook(query)
		}
		return stmt.QueryContext(ctx, args...)
	}
	return q.ext.QueryContext(ctx, query, args...)
}

// prepared is the statement of query, prepared now if need be; nil when
// the cache is full or preparing failed (the read then reports the error).
func (s *statements) prepared(ctx context.Context, query string) *sql.Stmt {
	s.mu.Lock()
	defer s.mu.Unlock()
	if stmt, ok := s.m[query]; ok {
		return stmt
	}
	if s.m == nil || len(s.m) >= maxPrepared {
		return nil // closed, or full
	}
	stmt, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	s.m[query] = stmt
	return stmt
}

func (s *statements) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, stmt := range s.m {
		stmt.Close()
	}
	s.m = nil
}
