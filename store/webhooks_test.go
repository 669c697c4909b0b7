package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
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
)

type fakeQueue struct {
	calls int
	ids   []string
}

func (q *fakeQueue) EnqueueDeliveries(ctx context.Context, tx *sql.Tx, ids []string) error {
	if tx == nil {
		return errors.New("no transaction")
	}
	q.calls++
	q.ids = append(q.ids, ids...)
	return nil
}

// Batch is more than these tests write: the store writes every delivery
// itself (webhooks/queue's tests cover batches).
func (q *fakeQueue) Batch() int { return 1 << 20 }

func (q *fakeQueue) EnqueueBatches(context.Context, *sql.Tx, time.Time, string, []string) error {
	return errors.New("no batches here")
}

func count(t *testing.T, st *store.Store, table string) int {
	t.Helper()
	var n int
	must(t, st.DB().QueryRow("SELECT count(*) FROM "+table).Scan(&n))
	return n
}

// TestAppendEvents: events and their deliveries are written in the
// caller's transaction, in bulk (COPY, or multi-row INSERTs), and their
// jobs enqueued in one call with that transaction; a transaction that
// rolls back leaves none of them. An endpoint gets only the events it
// asks for: its types, its account's, enabled.
func TestAppendEvents(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		keys, err := secrets.NewKeyring(secrets.NewKey())
		must(t, err)
		var inserts, endpointReads atomic.Int32
		st, err := store.Open(context.Background(), databaseURL, store.Options{Secrets: keys, OnQuery: func(q string) {
			if strings.HasPrefix(q, "INSERT INTO events") {
				inserts.Add(1)
			}
			if strings.Contains(q, "FROM webhook_endpoints WHERE enabled") {
				endpointReads.Add(1)
			}
		}})
		must(t, err)
		defer st.Close()
		svc := service.New(st)
		sys := policy.With(context.Background(), policy.System)
		org, err := svc.CreateOrganization(sys, service.CreateOrganizationInput{Slug: "acme", Name: "Acme"})
		must(t, err)
		acc, err := svc.CreateAccount(sys, service.CreateAccountInput{OrganizationID: org.ID, Slug: "prod", Name: "Prod", Environment: domain.EnvironmentProd})
		must(t, err)
		queue := &fakeQueue{}
		st.SetDeliveryQueue(queue)

		now := time.Now().UTC()
		all := policy.Scope{All: true}
		endpoint := func(account string, types ...string) *domain.WebhookEndpoint {
			w := &domain.WebhookEndpoint{ID: domain.NewID(domain.KindWebhookEndpoint), OrganizationID: org.ID, AccountID: account,
				URL: "https://hooks.example.com/", EventTypes: types, Enabled: true, CreatedAt: now, UpdatedAt: now}
			must(t, st.InTx(sys, all, func(tx *store.Tx) error { return tx.CreateWebhookEndpoint(sys, w, "whsec_AAAA") }))
			return w
		}
		every := endpoint("")
		created := endpoint("", domain.EventIntegrationCreated)
		ofAccount := endpoint(acc.ID)

		events := make([]domain.Event, 1200)
		for n := range events {
			typ, account := domain.EventIntegrationUpdated, ""
			if n%2 == 0 {
				typ, account = domain.EventIntegrationCreated, acc.ID
			}
			events[n] = domain.Event{OrganizationID: org.ID, AccountID: account, SubjectID: fmt.Sprintf("int_%d", n),
				Type: typ, OccurredAt: now, Data: map[string]any{"n": n}}
		}
		boom := errors.New("boom")
		err = st.InTx(sys, all, func(tx *store.Tx) error {
			if err := tx.AppendEvents(sys, events); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if n, d := count(t, st, "events"), count(t, st, "webhook_deliveries"); n != 0 || d != 0 {
			t.Fatalf("a rolled-back transaction left %d events and %d deliveries", n, d)
		}
		inserts.Store(0)
		endpointReads.Store(0)
		queue.calls, queue.ids = 0, nil
		// In two calls, as a re-check does batch after batch: the
		// endpoints are read once.
		must(t, st.InTx(sys, all, func(tx *store.Tx) error {
			if err := tx.AppendEvents(sys, events[:600]); err != nil {
				return err
			}
			return tx.AppendEvents(sys, events[600:])
		}))
		if n := endpointReads.Load(); n != 1 {
			t.Errorf("the endpoints read %d times in one transaction, want 1", n)
		}
		if n := count(t, st, "events"); n != 1200 {
			t.Fatalf("%d events", n)
		}
		// On SQLite one multi-row INSERT a call (600 rows of 7 parameters
		// are within its limit); on PostgreSQL none: a COPY.
		want := 2
		if store.EngineOf(databaseURL) == store.Postgres {
			want = 0
		}
		if n := inserts.Load(); n != int32(want) {
			t.Errorf("%d INSERT statements for 2 × 600 events, want %d", n, want)
		}
		// every: 1,200; created: 600; ofAccount: the 600 of its account.
		if queue.calls != 2 || len(queue.ids) != 2400 {
			t.Errorf("%d calls enqueued %d deliveries, want 2 and 2,400", queue.calls, len(queue.ids))
		}
		for _, c := range []struct {
			w    *domain.WebhookEndpoint
			want int
		}{{every, 1200}, {created, 600}, {ofAccount, 600}} {
			ds, err := st.FindDeliveries(sys, c.w.ID)
			must(t, err)
			if len(ds) != c.want {
				t.Errorf("endpoint %v %q: %d deliveries, want %d", c.w.EventTypes, c.w.AccountID, len(ds), c.want)
			}
		}
		out, err := st.FindOutbound(sys, queue.ids[0])
		must(t, err)
		if out.Secret != "whsec_AAAA" || out.Event.Seq == 0 || out.Event.Data.(map[string]any)["n"] == nil {
			t.Errorf("outbound %+v", out)
		}
		// The secret is sealed at rest.
		if cells := testdb.CellsContaining(t, st.DB(), st.Engine() == store.SQLite, "whsec_AAAA"); len(cells) > 0 {
			t.Errorf("the secret in clear in %v", cells)
		}
	})
}

