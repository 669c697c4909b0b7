package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pointguard/pointguard/metrics"
)

// TestParseConfigAdminAddr: POINTGUARD_ADMIN_ADDR is loopback's 9090 by
// default, host:port when set, nothing with off, and refused otherwise.
func TestParseConfigAdminAddr(t *testing.T) {
	for value, want := range map[string]string{"": "127.0.0.1:9090", "off": "", "[::1]:9191": "[::1]:9191", ":9090": ":9090"} {
		c, err := parseConfig(nil, func(k string) string { return map[string]string{"POINTGUARD_ADMIN_ADDR": value}[k] }, io.Discard)
		if err != nil || c.adminAddr != want {
			t.Errorf("POINTGUARD_ADMIN_ADDR=%q: %q, %v; want %q", value, c.adminAddr, err, want)
		}
	}
	for _, bad := range []string{"localhost", "9090", "on", "127.0.0.1"} {
		_, err := parseConfig(nil, func(k string) string { return map[string]string{"POINTGUARD_ADMIN_ADDR": bad}[k] }, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "POINTGUARD_ADMIN_ADDR") {
			t.Errorf("POINTGUARD_ADMIN_ADDR=%q: %v", bad, err)
		}
	}
}

// syncBuffer is a bytes.Buffer that a server's log and a test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestAdminAddress: the real server serves /metrics and /debug/pprof/ on
// POINTGUARD_ADMIN_ADDR and neither on the API's address; the metrics
// count the API's requests; both stop with the server, which exits
// cleanly. With off, no admin address is served.
func TestAdminAddress(t *testing.T) {
	t.Chdir(t.TempDir()) // the embedded default's data/
	logs := &syncBuffer{}
	ctx, stop := context.WithCancel(context.Background())
	env := map[string]string{"PORT": "0", "POINTGUARD_ADMIN_ADDR": "127.0.0.1:0"}
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, func(k string) string { return env[k] }, logs) }()
	url := func(re string) string {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if m := regexp.MustCompile(re).FindStringSubmatch(logs.String()); m != nil {
				return m[1]
			}
		}
		t.Fatalf("no %s in the log:\n%s", re, logs.String())
		return ""
	}
	apiURL := url(`pointguard listening" url=(\S+)`)
	adminURL := url(`admin listening" url=(\S+)`)
	get := func(u string) (int, string) {
		t.Helper()
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := get(adminURL + "/debug/pprof/"); status != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Errorf("admin /debug/pprof/: %d %.200q", status, body)
	}
	if status, body := get(adminURL + "/debug/pprof/goroutine?debug=1"); status != http.StatusOK || !strings.Contains(body, "goroutine profile") {
		t.Errorf("admin /debug/pprof/goroutine: %d %.200q", status, body)
	}
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/goroutine?debug=1", "/metrics"} {
		if _, body := get(apiURL + path); strings.Contains(body, "goroutine profile") || strings.Contains(body, "Types of profiles") ||
			strings.Contains(body, "pointguard_") || strings.Contains(body, "go_goroutines") {
			t.Errorf("the API's address serves %s: %.200q", path, body)
		}
	}
	get(apiURL + "/graphql?query=%7Bviewer%7Bname%7D%7D") // 401: no token
	if status, body := get(adminURL + "/metrics"); status != http.StatusOK || !strings.Contains(body, `pointguard_http_requests_total{operation="anonymous",status="401"} 1`) ||
		!strings.Contains(body, "pointguard_go_sql_open_connections") || !strings.Contains(body, "process_cpu_seconds_total") {
		t.Errorf("admin /metrics: %d %q", status, body)
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not stop")
	}
	if _, err := http.Get(adminURL + "/metrics"); err == nil {
		t.Error("the admin address still answers after the server stopped")
	}

	env["POINTGUARD_ADMIN_ADDR"] = "off"
	logs = &syncBuffer{}
	ctx, stop = context.WithCancel(context.Background())
	go func() { done <- run(ctx, nil, func(k string) string { return env[k] }, logs) }()
	url(`pointguard listening" url=(\S+)`)
	if strings.Contains(logs.String(), "admin listening") {
		t.Errorf("POINTGUARD_ADMIN_ADDR=off, and yet: %s", logs.String())
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}

// TestAdminAddressTaken: the default admin address taken (another process
// on the host) warns and serves nothing; one set explicitly fails the start.
func TestAdminAddressTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	errc := make(chan error, 1)
	if srv, err := serveAdmin(ln.Addr().String(), true, metrics.New(), errc, log); srv != nil || err != nil || !strings.Contains(logged.String(), "admin address is taken") {
		t.Errorf("the default taken: %v, %v, logged %q", srv, err, logged.String())
	}
	if srv, err := serveAdmin(ln.Addr().String(), false, metrics.New(), errc, log); srv != nil || err == nil || !strings.Contains(err.Error(), "POINTGUARD_ADMIN_ADDR") {
		t.Errorf("an address set and taken: %v, %v", srv, err)
	}
}
