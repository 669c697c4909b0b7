package persisted

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/redis/go-redis/v9"

	"github.com/pointguard/pointguard/limits"
	"github.com/pointguard/pointguard/testdb"
)

// replicaCache is the cache one replica has: its own connection to the
// test's Redis (as limits.NewRedis makes it) and its own front.
func replicaCache(t *testing.T, log *slog.Logger) (*Cache, *limits.Redis) {
	t.Helper()
	url, prefix := testdb.Redis(t)
	return replicaCacheAt(t, url, prefix, log)
}

func replicaCacheAt(t *testing.T, url, prefix string, log *slog.Logger) (*Cache, *limits.Redis) {
	t.Helper()
	r, err := limits.NewRedis(context.Background(), url, prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return NewCache(r.Client(), r.Prefix(), nil, log), r
}

// TestCacheSharedThroughRedis: a query one replica registered, another
// (with a front of its own) gets from its hash alone, from the key
// apq:<prefix><hash>, expiring within TTL.
func TestCacheSharedThroughRedis(t *testing.T) {
	t.Parallel()
	url, prefix := testdb.Redis(t)
	a, r := replicaCacheAt(t, url, prefix, nil)
	b, _ := replicaCacheAt(t, url, prefix, nil)
	ctx := context.Background()
	query := "{ __typename }"
	hash := hashOf(query)

	if _, ok := b.Get(ctx, hash); ok {
		t.Fatal("found before it was added")
	}
	a.Add(ctx, hash, query)
	if got, ok := b.Get(ctx, hash); !ok || got != query {
		t.Fatalf("other replica: %q %v, want %q", got, ok, query)
	}
	key := "apq:" + prefix + hash
	if a.Key(hash) != key {
		t.Errorf("key %q, want %q", a.Key(hash), key)
	}
	ttl, err := r.Client().TTL(ctx, key).Result()
	if err != nil || ttl <= TTL-time.Minute || ttl > TTL {
		t.Errorf("TTL of %s: %v %v, want about %v", key, ttl, err, TTL)
	}
	// The default prefix is Pointguard's.
	if c := NewCache(r.Client(), "", nil, nil); c.Key(hash) != "apq:pointguard:"+hash {
		t.Errorf("default key %q", c.Key(hash))
	}

	// Once in b's front, Redis is not asked again: gone from Redis, b
	// still has it, and a third replica does not.
	if err := r.Client().Del(ctx, key).Err(); err != nil {
		t.Fatal(err)
	}
	if got, ok := b.Get(ctx, hash); !ok || got != query {
		t.Errorf("from the front: %q %v", got, ok)
	}
	c, _ := replicaCacheAt(t, url, prefix, nil)
	if _, ok := c.Get(ctx, hash); ok {
		t.Error("a fresh replica found a key deleted from Redis")
	}
	// Registered again where the front holds it, nothing is written; where
	// it does not, it is.
	a.Add(ctx, hash, query)
	if n, _ := r.Client().Exists(ctx, key).Result(); n != 0 {
		t.Error("registered again with the text the front held: written to Redis again")
	}
	c.Add(ctx, hash, query)
	if n, _ := r.Client().Exists(ctx, key).Result(); n != 1 {
		t.Error("registered on a replica whose front did not hold it: not in Redis")
	}
}

// TestCacheIgnoresWhatIsNotItsOwn: a value under a key whose hash it is
// not is never served, nor anything under a hash that is no SHA-256 (which
// Get does not even ask Redis for).
func TestCacheIgnoresWhatIsNotItsOwn(t *testing.T) {
	t.Parallel()
	c, r := replicaCache(t, nil)
	ctx := context.Background()
	hash := hashOf("{ a }")
	if err := r.Client().Set(ctx, c.Key(hash), "{ b }", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if got, ok := c.Get(ctx, hash); ok {
		t.Errorf("served %q under the hash of another document", got)
	}
	for _, h := range []string{"", "abc", strings.ToUpper(hash), hash + "0"} {
		if err := r.Client().Set(ctx, c.Key(h), "{ __typename }", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		if _, ok := c.Get(ctx, h); ok {
			t.Errorf("asked Redis for %q", h)
		}
	}
}

// logged keeps the messages logged, by level.
type logged struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logged) Enabled(context.Context, slog.Level) bool { return true }
func (l *logged) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logged) WithGroup(string) slog.Handler            { return l }
func (l *logged) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, r.Level.String()+" "+r.Message)
	return nil
}

func (l *logged) at(prefix string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, m := range l.msgs {
		if strings.HasPrefix(m, prefix) {
			out = append(out, m)
		}
	}
	return out
}

// TestCacheRedisDown: with nothing listening where Redis should be, Get
// answers not found (APQ's client then sends the text), quickly, Add keeps
// the query in the process, nothing panics, and one warning says so
// however many calls went without Redis.
func TestCacheRedisDown(t *testing.T) {
	t.Parallel()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: time.Second, MaxRetries: 1, ContextTimeoutEnabled: true})
	defer client.Close()
	log := &logged{}
	c := NewCache(client, "pointguard-test-down:", lru.New[string](10), slog.New(log))
	ctx := context.Background()
	start := time.Now()
	for i := range 100 {
		q := fmt.Sprintf("{ a%d: __typename }", i)
		if _, ok := c.Get(ctx, hashOf(q)); ok {
			t.Fatalf("found %s with Redis down", q)
		}
		c.Add(ctx, hashOf(q), q)
		if got, ok := c.Get(ctx, hashOf(q)); !ok || got != q {
			t.Fatalf("added with Redis down, then %q %v: the process keeps it", got, ok)
		}
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("100 calls took %v: Redis down must not slow every request", took)
	}
	if warns := log.at("WARN"); len(warns) != 1 || !strings.Contains(warns[0], "per process") {
		t.Errorf("warnings %q, want one", warns)
	}
}

// TestCacheRedisHangs: a Redis that accepts connections and never answers
// costs one call at most redisWait, then none for redisRetry.
func TestCacheRedisHangs(t *testing.T) {
	t.Parallel()
	addr := testdb.SilentRedis(t)
	client := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, MaxRetries: 1, ContextTimeoutEnabled: true})
	defer client.Close()
	c := NewCache(client, "pointguard-test-hang:", nil, slog.New(&logged{}))
	ctx := context.Background()
	start := time.Now()
	if _, ok := c.Get(ctx, hashOf("{ a }")); ok {
		t.Fatal("found")
	}
	first := time.Since(start)
	for i := range 20 {
		q := fmt.Sprintf("{ a%d: __typename }", i)
		c.Add(ctx, hashOf(q), q)
		c.Get(ctx, hashOf(q+" "))
	}
	rest := time.Since(start) - first
	if first > redisWait+500*time.Millisecond || rest > 200*time.Millisecond {
		t.Errorf("first call took %v (bound %v), the 40 after it %v", first, redisWait, rest)
	}
}
