package queue_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/secrets"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/testdb"
	"github.com/pointguard/pointguard/webhooks"
	"github.com/pointguard/pointguard/webhooks/queue"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// receiver is the test's own endpoint on 127.0.0.1: it verifies every
// delivery with webhooks.Verify and keeps the verified bodies.
type receiver struct {
	t      *testing.T
	secret string
	down   atomic.Bool
	status atomic.Int32 // answer when down

	mu       sync.Mutex
	bodies   map[string]queue.Body // by event id
	received int
	forged   int
}

func newReceiver(t *testing.T, secret string) (*receiver, *httptest.Server) {
	r := &receiver{t: t, secret: secret, bodies: map[string]queue.Body{}}
	r.status.Store(http.StatusServiceUnavailable)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.down.Load() {
			w.WriteHeader(int(r.status.Load()))
			io.WriteString(w, "down for maintenance")
			return
		}
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := webhooks.Verify(r.secret, req.Header, body, time.Now()); err != nil {
			r.forged++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var b queue.Body
		if err := json.Unmarshal(body, &b); err != nil || b.ID != req.Header.Get("webhook-id") {
			r.forged++
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.received++
		r.bodies[b.ID] = b
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return r, srv
}

// ordered is what the receiver got, by sequence.
func (r *receiver) ordered() []queue.Body {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]queue.Body, 0, len(r.bodies))
	for _, b := range r.bodies {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Sequence < out[j].Sequence })
	return out
}

func (r *receiver) waitFor(t *testing.T, n int) []queue.Body {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := r.ordered()
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type env struct {
	st      *store.Store
	svc     *service.Service
	sys     context.Context
	org     *domain.Organization
	account *domain.Account
}

func setup(t *testing.T, databaseURL string, cfg queue.Config) (*env, *queue.Queue) {
	keys, err := secrets.NewKeyring(secrets.NewKey())
	must(t, err)
	st, err := store.Open(context.Background(), databaseURL, store.Options{Secrets: keys})
	must(t, err)
	t.Cleanup(func() { st.Close() })
	e := &env{st: st, svc: service.New(st), sys: policy.With(context.Background(), policy.System)}
	e.org, err = e.svc.CreateOrganization(e.sys, service.CreateOrganizationInput{Slug: "acme", Name: "Acme"})
	must(t, err)
	e.account, err = e.svc.CreateAccount(e.sys, service.CreateAccountInput{OrganizationID: e.org.ID, Slug: "acme-test", Name: "Test", Environment: domain.EnvironmentTest})
	must(t, err)
	cfg.Policy.AllowLoopback = true
	cfg.Logger = slog.New(slog.DiscardHandler)
	if cfg.Poll == 0 {
		cfg.Poll = 20 * time.Millisecond
	}
	if cfg.Backoff == 0 {
		cfg.Backoff, cfg.MaxBackoff = 20*time.Millisecond, 100*time.Millisecond
	}
	q, err := queue.New(context.Background(), st, cfg)
	must(t, err)
	must(t, q.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
	return e, q
}

func (e *env) endpoint(t *testing.T, url, secret string, types ...string) *domain.WebhookEndpoint {
	now := time.Now().UTC()
	w := &domain.WebhookEndpoint{ID: domain.NewID(domain.KindWebhookEndpoint), OrganizationID: e.org.ID, URL: url,
		EventTypes: types, Enabled: true, CreatedAt: now, UpdatedAt: now}
	must(t, e.st.InTx(e.sys, policy.Scope{All: true}, func(tx *store.Tx) error { return tx.CreateWebhookEndpoint(e.sys, w, secret) }))
	return w
}

// changes makes one change of each kind that emits an event and returns
// the types, in order.
func (e *env) changes(t *testing.T) []string {
	point, err := e.svc.CreateIntegrationPoint(e.sys, service.CreateIntegrationPointInput{OrganizationID: e.org.ID, Slug: "alerts", Name: "Alerts",
		Category: domain.CategoryNotifications, AllowedProviders: domain.AllowedProviders{Test: []string{"mock_notifications"}}})
	must(t, err)
	in, verdict, err := e.svc.CreateIntegration(e.sys, service.CreateIntegrationInput{AccountID: e.account.ID, IntegrationPointID: point.ID,
		Provider: "mock_notifications", Name: "Sandbox", Config: map[string]any{"channel": "#alerts", "webhook_url": "https://hooks.slack.invalid/T0/SECRET"}})
	must(t, err)
	if in == nil {
		t.Fatalf("integration refused: %v", verdict.Violations)
	}
	name := "Sandbox 2"
	_, _, err = e.svc.UpdateIntegration(e.sys, service.UpdateIntegrationInput{ID: in.ID, Name: &name})
	must(t, err)
	label := "Test account"
	_, err = e.svc.UpdateAccount(e.sys, service.UpdateAccountInput{ID: e.account.ID, Name: &label})
	must(t, err)
	_, err = e.svc.UpdateIntegrationPoint(e.sys, service.UpdateIntegrationPointInput{ID: point.ID, RequiredConfig: graphql.OmittableOf([]string{"channel"})})
	must(t, err)
	_, err = e.svc.DeleteIntegration(e.sys, service.DeleteInput{ID: in.ID})
	must(t, err)
	return []string{domain.EventPointVersionCreated, domain.EventIntegrationCreated, domain.EventIntegrationUpdated,
		domain.EventAccountUpdated, domain.EventPointVersionCreated, domain.EventIntegrationDeleted}
}

// TestDeliversTheChanges: an endpoint gets exactly the events of the
// changes made, each once, signed (webhooks.Verify), in sequence order,
// with the body's fields and no secret; one asking for a single type gets
// only that type.
func TestDeliversTheChanges(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		e, _ := setup(t, databaseURL, queue.Config{})
		secret := webhooks.NewSecret()
		all, srv := newReceiver(t, secret)
		deleted, srv2 := newReceiver(t, secret)
		e.endpoint(t, srv.URL+"/hook", secret)
		e.endpoint(t, srv2.URL+"/hook", secret, domain.EventIntegrationDeleted)
		want := e.changes(t)

		all.waitFor(t, len(want))
		deleted.waitFor(t, 1)
		time.Sleep(200 * time.Millisecond) // anything more would have come by now
		got, deletes := all.ordered(), deleted.ordered()
		var types []string
		for _, b := range got {
			types = append(types, b.Type)
			if b.OrganizationID != e.org.ID || b.OccurredAt.IsZero() || b.Data == nil || b.Sequence == 0 {
				t.Errorf("body %+v", b)
			}
			raw, _ := json.Marshal(b)
			if json.Valid(raw) && contains(string(raw), "SECRET") {
				t.Errorf("a secret in %s", raw)
			}
		}
		if !equal(types, want) {
			t.Fatalf("got %v, want %v", types, want)
		}
		if got[1].AccountID == nil || *got[1].AccountID != e.account.ID || got[0].AccountID != nil {
			t.Errorf("accountId: %v, %v", got[0].AccountID, got[1].AccountID)
		}
		all.mu.Lock()
		received, forged := all.received, all.forged
		all.mu.Unlock()
		if forged != 0 || received != len(want) {
			t.Errorf("%d deliveries, %d refused", received, forged)
		}
		if len(deletes) != 1 || deletes[0].Type != domain.EventIntegrationDeleted {
			t.Errorf("the endpoint for integration.deleted got %v", deletes)
		}
	})
}

