package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/pointguard/pointguard/apierror"
	"github.com/pointguard/pointguard/testdb"
)

// wsClient is a graphql-transport-ws client written for the tests, which
// look at each message (TestGraphQLWSClient uses the real npm client).
type wsClient struct {
	t    testing.TB
	conn *websocket.Conn
	msgs chan wsMessage
	// closed is the close error once the server closed the socket.
	closed chan error
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// dialWS opens a websocket to base's /graphql and sends connection_init
// with payload; it returns the client and the first answer's type
// (connection_ack), or the close error.
func dialWS(t testing.TB, base string, payload any) (*wsClient, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return nil, err
	}
	c := &wsClient{t: t, conn: conn, msgs: make(chan wsMessage, 100), closed: make(chan error, 1)}
	t.Cleanup(func() { conn.CloseNow() })
	go func() {
		for {
			var m wsMessage
			if err := wsjson.Read(context.Background(), conn, &m); err != nil {
				c.closed <- err
				close(c.msgs)
				return
			}
			if m.Type == "ping" {
				wsjson.Write(context.Background(), conn, wsMessage{Type: "pong"})
				continue
			}
			c.msgs <- m
		}
	}()
	c.send(wsMessage{Type: "connection_init", Payload: mustRaw(payload)})
	m, err := c.next(5 * time.Second)
	if err != nil {
		return nil, err
	}
	if m.Type != "connection_ack" {
		t.Fatalf("connection_init answered %+v", m)
	}
	return c, nil
}

// subscriber is dialWS with a token that must be accepted.
func subscriber(t testing.TB, base, token string) *wsClient {
	t.Helper()
	c, err := dialWS(t, base, map[string]any{"authorization": "Bearer " + token})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	return c
}

func mustRaw(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

func (c *wsClient) send(m wsMessage) {
	c.t.Helper()
	if err := wsjson.Write(context.Background(), c.conn, m); err != nil {
		c.t.Fatalf("websocket write: %v", err)
	}
}

// next is the next message, or the close error.
func (c *wsClient) next(timeout time.Duration) (wsMessage, error) {
	select {
	case m, ok := <-c.msgs:
		if !ok {
			return wsMessage{}, <-c.closedErr()
		}
		return m, nil
	case <-time.After(timeout):
		return wsMessage{}, errors.New("timeout")
	}
}

func (c *wsClient) closedErr() chan error {
	ch := make(chan error, 1)
	select {
	case err := <-c.closed:
		ch <- err
		c.closed <- err
	default:
		ch <- errors.New("closed")
	}
	return ch
}

const complianceChanged = `subscription($org: ID!, $filter: ComplianceChangedFilter, $after: ID) {
	complianceChanged(organizationId: $org, filter: $filter, after: $after) {
		event { id type sequence occurredAt organizationId accountId data }
		integration { id name account { id } compliance { status } }
	} }`

// subscribe starts subscription id and returns at once.
func (c *wsClient) subscribe(id, query string, vars map[string]any) {
	c.t.Helper()
	c.send(wsMessage{ID: id, Type: "subscribe", Payload: mustRaw(map[string]any{"query": query, "variables": vars})})
}

// change is one complianceChanged delivery.
type change struct {
	ID, Integration, Account, Status string
	Sequence                         string
}

// changes reads n deliveries of subscription id, failing on anything else.
func (c *wsClient) changes(id string, n int) []change {
	c.t.Helper()
	var out []change
	for len(out) < n {
		m, err := c.next(10 * time.Second)
		if err != nil {
			c.t.Fatalf("waiting for %d changes on %s, got %d: %v", n, id, len(out), err)
		}
		if m.ID != id || m.Type != "next" {
			c.t.Fatalf("on %s: %s %s %s", id, m.ID, m.Type, m.Payload)
		}
		var p struct {
			Data struct {
				ComplianceChanged struct {
					Event struct {
						ID, Type, Sequence string
						AccountID          *string `json:"accountId"`
						Data               struct {
							Integration struct{ ID string }
							After       struct{ Status string }
						}
					}
					Integration *struct {
						ID      string
						Account struct{ ID string }
					}
				}
			}
			Errors []any
		}
		if err := json.Unmarshal(m.Payload, &p); err != nil || len(p.Errors) > 0 {
			c.t.Fatalf("next %s: %v", m.Payload, err)
		}
		e := p.Data.ComplianceChanged
		if e.Event.Type != "integration.compliance_changed" || e.Integration == nil || e.Integration.ID != e.Event.Data.Integration.ID ||
			e.Event.AccountID == nil || *e.Event.AccountID != e.Integration.Account.ID {
			c.t.Fatalf("delivery %s", m.Payload)
		}
		out = append(out, change{ID: e.Event.ID, Integration: e.Integration.ID, Account: *e.Event.AccountID,
			Status: e.Event.Data.After.Status, Sequence: e.Event.Sequence})
	}
	return out
}

// collect reads deliveries until each subscription of want has its
// number, failing on anything else: the subscriptions of one connection
// interleave in any order.
func (c *wsClient) collect(want map[string]int) map[string][]change {
	c.t.Helper()
	got := map[string][]change{}
	for {
		done := true
		for id, n := range want {
			if len(got[id]) < n {
				done = false
			}
		}
		if done {
			return got
		}
		m, err := c.next(10 * time.Second)
		if err != nil {
			c.t.Fatalf("waiting for %v, got %v: %v", want, got, err)
		}
		if len(got[m.ID]) >= want[m.ID] {
			c.t.Fatalf("unexpected on %s: %s %s", m.ID, m.Type, m.Payload)
		}
		one := &wsClient{t: c.t, msgs: make(chan wsMessage, 1)}
		one.msgs <- m
		got[m.ID] = append(got[m.ID], one.changes(m.ID, 1)[0])
	}
}

// quiet fails if anything comes within d.
func (c *wsClient) quiet(d time.Duration) {
	c.t.Helper()
	if m, err := c.next(d); err == nil {
		c.t.Fatalf("unexpected %s %s %s", m.ID, m.Type, m.Payload)
	}
}

// refusal reads the error message of subscription id.
func (c *wsClient) refusal(id string) (message, code string) {
	c.t.Helper()
	m, err := c.next(5 * time.Second)
	for err == nil && m.Type == "complete" { // of an earlier refusal
		m, err = c.next(5 * time.Second)
	}
	if err != nil {
		c.t.Fatalf("waiting for the refusal of %s: %v", id, err)
	}
	var errs []struct {
		Message    string
		Extensions map[string]any
	}
	var next struct {
		Errors *[]struct {
			Message    string
			Extensions map[string]any
		}
	}
	switch m.Type {
	case "error":
		json.Unmarshal(m.Payload, &errs)
	case "next":
		next.Errors = &errs
		json.Unmarshal(m.Payload, &next)
	}
	if m.ID != id || len(errs) == 0 {
		c.t.Fatalf("%s: expected an error, got %s %s", id, m.Type, m.Payload)
	}
	code, _ = errs[0].Extensions["code"].(string)
	return errs[0].Message, code
}

func integrations(cs []change) []string {
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.Integration)
	}
	slices.Sort(ids)
	return ids
}

