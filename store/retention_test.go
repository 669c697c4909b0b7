package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/secrets"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/testdb"
)

// TestPruneEvents: PruneEvents deletes the deliveries created before the
// cutoff with their attempts, then the events before it that no delivery
// still names, in batches (1,500 old events of an organization without
// endpoints go too); an old event redelivered recently stays, and so does
// everything newer than the cutoff.
func TestPruneEvents(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		keys, err := secrets.NewKeyring(secrets.NewKey())
		must(t, err)
		st, err := store.Open(context.Background(), databaseURL, store.Options{Secrets: keys})
		must(t, err)
		defer st.Close()
		svc := service.New(st)
		sys := policy.With(context.Background(), policy.System)
		all := policy.Scope{All: true}
		org, err := svc.CreateOrganization(sys, service.CreateOrganizationInput{Slug: "acme", Name: "Acme"})
		must(t, err)
		quiet, err := svc.CreateOrganization(sys, service.CreateOrganizationInput{Slug: "quiet", Name: "Quiet"})
		must(t, err)
		now := time.Now().UTC()
		w := &domain.WebhookEndpoint{ID: domain.NewID(domain.KindWebhookEndpoint), OrganizationID: org.ID,
			URL: "https://hooks.example.com/", Enabled: true, CreatedAt: now, UpdatedAt: now}
		must(t, st.InTx(sys, all, func(tx *store.Tx) error { return tx.CreateWebhookEndpoint(sys, w, "whsec_AAAA") }))

		event := func(orgID, subject string) domain.Event {
			return domain.Event{ID: domain.NewID(domain.KindEvent), OrganizationID: orgID, SubjectID: subject, Type: domain.EventIntegrationUpdated, OccurredAt: now}
		}
		old, redelivered, recent := event(org.ID, "old"), event(org.ID, "redelivered"), event(org.ID, "recent")
		many := make([]domain.Event, 1500)
		for n := range many {
			many[n] = event(quiet.ID, fmt.Sprint(n))
		}
		must(t, st.InTx(sys, all, func(tx *store.Tx) error {
			return tx.AppendEvents(sys, append([]domain.Event{old, redelivered, recent}, many...))
		}))
		db := st.DB()
		rebind := func(q string) string {
			if st.Engine() == store.SQLite {
				return q
			}
			for n := 1; strings.Contains(q, "?"); n++ {
				q = strings.Replace(q, "?", fmt.Sprintf("$%d", n), 1)
			}
			return q
		}
		deliveryOf := func(eventID string) string {
			var id string
			must(t, db.QueryRow(rebind("SELECT id FROM webhook_deliveries WHERE event_id = ?"), eventID).Scan(&id))
			return id
		}
		oldDelivery := deliveryOf(old.ID)
		must(t, st.RecordAttempt(sys, oldDelivery, w.ID, store.Attempt{At: now, HTTPStatus: 200}, 24*time.Hour))

		// Eight days pass for all but recent; redelivered is sent again today.
		aged := now.Add(-8 * 24 * time.Hour)
		for _, q := range []string{"UPDATE events SET occurred_at = ? WHERE subject_id <> 'recent'", "UPDATE webhook_deliveries SET created_at = ?"} {
			_, err := db.Exec(rebind(q), aged)
			must(t, err)
		}
		var redelivery string
		must(t, st.InTx(sys, all, func(tx *store.Tx) error {
			redelivery, err = tx.Redeliver(sys, w, redelivered.ID)
			return err
		}))
		_, err = db.Exec(rebind("UPDATE webhook_deliveries SET created_at = ? WHERE event_id = ? AND id <> ?"), now, recent.ID, redelivery)
		must(t, err)

		events, deliveries, err := st.PruneEvents(sys, now.Add(-7*24*time.Hour))
		must(t, err)
		// Deliveries: old's and redelivered's first one; events: old and the 1,500.
		if events != 1501 || deliveries != 2 {
			t.Errorf("pruned %d events and %d deliveries, want 1,501 and 2", events, deliveries)
		}
		var left []string
		rows, err := db.Query("SELECT subject_id FROM events ORDER BY subject_id")
		must(t, err)
		for rows.Next() {
			var s string
			must(t, rows.Scan(&s))
			left = append(left, s)
		}
		rows.Close()
		if fmt.Sprint(left) != "[recent redelivered]" {
			t.Errorf("events left: %v, want recent and redelivered", left)
		}
		if n := count(t, st, "webhook_deliveries"); n != 2 {
			t.Errorf("%d deliveries left, want 2 (recent's, the redelivery)", n)
		}
		if n := count(t, st, "webhook_attempts"); n != 0 {
			t.Errorf("%d attempts left of the pruned delivery", n)
		}
		if events, deliveries, err := st.PruneEvents(sys, now.Add(-7*24*time.Hour)); events+deliveries != 0 || err != nil {
			t.Errorf("a second pruning: %d, %d, %v", events, deliveries, err)
		}
	})
}
