package eventstream_test

import (
	"context"
	"testing"
	"time"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/eventstream"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/secrets"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/testdb"
)

func open(t *testing.T, databaseURL string) *store.Store {
	t.Helper()
	ring, _ := secrets.NewKeyring(secrets.NewKey())
	st, err := store.Open(context.Background(), databaseURL, store.Options{Secrets: ring})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func event(org, subject string) domain.Event {
	return domain.Event{ID: domain.NewID(domain.KindEvent), OrganizationID: org, SubjectID: subject,
		Type: domain.EventIntegrationComplianceChanged, OccurredAt: time.Now()}
}

func appendEvent(t *testing.T, st *store.Store, e domain.Event, hold <-chan struct{}) {
	t.Helper()
	err := st.InTx(context.Background(), policy.Scope{All: true}, func(tx *store.Tx) error {
		if err := tx.AppendEvents(context.Background(), []domain.Event{e}); err != nil {
			return err
		}
		if hold != nil {
			<-hold
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

func next(t *testing.T, events <-chan domain.Event, within time.Duration) (domain.Event, bool) {
	t.Helper()
	select {
	case e := <-events:
		return e, true
	case <-time.After(within):
		return domain.Event{}, false
	}
}

// TestCommittedOutOfOrder: on PostgreSQL, A draws a sequence number and
// commits after B, which drew the next one. A subscriber must not go past
// B's while A's is in flight (it would never see A's): it gets neither
// until A commits, then both, in sequence order. Without the horizon, it
// got B's at once and never A's.
func TestCommittedOutOfOrder(t *testing.T) {
	st := open(t, testdb.Postgres(t))
	b := eventstream.New(st, eventstream.Default())
	t.Cleanup(b.Close)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, err := b.Subscribe(ctx, "tok", eventstream.Filter{Scope: policy.Scope{All: true}, OrganizationID: "org_x", Live: true})
	if err != nil {
		t.Fatal(err)
	}
	first, second := event("org_x", "a"), event("org_x", "b")
	hold, done := make(chan struct{}), make(chan struct{})
	go func() { defer close(done); appendEvent(t, st, first, hold) }()
	time.Sleep(200 * time.Millisecond) // A has drawn its number
	appendEvent(t, st, second, nil)
	if e, ok := next(t, events, 1500*time.Millisecond); ok {
		t.Fatalf("got %s while A was in flight", e.SubjectID)
	}
	close(hold)
	<-done
	for _, want := range []string{"a", "b"} {
		e, ok := next(t, events, 5*time.Second)
		if !ok || e.SubjectID != want {
			t.Fatalf("got %q (%v), want %q", e.SubjectID, ok, want)
		}
	}
}

// TestLiveAndCaps: on both engines, a live subscription gets what commits
// after it, of its organization only; the caps refuse an 11th
// subscription of one holder and one past the process's total.
func TestLiveAndCaps(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		st := open(t, databaseURL)
		appendEvent(t, st, event("org_x", "before"), nil)
		cfg := eventstream.Default()
		cfg.Total = 12
		b := eventstream.New(st, cfg)
		t.Cleanup(b.Close)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		f := eventstream.Filter{Scope: policy.Scope{All: true}, OrganizationID: "org_x", Live: true}
		events, err := b.Subscribe(ctx, "tok", f)
		if err != nil {
			t.Fatal(err)
		}
		appendEvent(t, st, event("org_y", "elsewhere"), nil)
		appendEvent(t, st, event("org_x", "after"), nil)
		if e, ok := next(t, events, 5*time.Second); !ok || e.SubjectID != "after" {
			t.Fatalf("got %q (%v), want after", e.SubjectID, ok)
		}
		for range 9 {
			if _, err := b.Subscribe(ctx, "tok", f); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := b.Subscribe(ctx, "tok", f); err == nil || err.Error() != "too many subscriptions for this token: at most 10 at once" {
			t.Fatalf("11th: %v", err)
		}
		for range 2 {
			if _, err := b.Subscribe(ctx, "other", f); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := b.Subscribe(ctx, "third", f); err == nil {
			t.Fatal("past the total: no refusal")
		}
	})
}