// TestAppendEventsAccountSelector: an endpoint with an account selector
// gets the events of the accounts it selects, by labels and environment
// as they are in the transaction (an account.updated that gives the label
// is delivered), and the events of no account (a point's version); the
// events' accounts are read in one statement per 500 of them, not per
// event, and not at all while no endpoint has a selector.
func TestAppendEventsAccountSelector(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		keys, err := secrets.NewKeyring(secrets.NewKey())
		must(t, err)
		var accountReads atomic.Int32
		st, err := store.Open(context.Background(), databaseURL, store.Options{Secrets: keys, OnQuery: func(q string) {
			if strings.Contains(q, "FROM accounts WHERE id IN") {
				accountReads.Add(1)
			}
		}})
		must(t, err)
		defer st.Close()
		svc := service.New(st)
		sys := policy.With(context.Background(), policy.System)
		org, err := svc.CreateOrganization(sys, service.CreateOrganizationInput{Slug: "acme", Name: "Acme"})
		must(t, err)
		account := func(slug string, env domain.Environment, labels ...domain.Label) *domain.Account {
			a, err := svc.CreateAccount(sys, service.CreateAccountInput{OrganizationID: org.ID, Slug: slug, Name: slug, Environment: env, Labels: labels})
			must(t, err)
			return a
		}
		gold := domain.Label{Key: "tier", Value: "gold"}
		goldProd := account("gold-prod", domain.EnvironmentProd, gold)
		goldTest := account("gold-test", domain.EnvironmentTest, gold)
		plain := account("plain", domain.EnvironmentProd)
		st.SetDeliveryQueue(&fakeQueue{})

		now := time.Now().UTC()
		all := policy.Scope{All: true}
		endpoint := func(selector *domain.AccountSelector) *domain.WebhookEndpoint {
			w := &domain.WebhookEndpoint{ID: domain.NewID(domain.KindWebhookEndpoint), OrganizationID: org.ID,
				URL: "https://hooks.example.com/", Enabled: true, CreatedAt: now, UpdatedAt: now}
			must(t, st.InTx(sys, all, func(tx *store.Tx) error {
				if err := tx.CreateWebhookEndpoint(sys, w, "whsec_AAAA"); err != nil || selector == nil {
					return err
				}
				return tx.SetWebhookEndpointSelector(sys, w.ID, selector)
			}))
			return w
		}
		event := func(account, typ string) domain.Event {
			return domain.Event{OrganizationID: org.ID, AccountID: account, SubjectID: "sub", Type: typ, OccurredAt: now}
		}
		ofAccounts := func(ds []domain.WebhookDelivery) map[string]int {
			events := map[string]string{}
			rows, err := st.DB().Query("SELECT id, COALESCE(account_id, '') FROM events")
			must(t, err)
			for rows.Next() {
				var id, acc string
				must(t, rows.Scan(&id, &acc))
				events[id] = acc
			}
			rows.Close()
			out := map[string]int{}
			for _, d := range ds {
				out[events[d.EventID]]++
			}
			return out
		}

		// No selector anywhere: no account is read.
		every := endpoint(nil)
		must(t, st.InTx(sys, all, func(tx *store.Tx) error {
			return tx.AppendEvents(sys, []domain.Event{event(goldProd.ID, domain.EventIntegrationCreated)})
		}))
		if n := accountReads.Load(); n != 0 {
			t.Errorf("the accounts read %d times without a selector", n)
		}

		goldOnly := endpoint(&domain.AccountSelector{MatchLabels: []domain.Label{gold}})
		goldInProd := endpoint(&domain.AccountSelector{Environments: []domain.Environment{domain.EnvironmentProd}, MatchLabels: []domain.Label{gold}})
		anything := endpoint(&domain.AccountSelector{})
		accountReads.Store(0)
		var events []domain.Event
		for range 400 {
			for _, a := range []*domain.Account{goldProd, goldTest, plain} {
				events = append(events, event(a.ID, domain.EventIntegrationUpdated))
			}
		}
		events = append(events, event("", domain.EventPointVersionCreated))
		must(t, st.InTx(sys, all, func(tx *store.Tx) error { return tx.AppendEvents(sys, events) }))
		if n := accountReads.Load(); n != 1 {
			t.Errorf("the accounts of 1,201 events read in %d statements, want 1", n)
		}
		for _, c := range []struct {
			name string
			w    *domain.WebhookEndpoint
			want map[string]int
		}{
			{"no selector", every, map[string]int{goldProd.ID: 401, goldTest.ID: 400, plain.ID: 400, "": 1}},
			{"tier=gold", goldOnly, map[string]int{goldProd.ID: 400, goldTest.ID: 400, "": 1}},
			{"tier=gold in prod", goldInProd, map[string]int{goldProd.ID: 400, "": 1}},
			{"the empty selector", anything, map[string]int{goldProd.ID: 400, goldTest.ID: 400, plain.ID: 400, "": 1}},
		} {
			ds, err := st.FindDeliveries(sys, c.w.ID)
			must(t, err)
			if got := ofAccounts(ds); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("%s: deliveries by account %v, want %v", c.name, got, c.want)
			}
		}

		// The label given in the transaction that writes the event counts.
		before := count(t, st, "webhook_deliveries")
		_, err = svc.UpdateAccount(sys, service.UpdateAccountInput{ID: plain.ID, Labels: graphql.OmittableOf([]domain.Label{gold})})
		must(t, err)
		if got := count(t, st, "webhook_deliveries") - before; got != 4 {
			t.Errorf("the account.updated that gave the label: %d deliveries, want 4 (every endpoint: plain is in prod)", got)
		}

		sels, err := st.FindWebhookEndpointSelectors(sys, []string{every.ID, goldInProd.ID, "whe_nothing"})
		must(t, err)
		if len(sels) != 3 || sels[0] != nil || sels[2] != nil || sels[1] == nil || fmt.Sprint(*sels[1]) != "{[PROD] [{tier gold}]}" {
			t.Errorf("selectors read back: %+v", sels)
		}
	})
}

