package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pointguard/pointguard/testdb"
	"github.com/pointguard/pointguard/webhooks"
	"github.com/pointguard/pointguard/webhooks/queue"
)

const createWebhookEndpoint = `mutation($input: CreateWebhookEndpointInput!) {
	createWebhookEndpoint(input: $input) { secret webhookEndpoint { id url eventTypes enabled } userErrors { code field message } } }`

// hookReceiver is the test's endpoint on 127.0.0.1; it keeps the events
// whose signature webhooks.Verify accepts with the current secret.
type hookReceiver struct {
	mu     sync.Mutex
	secret string
	types  map[string]string // event id → type
	bad    int
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := webhooks.Verify(h.secret, r.Header, body, time.Now()); err != nil {
		h.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var b queue.Body
	json.Unmarshal(body, &b)
	h.types[b.ID] = b.Type
	w.WriteHeader(http.StatusOK)
}

func (h *hookReceiver) waitFor(t *testing.T, n int) map[string]string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		h.mu.Lock()
		got := len(h.types)
		h.mu.Unlock()
		if got >= n || time.Now().After(deadline) {
			time.Sleep(100 * time.Millisecond) // anything more would have come
			h.mu.Lock()
			defer h.mu.Unlock()
			out := map[string]string{}
			for k, v := range h.types {
				out[k] = v
			}
			return out
		}
	}
}

// TestWebhookURLsRefused: without POINTGUARD_WEBHOOK_ALLOW_LOOPBACK, a URL
// at 127.0.0.1, at the metadata address 169.254.169.254, at 10.0.0.1,
// over http, or an unknown event type is a userErrors entry naming
// input.url (or the type), never INTERNAL, and nothing is written. No
// traffic is sent anywhere.
func TestWebhookURLsRefused(t *testing.T) {
	eachBackend(t, func(t *testing.T, a *app) {
		org := a.createOrg("acme")
		for _, c := range []struct {
			url, types, field, says string
		}{
			{"http://127.0.0.1:9/hook", "", "input.url", "loopback address"},
			{"https://127.0.0.1/hook", "", "input.url", "loopback address"},
			{"https://169.254.169.254/latest/meta-data/", "", "input.url", "metadata address"},
			{"https://10.0.0.1/hook", "", "input.url", "private address"},
			{"http://93.184.215.14/hook", "", "input.url", "must be https://"},
			{"https://93.184.215.14/hook", "integration.exploded", "input.eventTypes.0", "not an event type"},
		} {
			in := map[string]any{"organizationId": org, "url": c.url}
			if c.types != "" {
				in["eventTypes"] = []string{c.types}
			}
			r := a.post(createWebhookEndpoint, map[string]any{"input": in})
			if r.Status != http.StatusOK || len(r.Errors) > 0 {
				t.Fatalf("%s: %s", c.url, r.Raw)
			}
			ue := r.list(t, "createWebhookEndpoint.userErrors")
			if len(ue) != 1 || !strings.Contains(r.Raw, `"INVALID_INPUT"`) || !strings.Contains(r.Raw, c.says) ||
				!strings.Contains(r.Raw, `"field":["`+strings.ReplaceAll(c.field, ".", `","`)+`"]`) {
				t.Errorf("%s: %s, want INVALID_INPUT at %s saying %q", c.url, r.Raw, c.field, c.says)
			}
			if r.get(t, "createWebhookEndpoint.webhookEndpoint") != nil || r.get(t, "createWebhookEndpoint.secret") != nil {
				t.Errorf("%s: %s", c.url, r.Raw)
			}
		}
		var n int
		if err := a.store.DB().QueryRow("SELECT count(*) FROM webhook_endpoints").Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d endpoints written (%v)", n, err)
		}
	})
}