func sorted(ids ...string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

// opsOnly is the rule that makes integrations whose project is not OPS-…
// non-compliant.
func opsOnly(point string) map[string]any {
	return map[string]any{"input": map[string]any{"id": point, "rules": []any{map[string]any{
		"name": "ops-only", "expression": `integration.config.project.startsWith('OPS')`,
		"message": "tickets go to OPS projects", "enforcement": "DENY"}}}}
}

// TestSubscriptionStory: a rule change makes 2 of 4 integrations
// non-compliant; an org admin's subscription gets exactly those 2 events,
// an account token's only its account's, a filter only what it selects;
// a subscriber resuming with after gets what it missed exactly once, then
// the live ones; a revoked token's socket is closed within seconds.
func TestSubscriptionStory(t *testing.T) {
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		t1 := a.integrate(w.test, w.point, "jira", map[string]any{"project": "OPS-1"})
		t2 := a.integrate(w.test, w.point, "jira", map[string]any{"project": "DEV-2"})
		p1 := a.integrate(w.prod, w.point, "jira", map[string]any{"project": "DEV-3"})
		a.integrate(w.prod, w.point, "jira", map[string]any{"project": "OPS-4"})
		_ = t1
		orgAdmin := a.mintToken("ORG_ADMIN", w.org)
		prodViewer := a.mintToken("ACCOUNT_VIEWER", w.prod)

		all := subscriber(t, a.url, orgAdmin)
		all.subscribe("all", complianceChanged, map[string]any{"org": w.org})
		all.subscribe("test", complianceChanged, map[string]any{"org": w.org, "filter": map[string]any{"accountId": w.test}})
		all.subscribe("compliant", complianceChanged, map[string]any{"org": w.org, "filter": map[string]any{"status": "COMPLIANT"}})
		all.subscribe("otherPoint", complianceChanged, map[string]any{"org": w.org, "filter": map[string]any{"integrationPointId": "ipt_nope"}})
		prod := subscriber(t, a.url, prodViewer)
		prod.subscribe("mine", complianceChanged, map[string]any{"org": w.org})
		waitSubscriptions(t, a.handler, 5)

		a.do(updateIntegrationPoint, opsOnly(w.point))
		first := all.collect(map[string]int{"all": 2, "test": 1})
		got, test := first["all"], first["test"]
		if !slices.Equal(integrations(got), sorted(t2, p1)) || got[0].Status != "NON_COMPLIANT" || got[1].Status != "NON_COMPLIANT" {
			t.Fatalf("org admin got %+v, want %s and %s NON_COMPLIANT", got, t2, p1)
		}
		if len(test) != 1 || test[0].Integration != t2 {
			t.Fatalf("filter accountId got %+v, want %s", test, t2)
		}
		if mine := prod.changes("mine", 1); mine[0].Integration != p1 || mine[0].Account != w.prod {
			t.Fatalf("account token got %+v, want %s", mine, p1)
		}
		all.quiet(300 * time.Millisecond)

		// Missed while disconnected: the first change's subscriber resumes
		// after it and gets the second, then the fix made meanwhile, once.
		a.do(updateIntegration, map[string]any{"input": map[string]any{"id": t2, "config": map[string]any{"project": "OPS-2"}}})
		second := all.collect(map[string]int{"all": 1, "compliant": 1, "test": 1})
		fix := second["all"][0]
		if comp := second["compliant"][0]; comp.ID != fix.ID || fix.Integration != t2 || fix.Status != "COMPLIANT" {
			t.Fatalf("the fix: %+v, the COMPLIANT filter: %+v", fix, comp)
		}
		resumed := subscriber(t, a.url, orgAdmin)
		resumed.subscribe("again", complianceChanged, map[string]any{"org": w.org, "after": got[0].ID})
		again := resumed.changes("again", 2)
		if again[0].ID != got[1].ID || again[1].ID != fix.ID {
			t.Fatalf("resumed after %s: %+v, want %s then %s", got[0].ID, again, got[1].ID, fix.ID)
		}
		a.do(updateIntegration, map[string]any{"input": map[string]any{"id": p1, "config": map[string]any{"project": "OPS-3"}}})
		live := resumed.changes("again", 1)[0]
		if live.Integration != p1 || seq(t, live.Sequence) <= seq(t, fix.Sequence) {
			t.Fatalf("live after the resumed: %+v", live)
		}
		resumed.quiet(300 * time.Millisecond)
		prod.changes("mine", 1)

		// Revoked: the socket closes (4403, saying why) within seconds.
		tokenID := a.as(prodViewer).do(`{ viewer { id } }`, nil).str(t, "viewer.id")
		a.do(`mutation($input: RevokeApiTokenInput!) { revokeApiToken(input: $input) { userErrors { message } } }`,
			map[string]any{"input": map[string]any{"id": tokenID}})
		start := time.Now()
		_, err := prod.next(5 * time.Second)
		if code := websocket.CloseStatus(err); code != 4403 || !strings.Contains(err.Error(), "revoked") {
			t.Fatalf("after revocation: %v (code %d)", err, code)
		}
		t.Logf("disconnected %v after the revocation", time.Since(start).Round(time.Millisecond))
		waitSubscriptions(t, a.handler, 5) // all's four and resumed's one
	})
}

