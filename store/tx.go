package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/pointguard/pointguard/policy"
)

// Tx is a transaction: reads see its writes, and nothing is visible to
// others until InTx commits.
type Tx struct {
	queries
	tx *sqlx.Tx
}

const maxAttempts = 3

// InTx runs fn in a transaction whose reads are limited to scope and commits when fn returns nil; any error
// rolls everything back and is returned as is. A transaction that lost a
// race the engine detected (a PostgreSQL deadlock or serialization failure,
// a busy SQLite file) is run again from the start, up to three times, so fn
// must do nothing but database work.
func (s *Store) InTx(ctx context.Context, scope policy.Scope, fn func(tx *Tx) error) error {
	var err error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		err = s.runTx(ctx, scope, fn)
		if err == nil || !isRetryable(err) {
			return err
		}
	}
	return err
}

func (s *Store) runTx(ctx context.Context, scope policy.Scope, fn func(tx *Tx) error) (err error) {
	sqltx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{queries: queries{ext: sqltx, engine: s.base.engine, secrets: s.base.secrets, scope: scope, own: &ownAccount{}}, tx: sqltx}
	if o, ok := s.base.ext.(observed); ok {
		tx.ext = observed{sqltx, o.hook}
	}
	defer func() {
		if p := recover(); p != nil {
			sqltx.Rollback()
			panic(p)
		}
		if err != nil {
			sqltx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = sqltx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
