// Package eventstream streams the stored events (store: the events
// table, written in the transaction of each change) to subscribers, live
// and from a point in the past, on every replica.
//
// The events table is the source of truth: each subscription reads the
// events after its cursor (seq > cursor) of its organization, within its
// token's scope, so resuming and following live are one code path, and a
// lost wake-up costs latency, never an event. Wake-ups come from the
// commits of this process (store.OnEventsCommitted) and, on PostgreSQL,
// from every replica's NOTIFY (store.ListenEvents); each subscription
// also polls every Config.Poll.
//
// On PostgreSQL sequence numbers are drawn at insert and commit in any
// order: a reader that went past seq 10 while 9 was still uncommitted
// would never see 9. The broker keeps a horizon, under which every
// sequence number is final, and subscriptions read up to it only (see
// tick). SQLite commits one writer at a time: its horizon is unbounded.
package eventstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/store"
)

// Config sizes a Broker.
type Config struct {
	// PerHolder caps the subscriptions of one holder (a token) at once,
	// in this process.
	PerHolder int
	// Total caps the subscriptions of this process.
	Total int
	// Poll is how often a subscription reads even when nothing woke it,
	// and the horizon is looked at when idle.
	Poll time.Duration
	Log  *slog.Logger
}

// Default: 10 per token and 1,000 per process, polling every second.
func Default() Config {
	return Config{PerHolder: 10, Total: 1000, Poll: time.Second}
}

// The refusals of Subscribe.
var (
	ErrHolderFull = errors.New("too many subscriptions for this token")
	ErrFull       = errors.New("the server holds as many subscriptions as it can")
	// ErrUnavailable is a broker that could not start (the database did
	// not answer); the next Subscribe tries again.
	ErrUnavailable = errors.New("subscriptions are unavailable for the moment; retry shortly")
)

// batch is how many events one read returns.
const batch = 200

// armAfter is the least time between reading the sequence's last value
// and the snapshot its transactions are taken from: a transaction gets
// its xid as it inserts the row whose number it drew, a moment later.
const armAfter = 25 * time.Millisecond

// maxCandidates bounds the horizons in waiting.
const maxCandidates = 256

// Broker wakes subscriptions when events commit, on any replica. It is
// safe for concurrent use.
type Broker struct {
	st  *store.Store
	cfg Config

	mu      sync.Mutex
	holders map[string]int
	total   int
	// waiting are the organizations' wake-up channels, closed (and
	// removed) when an event of theirs is under the horizon.
	waiting map[string]chan struct{}
	// pending are organizations notified and not yet woken: -1 until a
	// tick read the last sequence number after the notification, then
	// that number, which the horizon must reach.
	pending map[string]int64
	// cands are horizons in waiting: sequence numbers up to L become
	// final once the transactions xip have ended.
	cands []candidate
	// prev is the last sequence number the last tick read, and when.
	prev     int64
	prevAt   time.Time
	havePrev bool

	horizon     atomic.Int64
	established chan struct{}
	estOnce     sync.Once

	kick    chan struct{}
	started bool
	cancel  context.CancelFunc
	done    chan struct{}
}

type candidate struct {
	last int64
	xip  map[string]bool
}

// New returns a broker of st; it starts with the first subscription.
func New(st *store.Store, cfg Config) *Broker {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	return &Broker{st: st, cfg: cfg, holders: map[string]int{}, waiting: map[string]chan struct{}{},
		pending: map[string]int64{}, established: make(chan struct{}), kick: make(chan struct{}, 1)}
}

// start listens for commits (this process's and, on PostgreSQL, every
// replica's) and looks at the horizon, once.
func (b *Broker) start() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.started {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	err := b.st.ListenEvents(ctx, b.notified, func(err error) {
		b.cfg.Log.Warn("events listener", "error", err)
	})
	if err != nil {
		cancel()
		b.cfg.Log.Error("subscriptions: listen for events", "error", err)
		return ErrUnavailable
	}
	b.st.OnEventsCommitted(func(orgs []string) {
		for _, o := range orgs {
			b.notified(o)
		}
	})
	b.started, b.cancel, b.done = true, cancel, make(chan struct{})
	go b.run(ctx)
	return nil
}

// Close stops the broker: every subscription ends.
func (b *Broker) Close() {
	b.mu.Lock()
	cancel, done := b.cancel, b.done
	b.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// notified is an organization's events committed; "" is every
// organization (the listener lost its connection meanwhile).
func (b *Broker) notified(org string) {
	b.mu.Lock()
	if org == "" {
		for o := range b.waiting {
			b.pending[o] = -1
		}
	} else {
		b.pending[org] = -1
	}
	b.mu.Unlock()
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

func (b *Broker) run(ctx context.Context) {
	defer close(b.done)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			b.mu.Lock()
			for o, c := range b.waiting {
				close(c)
				delete(b.waiting, o)
			}
			b.mu.Unlock()
			return
		case <-b.kick:
		case <-timer.C:
		}
		if wait := armAfter - time.Since(b.prevAt); b.havePrev && wait > 0 {
			select {
			case <-ctx.Done():
				continue
			case <-time.After(wait):
			}
		}
		busy, err := b.tick(ctx)
		if err != nil && ctx.Err() == nil {
			b.cfg.Log.Warn("subscriptions: look at the events' horizon", "error", err)
		}
		next := b.cfg.Poll
		if busy {
			next = armAfter
		}
		timer.Reset(next)
	}
}

