package limits

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pointguard/pointguard/apierror"
)

// clock is a fake clock that moves only when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// counter is the handler behind the limiter: it counts what gets through.
type counter struct{ n atomic.Int64 }

func (c *counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.n.Add(1)
	w.Write([]byte(`{"data":{}}`))
}

// byHeader keys requests by their X-Client header, for the tests.
func byHeader(r *http.Request) string { return r.Header.Get("X-Client") }

func hit(h http.Handler, client string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	req.Header.Set("X-Client", client)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestRateLimitBurstThenRetryAfter(t *testing.T) {
	clk := newClock()
	next := &counter{}
	h := newRateLimiter(next, 1, 2, byHeader, 100, clk.Now)

	for i := range 2 {
		if rec := hit(h, "a"); rec.Code != http.StatusOK {
			t.Fatalf("request %d of the burst: %d", i+1, rec.Code)
		}
	}
	rec := hit(h, "a")
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("request over the burst: %d", rec.Code)
	}
	if got := rec.Header().Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After %q, want 1", got)
	}
	if got := rec.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type %q", got)
	}
	var body struct {
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body.Errors) != 1 ||
		body.Errors[0].Extensions["code"] != apierror.CodeRateLimited || body.Errors[0].Message == "" {
		t.Fatalf("body %s (%v)", rec.Body, err)
	}
	t.Logf("429 body: %s", rec.Body)
	if next.n.Load() != 2 {
		t.Errorf("%d requests reached the handler, want 2", next.n.Load())
	}

	// Another client has its own bucket.
	if rec := hit(h, "b"); rec.Code != http.StatusOK {
		t.Fatalf("another client: %d", rec.Code)
	}

	// Half a token back: still refused, still "1" (rounded up, never 0).
	clk.Advance(500 * time.Millisecond)
	if rec := hit(h, "a"); rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("after 0.5 s: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	// A whole token back: one request, then refused again.
	clk.Advance(500 * time.Millisecond)
	if rec := hit(h, "a"); rec.Code != http.StatusOK {
		t.Fatalf("after 1 s: %d", rec.Code)
	}
	if rec := hit(h, "a"); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("right after: %d", rec.Code)
	}
	// Long idle: the whole burst is back, no more.
	clk.Advance(time.Hour)
	for i := range 2 {
		if rec := hit(h, "a"); rec.Code != http.StatusOK {
			t.Fatalf("request %d after an hour: %d", i+1, rec.Code)
		}
	}
	if rec := hit(h, "a"); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("burst refilled past its size: %d", rec.Code)
	}
}

// TestRateLimitRetryAfterSeconds: Retry-After is the wait for one token,
// rounded up to whole seconds.
func TestRateLimitRetryAfterSeconds(t *testing.T) {
	clk := newClock()
	h := newRateLimiter(&counter{}, 0.1, 1, byHeader, 100, clk.Now) // a token every 10 s
	hit(h, "a")
	for _, tc := range []struct {
		advance time.Duration
		want    string
	}{{0, "10"}, {2500 * time.Millisecond, "8"}, {7 * time.Second, "1"}} {
		clk.Advance(tc.advance)
		rec := hit(h, "a")
		if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != tc.want {
			t.Errorf("after +%v: %d, Retry-After %q, want %s", tc.advance, rec.Code, rec.Header().Get("Retry-After"), tc.want)
		}
	}
	clk.Advance(500 * time.Millisecond)
	if rec := hit(h, "a"); rec.Code != http.StatusOK {
		t.Errorf("after 10 s: %d", rec.Code)
	}
}

// TestRateLimitEvictsLeastRecent: the limiters are bounded; the least
// recently seen client's is dropped and it starts again with a full bucket.
func TestRateLimitEvictsLeastRecent(t *testing.T) {
	clk := newClock()
	h := newRateLimiter(&counter{}, 1, 1, byHeader, 2, clk.Now)
	hit(h, "a")
	if rec := hit(h, "a"); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("a over its burst: %d", rec.Code)
	}
	hit(h, "b") // a, b: both kept
	if rec := hit(h, "a"); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("a forgotten with room for it: %d", rec.Code)
	}
	hit(h, "c") // a was just seen: b, the least recent, goes
	if rec := hit(h, "a"); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("a (recent) evicted: %d", rec.Code)
	}
	if h.limiters.Contains("b") || h.limiters.Len() != 2 {
		t.Fatalf("kept %v, want a and c", h.limiters.Keys())
	}
	hit(h, "d") // c is now the least recent … then a
	hit(h, "e")
	if h.limiters.Contains("a") {
		t.Fatalf("a still kept: %v", h.limiters.Keys())
	}
	if rec := hit(h, "a"); rec.Code != http.StatusOK {
		t.Fatalf("a, evicted, starts again full: %d", rec.Code)
	}
}

// TestRateLimitRealClock: through time.Now, with a short bounded sleep.
func TestRateLimitRealClock(t *testing.T) {
	h := RateLimit(&counter{}, 20, 2, byHeader) // a token every 50 ms
	hit(h, "a")
	hit(h, "a")
	if rec := hit(h, "a"); rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("over the burst: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	deadline := time.Now().Add(2 * time.Second)
	for hit(h, "a").Code != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("not allowed again after 2 s at 20 requests per second")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRateLimitConcurrent: under concurrent requests of one client exactly
// the burst gets through (run with -race).
func TestRateLimitConcurrent(t *testing.T) {
	clk := newClock()
	next := &counter{}
	h := newRateLimiter(next, 1, 10, byHeader, 100, clk.Now)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { hit(h, "a") })
	}
	wg.Wait()
	if next.n.Load() != 10 {
		t.Errorf("%d requests got through, want the burst of 10", next.n.Load())
	}
}

func TestRateLimitDisabled(t *testing.T) {
	next := &counter{}
	for _, rate := range []float64{0, -1} {
		if h := RateLimit(next, rate, 5, byHeader); h != http.Handler(next) {
			t.Errorf("rate %v: got a limiter", rate)
		}
	}
	cfg := Default()
	cfg.RatePerSecond = 0
	if h := cfg.Middleware(next, ClientIP); h != http.Handler(next) {
		t.Error("Config.Middleware with rate 0 wraps the handler")
	}
	cfg = Default()
	if h := cfg.Middleware(next, ClientIP); h == http.Handler(next) {
		t.Error("Config.Middleware with the default rate does not limit")
	}
}

func TestClientIP(t *testing.T) {
	req := func(remote string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", "203.0.113.1")
		return r
	}
	for remote, want := range map[string]string{
		"192.0.2.7:5555":     "192.0.2.7",
		"[2001:db8::1]:5555": "2001:db8::1",
		"192.0.2.7":          "192.0.2.7",
		"198.51.100.9:1":     "198.51.100.9",
	} {
		if got := ClientIP(req(remote)); got != want {
			t.Errorf("ClientIP(%q) = %q, want %q", remote, got, want)
		}
	}
}
