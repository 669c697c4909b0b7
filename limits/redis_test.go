package limits

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pointguard/pointguard/testdb"
)

// redisConfig is a configuration whose limits live in the Redis at
// redisURL under prefix, with its own connection, as a replica has.
func redisConfig(t *testing.T, redisURL, prefix string, perSecond float64, burst int) Config {
	t.Helper()
	r, err := NewRedis(context.Background(), redisURL, prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	c := Default()
	c.RatePerSecond, c.RateBurst, c.Redis = perSecond, burst, r
	c.FailuresPerSecond, c.FailureBurst = perSecond, burst
	c.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	return c
}

// allowed sends n requests of client, alternating between the handlers,
// and counts those let through; anything but 200 and 429 fails the test.
func allowed(t *testing.T, n int, client string, hs ...http.Handler) int {
	t.Helper()
	ok := 0
	for i := range n {
		switch rec := hit(hs[i%len(hs)], client); rec.Code {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
		default:
			t.Fatalf("request %d: %d %s", i+1, rec.Code, rec.Body)
		}
	}
	return ok
}

// TestRedisRateLimitShared: two limiters on one Redis share each client's
// allowance, answer 429 as the per-process limiter does, and keep clients
// apart; two without Redis each give the whole burst.
func TestRedisRateLimitShared(t *testing.T) {
	t.Parallel()
	redisURL, prefix := testdb.Redis(t)
	const rate, burst = 0.1, 4 // a request every 10 s: nothing comes back during the test
	a, b := redisConfig(t, redisURL, prefix, rate, burst), redisConfig(t, redisURL, prefix, rate, burst)
	next := &counter{}
	ha, hb := a.Middleware(next, byHeader), b.Middleware(next, byHeader)

	if got := allowed(t, 3*burst, "x", ha, hb); got != burst {
		t.Errorf("shared: %d of %d requests let through, want the burst of %d", got, 3*burst, burst)
	}
	shared := hit(hb, "x")
	local := newRateLimiter(&counter{}, rate, burst, byHeader, 10, newClock().Now)
	for range burst {
		hit(local, "x")
	}
	alone := hit(local, "x")
	if shared.Code != http.StatusTooManyRequests || shared.Header().Get("Retry-After") != "10" ||
		shared.Body.String() != alone.Body.String() || shared.Header().Get("Content-Type") != alone.Header().Get("Content-Type") {
		t.Errorf("shared 429: %d, Retry-After %q, %s\nper process: %d, Retry-After %q, %s",
			shared.Code, shared.Header().Get("Retry-After"), shared.Body,
			alone.Code, alone.Header().Get("Retry-After"), alone.Body)
	}
	if got := allowed(t, burst+1, "y", hb); got != burst {
		t.Errorf("another client: %d let through, want its own burst of %d", got, burst)
	}

	keys, err := testdb.RedisKeys(redisURL, prefix)
	slices.Sort(keys)
	want := []string{"rate:" + prefix + "cost:x", "rate:" + prefix + "cost:y"}
	if err != nil || !slices.Equal(keys, want) {
		t.Errorf("keys %q (%v), want %q", keys, err, want)
	}
	if ttl := a.Redis.client.TTL(context.Background(), want[0]).Val(); ttl <= 0 || ttl > burst/rate*time.Second {
		t.Errorf("TTL %v: a key must expire once its client's allowance is whole again", ttl)
	}

	perProcess := Default()
	perProcess.RatePerSecond, perProcess.RateBurst = rate, burst
	next = &counter{}
	if got := allowed(t, 3*burst, "x", perProcess.Middleware(next, byHeader), perProcess.Middleware(next, byHeader)); got != 2*burst {
		t.Errorf("per process: %d let through, want %d (a burst each)", got, 2*burst)
	}
}

// TestRedisRateLimitRefills: on Redis's clock, the allowance comes back at
// the rate.
func TestRedisRateLimitRefills(t *testing.T) {
	t.Parallel()
	redisURL, prefix := testdb.Redis(t)
	c := redisConfig(t, redisURL, prefix, 20, 2) // one back every 50 ms
	h := c.Middleware(&counter{}, byHeader)
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

// TestRedisFailureLimitShared: failures counted by one replica refuse the
// address on another; asking takes nothing; other addresses are free.
func TestRedisFailureLimitShared(t *testing.T) {
	t.Parallel()
	redisURL, prefix := testdb.Redis(t)
	const rate, burst = 0.1, 3
	fa, fb := redisConfig(t, redisURL, prefix, rate, burst).FailureLimit(), redisConfig(t, redisURL, prefix, rate, burst).FailureLimit()
	from := func(addr string) *http.Request {
		r, _ := http.NewRequest(http.MethodPost, "/graphql", nil)
		r.RemoteAddr = addr
		return r
	}
	guesser, other := from("192.0.2.7:4444"), from("192.0.2.8:4444")

	for range 10 {
		if rec := httptest.NewRecorder(); fb.Refused(rec, guesser) {
			t.Fatalf("refused before any failure: %d %s", rec.Code, rec.Body)
		}
	}
	for range burst {
		fa.Failed(guesser)
	}
	for name, f := range map[string]*FailureLimit{"the replica that counted": fa, "another replica": fb} {
		rec := httptest.NewRecorder()
		if !f.Refused(rec, guesser) || rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "10" ||
			!strings.Contains(rec.Body.String(), "RATE_LIMITED") {
			t.Errorf("%s, after %d failures: %d, Retry-After %q, %s", name, burst, rec.Code, rec.Header().Get("Retry-After"), rec.Body)
		}
	}
	if rec := httptest.NewRecorder(); fb.Refused(rec, other) {
		t.Errorf("another address refused: %s", rec.Body)
	}
	keys, err := testdb.RedisKeys(redisURL, prefix)
	if want := []string{"rate:" + prefix + "failure:ip:192.0.2.7"}; err != nil || !slices.Equal(keys, want) {
		t.Errorf("keys %q (%v), want %q", keys, err, want)
	}
}

// logged keeps what is logged, for the tests.
type logged struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *logged) Enabled(context.Context, slog.Level) bool { return true }
func (l *logged) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logged) WithGroup(string) slog.Handler            { return l }
func (l *logged) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Clone())
	return nil
}