// tick looks at the sequence: the last number drawn (L) and the
// transactions in progress (xip), in one statement. The previous tick's
// L becomes a candidate with this tick's xip: a transaction that had drawn
// a number up to it had its xid by now, so it is in xip unless it ended.
// A candidate is final once none of its xip is still in progress; the
// horizon is the highest final candidate. It reports whether anything
// waits for the horizon to move.
func (b *Broker) tick(ctx context.Context) (bool, error) {
	h, err := b.st.EventHorizon(ctx)
	if err != nil {
		return true, err
	}
	now := map[string]bool{}
	for _, x := range h.InProgress {
		now[x] = true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	horizon := b.horizon.Load()
	switch {
	case h.Last == math.MaxInt64: // one writer at a time: all final
		horizon = h.Last
	case b.havePrev && b.prev > horizon:
		// Bounded: while a long transaction holds the horizon back, a
		// candidate left out only waits for a later one.
		if n := len(b.cands); n < maxCandidates && (n == 0 || b.cands[n-1].last < b.prev) {
			b.cands = append(b.cands, candidate{last: b.prev, xip: now})
		}
	}
	keep := b.cands[:0]
	for _, c := range b.cands {
		final := true
		for x := range c.xip {
			if now[x] {
				final = false
				break
			}
		}
		if final {
			horizon = max(horizon, c.last)
		} else {
			keep = append(keep, c)
		}
	}
	b.cands = keep
	for len(b.cands) > 0 && b.cands[0].last <= horizon {
		b.cands = b.cands[1:]
	}
	b.prev, b.prevAt, b.havePrev = h.Last, time.Now(), true
	b.horizon.Store(horizon)
	if horizon >= h.Last || horizon > 0 { // the first tick has no candidate yet
		b.estOnce.Do(func() { close(b.established) })
	}
	for o, need := range b.pending {
		if need < 0 { // notified before this tick: its events are numbered up to h.Last
			need = h.Last
			b.pending[o] = need
		}
		if need <= horizon {
			delete(b.pending, o)
			if c, ok := b.waiting[o]; ok {
				close(c)
				delete(b.waiting, o)
			}
		}
	}
	select {
	case <-b.established:
		return len(b.pending) > 0 || len(b.cands) > 0, nil
	default:
		return true, nil // the first tick has no candidate: the next one, soon
	}
}

// wake is the channel closed when org's next events are under the horizon.
func (b *Broker) wake(org string) <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.waiting[org]
	if !ok {
		c = make(chan struct{})
		b.waiting[org] = c
	}
	return c
}

// Filter selects what a subscription gets.
type Filter struct {
	// Scope is what the subscriber may read (its token's).
	Scope          policy.Scope
	OrganizationID string
	// AccountID and Type, if set, narrow it in the database; Match, if
	// set, keeps the events it is true of.
	AccountID string
	Type      string
	Match     func(*domain.Event) bool
	// After is the sequence number of the last event the subscriber saw;
	// Live starts it at the horizon instead (now, give or take the
	// transactions still in flight).
	After int64
	Live  bool
}

// Subscribe streams the events f selects, in sequence order, without gap
// or repetition, until ctx ends (the channel is then closed). holder
// names whose subscription it is (a token), for Config.PerHolder.
func (b *Broker) Subscribe(ctx context.Context, holder string, f Filter) (<-chan domain.Event, error) {
	if err := b.start(); err != nil {
		return nil, err
	}
	select {
	case <-b.established:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(5 * time.Second):
		return nil, ErrUnavailable
	}
	b.mu.Lock()
	switch {
	case b.holders[holder] >= b.cfg.PerHolder:
		b.mu.Unlock()
		return nil, fmt.Errorf("%w: at most %d at once", ErrHolderFull, b.cfg.PerHolder)
	case b.total >= b.cfg.Total:
		b.mu.Unlock()
		return nil, fmt.Errorf("%w (%d); retry later", ErrFull, b.cfg.Total)
	}
	b.holders[holder]++
	b.total++
	b.mu.Unlock()
	if f.Live {
		last, err := b.st.LastEventSeq(ctx)
		if err != nil {
			b.release(holder)
			b.cfg.Log.Error("subscriptions: read the last event", "error", err)
			return nil, ErrUnavailable
		}
		f.After = min(last, b.horizon.Load())
	}
	out := make(chan domain.Event)
	go b.serve(ctx, holder, f, out)
	return out, nil
}

// Count is the subscriptions running, of holder ("" for all).
func (b *Broker) Count(holder string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if holder == "" {
		return b.total
	}
	return b.holders[holder]
}

func (b *Broker) serve(ctx context.Context, holder string, f Filter, out chan<- domain.Event) {
	defer func() {
		close(out)
		b.release(holder)
	}()
	read := b.st.Read(f.Scope)
	cursor := f.After
	for {
		woken := b.wake(f.OrganizationID) // before reading: no wake-up falls between
		evs, err := read.FindEventsAfter(ctx, store.EventQuery{OrganizationID: f.OrganizationID, AccountID: f.AccountID,
			Type: f.Type, After: cursor, UpTo: b.horizon.Load(), Limit: batch})
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			b.cfg.Log.Warn("subscription: read events", "organization", f.OrganizationID, "error", err)
		}
		for n := range evs {
			cursor = evs[n].Seq
			if f.Match != nil && !f.Match(&evs[n]) {
				continue
			}
			select {
			case out <- evs[n]:
			case <-ctx.Done():
				return
			}
		}
		if len(evs) == batch {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-woken:
		case <-time.After(b.cfg.Poll):
		}
		if b.closed() {
			return
		}
	}
}

func (b *Broker) release(holder string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.holders[holder]--; b.holders[holder] <= 0 {
		delete(b.holders, holder)
	}
	b.total--
}

func (b *Broker) closed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}