// TestWebhookEndpointsStory: an ORG_ADMIN registers an endpoint (the
// loopback setting on) and gets its secret once; changes made through the
// API arrive at the test's receiver, each once, signed (webhooks.Verify);
// after rotateWebhookSecret deliveries are signed with the new secret;
// the secret is never in a later answer nor in the database in clear;
// account admins manage their own account's endpoints only, viewers none.
func TestWebhookEndpointsStory(t *testing.T) {
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		a.service.SetWebhookPolicy(webhooks.Policy{AllowLoopback: true})
		q, err := queue.New(context.Background(), a.store, queue.Config{Policy: webhooks.Policy{AllowLoopback: true},
			Poll: 20 * time.Millisecond, Backoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			q.Stop(ctx)
		})
		h := &hookReceiver{types: map[string]string{}}
		srv := httptest.NewServer(h)
		defer srv.Close()

		orgAdmin := a.as(a.mintToken("ORG_ADMIN", w.org))
		r := orgAdmin.do(createWebhookEndpoint, map[string]any{"input": map[string]any{"organizationId": w.org, "url": srv.URL + "/hook"}})
		secret := r.str(t, "createWebhookEndpoint.secret")
		endpoint := r.str(t, "createWebhookEndpoint.webhookEndpoint.id")
		if !strings.HasPrefix(secret, "whsec_") || r.get(t, "createWebhookEndpoint.webhookEndpoint.enabled") != true {
			t.Fatalf("%s", r.Raw)
		}
		h.mu.Lock()
		h.secret = secret
		h.mu.Unlock()

		integration := orgAdmin.integrate(w.test, w.point, "mock_ticketing", map[string]any{"project": "SEC"})
		orgAdmin.do(updateIntegration, map[string]any{"input": map[string]any{"id": integration, "name": "Renamed"}})
		orgAdmin.do(updateAccount, map[string]any{"input": map[string]any{"id": w.test, "name": "Test account"}})
		orgAdmin.do(fmt.Sprintf(deleteMutation, "deleteIntegration"), map[string]any{"input": map[string]any{"id": integration}})
		got := h.waitFor(t, 4)
		counts := map[string]int{}
		for _, typ := range got {
			counts[typ]++
		}
		want := map[string]int{"integration.created": 1, "integration.updated": 1, "account.updated": 1, "integration.deleted": 1}
		if fmt.Sprint(counts) != fmt.Sprint(want) || h.bad != 0 {
			t.Fatalf("received %v (%d refused), want %v", counts, h.bad, want)
		}

		r = orgAdmin.do(`mutation($id: ID!) { rotateWebhookSecret(input: { id: $id }) { secret userErrors { code } } }`, map[string]any{"id": endpoint})
		rotated := r.str(t, "rotateWebhookSecret.secret")
		if rotated == secret || !strings.HasPrefix(rotated, "whsec_") {
			t.Fatalf("rotated: %s", r.Raw)
		}
		h.mu.Lock()
		h.secret = rotated
		h.mu.Unlock()
		orgAdmin.do(updateAccount, map[string]any{"input": map[string]any{"id": w.test, "name": "Test account 2"}})
		if got := h.waitFor(t, 5); len(got) != 5 || h.bad != 0 {
			t.Fatalf("after the rotation: %v, %d refused", got, h.bad)
		}
		// Every delivery recorded before the API reads the log: the
		// differential harness compares two answers made one after the other.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			ds, err := a.store.FindDeliveriesWhere(context.Background(), endpoint, "SUCCEEDED", "")
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) == 5 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("deliveries not recorded: %+v", ds)
			}
		}

		r = orgAdmin.do(`query($id: ID!) { node(id: $id) { ... on Organization { webhookEndpoints { id url enabled deliveries { nodes { eventType status attempts lastHttpStatus } } } } } }`,
			map[string]any{"id": w.org})
		if n := len(r.list(t, "node.webhookEndpoints")); n != 1 || strings.Contains(r.Raw, secret) || strings.Contains(r.Raw, rotated) {
			t.Fatalf("webhookEndpoints: %s", r.Raw)
		}
		for _, s := range []string{secret, rotated} {
			if cells := testdb.CellsContaining(t, a.store.DB(), a.store.Engine() == "sqlite", strings.TrimPrefix(s, "whsec_")); len(cells) > 0 {
				t.Errorf("a secret in clear in %v", cells)
			}
		}

		// The delivery log, filtered, and a redelivery: the same event
		// (webhook-id) once more.
		r = orgAdmin.do(`query($id: ID!) { node(id: $id) { ... on Organization { webhookEndpoints {
			deleted: deliveries(filter: { eventType: "integration.deleted", status: SUCCEEDED }) { nodes { eventId status attempts lastHttpStatus lastDurationMs lastResponse } }
			failed: deliveries(filter: { status: FAILED }) { nodes { eventId } } } } } }`, map[string]any{"id": w.org})
		deletedLog := r.list(t, "node.webhookEndpoints.0.deleted.nodes")
		if len(deletedLog) != 1 || len(r.list(t, "node.webhookEndpoints.0.failed.nodes")) != 0 || r.num(t, "node.webhookEndpoints.0.deleted.nodes.0.lastHttpStatus") != 200 {
			t.Fatalf("delivery log: %s", r.Raw)
		}
		eventID := r.str(t, "node.webhookEndpoints.0.deleted.nodes.0.eventId")
		r = orgAdmin.do(`mutation($e: ID!, $w: ID!) { redeliverWebhookEvent(input: { webhookEndpointId: $w, eventId: $e }) { webhookDelivery { id eventId status } userErrors { code field } } }`,
			map[string]any{"e": eventID, "w": endpoint})
		if r.str(t, "redeliverWebhookEvent.webhookDelivery.eventId") != eventID {
			t.Fatalf("redeliver: %s", r.Raw)
		}
		r = orgAdmin.do(`mutation($e: ID!, $w: ID!) { redeliverWebhookEvent(input: { webhookEndpointId: $w, eventId: $e }) { webhookDelivery { id } userErrors { code field } } }`,
			map[string]any{"e": "evt_01a234c79bce735b8ac5275553335d12", "w": endpoint})
		if !strings.Contains(r.Raw, `"NOT_FOUND"`) || !strings.Contains(r.Raw, `"eventId"`) {
			t.Errorf("redeliver an unknown event: %s", r.Raw)
		}
		// (Polled from the store: the differential harness would compare
		// two answers made at different moments of the delivery.)
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			ds, err := a.store.FindDeliveriesWhere(context.Background(), endpoint, "SUCCEEDED", "integration.deleted")
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) == 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the redelivery did not succeed: %+v", ds)
			}
		}
		if got := h.waitFor(t, 5); len(got) != 5 || h.bad != 0 {
			t.Fatalf("after the redelivery: %v (the same id, so still 5), %d refused", got, h.bad)
		}

		// updateWebhookEndpoint: bad input refused whole, naming each
		// field; a good one applied.
		r = orgAdmin.do(`mutation($in: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $in) { webhookEndpoint { id } userErrors { code field message } } }`,
			map[string]any{"in": map[string]any{"id": endpoint, "url": "https://10.0.0.1/x", "eventTypes": []string{"account.updated", "account.updated"}}})
		if ue := r.list(t, "updateWebhookEndpoint.userErrors"); len(ue) != 2 || !strings.Contains(r.Raw, "private address") || !strings.Contains(r.Raw, "listed twice") {
			t.Errorf("bad update: %s", r.Raw)
		}
		r = orgAdmin.do(`mutation($in: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $in) { webhookEndpoint { eventTypes description enabled } userErrors { code } } }`,
			map[string]any{"in": map[string]any{"id": endpoint, "eventTypes": []string{"account.updated"}, "description": "Accounts only"}})
		if fmt.Sprint(r.get(t, "updateWebhookEndpoint.webhookEndpoint.eventTypes")) != "[account.updated]" || r.str(t, "updateWebhookEndpoint.webhookEndpoint.description") != "Accounts only" {
			t.Errorf("update: %s", r.Raw)
		}

		// Roles.
		accountAdmin := a.as(a.mintToken("ACCOUNT_ADMIN", w.test))
		r = accountAdmin.do(createWebhookEndpoint, map[string]any{"input": map[string]any{"organizationId": w.org, "accountId": w.test, "url": srv.URL + "/acc"}})
		if len(r.list(t, "createWebhookEndpoint.userErrors")) != 0 {
			t.Errorf("ACCOUNT_ADMIN for its account: %s", r.Raw)
		}
		for _, c := range []struct {
			who  *app
			in   map[string]any
			code string
		}{
			{accountAdmin, map[string]any{"organizationId": w.org, "url": srv.URL}, "FORBIDDEN"},
			{accountAdmin, map[string]any{"organizationId": w.org, "accountId": w.prod, "url": srv.URL}, "NOT_FOUND"},
			{a.as(a.mintToken("ORG_VIEWER", w.org)), map[string]any{"organizationId": w.org, "url": srv.URL}, "FORBIDDEN"},
			{a.as(a.mintToken("ACCOUNT_VIEWER", w.test)), map[string]any{"organizationId": w.org, "accountId": w.test, "url": srv.URL}, "FORBIDDEN"},
		} {
			r := c.who.do(createWebhookEndpoint, map[string]any{"input": c.in})
			if !strings.Contains(r.Raw, `"code":"`+c.code+`"`) || r.get(t, "createWebhookEndpoint.secret") != nil {
				t.Errorf("%v: %s, want %s", c.in, r.Raw, c.code)
			}
		}
		r = accountAdmin.do(`query($id: ID!) { node(id: $id) { ... on Organization { webhookEndpoints { url } } } }`, map[string]any{"id": w.org})
		if n := len(r.list(t, "node.webhookEndpoints")); n != 1 || !strings.Contains(r.Raw, "/acc") {
			t.Errorf("the account admin's endpoints: %s", r.Raw)
		}
		r = accountAdmin.do(`mutation($id: ID!) { deleteWebhookEndpoint(input: { id: $id }) { deletedId userErrors { code } } }`, map[string]any{"id": endpoint})
		if !strings.Contains(r.Raw, `"NOT_FOUND"`) {
			t.Errorf("an account admin deleted the organization's endpoint: %s", r.Raw)
		}
		r = orgAdmin.do(`mutation($id: ID!) { deleteWebhookEndpoint(input: { id: $id }) { deletedId userErrors { code } } }`, map[string]any{"id": endpoint})
		if r.str(t, "deleteWebhookEndpoint.deletedId") != endpoint {
			t.Errorf("delete: %s", r.Raw)
		}
	})
}

