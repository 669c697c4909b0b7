package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/testdb"
)

// TestAtomicallyRunsAgainAfterDeadlock: a deadlock inside an Atomically
// loses its transaction as a whole, even when fn goes on as the service
// does (answering that InTx with an error): Atomically runs fn again, and
// the victim's writes commit once. Before, the victim's next InTx failed
// ("savepoint: pq: current transaction is aborted"), and so did its
// Atomically, with an error no caller would retry.
func TestAtomicallyRunsAgainAfterDeadlock(t *testing.T) {
	st, svc, sys := openStore(t, testdb.Postgres(t))
	org, err := svc.CreateOrganization(sys, service.CreateOrganizationInput{Slug: "acme", Name: "Acme"})
	must(t, err)
	var accounts [2]string
	for i, slug := range []string{"a", "b"} {
		a, err := svc.CreateAccount(sys, service.CreateAccountInput{OrganizationID: org.ID, Slug: slug, Name: slug, Environment: domain.EnvironmentTest})
		must(t, err)
		accounts[i] = a.ID
	}
	lock := func(ctx context.Context, id string) error {
		return st.InTx(ctx, policy.System.Scope(), func(tx *store.Tx) error {
			_, err := tx.LockAccount(ctx, id)
			return err
		})
	}
	var runs atomic.Int32
	var bothHold sync.WaitGroup
	bothHold.Add(2)
	// Each locks its account, then, once both hold theirs, the other's.
	request := func(mine, theirs, slug string) error {
		attempt := 0
		return st.Atomically(sys, func(ctx context.Context) error {
			runs.Add(1)
			attempt++
			if err := lock(ctx, mine); err != nil {
				return err
			}
			if attempt == 1 {
				bothHold.Done()
				bothHold.Wait()
			}
			// As the service does: a failed InTx is an answer, and fn goes on.
			lock(ctx, theirs)
			_, err := svc.CreateOrganization(ctx, service.CreateOrganizationInput{Slug: slug, Name: slug})
			return err
		})
	}
	errs := make(chan error, 2)
	go func() { errs <- request(accounts[0], accounts[1], "one") }()
	go func() { errs <- request(accounts[1], accounts[0], "two") }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("Atomically: %v", err)
		}
	}
	n, err := st.Read(policy.System.Scope()).CountOrganizations(context.Background())
	must(t, err)
	// A victim's second run may deadlock again, with the other's first:
	// each run lost is run again.
	if runs.Load() < 3 || n != 3 {
		t.Errorf("fn ran %d times and left %d organizations; want 3 or more (the victim's again) and 3", runs.Load(), n)
	}
}
