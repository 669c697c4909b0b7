package store_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/testdb"
)

// TestEventsCommittedSignal: a commit that wrote events tells
// OnEventsCommitted their organizations once, after the commit (inside
// Atomically, after the whole commits); a rollback tells nothing. On
// PostgreSQL, ListenEvents hears the same from the database.
func TestEventsCommittedSignal(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		st, _, _ := openStore(t, databaseURL)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var mu sync.Mutex
		var told, heard []string
		st.OnEventsCommitted(func(orgs []string) {
			mu.Lock()
			told = append(told, orgs...)
			mu.Unlock()
		})
		must(t, st.ListenEvents(ctx, func(org string) {
			mu.Lock()
			heard = append(heard, org)
			mu.Unlock()
		}, nil))
		write := func(ctx context.Context, org string, fail error) error {
			return st.InTx(ctx, policy.Scope{All: true}, func(tx *store.Tx) error {
				for range 2 { // two batches, one signal
					if err := tx.AppendEvents(ctx, []domain.Event{{OrganizationID: org, SubjectID: "s",
						Type: domain.EventIntegrationComplianceChanged, OccurredAt: time.Now()}}); err != nil {
						return err
					}
				}
				return fail
			})
		}
		must(t, write(ctx, "org_a", nil))
		if err := write(ctx, "org_rolled_back", errors.New("no")); err == nil {
			t.Fatal("no error")
		}
		must(t, st.Atomically(ctx, func(ctx context.Context) error {
			must(t, write(ctx, "org_b", nil))
			mu.Lock()
			defer mu.Unlock()
			if slices.Contains(told, "org_b") {
				t.Error("told before the whole committed")
			}
			return nil
		}))
		mu.Lock()
		defer mu.Unlock()
		if !slices.Equal(told, []string{"org_a", "org_b"}) {
			t.Errorf("told %v, want org_a then org_b", told)
		}
		if store.EngineOf(databaseURL) != store.Postgres {
			return
		}
		for deadline := time.Now().Add(5 * time.Second); len(heard) < 2 && time.Now().Before(deadline); {
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
			mu.Lock()
		}
		if !slices.Equal(heard, []string{"org_a", "org_b"}) {
			t.Errorf("heard %v, want org_a then org_b", heard)
		}
	})
}
