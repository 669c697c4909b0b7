package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pointguard/pointguard/apierror"
	"github.com/pointguard/pointguard/auth"
	"github.com/pointguard/pointguard/limits"
	"github.com/pointguard/pointguard/secrets"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/testdb"
)

// replica is one Pointguard process behind a load balancer: its own store,
// service, limits (and connection to Redis) and HTTP server.
type replica struct {
	url string
	log *warnings
}

// startReplicas starts n replicas on one database, each started with the
// same admin token as real ones are, with the limits cfg kept in the Redis
// at redisURL under prefix ("" for none: each keeps its own).
func startReplicas(t *testing.T, n int, databaseURL string, cfg limits.Config, redisURL, prefix string) ([]replica, string) {
	t.Helper()
	ctx := context.Background()
	ring, _ := secrets.NewKeyring(secrets.NewKey())
	admin := auth.NewToken()
	var replicas []replica
	for range n {
		st, err := store.Open(ctx, databaseURL, store.Options{Secrets: ring})
		if err != nil {
			t.Fatalf("open store: %v", err)
		}
		t.Cleanup(func() { st.Close() })
		svc := service.New(st)
		if _, err := svc.SetBootstrapToken(ctx, admin); err != nil {
			t.Fatalf("admin token: %v", err)
		}
		c := cfg
		if redisURL != "" {
			r, err := limits.NewRedis(ctx, redisURL, prefix)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close() })
			c.Redis = r
		}
		var logTo io.Writer = io.Discard
		if testing.Verbose() {
			logTo = testWriter{t}
		}
		w := &warnings{Handler: slog.NewTextHandler(logTo, nil)}
		srv := httptest.NewServer(New(st, svc, slog.New(w), c, Pointguard))
		t.Cleanup(srv.Close)
		replicas = append(replicas, replica{url: srv.URL, log: w})
	}
	return replicas, admin
}

// warnings counts the warnings logged and passes every record on.
type warnings struct {
	slog.Handler
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		w.mu.Lock()
		w.msgs = append(w.msgs, r.Message)
		w.mu.Unlock()
	}
	return w.Handler.Handle(ctx, r)
}

func (w *warnings) list() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.msgs...)
}

// knock sends { __typename } with token and returns the status, failing
// the test on anything but 200, 401 and a well-formed 429.
func knock(t *testing.T, base, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	switch resp.StatusCode {
	case http.StatusOK, http.StatusUnauthorized:
	case http.StatusTooManyRequests:
		var r result
		if err := json.Unmarshal(raw, &r); err != nil || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != apierror.CodeRateLimited {
			t.Fatalf("429 body %s (%v)", raw, err)
		}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
			t.Fatalf("429 with Retry-After %q", resp.Header.Get("Retry-After"))
		}
	default:
		t.Fatalf("%s: %d %s", base, resp.StatusCode, raw)
	}
	return resp.StatusCode
}

// TestReplicasShareTheRateLimit: three replicas on one PostgreSQL and one
// Redis, asked in turn with one token, let through one replica's allowance
// (the burst, plus the rate over the run), not three; without Redis each
// replica gives its own (at least three bursts). The token's key in Redis
// names it by ID, never by the token itself.
func TestReplicasShareTheRateLimit(t *testing.T) {
	t.Parallel()
	cfg := limits.Default()
	cfg.RatePerSecond, cfg.RateBurst = 5, 10
	const requests = 45 // 15 a replica: more than a burst each

	var token string
	run := func(t *testing.T, redisURL, prefix string) (allowed int, oneReplica float64) {
		var replicas []replica
		replicas, token = startReplicas(t, 3, testdb.Postgres(t), cfg, redisURL, prefix)
		start := time.Now()
		for i := range requests {
			if knock(t, replicas[i%3].url, token) == http.StatusOK {
				allowed++
			}
		}
		// What one replica alone would have let through over the run.
		oneReplica = float64(cfg.RateBurst) + cfg.RatePerSecond*time.Since(start).Seconds()
		if oneReplica+1 >= 3*float64(cfg.RateBurst) {
			t.Fatalf("the run took %v: too slow to tell one replica's allowance from three", time.Since(start))
		}
		for i, r := range replicas {
			if w := r.log.list(); len(w) > 0 {
				t.Errorf("replica %d warned: %q", i, w)
			}
		}
		return allowed, oneReplica
	}

	t.Run("redis", func(t *testing.T) {
		redisURL, prefix := testdb.Redis(t)
		allowed, one := run(t, redisURL, prefix)
		t.Logf("shared: %d of %d let through (one replica's allowance: %.1f)", allowed, requests, one)
		if allowed < cfg.RateBurst || float64(allowed) > one+1 {
			t.Errorf("shared: %d of %d let through, want one replica's allowance (%d to %.1f)", allowed, requests, cfg.RateBurst, one+1)
		}
		keys, err := testdb.RedisKeys(redisURL, prefix)
		id := regexp.MustCompile(`^rate:` + regexp.QuoteMeta(prefix) + `cost:token:tok_[0-9a-f]+$`)
		secret := token[len(auth.Prefix(token)):]
		if err != nil || len(keys) != 1 || !id.MatchString(keys[0]) || strings.Contains(keys[0], secret) {
			t.Errorf("keys %q (%v), want one: rate:%scost:token:<token ID>, without the token", keys, err, prefix)
		}
	})
	t.Run("per process", func(t *testing.T) {
		allowed, one := run(t, "", "")
		t.Logf("per process: %d of %d let through (one replica's allowance: %.1f)", allowed, requests, one)
		if allowed < 3*cfg.RateBurst {
			t.Errorf("per process: %d of %d let through, want at least a burst a replica (%d)", allowed, requests, 3*cfg.RateBurst)
		}
	})
}

