package store_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/testdb"
)

// claim claims tokenID's key in its own InTx of ctx's Atomically.
func claim(t *testing.T, st *store.Store, ctx context.Context, tokenID, key, hash string, now time.Time) *store.IdempotentResponse {
	t.Helper()
	var found *store.IdempotentResponse
	must(t, st.InTx(ctx, policy.System.Scope(), func(tx *store.Tx) error {
		var err error
		found, err = tx.ClaimIdempotencyKey(ctx, tokenID, key, hash, now, now.Add(-24*time.Hour))
		return err
	}))
	return found
}

func save(t *testing.T, st *store.Store, ctx context.Context, tokenID, key string, r *store.IdempotentResponse) {
	t.Helper()
	must(t, st.InTx(ctx, policy.System.Scope(), func(tx *store.Tx) error {
		return tx.SaveIdempotentResponse(ctx, tokenID, key, r)
	}))
}

// TestIdempotencyKeyCommitsWithTheWrites: a key's answer and the writes
// it answers commit in one transaction: a request that fails after both
// leaves neither, one that commits leaves both.
func TestIdempotencyKeyCommitsWithTheWrites(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		st, svc, sys := openStore(t, databaseURL)
		now := time.Now().UTC().Truncate(time.Microsecond)
		count := func() int {
			n, err := st.Read(policy.System.Scope()).CountOrganizations(context.Background())
			must(t, err)
			return n
		}
		answer := &store.IdempotentResponse{RequestHash: "h1", Status: 200, ContentType: "application/json", Body: []byte(`{"data":{}}`)}
		request := func(ctx context.Context) error {
			if found := claim(t, st, ctx, "tok_1", "k", "h1", now); found != nil {
				t.Fatalf("a new key was found answered: %+v", found)
			}
			_, err := svc.CreateOrganization(ctx, service.CreateOrganizationInput{Slug: "acme", Name: "Acme"})
			must(t, err)
			save(t, st, ctx, "tok_1", "k", answer)
			return nil
		}

		killed := errors.New("killed before the commit")
		err := st.Atomically(sys, func(ctx context.Context) error {
			must(t, request(ctx))
			return killed
		})
		stored, rerr := st.IdempotentResponse(context.Background(), "tok_1", "k")
		if !errors.Is(err, killed) || rerr != nil || stored != nil || count() != 0 {
			t.Fatalf("a failed request (%v) left its answer %+v (%v) and %d organizations", err, stored, rerr, count())
		}

		must(t, st.Atomically(sys, request))
		stored, err = st.IdempotentResponse(context.Background(), "tok_1", "k")
		must(t, err)
		if stored == nil || count() != 1 || stored.Status != 200 || !bytes.Equal(stored.Body, answer.Body) ||
			stored.ContentType != answer.ContentType || stored.RequestHash != "h1" || !stored.CreatedAt.Equal(now) {
			t.Fatalf("a committed request left %+v and %d organizations", stored, count())
		}
	})
}

// TestIdempotencyKeyClaims: a key answered is found by its token alone,
// until it expires; then it is claimed again. The answer is sealed.
func TestIdempotencyKeyClaims(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		st, _, sys := openStore(t, databaseURL)
		now := time.Now().UTC().Truncate(time.Microsecond)
		secret := []byte(`{"data":{"createApiToken":{"token":"pg_secret_in_the_answer"}}}`)
		must(t, st.Atomically(sys, func(ctx context.Context) error {
			claim(t, st, ctx, "tok_1", "k", "h1", now)
			save(t, st, ctx, "tok_1", "k", &store.IdempotentResponse{RequestHash: "h1", Status: 200, ContentType: "application/json", Body: secret})
			return nil
		}))

		var raw []byte
		must(t, st.DB().QueryRow("SELECT body FROM idempotency_keys").Scan(&raw))
		if bytes.Contains(raw, []byte("pg_secret")) {
			t.Error("an answer is stored in clear")
		}

		replays := []struct {
			name, token, hash string
			at                time.Time
			found             bool
		}{
			{"SameToken", "tok_1", "h1", now.Add(time.Hour), true},
			{"DifferentRequest", "tok_1", "h2", now.Add(time.Hour), true}, // the caller refuses it
			{"OtherToken", "tok_2", "h1", now.Add(time.Hour), false},
			{"JustBeforeExpiry", "tok_1", "h1", now.Add(24*time.Hour - time.Microsecond), true},
			{"Expired", "tok_1", "h2", now.Add(24 * time.Hour), false},
		}
		for _, tc := range replays {
			t.Run(tc.name, func(t *testing.T) {
				stop := errors.New("roll back")
				err := st.Atomically(sys, func(ctx context.Context) error {
					found := claim(t, st, ctx, tc.token, "k", tc.hash, tc.at)
					if (found != nil) != tc.found {
						t.Errorf("found %+v, want found %v", found, tc.found)
					}
					if found != nil && (!bytes.Equal(found.Body, secret) || found.RequestHash != "h1") {
						t.Errorf("found %+v", found)
					}
					return stop
				})
				if !errors.Is(err, stop) {
					t.Fatal(err)
				}
			})
		}

		n, err := st.DeleteIdempotencyKeys(context.Background(), now.Add(-time.Microsecond))
		must(t, err)
		if n != 0 {
			t.Errorf("deleted %d keys newer than the cutoff", n)
		}
		if n, err = st.DeleteIdempotencyKeys(context.Background(), now); err != nil || n != 1 {
			t.Errorf("deleted %d expired keys (%v), want 1", n, err)
		}
	})
}