// TestReceiverDownThenBack: while the receiver answers 503, deliveries
// are retried with backoff (the log shows each attempt's status and
// snippet); once it is back every event arrives, under its one id.
func TestReceiverDownThenBack(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		e, _ := setup(t, databaseURL, queue.Config{})
		secret := webhooks.NewSecret()
		r, srv := newReceiver(t, secret)
		r.down.Store(true)
		w := e.endpoint(t, srv.URL, secret)
		want := e.changes(t)
		deadline := time.Now().Add(10 * time.Second)
		for {
			ds, err := e.st.FindDeliveries(e.sys, w.ID)
			must(t, err)
			retried := 0
			for _, d := range ds {
				if d.Attempts >= 2 {
					retried++
					if d.Status != domain.DeliveryPending || d.LastHTTPStatus == nil || *d.LastHTTPStatus != 503 || d.LastResponse != "down for maintenance" {
						t.Fatalf("delivery %+v", d)
					}
				}
			}
			if retried == len(want) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d deliveries retried", retried, len(want))
			}
			time.Sleep(20 * time.Millisecond)
		}
		r.down.Store(false)
		got := r.waitFor(t, len(want))
		if len(got) != len(want) {
			t.Fatalf("%d of %d events arrived", len(got), len(want))
		}
		var ids []string
		must(t, sqlSelect(e.st, &ids))
		r.mu.Lock()
		for _, id := range ids {
			if _, ok := r.bodies[id]; !ok {
				t.Errorf("event %s never arrived", id)
			}
		}
		r.mu.Unlock()
		// The log records each success just after the receiver answers.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			ds, err := e.st.FindDeliveries(e.sys, w.ID)
			must(t, err)
			done := 0
			for _, d := range ds {
				if d.Status == domain.DeliverySucceeded && *d.LastHTTPStatus == 204 {
					done++
				}
			}
			if done == len(want) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("deliveries %+v", ds)
			}
		}
	})
}

