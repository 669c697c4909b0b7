package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/pointguard/pointguard/policy"
)

// Tx is a transaction: reads see its writes, and nothing is visible to
// others until InTx commits.
type Tx struct {
	queries
	tx *sqlx.Tx
	// endpoints are the enabled webhook endpoints of each organization
	// AppendEvents wrote events of, read once per transaction.
	endpoints map[string][]target
	// signals are the organizations it wrote events of (signalEvents).
	signals *eventSignals
}

const maxAttempts = 3

// InTx runs fn in a transaction whose reads are limited to scope and commits when fn returns nil; any error
// rolls everything back and is returned as is. A transaction that lost a
// race the engine detected (a PostgreSQL deadlock or serialization failure,
// a busy SQLite file) is run again from the start, up to three times, so fn
// must do nothing but database work.
func (s *Store) InTx(ctx context.Context, scope policy.Scope, fn func(tx *Tx) error) error {
	if j, ok := ctx.Value(joinKey{}).(*joined); ok {
		return s.inSavepoint(ctx, j, scope, fn)
	}
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
	tx := s.newTx(sqltx, scope)
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
	s.eventsCommitted(tx.signals)
	return nil
}

func (s *Store) newTx(sqltx *sqlx.Tx, scope policy.Scope) *Tx {
	tx := &Tx{queries: queries{ext: sqltx, engine: s.base.engine, secrets: s.base.secrets, scope: scope, own: &ownAccount{}, hooks: s.base.hooks}, tx: sqltx, signals: &eventSignals{}}
	if o, ok := s.base.ext.(observed); ok {
		tx.ext = observed{sqltx, o.hook}
	}
	return tx
}

// Atomically runs fn so that every InTx given its context joins one
// transaction: their writes commit together when fn returns nil, and none
// do otherwise. Each InTx inside runs in a savepoint, so one that fails
// undoes its own writes alone and fn may go on. Like InTx, the whole is
// run again, up to three times, when it lost a race the engine detected,
// even if fn went on past the InTx that lost it (the service answers that
// as an error): fn must do nothing but database work. Inside another
// Atomically, fn joins the outer one.
func (s *Store) Atomically(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(joinKey{}).(*joined); ok {
		return fn(ctx)
	}
	var err error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		err = s.runTx(ctx, policy.Scope{}, func(tx *Tx) error {
			j := &joined{tx: tx.tx, signals: tx.signals}
			err := fn(context.WithValue(ctx, joinKey{}, j))
			if j.aborted != nil {
				// Whatever fn made of it (the service answers it as an
				// error, and fn may go on): the transaction is lost.
				return j.aborted
			}
			return err
		})
		if err == nil || !isRetryable(err) {
			return err
		}
	}
	return err
}

type joinKey struct{}

// joined is the transaction of an Atomically.
type joined struct {
	tx *sqlx.Tx
	// savepoints numbers the savepoints, so that each has its own name.
	savepoints int
	// aborted is the failure the engine wants retried that lost the
	// transaction as a whole: Atomically runs fn again, and no InTx
	// runs in it meanwhile.
	aborted error
	// signals are the transaction's, shared by its savepoints.
	signals *eventSignals
}

func (s *Store) inSavepoint(ctx context.Context, j *joined, scope policy.Scope, fn func(tx *Tx) error) (err error) {
	if j.aborted != nil {
		return j.aborted
	}
	j.savepoints++
	name := fmt.Sprintf("pointguard_%d", j.savepoints)
	if _, err := j.tx.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	inner := s.newTx(j.tx, scope)
	inner.signals = j.signals // told after the whole commits
	if err = fn(inner); err != nil {
		// A failure the engine wants retried aborted the transaction as a
		// whole: Atomically runs it again.
		if isRetryable(err) {
			j.aborted = err
			return err
		}
		if _, rerr := j.tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+name); rerr != nil {
			return errors.Join(err, fmt.Errorf("rollback to savepoint: %w", rerr))
		}
		return err
	}
	if _, err := j.tx.ExecContext(ctx, "RELEASE SAVEPOINT "+name); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}