// at is the messages logged at level.
func (l *logged) at(level slog.Level) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var msgs []string
	for _, r := range l.records {
		if r.Level == level {
			msgs = append(msgs, r.Message)
		}
	}
	return msgs
}

// TestRedisDownFailsOpen: with nothing listening where Redis should be,
// requests are limited per process (never a 500), each quickly, and one
// warning says so however many requests fall back.
func TestRedisDownFailsOpen(t *testing.T) {
	t.Parallel()
	opt, err := redisOptions("redis://127.0.0.1:1/0")
	if err != nil {
		t.Fatal(err)
	}
	r := newRedis(opt, "pointguard-test-down:")
	defer r.Close()
	log := &logged{}
	c := Default()
	c.RatePerSecond, c.RateBurst, c.Redis, c.Log = 0.1, 3, r, slog.New(log)
	c.FailuresPerSecond, c.FailureBurst = 0.1, 3

	h := c.Middleware(&counter{}, byHeader)
	start := time.Now()
	for i := range 50 {
		rec := hit(h, "a")
		if want := map[bool]int{true: http.StatusOK, false: http.StatusTooManyRequests}[i < 3]; rec.Code != want {
			t.Fatalf("request %d: %d %s, want %d (the process's own limit)", i+1, rec.Code, rec.Body, want)
		}
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("50 requests took %v: Redis down must not slow every request", took)
	}
	f := c.FailureLimit()
	addr := func() *http.Request {
		r, _ := http.NewRequest(http.MethodPost, "/graphql", nil)
		r.RemoteAddr = "192.0.2.9:1"
		return r
	}
	for range 3 {
		f.Failed(addr())
	}
	if rec := httptest.NewRecorder(); !f.Refused(rec, addr()) || rec.Code != http.StatusTooManyRequests {
		t.Errorf("failure limit, per process: %d %s", rec.Code, rec.Body)
	}
	if warns := log.at(slog.LevelWarn); len(warns) != 1 || !strings.Contains(warns[0], "per process") {
		t.Errorf("warnings %q, want one", warns)
	}

	// At start-up, an unreachable Redis is an error, not a quiet fallback.
	if _, err := NewRedis(context.Background(), "redis://127.0.0.1:1/0", DefaultRedisPrefix); err == nil ||
		!strings.Contains(err.Error(), "127.0.0.1:1 does not answer") {
		t.Errorf("NewRedis on a closed port: %v", err)
	}
}

// TestRedisHangsFailsOpen: a Redis that accepts connections and never
// answers costs a request at most redisWait, then none for redisRetry.
func TestRedisHangsFailsOpen(t *testing.T) {
	t.Parallel()
	addr := testdb.SilentRedis(t)
	opt, err := redisOptions("redis://" + addr + "/0")
	if err != nil {
		t.Fatal(err)
	}
	r := newRedis(opt, "pointguard-test-hang:")
	defer r.Close()
	c := Default()
	c.RatePerSecond, c.RateBurst, c.Redis, c.Log = 1, 20, r, slog.New(&logged{})
	h := c.Middleware(&counter{}, byHeader)
	start := time.Now()
	if rec := hit(h, "a"); rec.Code != http.StatusOK {
		t.Fatalf("first request: %d %s", rec.Code, rec.Body)
	}
	first := time.Since(start)
	for i := range 19 {
		if rec := hit(h, "a"); rec.Code != http.StatusOK {
			t.Fatalf("request %d: %d %s", i+2, rec.Code, rec.Body)
		}
	}
	rest := time.Since(start) - first
	t.Logf("first request %v, the 19 after it %v", first, rest)
	if first > redisWait+500*time.Millisecond || rest > 200*time.Millisecond {
		t.Errorf("first request took %v (bound %v), the 19 after it %v", first, redisWait, rest)
	}
}

