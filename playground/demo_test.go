package playground

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const demoToken = "pg_demo-token-for-the-page-0123456789"

// TestDemoTokenOffered: the page offers the demo token to a browser on
// this machine only: a loopback peer, reaching a loopback name, through
// no proxy. Every other request gets the page without it, as does every
// request when the server gives no token.
func TestDemoTokenOffered(t *testing.T) {
	mux := http.NewServeMux()
	Register(mux, "/graphql", demoToken)
	none := http.NewServeMux()
	Register(none, "/graphql", "")
	page := func(mux *http.ServeMux, remote, host string, header map[string]string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr, r.Host = remote, host
		for k, v := range header {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("GET / from %s to %s: %d", remote, host, w.Code)
		}
		return w
	}
	offered := func(w *httptest.ResponseRecorder) bool {
		body := w.Body.String()
		has := strings.Contains(body, demoToken)
		if has != strings.Contains(body, `id="use-demo-token"`) {
			t.Fatalf("the token and its button disagree: %v", has)
		}
		return has
	}
	for _, ok := range []struct{ remote, host string }{
		{"127.0.0.1:50000", "127.0.0.1:8080"},
		{"127.0.0.1:50000", "localhost:8080"},
		{"[::1]:50000", "[::1]:8080"},
		{"127.0.0.2:50000", "LOCALHOST"},
	} {
		w := page(mux, ok.remote, ok.host, nil)
		if !offered(w) || w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("from %s to %s: offered %v, Cache-Control %q; want offered, no-store", ok.remote, ok.host, offered(w), w.Header().Get("Cache-Control"))
		}
		if offered(page(none, ok.remote, ok.host, nil)) {
			t.Errorf("from %s to %s: offered with no token given", ok.remote, ok.host)
		}
	}
	for _, no := range []struct {
		why          string
		remote, host string
		header       map[string]string
	}{
		{"another machine", "192.0.2.10:50000", "127.0.0.1:8080", nil},
		{"a LAN address", "10.0.0.5:50000", "10.0.0.1:8080", nil},
		{"a loopback peer reaching another name (DNS rebinding)", "127.0.0.1:50000", "attacker.example:8080", nil},
		{"a loopback peer reaching the host's own address", "127.0.0.1:50000", "192.0.2.1:8080", nil},
		{"a proxy on this host (X-Forwarded-For)", "127.0.0.1:50000", "127.0.0.1:8080", map[string]string{"X-Forwarded-For": "192.0.2.10"}},
		{"a proxy on this host (Forwarded)", "127.0.0.1:50000", "localhost", map[string]string{"Forwarded": "for=192.0.2.10"}},
		{"a proxy on this host (X-Real-IP)", "127.0.0.1:50000", "localhost", map[string]string{"X-Real-IP": "192.0.2.10"}},
		{"a proxy on this host (X-Forwarded-Host)", "127.0.0.1:50000", "localhost", map[string]string{"X-Forwarded-Host": "api.example"}},
		{"no peer address", "", "localhost", nil},
	} {
		w := page(mux, no.remote, no.host, no.header)
		if offered(w) || w.Header().Get("Cache-Control") != "no-cache" {
			t.Errorf("%s: offered %v, Cache-Control %q", no.why, offered(w), w.Header().Get("Cache-Control"))
		}
	}
}
