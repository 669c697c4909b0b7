package webhooks_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pointguard/pointguard/webhooks"
)

func signed(t *testing.T, secret, id string, ts time.Time, body []byte) http.Header {
	t.Helper()
	h := http.Header{}
	if err := webhooks.SetHeaders(h, secret, id, ts, body); err != nil {
		t.Fatal(err)
	}
	return h
}

// TestStandardWebhooksVector checks Sign against the Standard Webhooks
// specification's published example.
func TestStandardWebhooksVector(t *testing.T) {
	sig, err := webhooks.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
		time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; sig != want {
		t.Fatalf("signature %s, want %s", sig, want)
	}
}

func TestVerify(t *testing.T) {
	secret := webhooks.NewSecret()
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret %q", secret)
	}
	now := time.Now()
	body := []byte(`{"id":"evt_1","type":"integration.created"}`)
	good := signed(t, secret, "evt_1", now, body)
	if err := webhooks.Verify(secret, good, body, now); err != nil {
		t.Fatalf("a good delivery: %v", err)
	}
	// Several signatures (a rotated secret): one valid is enough.
	multi := good.Clone()
	multi.Set(webhooks.HeaderSignature, "v1,AAAA "+good.Get(webhooks.HeaderSignature))
	if err := webhooks.Verify(secret, multi, body, now); err != nil {
		t.Fatalf("one of two signatures valid: %v", err)
	}

	forgedSecret := webhooks.NewSecret()
	changedID := good.Clone()
	changedID.Set(webhooks.HeaderID, "evt_2")
	changedTS := good.Clone()
	changedTS.Set(webhooks.HeaderTimestamp, "1")
	for _, c := range []struct {
		name   string
		secret string
		h      http.Header
		body   []byte
		now    time.Time
		want   error
	}{
		{"ForgedBySomeoneElse", secret, signed(t, forgedSecret, "evt_1", now, body), body, now, webhooks.ErrSignature},
		{"BodyChanged", secret, good, []byte(`{"id":"evt_1","type":"integration.deleted"}`), now, webhooks.ErrSignature},
		{"IDChanged", secret, changedID, body, now, webhooks.ErrSignature},
		{"TimestampChanged", secret, changedTS, body, now, webhooks.ErrTimestamp},
		{"ReplayedLater", secret, good, body, now.Add(webhooks.Tolerance + time.Second), webhooks.ErrTimestamp},
		{"FromTheFuture", secret, good, body, now.Add(-webhooks.Tolerance - time.Second), webhooks.ErrTimestamp},
		{"ReplayedOldSignedNow", secret, signed(t, secret, "evt_1", now.Add(-time.Hour), body), body, now, webhooks.ErrTimestamp},
		{"NoSignature", secret, http.Header{"Webhook-Id": {"evt_1"}, "Webhook-Timestamp": {"1"}}, body, now, webhooks.ErrMissingHeaders},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := webhooks.Verify(c.secret, c.h, c.body, c.now); !errors.Is(err, c.want) {
				t.Fatalf("Verify: %v, want %v", err, c.want)
			}
		})
	}
}

func TestCheckURL(t *testing.T) {
	ctx := context.Background()
	public := func(ctx context.Context, host string) ([]netip.Addr, error) {
		switch host {
		case "hooks.example.com":
			return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
		case "rebind.example.com":
			return []netip.Addr{netip.MustParseAddr("93.184.215.14"), netip.MustParseAddr("10.1.2.3")}, nil
		}
		return nil, errors.New("no such host")
	}
	prod := webhooks.Policy{Resolve: public}
	dev := webhooks.Policy{AllowLoopback: true, Resolve: public}
	for _, c := range []struct {
		p    webhooks.Policy
		url  string
		want string // "" = accepted
	}{
		{prod, "https://hooks.example.com/pointguard", ""},
		{prod, "http://hooks.example.com/pointguard", "must be https://"},
		{prod, "http://127.0.0.1:8080/hook", "loopback address"},
		{prod, "https://127.0.0.1/hook", "loopback address"},
		{prod, "https://localhost/hook", "loopback address"},
		{prod, "https://[::1]/hook", "loopback address"},
		{prod, "https://169.254.169.254/latest/meta-data", "metadata address"},
		{dev, "https://169.254.169.254/latest/meta-data", "metadata address"},
		{prod, "https://10.0.0.1/hook", "private address"},
		{dev, "https://10.0.0.1/hook", "private address"},
		{prod, "https://192.168.1.1/hook", "private address"},
		{prod, "https://[::ffff:10.0.0.1]/hook", "private address"},
		{prod, "https://[fe80::1]/hook", "link-local"},
		{prod, "https://0.0.0.0/hook", "not a public address"},
		{prod, "https://rebind.example.com/", "private address"},
		{prod, "https://nowhere.example.com/", "does not resolve"},
		{prod, "ftp://hooks.example.com/", "https://"},
		{prod, "hooks.example.com/x", "absolute https://"},
		{prod, "https://user:pw@hooks.example.com/", "user name"},
		{dev, "http://127.0.0.1:8080/hook", ""},
		{dev, "http://localhost:8080/hook", ""},
		{dev, "http://hooks.example.com/", "must be https://"},
	} {
		err := c.p.CheckURL(ctx, c.url)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s (loopback %v): refused: %v", c.url, c.p.AllowLoopback, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s (loopback %v): %v, want an error saying %q", c.url, c.p.AllowLoopback, err, c.want)
		}
	}
}

// TestClientChecksTheDialledAddress: the client refuses, at dial time, an
// address its policy refuses (a name that rebinds to a private address
// after the URL was checked), and follows no redirect. Only the test's
// own loopback server is ever dialled.
func TestClientChecksTheDialledAddress(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		w.Write([]byte(strings.Repeat("x", 3*webhooks.SnippetBytes)))
	}))
	defer srv.Close()

	resp, err := webhooks.Policy{}.Client().Get(srv.URL)
	if err == nil {
		resp.Body.Close()
		t.Fatal("the production policy dialled a loopback address")
	}
	if !strings.Contains(err.Error(), "refused to dial") || hits.Load() != 0 {
		t.Fatalf("err %v, %d hits", err, hits.Load())
	}

	c := webhooks.Policy{AllowLoopback: true}.Client()
	resp, err = c.Get(srv.URL + "/redirect")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || hits.Load() != 1 {
		t.Fatalf("status %d after %d hits: the redirect was followed", resp.StatusCode, hits.Load())
	}
	resp, err = c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if s := webhooks.ReadSnippet(resp.Body); len(s) != webhooks.SnippetBytes {
		t.Fatalf("snippet of %d bytes", len(s))
	}
	if c.Timeout > 10*time.Second || c.Timeout <= 0 {
		t.Fatalf("timeout %v", c.Timeout)
	}
}
