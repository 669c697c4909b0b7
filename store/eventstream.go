package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/lib/pq"

	"github.com/pointguard/pointguard/domain"
)

// What package eventstream needs of the store: a signal when events
// commit (in-process after the commit; on PostgreSQL also a NOTIFY on
// EventsChannel, which the database delivers at commit to every
// replica's listener), the events after a sequence number, and the
// horizon under which sequence numbers are final.

// EventsChannel is the PostgreSQL channel an events' transaction notifies,
// with the organization's ID as payload.
const EventsChannel = "pointguard_events"

// eventSignals are the organizations a transaction wrote events of,
// shared by the savepoints of an Atomically.
type eventSignals struct {
	mu   sync.Mutex
	orgs map[string]bool
}

// signalEvents notifies, in tx, that it wrote events of orgs: PostgreSQL
// delivers the NOTIFY at commit (a rollback, of the transaction or of the
// savepoint, discards it), and InTx tells this process after its commit.
// Once per organization and transaction: a re-check appending batch after
// batch notifies once.
func (tx *Tx) signalEvents(ctx context.Context, orgs map[string]bool) error {
	tx.signals.mu.Lock()
	defer tx.signals.mu.Unlock()
	if tx.signals.orgs == nil {
		tx.signals.orgs = map[string]bool{}
	}
	for o := range orgs {
		if tx.signals.orgs[o] {
			continue
		}
		if tx.engine == Postgres {
			if _, err := tx.ext.ExecContext(ctx, "SELECT pg_notify($1, $2)", EventsChannel, o); err != nil {
				return fmt.Errorf("notify events: %w", err)
			}
		}
		tx.signals.orgs[o] = true
	}
	return nil
}

// OnEventsCommitted makes every commit that wrote events call fn with
// their organizations, after the commit, in the committing goroutine
// (fn must not block).
func (s *Store) OnEventsCommitted(fn func(organizationIDs []string)) {
	s.onEventsMu.Lock()
	defer s.onEventsMu.Unlock()
	s.onEvents = append(s.onEvents, fn)
}

func (s *Store) eventsCommitted(signals *eventSignals) {
	if signals == nil {
		return
	}
	signals.mu.Lock()
	orgs := make([]string, 0, len(signals.orgs))
	for o := range signals.orgs {
		orgs = append(orgs, o)
	}
	signals.mu.Unlock()
	if len(orgs) == 0 {
		return
	}
	s.onEventsMu.Lock()
	fns := s.onEvents
	s.onEventsMu.Unlock()
	for _, fn := range fns {
		fn(orgs)
	}
}

// ListenEvents calls notify with the organization of each NOTIFY on
// EventsChannel, and with "" when the listening connection was lost and
// is back (notifications may have been missed meanwhile), until ctx ends.
// It holds one connection of its own (lib/pq's Listener, which
// reconnects by itself). On SQLite, a file of one process, there is
// nothing to listen to: it returns at once.
func (s *Store) ListenEvents(ctx context.Context, notify func(organizationID string), onError func(error)) error {
	if s.base.engine != Postgres {
		return nil
	}
	l := pq.NewListener(s.url, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		if err != nil && onError != nil {
			onError(err)
		}
	})
	if err := l.Listen(EventsChannel); err != nil {
		l.Close()
		return fmt.Errorf("listen for events: %w", err)
	}
	go func() {
		defer l.Close()
		// lib/pq notices a dead connection only when it writes: ping it.
		ping := time.NewTicker(30 * time.Second)
		defer ping.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case n := <-l.Notify:
				if n == nil {
					notify("") // reconnected: what was sent meanwhile is lost
				} else {
					notify(n.Extra)
				}
			case <-ping.C:
				go l.Ping()
			}
		}
	}()
	return nil
}

// Horizon is a look at the sequence of events: Last, the highest number
// drawn (committed or not), and InProgress, the transactions running at
// the time (PostgreSQL's xids). Once every one of them has ended, every
// sequence number up to Last is final: committed, or never to be.
type Horizon struct {
	Last       int64
	InProgress []string
}