// TestWriteDeliveries: a batch job's deliveries (DeliveryQueue's
// EnqueueBatches) are written in the transaction that enqueues their
// jobs, in the events' order, with the events' types; an endpoint deleted
// since gets none, and an enqueue that fails leaves none.
func TestWriteDeliveries(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		keys, err := secrets.NewKeyring(secrets.NewKey())
		must(t, err)
		st, err := store.Open(context.Background(), databaseURL, store.Options{Secrets: keys})
		must(t, err)
		defer st.Close()
		sys := policy.With(context.Background(), policy.System)
		org, err := service.New(st).CreateOrganization(sys, service.CreateOrganizationInput{Slug: "acme", Name: "Acme"})
		must(t, err)
		all := policy.Scope{All: true}
		now := time.Now().UTC().Truncate(time.Microsecond) // as PostgreSQL keeps it
		events := []domain.Event{
			{OrganizationID: org.ID, SubjectID: org.ID, Type: domain.EventAccountUpdated, OccurredAt: now},
			{OrganizationID: org.ID, SubjectID: org.ID, Type: domain.EventIntegrationComplianceChanged, OccurredAt: now},
		}
		must(t, st.InTx(sys, all, func(tx *store.Tx) error { return tx.AppendEvents(sys, events) }))
		endpoint := func() *domain.WebhookEndpoint {
			w := &domain.WebhookEndpoint{ID: domain.NewID(domain.KindWebhookEndpoint), OrganizationID: org.ID,
				URL: "https://hooks.example.com/", Enabled: true, CreatedAt: now, UpdatedAt: now}
			must(t, st.InTx(sys, all, func(tx *store.Tx) error { return tx.CreateWebhookEndpoint(sys, w, "whsec_AAAA") }))
			return w
		}
		kept, gone := endpoint(), endpoint()
		must(t, st.InTx(sys, all, func(tx *store.Tx) error { return tx.DeleteWebhookEndpoint(sys, gone.ID) }))
		eventIDs := []string{events[0].ID, events[1].ID}
		var enqueued []string
		record := func(tx *sql.Tx, ids []string) error {
			if tx == nil {
				return errors.New("no transaction")
			}
			enqueued = ids
			return nil
		}

		err = st.WriteDeliveries(sys, now, kept.ID, eventIDs, func(tx *sql.Tx, ids []string) error { return errors.New("River is down") })
		if err == nil || count(t, st, "webhook_deliveries") != 0 {
			t.Fatalf("a failed enqueue: %v, and %d deliveries written", err, count(t, st, "webhook_deliveries"))
		}
		must(t, st.WriteDeliveries(sys, now, gone.ID, eventIDs, record))
		if len(enqueued) != 0 || count(t, st, "webhook_deliveries") != 0 {
			t.Fatalf("a deleted endpoint: enqueued %v, %d deliveries written", enqueued, count(t, st, "webhook_deliveries"))
		}
		must(t, st.WriteDeliveries(sys, now, kept.ID, eventIDs, record))
		if len(enqueued) != 2 || count(t, st, "webhook_deliveries") != 2 {
			t.Fatalf("enqueued %v, %d deliveries written", enqueued, count(t, st, "webhook_deliveries"))
		}
		for n, id := range enqueued {
			out, err := st.FindOutbound(sys, id)
			must(t, err)
			if d := out.Delivery; d.Status != "PENDING" || d.EventID != events[n].ID || d.EventType != events[n].Type ||
				out.Endpoint.ID != kept.ID || !d.CreatedAt.Equal(now) {
				t.Fatalf("delivery %d: %+v", n, d)
			}
		}
	})
}