// proxy forwards TCP connections to Redis until stopped, so that a test
// can take Redis away from one client and give it back.
type proxy struct {
	t      *testing.T
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func (p *proxy) start() {
	p.t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
}

func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestRedisGoesAwayAndComesBack: a replica that loses Redis mid-run falls
// back to its own limit (a client another replica exhausted gets in again),
// warns once, and once Redis is back shares the limit again (that client is
// refused again) and says so.
func TestRedisGoesAwayAndComesBack(t *testing.T) {
	t.Parallel()
	redisURL, prefix := testdb.Redis(t)
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{t: t, addr: "127.0.0.1:0", target: opt.Addr}
	p.start()
	defer p.stop()
	viaProxy, _ := url.Parse(redisURL)
	viaProxy.Host = p.addr

	const rate, burst = 0.1, 2
	a := redisConfig(t, viaProxy.String(), prefix, rate, burst)
	log := &logged{}
	a.Log = slog.New(log)
	b := redisConfig(t, redisURL, prefix, rate, burst)
	ha, hb := a.Middleware(&counter{}, byHeader), b.Middleware(&counter{}, byHeader)

	if got := allowed(t, burst+1, "q", hb); got != burst {
		t.Fatalf("b let %d through, want %d", got, burst)
	}
	if rec := hit(ha, "q"); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("a, with Redis: %d, want 429 (b used the allowance)", rec.Code)
	}

	p.stop()
	if rec := hit(ha, "q"); rec.Code != http.StatusOK {
		t.Fatalf("a, Redis gone: %d %s, want 200 from its own fresh limit", rec.Code, rec.Body)
	}
	if warns := log.at(slog.LevelWarn); len(warns) != 1 {
		t.Errorf("warnings %q, want one", warns)
	}

	p.start() // same address
	time.Sleep(redisRetry + 100*time.Millisecond)
	if rec := hit(ha, "q"); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("a, Redis back: %d, want 429 (the shared allowance is still spent; its own has one left)", rec.Code)
	}
	if infos := log.at(slog.LevelInfo); len(infos) != 1 || !strings.Contains(infos[0], "shared again") {
		t.Errorf("infos %q, want one saying the limits are shared again", infos)
	}
}

// TestFromEnvRedis: POINTGUARD_REDIS_URL is checked at start-up: a bad
// URL or a Redis that does not answer is an error naming the variable,
// never showing the password; a good one gives a shared limit.
func TestFromEnvRedis(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{
		"http://127.0.0.1:6379",
		"redis://:s3cret@127.0.0.1:6379/notadb",
		"redis://:s3cret@127.0.0.1:6379/0?bogus=1",
		"redis://:s3cret@[::1",
		"redis://:s3cret@127.0.0.1:1/0", // nothing listens there
	} {
		start := time.Now()
		_, err := FromEnv(env(map[string]string{"POINTGUARD_REDIS_URL": bad}))
		if err == nil || !strings.Contains(err.Error(), "POINTGUARD_REDIS_URL") || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q: error %v, want one naming the variable, without the password", bad, err)
		}
		if took := time.Since(start); took > 6*time.Second {
			t.Errorf("%q: took %v", bad, took)
		}
		t.Logf("%q: %v", bad, err)
	}
	// Reported with the other bad variables.
	_, err := FromEnv(env(map[string]string{"POINTGUARD_REDIS_URL": "http://x", "POINTGUARD_RATE_BURST": "y"}))
	if err == nil || !strings.Contains(err.Error(), "POINTGUARD_REDIS_URL") || !strings.Contains(err.Error(), "POINTGUARD_RATE_BURST") {
		t.Errorf("two bad variables: %v", err)
	}
	// Rate limiting off: nothing to share, nothing connected to.
	c, err := FromEnv(env(map[string]string{"POINTGUARD_REDIS_URL": "redis://127.0.0.1:1/0", "POINTGUARD_RATE_LIMIT": "0"}))
	if err != nil || c.Redis != nil {
		t.Errorf("rate 0: %+v %v", c, err)
	}

	redisURL, _ := testdb.Redis(t)
	c, err = FromEnv(env(map[string]string{"POINTGUARD_REDIS_URL": " " + redisURL + " "}))
	if err != nil || c.Redis == nil || c.Redis.prefix != DefaultRedisPrefix {
		t.Fatalf("%s: %+v %v", redisURL, c, err)
	}
	c.Redis.Close()
}