// EventHorizon looks at the sequence now. On PostgreSQL, sequence numbers
// are drawn at insert and committed in any order, so a reader that went
// past a committed number could miss a lower one committed after it; the
// horizon tells how far a reader may go. SQLite commits one writer at a
// time, so what is committed is final: Last is unbounded.
func (s *Store) EventHorizon(ctx context.Context) (Horizon, error) {
	if s.base.engine != Postgres {
		return Horizon{Last: math.MaxInt64}, nil
	}
	var (
		last sql.NullInt64
		xip  pq.StringArray
	)
	err := s.db.QueryRowContext(ctx, `SELECT pg_sequence_last_value(pg_get_serial_sequence('events', 'seq')::regclass),
		ARRAY(SELECT x::text FROM pg_snapshot_xip(pg_current_snapshot()) x)`).Scan(&last, &xip)
	if err != nil {
		return Horizon{}, fmt.Errorf("events horizon: %w", err)
	}
	return Horizon{Last: last.Int64, InProgress: xip}, nil
}

// LastEventSeq is the highest sequence number of the committed events.
func (s *Store) LastEventSeq(ctx context.Context) (int64, error) {
	var last int64
	err := s.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM events").Scan(&last)
	return last, err
}

// EventQuery selects events of one organization (and account) after a
// sequence number.
type EventQuery struct {
	OrganizationID string
	// AccountID, if set, keeps that account's events only.
	AccountID string
	// Type, if set, keeps events of that type only.
	Type string
	// After and UpTo bound the sequence numbers: After < seq <= UpTo.
	After, UpTo int64
	Limit       int
}

type eventRow struct {
	Seq            int64          `db:"seq"`
	ID             string         `db:"id"`
	OrganizationID string         `db:"organization_id"`
	AccountID      sql.NullString `db:"account_id"`
	SubjectID      string         `db:"subject_id"`
	Type           string         `db:"type"`
	OccurredAt     time.Time      `db:"occurred_at"`
	Data           string         `db:"data"`
}

const eventColumns = "seq, id, organization_id, account_id, subject_id, type, occurred_at, data"

func (r *eventRow) domain() (domain.Event, error) {
	e := domain.Event{ID: r.ID, Seq: r.Seq, OrganizationID: r.OrganizationID, AccountID: r.AccountID.String,
		SubjectID: r.SubjectID, Type: r.Type, OccurredAt: r.OccurredAt.UTC()}
	err := fromJSON(r.Data, &e.Data)
	return e, err
}

// FindEventsAfter returns the events q selects, within the scope (an
// account scope sees its account's events only), by sequence number.
func (q *queries) FindEventsAfter(ctx context.Context, eq EventQuery) ([]domain.Event, error) {
	w := q.scoped(where{}, "organization_id", "account_id").
		with("organization_id = ?", eq.OrganizationID).with("seq > ?", eq.After).with("seq <= ?", eq.UpTo)
	if eq.AccountID != "" {
		w = w.with("account_id = ?", eq.AccountID)
	}
	if eq.Type != "" {
		w = w.with("type = ?", eq.Type)
	}
	var rows []eventRow
	err := q.selectAll(ctx, &rows, "SELECT "+eventColumns+" FROM events"+w.sql()+" ORDER BY seq LIMIT ?", append(w.args, eq.Limit)...)
	if err != nil {
		return nil, err
	}
	out := make([]domain.Event, len(rows))
	for n := range rows {
		if out[n], err = rows[n].domain(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// FindEvent returns the event with that ID within the scope, or
// domain.ErrNotFound.
func (q *queries) FindEvent(ctx context.Context, id string) (domain.Event, error) {
	w := q.scoped(where{}, "organization_id", "account_id").with("id = ?", id)
	var rows []eventRow
	if err := q.selectAll(ctx, &rows, "SELECT "+eventColumns+" FROM events"+w.sql(), w.args...); err != nil {
		return domain.Event{}, err
	}
	if len(rows) == 0 {
		return domain.Event{}, domain.ErrNotFound
	}
	return rows[0].domain()
}