func seq(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("sequence %q: %v", s, err)
	}
	return n
}

// waitSubscriptions waits until h runs n subscriptions.
func waitSubscriptions(t testing.TB, h *Handler, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for h.Subscriptions() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d subscriptions running, want %d", h.Subscriptions(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSubscriptionRefusals: a bad token closes the socket at init (4403);
// an 11th subscription of one token is TOO_MANY_SUBSCRIPTIONS; the query
// limits apply; queries and mutations are refused over the websocket.
func TestSubscriptionRefusals(t *testing.T) {
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		for _, payload := range []any{
			map[string]any{"authorization": "Bearer pointguard_000000000000nope000000000000000000000000000000000000000000000000000000"},
			map[string]any{},
			nil,
		} {
			_, err := dialWS(t, a.url, payload)
			if code := websocket.CloseStatus(err); code != 4403 {
				t.Fatalf("init with %v: %v", payload, err)
			}
		}
		c := subscriber(t, a.url, a.adminToken)
		for n := range 10 {
			c.subscribe(fmt.Sprint(n), complianceChanged, map[string]any{"org": w.org})
		}
		waitSubscriptions(t, a.handler, 10)
		c.subscribe("eleventh", complianceChanged, map[string]any{"org": w.org})
		if msg, code := c.refusal("eleventh"); code != apierror.CodeTooManySubscriptions || !strings.Contains(msg, "at most 10") {
			t.Fatalf("eleventh: %s %s", code, msg)
		}
		c.send(wsMessage{ID: "0", Type: "complete"})
		waitSubscriptions(t, a.handler, 9)
		c.subscribe("tenth", complianceChanged, map[string]any{"org": w.org})
		waitSubscriptions(t, a.handler, 10)

		deep := "id"
		for range 8 {
			deep = "account { organization { accounts { nodes { integrations { nodes { " + deep + " } } } } } }"
		}
		deep = `subscription($org: ID!) { complianceChanged(organizationId: $org) { integration { ` + deep + ` } } }`
		other := subscriber(t, a.url, a.adminToken)
		other.subscribe("deep", deep, map[string]any{"org": w.org})
		if _, code := other.refusal("deep"); code != apierror.CodeQueryTooDeep {
			t.Fatalf("deep subscription: %s", code)
		}
		other.subscribe("query", `{ viewer { id } }`, nil)
		if msg, _ := other.refusal("query"); !strings.Contains(msg, "only subscriptions") {
			t.Fatalf("query over the websocket: %s", msg)
		}
		other.subscribe("nope", complianceChanged, map[string]any{"org": "org_nope"})
		if msg, code := other.refusal("nope"); code != apierror.CodeBadUserInput || !strings.Contains(msg, "No organization") {
			t.Fatalf("unknown organization: %s %s", code, msg)
		}
		waitSubscriptions(t, a.handler, 10)
		// A plain GET is still a GraphQL GET, not an upgrade.
		resp, err := http.Get(a.url + "/graphql?query=%7B__typename%7D")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("GET without a token: %d", resp.StatusCode)
		}
	})
}

