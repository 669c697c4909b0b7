package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/testdb"
)

// TestAtomically: the writes of every InTx inside Atomically commit
// together or not at all, and one that fails undoes its own writes alone.
func TestAtomically(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		st, svc, sys := openStore(t, databaseURL)
		count := func() int {
			n, err := st.Read(policy.System.Scope()).CountOrganizations(context.Background())
			must(t, err)
			return n
		}
		create := func(ctx context.Context, slug string) error {
			_, err := svc.CreateOrganization(ctx, service.CreateOrganizationInput{Slug: slug, Name: slug})
			return err
		}

		stop := errors.New("stop")
		err := st.Atomically(sys, func(ctx context.Context) error {
			must(t, create(ctx, "one"))
			must(t, create(ctx, "two"))
			if n := count(); n != 0 {
				t.Errorf("others see %d organizations before the commit", n)
			}
			return stop
		})
		if !errors.Is(err, stop) || count() != 0 {
			t.Fatalf("a failed Atomically returned %v and left %d organizations", err, count())
		}

		err = st.Atomically(sys, func(ctx context.Context) error {
			must(t, create(ctx, "one"))
			if err := create(ctx, "one"); err == nil { // the slug is taken: refused, alone
				t.Error("a second organization with the same slug")
			}
			return create(ctx, "two")
		})
		if err != nil || count() != 2 {
			t.Fatalf("Atomically returned %v and left %d organizations, want 2", err, count())
		}
	})
}
