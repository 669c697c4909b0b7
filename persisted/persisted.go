// Package persisted is the API's documents known by their SHA-256: the
// cache of automatic persisted queries, kept in Redis so that every replica
// knows a query any of them was sent (Cache), and the allow-list of trusted
// documents that partner apps' tokens are held to (Trusted, TrustedOnly).
package persisted

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/redis/go-redis/v9"

	"github.com/pointguard/pointguard/limits"
)

const (
	// KeyPrefix comes before the Redis prefix (limits.DefaultRedisPrefix)
	// in a persisted query's key: apq:pointguard:<sha256 hex>.
	KeyPrefix = "apq:"
	// TTL is how long Redis keeps a query after it was last registered
	// (sent with its text). Reading it does not make it live longer: a Get
	// stays a plain GET, and a query still in use that expires costs each
	// replica that misses it one PERSISTED_QUERY_NOT_FOUND, after which the
	// client sends the text again (APQ's own recovery), so Redis never
	// holds more than a day of queries.
	TTL = 24 * time.Hour
	// FrontSize is how many queries each process keeps in front of Redis.
	FrontSize = 1000

	// redisWait bounds one call to Redis: past it the query is not found
	// (or not stored), never waited on.
	redisWait = 250 * time.Millisecond
)

// Cache is a graphql.Cache[string] for gqlgen's
// extension.AutomaticPersistedQuery, kept in Redis so that a query sent to
// one replica with its text is served by every replica from its hash
// alone. Keys are KeyPrefix + prefix + the query's SHA-256 in hex, expiring
// after TTL.
//
// A small LRU in the process sits in front of Redis: a hot hash (a partner
// app's one query, sent thousands of times a second) is then answered from
// memory rather than with a round trip to Redis for each request, and a
// query registered again with the text this process already holds is not
// written again. A query's text never changes for its hash, so the front
// can never be stale; it only outlives the key in Redis, which costs
// nothing.
//
// When Redis does not answer (within 250 ms), Get answers not found (the
// client then sends the text again, which is APQ's own recovery) and Add
// keeps the query in the front only; Redis is then left alone for a
// second, and a warning is logged at most every 30 s while it lasts.
type Cache struct {
	client *redis.Client
	prefix string
	front  graphql.Cache[string]
	log    *slog.Logger
	addr   string
	health *limits.RedisHealth
}

var _ graphql.Cache[string] = (*Cache)(nil)

// NewCache is the cache kept in Redis through client (limits.Redis.Client,
// whose context timeouts are enabled) under prefix ("" for
// limits.DefaultRedisPrefix), with front before it (nil for an LRU of
// FrontSize). log gets the warnings (nil for slog.Default).
func NewCache(client *redis.Client, prefix string, front graphql.Cache[string], log *slog.Logger) *Cache {
	if prefix == "" {
		prefix = limits.DefaultRedisPrefix
	}
	if front == nil {
		front = lru.New[string](FrontSize)
	}
	if log == nil {
		log = slog.Default()
	}
	return &Cache{client: client, prefix: prefix, front: front, log: log, addr: client.Options().Addr,
		health: &limits.RedisHealth{Shared: "persisted queries"}}
}

// Key is the Redis key of the query whose SHA-256 is hash.
func (c *Cache) Key(hash string) string { return KeyPrefix + c.prefix + hash }

// Get is the query whose SHA-256 is hash, from the front or from Redis.
func (c *Cache) Get(ctx context.Context, hash string) (string, bool) {
	if query, ok := c.front.Get(ctx, hash); ok {
		return query, true
	}
	// Anything else (a hash sent alone may be a megabyte of anything) is
	// no key of ours: never asked for.
	if !isSHA256(hash) || c.health.Resting() {
		return "", false
	}
	ctx, cancel := context.WithTimeout(ctx, redisWait)
	defer cancel()
	query, err := c.client.Get(ctx, c.Key(hash)).Result()
	switch {
	case err == nil:
		c.health.Answered(c.log, c.addr)
		if sum := sha256.Sum256([]byte(query)); hex.EncodeToString(sum[:]) != hash {
			return "", false // not written by Add: a key of someone else's
		}
		c.front.Add(ctx, hash, query)
		return query, true
	case errors.Is(err, redis.Nil):
		c.health.Answered(c.log, c.addr)
	case errors.Is(err, context.Canceled):
		// The client went away, not Redis.
	default:
		c.health.Failed(c.log, c.addr, err)
	}
	return "", false
}

// Add registers query under hash (its SHA-256, as
// extension.AutomaticPersistedQuery has checked), in the front and, unless
// the front held it already, in Redis for TTL.
func (c *Cache) Add(ctx context.Context, hash, query string) {
	if known, ok := c.front.Get(ctx, hash); ok && known == query {
		return
	}
	c.front.Add(ctx, hash, query)
	if c.health.Resting() {
		return
	}
	// Stored even if the client goes away meanwhile: another replica may
	// be sent the hash next.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), redisWait)
	defer cancel()
	if err := c.client.Set(ctx, c.Key(hash), query, TTL).Err(); err != nil {
		c.health.Failed(c.log, c.addr, err)
		return
	}
	c.health.Answered(c.log, c.addr)
}

// isSHA256 is whether s is a SHA-256 in lowercase hex.
func isSHA256(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := range len(s) {
		if b := s[i]; (b < '0' || b > '9') && (b < 'a' || b > 'f') {
			return false
		}
	}
	return true
}
