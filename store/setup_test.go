package store_test

import (
	"context"
	"testing"

	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/secrets"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
)

// openStore opens a store on databaseURL, closed with the test, and a
// service over it; sys is a context acting as the system, for fixtures.
func openStore(t *testing.T, databaseURL string) (st *store.Store, svc *service.Service, sys context.Context) {
	t.Helper()
	keys, err := secrets.NewKeyring(secrets.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	st, err = store.Open(context.Background(), databaseURL, store.Options{Secrets: keys})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, service.New(st), policy.With(context.Background(), policy.System)
}

// must fails the test on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
