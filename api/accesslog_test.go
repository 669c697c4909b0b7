package api

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pointguard/pointguard/limits"
	"github.com/pointguard/pointguard/testdb"
)

// lockedBuffer is a log the handler writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestAccessLog: each request is one JSON record once answered, with its
// method, path, status, duration, request ID, operation name and token
// ID, and never the token itself; a refused one has its status and no
// token.
func TestAccessLog(t *testing.T) {
	t.Parallel()
	a := newApp(t, testdb.SQLite(t))
	var logged lockedBuffer
	srv := httptest.NewServer(New(a.store, a.service, slog.New(slog.NewJSONHandler(&logged, nil)), limits.Default(), Pointguard))
	defer srv.Close()
	ask := func(token string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", strings.NewReader(`{"query":"query WhoAmI { viewer { id } }"}`))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	record := func(requestID string) map[string]any {
		t.Helper()
		for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			for _, line := range strings.Split(logged.String(), "\n") {
				var r map[string]any
				if json.Unmarshal([]byte(line), &r) == nil && r["msg"] == "request" && r["request_id"] == requestID {
					return r
				}
			}
		}
		t.Fatalf("no request record for %s in:\n%s", requestID, logged.String())
		return nil
	}
	resp := ask(a.token)
	viewer := a.do(`{ viewer { id } }`, nil).str(t, "viewer.id")
	r := record(resp.Header.Get("X-Request-ID"))
	if r["method"] != "POST" || r["path"] != "/graphql" || r["status"] != 200.0 || r["operation"] != "WhoAmI" ||
		r["token_id"] != viewer || r["duration_ms"] == nil {
		t.Errorf("record %v (token %s)", r, viewer)
	}
	refused := record(ask("").Header.Get("X-Request-ID"))
	if refused["status"] != 401.0 || refused["token_id"] != "" {
		t.Errorf("a request without a token: %v", refused)
	}
	if strings.Contains(logged.String(), a.token[len(a.token)-40:]) {
		t.Error("the log holds the token")
	}
}