// TestReplicasShareTheFailureLimit: failed authentications on one replica
// count on the others: once an address has spent its failures on replica
// A, replica B refuses its next guess and replica C refuses even a valid
// token it has not seen (before looking it up); without Redis, B and C
// know nothing of A's failures.
func TestReplicasShareTheFailureLimit(t *testing.T) {
	t.Parallel()
	cfg := limits.Default()
	cfg.FailuresPerSecond, cfg.FailureBurst = 0.2, 5 // a failure back every 5 s
	for _, tc := range []struct {
		name        string
		redis       bool
		guessOnB    int
		validTokenC int
	}{
		{"redis", true, http.StatusTooManyRequests, http.StatusTooManyRequests},
		{"per process", false, http.StatusUnauthorized, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			redisURL, prefix := "", ""
			if tc.redis {
				redisURL, prefix = testdb.Redis(t)
			}
			replicas, admin := startReplicas(t, 3, testdb.Postgres(t), cfg, redisURL, prefix)
			for i := range cfg.FailureBurst {
				if got := knock(t, replicas[0].url, auth.NewToken()); got != http.StatusUnauthorized {
					t.Fatalf("guess %d on A: %d, want 401", i+1, got)
				}
			}
			if got := knock(t, replicas[1].url, auth.NewToken()); got != tc.guessOnB {
				t.Errorf("a guess on B after %d failures on A: %d, want %d", cfg.FailureBurst, got, tc.guessOnB)
			}
			if got := knock(t, replicas[2].url, admin); got != tc.validTokenC {
				t.Errorf("a valid token on C: %d, want %d", got, tc.validTokenC)
			}
		})
	}
}

// TestReplicasRedisGoesAway: a replica whose Redis goes away mid-run keeps
// answering, never 500: valid tokens 200, bad ones 401, past the
// process's own burst 429; it warns once.
func TestReplicasRedisGoesAway(t *testing.T) {
	t.Parallel()
	redisURL, prefix := testdb.Redis(t)
	u, _ := url.Parse(redisURL)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu     sync.Mutex
		conns  []net.Conn
		target = u.Host
	)
	go func() { // forwards to Redis until closed
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, up)
			mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	takeAway := func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}
	t.Cleanup(takeAway)
	u.Host = ln.Addr().String()

	cfg := limits.Default()
	cfg.RatePerSecond, cfg.RateBurst = 0.2, 3
	replicas, admin := startReplicas(t, 1, testdb.Postgres(t), cfg, u.String(), prefix)
	base := replicas[0].url
	if got := knock(t, base, admin); got != http.StatusOK {
		t.Fatalf("with Redis: %d", got)
	}

	takeAway()
	statuses := map[int]int{}
	for range 2 * cfg.RateBurst {
		statuses[knock(t, base, admin)]++ // knock fails on a 500
	}
	if statuses[http.StatusOK] != cfg.RateBurst || statuses[http.StatusTooManyRequests] != cfg.RateBurst {
		t.Errorf("Redis gone, one token: %v, want the process's own burst (%d) then 429", statuses, cfg.RateBurst)
	}
	if got := knock(t, base, auth.NewToken()); got != http.StatusUnauthorized {
		t.Errorf("Redis gone, a bad token: %d, want 401", got)
	}
	if w := replicas[0].log.list(); len(w) != 1 || !strings.Contains(w[0], "Redis does not answer") {
		t.Errorf("warnings %q, want one", w)
	}
}
