package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pointguard/pointguard/demo"
)

// TestDemoTokenToOffer: only the embedded demo, with live tokens, on a
// loopback socket alone, has its ORG_ADMIN token offered.
func TestDemoTokenToOffer(t *testing.T) {
	tokens := &demo.Tokens{OrgAdmin: "org-admin", AccountAdmin: "account-admin"}
	loopback := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}
	for _, c := range []struct {
		why    string
		cfg    config
		tokens *demo.Tokens
		addr   net.Addr
		want   string
	}{
		{"the embedded demo on 127.0.0.1", config{}, tokens, loopback, "org-admin"},
		{"the embedded demo on ::1", config{}, tokens, &net.TCPAddr{IP: net.IPv6loopback, Port: 8080}, "org-admin"},
		{"every interface (the default :8080)", config{}, tokens, &net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, ""},
		{"every IPv4 interface", config{}, tokens, &net.TCPAddr{IP: net.IPv4zero, Port: 8080}, ""},
		{"a LAN address", config{}, tokens, &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 8080}, ""},
		{"PostgreSQL with -demo", config{databaseURL: "postgres://127.0.0.1/test", demo: true}, tokens, loopback, ""},
		{"an SQLite file of one's own", config{databaseURL: "my.db"}, tokens, loopback, ""},
		{"no live demo tokens", config{}, nil, loopback, ""},
		{"a unix socket", config{}, tokens, &net.UnixAddr{Name: "/tmp/pg.sock", Net: "unix"}, ""},
	} {
		if got := demoTokenToOffer(c.cfg, c.tokens, c.addr); got != c.want {
			t.Errorf("%s: %q; want %q", c.why, got, c.want)
		}
	}
}

// TestGraphiQLOffersDemoToken: the real server, run as `go run .` is on a
// fresh machine, offers the demo token on its GraphiQL page when it
// listens on loopback alone, and not on every interface.
func TestGraphiQLOffersDemoToken(t *testing.T) {
	t.Chdir(t.TempDir())
	page := func(env map[string]string) (string, string) {
		t.Helper()
		env["POINTGUARD_ADMIN_ADDR"] = "off"
		logs := &syncBuffer{}
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- run(ctx, nil, func(k string) string { return env[k] }, logs) }()
		defer func() {
			stop()
			if err := <-done; err != nil {
				t.Fatalf("run: %v", err)
			}
		}()
		var port string
		for deadline := time.Now().Add(30 * time.Second); port == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if m := regexp.MustCompile(`pointguard listening" url=http://localhost:(\d+)`).FindStringSubmatch(logs.String()); m != nil {
				port = m[1]
			}
		}
		if port == "" {
			t.Fatalf("the server did not start:\n%s", logs.String())
		}
		resp, err := http.Get("http://127.0.0.1:" + port + "/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body), logs.String()
	}
	body, logged := page(map[string]string{"POINTGUARD_LISTEN": "127.0.0.1:0"})
	kept, err := os.ReadFile(demoTokensFile)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`ORG_ADMIN (\S+)`).FindStringSubmatch(string(kept))
	if m == nil {
		t.Fatalf("%s: %q", demoTokensFile, kept)
	}
	if !strings.Contains(body, m[1]) || !strings.Contains(body, "Use the demo ORG_ADMIN token") || !strings.Contains(logged, "GraphiQL offers the demo") {
		t.Errorf("on 127.0.0.1, the page does not offer the demo token %s:\n%.400s", m[1], body)
	}
	body, logged = page(map[string]string{"PORT": "0"})
	if strings.Contains(body, m[1]) || strings.Contains(body, "use-demo-token") || strings.Contains(logged, "GraphiQL offers the demo") {
		t.Errorf("on every interface, the page offers the demo token")
	}
	if !strings.Contains(logged, m[1]) {
		t.Errorf("the demo tokens are no longer printed at start:\n%s", logged)
	}
}
