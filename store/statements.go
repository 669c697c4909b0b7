package store

import (
	"context"
	"sync"

	"github.com/jmoiron/sqlx"
)

// statements prepares the pool's reads, once each. With lib/pq a prepared
// statement is one round trip instead of two (parse, then bind), and the
// database parses it once per connection rather than once per call. The
// read executor's texts vary with the filters and the columns a query
// asks for, not with the number of IDs (array parameters), so they are
// few; an unbounded set would still be a leak, so past maxPrepared a
// read runs unprepared.
type statements struct {
	db *sqlx.DB
	// hook is Options.OnQuery, called for prepared reads as observed
	// calls it for the others.
	hook func(query string)
	mu   sync.RWMutex
	m    map[string]*sqlx.Stmt
}

const maxPrepared = 512

// stmt is the prepared statement of a read (its text already rebound),
// counted by the hook as it is about to run; nil outside the pool (in a
// transaction), when the cache is full, or when preparing failed (the read
// then runs unprepared, and reports any error itself).
func (q *queries) stmt(ctx context.Context, query string) *sqlx.Stmt {
	s := q.prepared
	if s == nil {
		return nil
	}
	stmt := s.get(ctx, query)
	if stmt != nil && s.hook != nil {
		s.hook(query)
	}
	return stmt
}

// get is the statement of query, prepared now if need be: outside the
// lock, so that reads of prepared statements never wait on a prepare (a
// round trip). Two first calls at once may both prepare; one is kept.
func (s *statements) get(ctx context.Context, query string) *sqlx.Stmt {
	s.mu.RLock()
	stmt, ok := s.m[query]
	full := s.m == nil || len(s.m) >= maxPrepared
	s.mu.RUnlock()
	if ok {
		return stmt
	}
	if full {
		return nil // closed, or full
	}
	stmt, err := s.db.PreparexContext(ctx, query)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if kept, ok := s.m[query]; ok {
		stmt.Close()
		return kept
	}
	if s.m == nil || len(s.m) >= maxPrepared {
		stmt.Close()
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
