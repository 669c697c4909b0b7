package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/pointguard/pointguard/auth"
	"github.com/pointguard/pointguard/limits"
	"github.com/pointguard/pointguard/secrets"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/testdb"
)

// server is Pointguard on databaseURL with lim, for the fault stories,
// which need their own database server and limits; it returns the URL
// and the platform admin's token.
func server(t *testing.T, databaseURL string, lim limits.Config) (*store.Store, string, string) {
	t.Helper()
	ring, _ := secrets.NewKeyring(secrets.NewKey())
	st, err := store.Open(context.Background(), databaseURL, store.Options{Secrets: ring, StatementTimeout: lim.RequestTimeout})
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(st)
	token := auth.NewToken()
	if _, err := svc.SetBootstrapToken(context.Background(), token); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(st, svc, slog.New(slog.NewTextHandler(io.Discard, nil)), lim, Pointguard))
	t.Cleanup(func() { srv.Close(); st.Close() })
	return st, srv.URL, token
}

// answered is what a fault story reads of an answer: its status, the
// first error's code, its Retry-After, and the data.
type answered struct {
	Status     int
	Code       string
	RetryAfter string
	Data       map[string]any
}

// ask posts query with vars to url's /graphql as token. A request that
// got no answer (the server hung, or restarted) is the error, for the
// story to judge: these stories expect some.
func ask(client *http.Client, url, token, query string, vars map[string]any) (answered, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return answered{}, err
	}
	defer resp.Body.Close()
	var answer struct {
		Data   map[string]any
		Errors []struct{ Extensions struct{ Code string } }
	}
	json.NewDecoder(resp.Body).Decode(&answer)
	a := answered{Status: resp.StatusCode, RetryAfter: resp.Header.Get("Retry-After"), Data: answer.Data}
	if len(answer.Errors) > 0 {
		a.Code = answer.Errors[0].Extensions.Code
	}
	return a, nil
}

// TestFrozenDatabase: while PostgreSQL is frozen (SIGSTOP, as a hung host
// would be), /readyz answers 503 within its 2 s and every API request 503
// TIMEOUT with Retry-After at the request timeout, instead of hanging
// for as long as the freeze (and /readyz then answering 200). When the
// server goes on, so does the API.
func TestFrozenDatabase(t *testing.T) {
	cluster := testdb.NewCluster(t)
	lim := limits.Default()
	lim.RatePerSecond = 0
	lim.RequestTimeout = time.Second
	st, url, token := server(t, cluster.URL(), lim)

	var timeout string
	if err := st.DB().QueryRow("SHOW statement_timeout").Scan(&timeout); err != nil || timeout != "1s" {
		t.Errorf("statement_timeout %q (%v), want the request timeout, 1s", timeout, err)
	}

	// The client gives up long after both deadlines: what it measures is
	// whether the server keeps them, not how fast it is.
	client := &http.Client{Timeout: 15 * time.Second}
	ready := func() (int, error) {
		resp, err := client.Get(url + "/readyz")
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	query := func() (int, string, string, error) {
		a, err := ask(client, url, token, `{ organizations(first: 5) { totalCount } }`, nil)
		return a.Status, a.Code, a.RetryAfter, err
	}
	if status, err := ready(); status != http.StatusOK {
		t.Fatalf("/readyz before the freeze: %d %v", status, err)
	}
	if status, code, _, err := query(); status != http.StatusOK || code != "" {
		t.Fatalf("a query before the freeze: %d %s %v", status, code, err)
	}

	cluster.Freeze()
	thawed := false
	defer func() {
		if !thawed {
			cluster.Thaw()
		}
	}()
	for i := 0; i < 3; i++ {
		if status, err := ready(); status != http.StatusServiceUnavailable {
			t.Errorf("/readyz on a frozen database, probe %d: %d %v, want 503", i+1, status, err)
		}
	}
	var wg sync.WaitGroup
	for i := 0; i < 30; i++ { // more than the pool's 20 connections
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, code, retry, err := query()
			if status != http.StatusServiceUnavailable || code != "TIMEOUT" || retry == "" {
				t.Errorf("a query on a frozen database: %d %q Retry-After %q %v, want 503 TIMEOUT with Retry-After", status, code, retry, err)
			}
		}()
	}
	wg.Wait()

	cluster.Thaw()
	thawed = true
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, _ := ready()
		if status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz after the thaw: still %d", status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if status, code, _, err := query(); status != http.StatusOK || code != "" {
		t.Errorf("a query after the thaw: %d %s %v", status, code, err)
	}
}