// TestWebhookAccountSelector: createWebhookEndpoint takes an
// accountSelector like an integration point's, shown on the endpoint (and
// in Organization.webhookEndpoints); updateWebhookEndpoint changes it, null
// selects every account again. A selector beside accountId, or with a bad
// environment or label, is a userErrors entry under input.accountSelector,
// and nothing is written. (Which events a selector lets through:
// store.TestAppendEventsAccountSelector.)
func TestWebhookAccountSelector(t *testing.T) {
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		a.service.SetWebhookPolicy(webhooks.Policy{AllowLoopback: true})
		const create = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
			webhookEndpoint { id accountSelector { environments matchLabels { key value } } } userErrors { code field message } } }`
		gold := map[string]any{"environments": []string{"PROD"}, "matchLabels": []any{map[string]any{"key": "tier", "value": "gold"}}}
		r := a.do(create, map[string]any{"input": map[string]any{"organizationId": w.org, "url": "http://127.0.0.1:9/hook", "accountSelector": gold}})
		id := r.str(t, "createWebhookEndpoint.webhookEndpoint.id")
		if want := `"accountSelector":{"environments":["PROD"],"matchLabels":[{"key":"tier","value":"gold"}]}`; id == "" || !strings.Contains(r.Raw, want) {
			t.Fatalf("created: %s, want %s", r.Raw, want)
		}
		r = a.do(create, map[string]any{"input": map[string]any{"organizationId": w.org, "url": "http://127.0.0.1:9/other"}})
		if r.get(t, "createWebhookEndpoint.webhookEndpoint.accountSelector") != nil {
			t.Errorf("without a selector: %s", r.Raw)
		}
		r = a.do(`query($id: ID!) { organization(id: $id) { webhookEndpoints { id accountSelector { environments matchLabels { key } } } } }`, map[string]any{"id": w.org})
		if !strings.Contains(r.Raw, `{"id":"`+id+`","accountSelector":{"environments":["PROD"],"matchLabels":[{"key":"tier"}]}}`) || !strings.Contains(r.Raw, `"accountSelector":null`) {
			t.Errorf("webhookEndpoints: %s", r.Raw)
		}

		before := 0
		if err := a.store.DB().QueryRow("SELECT count(*) FROM webhook_endpoints").Scan(&before); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name  string
			input map[string]any
			field string
		}{
			{"beside accountId", map[string]any{"accountId": w.prod, "accountSelector": gold}, "input.accountSelector"},
			{"a bad label key", map[string]any{"accountSelector": map[string]any{"matchLabels": []any{map[string]any{"key": "no spaces", "value": "x"}}}},
				"input.accountSelector.matchLabels.0.key"},
		} {
			in := map[string]any{"organizationId": w.org, "url": "http://127.0.0.1:9/hook"}
			for k, v := range c.input {
				in[k] = v
			}
			r := a.do(create, map[string]any{"input": in})
			if r.get(t, "createWebhookEndpoint.webhookEndpoint") != nil || !strings.Contains(r.Raw, `"INVALID_INPUT"`) ||
				!strings.Contains(r.Raw, `"field":["`+strings.ReplaceAll(c.field, ".", `","`)+`"]`) {
				t.Errorf("%s: %s, want INVALID_INPUT at %s", c.name, r.Raw, c.field)
			}
		}
		r = a.post(create, map[string]any{"input": map[string]any{"organizationId": w.org, "url": "http://127.0.0.1:9/hook",
			"accountSelector": map[string]any{"environments": []string{"MOON"}}}})
		if r.Status >= 500 || !strings.Contains(r.Raw, "GRAPHQL_VALIDATION_FAILED") || !strings.Contains(r.Raw, `"accountSelector","environments",0`) {
			t.Errorf("an unknown environment: %s, want a GraphQL validation error", r.Raw)
		}
		after := 0
		if err := a.store.DB().QueryRow("SELECT count(*) FROM webhook_endpoints").Scan(&after); err != nil {
			t.Fatal(err)
		}
		if after != before {
			t.Errorf("refused selectors wrote %d endpoints", after-before)
		}

		const update = `mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) {
			webhookEndpoint { accountSelector { environments matchLabels { key value } } } userErrors { code field message } } }`
		r = a.do(update, map[string]any{"input": map[string]any{"id": id, "accountSelector": map[string]any{"environments": []string{"TEST"}}}})
		if !strings.Contains(r.Raw, `"accountSelector":{"environments":["TEST"],"matchLabels":[]}`) {
			t.Errorf("updated: %s", r.Raw)
		}
		r = a.do(update, map[string]any{"input": map[string]any{"id": id, "description": "kept"}})
		if !strings.Contains(r.Raw, `"environments":["TEST"]`) {
			t.Errorf("left out, the selector changed: %s", r.Raw)
		}
		r = a.do(update, map[string]any{"input": map[string]any{"id": id, "accountSelector": nil}})
		if r.get(t, "updateWebhookEndpoint.webhookEndpoint.accountSelector") != nil {
			t.Errorf("null did not clear the selector: %s", r.Raw)
		}
		// An account's endpoint takes none, on update either.
		r = a.do(create, map[string]any{"input": map[string]any{"organizationId": w.org, "accountId": w.prod, "url": "http://127.0.0.1:9/acc"}})
		acc := r.str(t, "createWebhookEndpoint.webhookEndpoint.id")
		r = a.do(update, map[string]any{"input": map[string]any{"id": acc, "accountSelector": gold}})
		if r.get(t, "updateWebhookEndpoint.webhookEndpoint") != nil || !strings.Contains(r.Raw, `"field":["input","accountSelector"]`) {
			t.Errorf("a selector on an account's endpoint: %s", r.Raw)
		}
	})
}

// TestWebhookDeliveryLog: WebhookEndpoint.deliveries is a connection,
// newest first: pages of `first` (at most 100) follow one another by
// `after` without a gap or a repeat, pageInfo and totalCount tell the
// rest, the filter narrows pages and count alike, and the pages of the
// endpoints of one list are read in one statement. A cursor of another
// list, or first above 100, is refused (BAD_USER_INPUT, as every list), never INTERNAL.
func TestWebhookDeliveryLog(t *testing.T) {
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		a.service.SetWebhookPolicy(webhooks.Policy{AllowLoopback: true})
		// No queue: the deliveries stay PENDING, and the log holds still.
		var endpoints []string
		for _, path := range []string{"/a", "/b"} {
			r := a.do(createWebhookEndpoint, map[string]any{"input": map[string]any{"organizationId": w.org, "url": "http://127.0.0.1:9" + path}})
			endpoints = append(endpoints, r.str(t, "createWebhookEndpoint.webhookEndpoint.id"))
		}
		for n := range 6 {
			a.do(updateAccount, map[string]any{"input": map[string]any{"id": w.test, "name": fmt.Sprintf("Test %d", n)}})
		}
		a.integrate(w.test, w.point, "mock_ticketing", map[string]any{"project": "SEC"})
		ds, err := a.store.FindDeliveries(context.Background(), endpoints[0])
		if err != nil || len(ds) != 7 {
			t.Fatalf("%d deliveries (%v), want 7", len(ds), err)
		}
		var newestFirst []string
		for n := len(ds) - 1; n >= 0; n-- {
			newestFirst = append(newestFirst, ds[n].ID)
		}

		const log = `query($id: ID!, $first: Int, $after: String, $filter: WebhookDeliveryFilter) { organization(id: $id) { webhookEndpoints {
			id deliveries(first: $first, after: $after, filter: $filter) { totalCount nodes { id eventType status }
				edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage endCursor } } } } }`
		var seen []string
		var after any
		before := a.statements.Load()
		a.do(`query($id: ID!) { organization(id: $id) { webhookEndpoints { id } } }`, map[string]any{"id": w.org})
		withoutLog := a.statements.Load() - before
		for page := 0; ; page++ {
			before := a.statements.Load()
			r := a.do(log, map[string]any{"id": w.org, "first": 3, "after": after})
			if page == 0 {
				// One statement reads both endpoints' pages, one counts.
				if n := a.statements.Load() - before - withoutLog; n != 2 {
					t.Errorf("the first page of 2 endpoints' logs took %d statements more than the endpoints, want 2", n)
				}
			}
			for e := range 2 {
				at := fmt.Sprintf("organization.webhookEndpoints.%d.deliveries", e)
				if r.num(t, at+".totalCount") != 7 {
					t.Fatalf("totalCount: %s", r.Raw)
				}
				if e == 1 {
					continue
				}
				for _, node := range r.list(t, at+".nodes") {
					seen = append(seen, node.(map[string]any)["id"].(string))
				}
				if prev := r.get(t, at+".pageInfo.hasPreviousPage"); prev != (page > 0) {
					t.Errorf("page %d: hasPreviousPage %v", page, prev)
				}
				after = r.get(t, at+".pageInfo.endCursor")
				if r.get(t, at+".pageInfo.hasNextPage") != true {
					if page != 2 {
						t.Errorf("the log ended after page %d: %s", page, r.Raw)
					}
					goto done
				}
			}
		}
	done:
		if fmt.Sprint(seen) != fmt.Sprint(newestFirst) {
			t.Errorf("the pages held %v, want newest first %v", seen, newestFirst)
		}

		r := a.do(log, map[string]any{"id": w.org, "filter": map[string]any{"eventType": "integration.created"}})
		if n := r.num(t, "organization.webhookEndpoints.0.deliveries.totalCount"); n != 1 || len(r.list(t, "organization.webhookEndpoints.0.deliveries.nodes")) != 1 {
			t.Errorf("filtered by type: %s", r.Raw)
		}
		r = a.do(log, map[string]any{"id": w.org, "filter": map[string]any{"status": "PENDING", "eventType": "account.updated"}, "first": 2})
		if r.num(t, "organization.webhookEndpoints.0.deliveries.totalCount") != 6 || r.str(t, "organization.webhookEndpoints.0.deliveries.nodes.0.id") != newestFirst[1] {
			t.Errorf("filtered by status and type: %s", r.Raw)
		}
		r = a.do(log, map[string]any{"id": w.org, "filter": map[string]any{"status": "SUCCEEDED"}})
		if r.num(t, "organization.webhookEndpoints.0.deliveries.totalCount") != 0 || len(r.list(t, "organization.webhookEndpoints.0.deliveries.nodes")) != 0 {
			t.Errorf("no delivery succeeded: %s", r.Raw)
		}

		for _, bad := range []map[string]any{
			{"id": w.org, "first": 101},
			{"id": w.org, "after": "not-a-cursor"},
			{"id": w.org, "after": base64.RawURLEncoding.EncodeToString([]byte("cursor:" + endpoints[0]))},
		} {
			r := a.post(log, bad)
			if r.Status >= 500 || !strings.Contains(r.Raw, `"code":"BAD_USER_INPUT"`) || strings.Contains(r.Raw, "INTERNAL") {
				t.Errorf("%v: %s, want BAD_USER_INPUT", bad, r.Raw)
			}
		}
	})
}

// TestWebhookNodes: node(id:) and nodes(ids:) find webhook endpoints
// (whe_) and deliveries (whd_) for whoever may manage the endpoint, as
// Organization.webhookEndpoints lists them, and events (evt_) within the
// token's scope, as the subscriptions stream them: null for everyone
// else, as for an ID that names nothing.
func TestWebhookNodes(t *testing.T) {
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		other := a.createOrg("other")
		a.service.SetWebhookPolicy(webhooks.Policy{AllowLoopback: true})
		create := func(in map[string]any) string {
			in["organizationId"] = w.org
			r := a.do(createWebhookEndpoint, map[string]any{"input": in})
			return r.str(t, "createWebhookEndpoint.webhookEndpoint.id")
		}
		orgHook := create(map[string]any{"url": "http://127.0.0.1:9/org"})
		testHook := create(map[string]any{"url": "http://127.0.0.1:9/test", "accountId": w.test})
		a.do(updateAccount, map[string]any{"input": map[string]any{"id": w.test, "name": "Test 2"}})
		a.do(updateAccount, map[string]any{"input": map[string]any{"id": w.prod, "name": "Prod 2"}})
		delivery := func(endpoint string) (string, string) {
			ds, err := a.store.FindDeliveries(context.Background(), endpoint)
			if err != nil || len(ds) == 0 {
				t.Fatalf("deliveries of %s: %v %v", endpoint, ds, err)
			}
			return ds[len(ds)-1].ID, ds[len(ds)-1].EventID
		}
		orgDelivery, prodEvent := delivery(orgHook) // the last: prod's change
		testDelivery, testEvent := delivery(testHook)

		const query = `query($id: ID!) { node(id: $id) { __typename id
			... on WebhookEndpoint { url } ... on WebhookDelivery { eventId status } ... on Event { type accountId } } }`
		tokens := map[string]string{
			"PLATFORM_ADMIN": a.adminToken,
			"ORG_ADMIN":      a.mintToken("ORG_ADMIN", w.org),
			"ORG_VIEWER":     a.mintToken("ORG_VIEWER", w.org),
			"ACCOUNT_ADMIN":  a.mintToken("ACCOUNT_ADMIN", w.test),
			"ACCOUNT_VIEWER": a.mintToken("ACCOUNT_VIEWER", w.test),
			"another org":    a.mintToken("ORG_ADMIN", other),
		}
		// Who sees what: endpoints and deliveries as webhookEndpoints
		// lists them, events as the scope reads.
		sees := map[string][]string{
			"PLATFORM_ADMIN": {orgHook, testHook, orgDelivery, testDelivery, prodEvent, testEvent},
			"ORG_ADMIN":      {orgHook, testHook, orgDelivery, testDelivery, prodEvent, testEvent},
			"ORG_VIEWER":     {prodEvent, testEvent},
			"ACCOUNT_ADMIN":  {testHook, testDelivery, testEvent},
			"ACCOUNT_VIEWER": {testEvent},
			"another org":    {},
		}
		types := map[string]string{orgHook: "WebhookEndpoint", testHook: "WebhookEndpoint", orgDelivery: "WebhookDelivery",
			testDelivery: "WebhookDelivery", prodEvent: "Event", testEvent: "Event"}
		ids := []string{orgHook, testHook, orgDelivery, testDelivery, prodEvent, testEvent}
		for who, token := range tokens {
			as := a.as(token)
			for _, id := range ids {
				r := as.do(query, map[string]any{"id": id})
				visible := slices.Contains(sees[who], id)
				switch n := r.get(t, "node"); {
				case visible && (n == nil || r.str(t, "node.id") != id || r.str(t, "node.__typename") != types[id]):
					t.Errorf("%s: node(%s) = %s, want the %s", who, id, r.Raw, types[id])
				case !visible && n != nil:
					t.Errorf("%s: node(%s) = %s, want null", who, id, r.Raw)
				}
			}
			r := as.do(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": append([]string{w.org}, ids...)})
			var got []string
			for _, n := range r.list(t, "nodes")[1:] {
				if n != nil {
					got = append(got, n.(map[string]any)["id"].(string))
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(sees[who]) && !(len(got) == 0 && len(sees[who]) == 0) {
				t.Errorf("%s: nodes found %v, want %v", who, got, sees[who])
			}
		}
		r := a.do(query, map[string]any{"id": testDelivery})
		if r.str(t, "node.eventId") != testEvent || r.str(t, "node.status") != "PENDING" {
			t.Errorf("the delivery: %s", r.Raw)
		}
		r = a.do(query, map[string]any{"id": testEvent})
		if r.str(t, "node.type") != "account.updated" || r.str(t, "node.accountId") != w.test {
			t.Errorf("the event: %s", r.Raw)
		}
		// Well-formed IDs that name nothing.
		for _, id := range []string{"whe_01a2355df8eb7bb896d67faec22abc52", "whd_01a2355df8eb7bb896d67faec22abc52", "evt_01a2355df8eb7bb896d67faec22abc52"} {
			if r := a.do(query, map[string]any{"id": id}); r.get(t, "node") != nil {
				t.Errorf("node(%s) = %s", id, r.Raw)
			}
		}
	})
}