// TestSubscriptionTokenExpires: a token that expires while subscribed is
// disconnected within seconds (4403, saying why), by the service's clock.
func TestSubscriptionTokenExpires(t *testing.T) {
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		r := a.do(createApiToken, map[string]any{"input": map[string]any{"role": "ORG_VIEWER", "name": "short", "organizationId": w.org,
			"expiresAt": a.clock.now().Add(time.Hour).UTC().Format(time.RFC3339)}})
		c := subscriber(t, a.url, r.str(t, "createApiToken.token"))
		c.subscribe("s", complianceChanged, map[string]any{"org": w.org})
		waitSubscriptions(t, a.handler, 1)
		a.clock.advance(2 * time.Hour)
		_, err := c.next(5 * time.Second)
		if code := websocket.CloseStatus(err); code != 4403 || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("after expiry: %v (code %d)", err, code)
		}
		waitSubscriptions(t, a.handler, 0)
	})
}

// TestSubscriptionsOutliveTimeoutsAndCloseAtShutdown: behind an
// http.Server with read and write timeouts (server.go's are 30 s and
// 60 s; here half a second) a websocket outlives them (net/http clears a
// hijacked connection's deadlines: this guards it); Handler.Close, which
// server.go calls at the start of a shutdown, closes it with 1001 (going
// away) and refuses new ones.
func TestSubscriptionsOutliveTimeoutsAndCloseAtShutdown(t *testing.T) {
	a := newApp(t, testdb.SQLite(t))
	srv := httptest.NewUnstartedServer(a.handler)
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = 500*time.Millisecond, 500*time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	w := a.world()
	t2 := a.integrate(w.test, w.point, "jira", map[string]any{"project": "DEV-2"})
	c := subscriber(t, srv.URL, a.adminToken)
	c.subscribe("s", complianceChanged, map[string]any{"org": w.org})
	waitSubscriptions(t, a.handler, 1)
	time.Sleep(1500 * time.Millisecond)
	a.do(updateIntegrationPoint, opsOnly(w.point))
	if got := c.changes("s", 1); got[0].Integration != t2 {
		t.Fatalf("got %+v", got)
	}
	a.handler.Close()
	_, err := c.next(5 * time.Second)
	if code := websocket.CloseStatus(err); code != websocket.StatusGoingAway {
		t.Fatalf("at shutdown: %v (code %d)", err, code)
	}
	if _, err := dialWS(t, srv.URL, map[string]any{"authorization": "Bearer " + a.adminToken}); err == nil {
		t.Fatal("a new websocket after the shutdown began")
	}
}
