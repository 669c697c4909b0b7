package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/pointguard/pointguard/auth"
	"github.com/pointguard/pointguard/testdb"
	"github.com/pointguard/pointguard/webhooks"
)

// holdingReceiver holds every delivery it gets until release is closed
// (the deliveries are in flight), then answers 200; it keeps the
// webhook-id and the body's id of each correctly signed delivery.
type holdingReceiver struct {
	mu       sync.Mutex
	secret   string
	held     map[string]bool // webhook-ids of deliveries held (cut off by the kill)
	answered map[string]int  // webhook-id → 2xx answers
	bad      []string
	release  chan struct{}
}

func (h *holdingReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id := r.Header.Get("webhook-id")
	h.mu.Lock()
	var b struct{ ID string }
	json.Unmarshal(body, &b)
	if err := webhooks.Verify(h.secret, r.Header, body, time.Now()); err != nil || b.ID != id {
		h.bad = append(h.bad, fmt.Sprintf("%s (body id %s): %v", id, b.ID, err))
		h.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	select {
	case <-h.release:
	default:
		h.held[id] = true
		h.mu.Unlock()
		select {
		case <-r.Context().Done(): // the server was killed
		case <-h.release:
		}
		return // no answer: it is in flight until then
	}
	h.answered[id]++
	h.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (h *holdingReceiver) counts() (held, answered int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.held), len(h.answered)
}

// TestKilledDuringDelivery: the server is killed (SIGKILL) while every
// delivery is in flight (the receiver holds them), then started again:
// the receiver gets every event, with the same webhook-id, none lost.
// River finds the jobs the dead process left running once they have run
// for POINTGUARD_WEBHOOK_RESCUE_AFTER (here 15 s, the least allowed) and
// sends them again. Before that setting, the rescue waited 1 minute.
func TestKilledDuringDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for River's rescue, about 30 s")
	}
	const rescueAfter = 15 * time.Second
	admin := auth.NewToken()
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel() // each mostly waits
			dir := t.TempDir()
			databaseURL, driver := testdb.SQLite(t), "sqlite"
			if engine == "postgres" {
				databaseURL, driver = testdb.Postgres(t), "postgres"
			}
			start := func() *child {
				c := startChild(t, dir, databaseURL, "POINTGUARD_ADMIN_TOKEN="+admin,
					"POINTGUARD_WEBHOOK_ALLOW_LOOPBACK=true", "POINTGUARD_WEBHOOK_RESCUE_AFTER="+rescueAfter.String())
				select {
				case <-c.listening:
				case <-time.After(30 * time.Second):
					t.Fatalf("the server did not listen; it printed:\n%s", c.output())
				}
				return c
			}
			kill := func(c *child) {
				c.cmd.Process.Kill()
				c.cmd.Wait()
			}
			h := &holdingReceiver{held: map[string]bool{}, answered: map[string]int{}, release: make(chan struct{})}
			srv := httptest.NewServer(h)
			defer srv.Close()
			defer func() {
				select {
				case <-h.release:
				default:
					close(h.release)
				}
			}()

			c := start()
			r := ask(t, c.url, `{ organization(slug: "acme") { id accounts { nodes { id } } } }`, nil, admin)
			org, account := r.str(t, "organization.id"), r.str(t, "organization.accounts.nodes.0.id")
			r = ask(t, c.url, `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
				secret webhookEndpoint { id } userErrors { message } } }`,
				map[string]any{"input": map[string]any{"organizationId": org, "url": srv.URL + "/hook", "eventTypes": []string{"account.updated"}}}, admin)
			endpoint := r.str(t, "createWebhookEndpoint.webhookEndpoint.id")
			h.mu.Lock()
			h.secret = r.str(t, "createWebhookEndpoint.secret")
			h.mu.Unlock()
			if endpoint == "" {
				t.Fatalf("createWebhookEndpoint: %s", r.Raw)
			}
			const changes = 3
			for n := range changes {
				r := ask(t, c.url, `mutation($input: UpdateAccountInput!) { updateAccount(input: $input) { userErrors { message } } }`,
					map[string]any{"input": map[string]any{"id": account, "name": fmt.Sprintf("Renamed %d", n)}}, admin)
				if len(r.list(t, "updateAccount.userErrors")) > 0 || len(r.Errors) > 0 {
					t.Fatalf("updateAccount: %s", r.Raw)
				}
			}
			// Every delivery in flight (well within the 10 s a delivery
			// may take), then the kill.
			for deadline := time.Now().Add(8 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				if held, _ := h.counts(); held == changes {
					break
				}
				if time.Now().After(deadline) {
					held, _ := h.counts()
					t.Fatalf("%d deliveries in flight, want %d; the server printed:\n%s", held, changes, c.output())
				}
			}
			killed := time.Now()
			kill(c)
			close(h.release)

			// Restarted once the rescue delay has passed, so that the first
			// rescue run of the new process finds the jobs (River's rescuer
			// runs every 30 s: a restart sooner may wait for its next run).
			time.Sleep(time.Until(killed.Add(rescueAfter + time.Second)))
			c = start()
			defer kill(c)
			for deadline := time.Now().Add(40 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				if _, answered := h.counts(); answered == changes {
					break
				}
				if time.Now().After(deadline) {
					_, answered := h.counts()
					t.Fatalf("%d of %d events delivered %s after the restart; the server printed:\n%s", answered, changes, 40*time.Second, c.output())
				}
			}

			db, err := sql.Open(driver, databaseURL)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			q := "SELECT e.id FROM events e JOIN webhook_deliveries d ON d.event_id = e.id WHERE d.endpoint_id = ?"
			if driver == "postgres" {
				q = "SELECT e.id FROM events e JOIN webhook_deliveries d ON d.event_id = e.id WHERE d.endpoint_id = $1"
			}
			rows, err := db.Query(q, endpoint)
			if err != nil {
				t.Fatal(err)
			}
			var events []string
			for rows.Next() {
				var id string
				rows.Scan(&id)
				events = append(events, id)
			}
			rows.Close()
			h.mu.Lock()
			defer h.mu.Unlock()
			var held, answered []string
			for id := range h.held {
				held = append(held, id)
			}
			for id := range h.answered {
				answered = append(answered, id)
			}
			sort.Strings(events)
			sort.Strings(held)
			sort.Strings(answered)
			if len(events) != changes || fmt.Sprint(answered) != fmt.Sprint(events) || fmt.Sprint(held) != fmt.Sprint(events) {
				t.Errorf("events %v; in flight at the kill %v; delivered after the restart %v", events, held, answered)
			}
			if len(h.bad) > 0 {
				t.Errorf("badly signed deliveries: %v", h.bad)
			}
		})
	}
}
