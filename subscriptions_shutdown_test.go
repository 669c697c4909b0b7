package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/pointguard/pointguard/auth"
)

// TestShutdownClosesWebsockets: on SIGTERM, the server closes its
// subscriptions' websockets at once with 1001 (going away), so that their
// clients connect to another replica; http.Server's Shutdown alone neither
// waits for nor closes them (they are hijacked), and the process's exit
// cut them without a close frame.
func TestShutdownClosesWebsockets(t *testing.T) {
	token := auth.NewToken()
	c := startChild(t, t.TempDir(), "", "POINTGUARD_SHUTDOWN_GRACE=5s", "POINTGUARD_ADMIN_TOKEN="+token)
	select {
	case <-c.listening:
	case <-time.After(30 * time.Second):
		t.Fatalf("the server did not listen; it printed:\n%s", c.output())
	}
	req, _ := http.NewRequest(http.MethodPost, c.url+"/graphql", strings.NewReader(`{"query":"{ organizations { nodes { id } } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var orgs struct {
		Data struct {
			Organizations struct{ Nodes []struct{ ID string } }
		}
	}
	json.NewDecoder(resp.Body).Decode(&orgs)
	resp.Body.Close()
	if len(orgs.Data.Organizations.Nodes) == 0 {
		t.Fatal("no organization in the demo data")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(c.url, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	type msg struct {
		ID      string `json:"id,omitempty"`
		Type    string `json:"type"`
		Payload any    `json:"payload,omitempty"`
	}
	wsjson.Write(ctx, conn, msg{Type: "connection_init", Payload: map[string]any{"authorization": "Bearer " + token}})
	var ack msg
	if err := wsjson.Read(ctx, conn, &ack); err != nil || ack.Type != "connection_ack" {
		t.Fatalf("init: %+v %v", ack, err)
	}
	wsjson.Write(ctx, conn, msg{ID: "1", Type: "subscribe", Payload: map[string]any{
		"query":     `subscription($org: ID!) { complianceChanged(organizationId: $org) { event { id } } }`,
		"variables": map[string]any{"org": orgs.Data.Organizations.Nodes[0].ID}}})
	time.Sleep(300 * time.Millisecond) // subscribed

	start := time.Now()
	c.cmd.Process.Signal(syscall.SIGTERM)
	var m msg
	for err == nil {
		err = wsjson.Read(ctx, conn, &m)
	}
	if code := websocket.CloseStatus(err); code != websocket.StatusGoingAway {
		t.Fatalf("after SIGTERM: %v (code %d); it printed:\n%s", err, code, c.output())
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("closed %v after SIGTERM", d)
	}
	if err := c.cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v; it printed:\n%s", err, c.output())
	}
}