// TestRetryHorizon: a delivery still failing at the end of the horizon is
// FAILED, and its endpoint, failing all that time, disabled.
func TestRetryHorizon(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		e, _ := setup(t, databaseURL, queue.Config{Horizon: 500 * time.Millisecond})
		secret := webhooks.NewSecret()
		r, srv := newReceiver(t, secret)
		r.down.Store(true)
		r.status.Store(http.StatusInternalServerError)
		w := e.endpoint(t, srv.URL, secret)
		_, err := e.svc.UpdateAccount(e.sys, service.UpdateAccountInput{ID: e.account.ID, Name: ptr("Renamed")})
		must(t, err)
		deadline := time.Now().Add(10 * time.Second)
		for {
			ds, err := e.st.FindDeliveries(e.sys, w.ID)
			must(t, err)
			if len(ds) == 1 && ds[0].Status == domain.DeliveryFailed {
				if ds[0].Attempts < 3 {
					t.Errorf("FAILED after %d attempts", ds[0].Attempts)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("deliveries %+v", ds)
			}
			time.Sleep(20 * time.Millisecond)
		}
		eps, err := e.st.Read(policy.Scope{All: true}).FindWebhookEndpoints(e.sys, e.org.ID)
		must(t, err)
		if len(eps) != 1 || eps[0].Enabled || eps[0].DisabledReason == "" {
			t.Fatalf("endpoint %+v", eps[0])
		}
	})
}

// TestRiverMigrationsAgain: River's migrations run again at every start
// and do nothing the second time.
func TestRiverMigrationsAgain(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		e, _ := setup(t, databaseURL, queue.Config{})
		must(t, queue.Migrate(context.Background(), e.st))
		must(t, queue.Migrate(context.Background(), e.st))
	})
}

func sqlSelect(st *store.Store, ids *[]string) error {
	rows, err := st.DB().Query("SELECT id FROM events")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		*ids = append(*ids, id)
	}
	return rows.Err()
}

func ptr[T any](v T) *T { return &v }

func contains(s, sub string) bool {
	return len(sub) > 0 && len(s) >= len(sub) && (func() bool {
		for i := 0; i+len(sub) <= len(s); i++ {
			if s[i:i+len(sub)] == sub {
				return true
			}
		}
		return false
	})()
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestPrunesOldEvents: the queue's periodic job, run at start and every
// PruneEvery by River's leader, deletes the events and deliveries older
// than the retention (7 days by default) and keeps the newer; a retention
// under 24 hours is refused (subscribers may resume from 24 h back).
func TestPrunesOldEvents(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		keys, err := secrets.NewKeyring(secrets.NewKey())
		must(t, err)
		st, err := store.Open(context.Background(), databaseURL, store.Options{Secrets: keys})
		must(t, err)
		defer st.Close()
		if _, err := queue.New(context.Background(), st, queue.Config{Retention: 23 * time.Hour}); err == nil || !contains(err.Error(), "24h") {
			t.Errorf("a retention of 23h: %v, want refused", err)
		}
		st.Close()

		e, _ := setup(t, databaseURL, queue.Config{PruneEvery: 200 * time.Millisecond})
		_, srv := newReceiver(t, "whsec_AAAA")
		e.endpoint(t, srv.URL, "whsec_AAAA")
		old := time.Now().Add(-8 * 24 * time.Hour).UTC()
		// An event of long ago, and its delivery.
		must(t, e.st.InTx(e.sys, policy.Scope{All: true}, func(tx *store.Tx) error {
			return tx.AppendEvents(e.sys, []domain.Event{
				{OrganizationID: e.org.ID, SubjectID: "old", Type: domain.EventIntegrationUpdated, OccurredAt: old},
			})
		}))
		db := e.st.DB()
		q := "UPDATE webhook_deliveries SET created_at = ?"
		if e.st.Engine() == store.Postgres {
			q = "UPDATE webhook_deliveries SET created_at = $1"
		}
		_, err = db.Exec(q, old)
		must(t, err)
		label := "Now"
		_, err = e.svc.UpdateAccount(e.sys, service.UpdateAccountInput{ID: e.account.ID, Name: &label})
		must(t, err)

		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			var events, old int
			must(t, db.QueryRow("SELECT count(*), count(CASE WHEN subject_id = 'old' THEN 1 END) FROM events").Scan(&events, &old))
			if old == 0 {
				if events == 0 {
					t.Fatal("the recent event was pruned too")
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the old event is still there after 20 s (%d events)", events)
			}
		}
		var deliveries int
		must(t, db.QueryRow("SELECT count(*) FROM webhook_deliveries").Scan(&deliveries))
		if deliveries != 1 {
			t.Errorf("%d deliveries left, want 1 (the account change's)", deliveries)
		}
	})
}
