package limits

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// DefaultRedisPrefix namespaces Pointguard's keys in Redis. redis_rate puts
// "rate:" before it, so a key reads rate:pointguard:<kind>:<client>.
const DefaultRedisPrefix = "pointguard:"

// Kinds of keys, one per limit.
const (
	redisCost     = "cost"    // the query cost budget; its clients are "token:<id>" or "ip:<address>"
	redisFailures = "failure" // the failure limit, per "ip:<address>"
)

const (
	// redisWait bounds what one limit check waits for Redis; past it the
	// request is limited per process instead of waiting on.
	redisWait = 250 * time.Millisecond
	// redisRetry is how long after a failure Redis is not asked, so that
	// while it is down requests do not each wait for it.
	redisRetry = time.Second
	// redisWarnEvery spaces the warnings while Redis stays down.
	redisWarnEvery = 30 * time.Second
	// redisStartWait bounds the check at start-up.
	redisStartWait = 5 * time.Second
)

// Redis keeps the cost budget and the failure limit in Redis, so that every
// replica using the same Redis (and prefix) shares them: GCRA, by
// go-redis/redis_rate, on Redis's clock. When Redis does not answer, each
// limit falls back to the process's own, with the same rate and burst, until
// it does again (a warning says so, at most every 30 s).
type Redis struct {
	client  *redis.Client
	limiter *redis_rate.Limiter
	prefix  string
	addr    string
	health  RedisHealth
}

// NewRedis connects to the Redis at rawURL (redis://, rediss:// or unix://,
// as go-redis reads them) and checks, within ctx, that it answers and runs
// the limiter's script. prefix namespaces the keys (DefaultRedisPrefix).
// Errors never show the URL's password.
func NewRedis(ctx context.Context, rawURL, prefix string) (*Redis, error) {
	opt, err := redisOptions(rawURL)
	if err != nil {
		return nil, err
	}
	r := newRedis(opt, prefix)
	// A cost of 0 takes nothing and writes nothing; it proves EVAL works
	// (an ACL or a managed Redis may forbid it).
	check := gcra(1, 1)
	if _, err := r.limiter.AllowN(ctx, prefix+"start-up-check", check, 0); err != nil {
		r.client.Close()
		return nil, fmt.Errorf("Redis at %s does not answer: %w", r.addr, err)
	}
	return r, nil
}

// redisOptions parses a Redis URL and sets the timeouts that keep a slow
// Redis from slowing requests, unless the URL sets them.
func redisOptions(rawURL string) (*redis.Options, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL, password and all
		}
		return nil, fmt.Errorf("not a URL: %w", err)
	}
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%s is not a Redis URL (redis://[user:password@]host:port/db, rediss://… or unix://…): %w",
			u.Redacted(), err)
	}
	given := u.Query()
	if !given.Has("dial_timeout") {
		opt.DialTimeout = time.Second
	}
	if !given.Has("max_retries") {
		opt.MaxRetries = 1 // a pooled connection Redis closed on restart
	}
	// Each check's context (redisWait) bounds dialing, waiting for a
	// connection and reading, whatever the URL says.
	opt.ContextTimeoutEnabled = true
	opt.DialerRetries = 1 // the pool's default 5 would wait five times as long
	return opt, nil
}

var quietRedis sync.Once

func newRedis(opt *redis.Options, prefix string) *Redis {
	// go-redis logs every failed dial on its own; Redis's failures are
	// reported by health instead, spaced out.
	quietRedis.Do(func() { redis.SetLogger(discardRedisLog{}) })
	client := redis.NewClient(opt)
	r := &Redis{client: client, limiter: redis_rate.NewLimiter(client), prefix: prefix, addr: opt.Addr}
	r.health.Shared = "rate limits"
	return r
}

type discardRedisLog struct{}

func (discardRedisLog) Printf(context.Context, string, ...any) {}

// Close closes the connections to Redis.
func (r *Redis) Close() error { return r.client.Close() }

// Client is the connection to Redis, for what else keeps state there
// (package persisted), with the timeouts set here; Close closes it.
func (r *Redis) Client() *redis.Client { return r.client }

// Prefix is what namespaces the keys (DefaultRedisPrefix).
func (r *Redis) Prefix() string { return r.prefix }

// gcra is perSecond and burst as redis_rate reads them: an integer rate per
// period, so a fractional one is 1 per 1/perSecond seconds.
func gcra(perSecond float64, burst int) redis_rate.Limit {
	if perSecond == math.Trunc(perSecond) && perSecond <= math.MaxInt32 {
		return redis_rate.Limit{Rate: int(perSecond), Burst: burst, Period: time.Second}
	}
	return redis_rate.Limit{Rate: 1, Burst: burst, Period: max(time.Nanosecond, time.Duration(float64(time.Second)/perSecond))}
}

// sharedLimit is one limit kept in Redis under one kind of key.
type sharedLimit struct {
	redis     *Redis
	kind      string
	limit     redis_rate.Limit
	perSecond float64
	log       *slog.Logger
}

func (r *Redis) limit(kind string, perSecond float64, burst int, log *slog.Logger) *sharedLimit {
	if log == nil {
		log = slog.Default()
	}
	return &sharedLimit{redis: r, kind: kind, limit: gcra(perSecond, max(burst, 1)), perSecond: perSecond, log: log}
}

// take takes one from client's allowance, or says how long until one is
// back (seconds). answered is false when Redis did not answer: the caller
// falls back to the process's limit.
func (s *sharedLimit) take(ctx context.Context, client string) (ok bool, wait float64, answered bool) {
	res, answered := s.ask(ctx, client, 1)
	if !answered {
		return false, 0, false
	}
	return res.Allowed > 0, res.RetryAfter.Seconds(), true
}

// peek is take without taking: whether client has one left.
func (s *sharedLimit) peek(ctx context.Context, client string) (ok bool, wait float64, answered bool) {
	res, answered := s.ask(ctx, client, 0)
	if !answered {
		return false, 0, false
	}
	// At cost 0, Remaining is the whole allowance left, and ResetAfter the
	// time until all of it is back: one is back (burst-1) intervals sooner.
	wait = res.ResetAfter.Seconds() - float64(s.limit.Burst-1)/s.perSecond
	return res.Remaining >= 1, wait, true
}

func (s *sharedLimit) ask(ctx context.Context, client string, n int) (*redis_rate.Result, bool) {
	h := &s.redis.health
	if h.Resting() {
		return nil, false
	}
	ctx, cancel := context.WithTimeout(ctx, redisWait)
	defer cancel()
	res, err := s.redis.limiter.AllowN(ctx, s.redis.prefix+s.kind+":"+client, s.limit, n)
	switch {
	case err == nil:
		h.Answered(s.log, s.redis.addr)
		return res, true
	case errors.Is(err, context.Canceled):
		return nil, false // the client went away, not Redis
	default:
		h.Failed(s.log, s.redis.addr, err)
		return nil, false
	}
}

// RedisHealth is whether Redis answers, for each user of it (the rate
// limits, the persisted queries) to fall back alike. After a failure Redis
// is left alone for a second (Resting); the first failure is logged, then
// one every 30 s while it lasts, with how many calls fell back meanwhile,
// and its return once. Shared names what falls back to the process
// ("rate limits").
type RedisHealth struct {
	Shared string

	restUntil atomic.Int64 // Unix nanoseconds
	down      atomic.Bool
	fellBack  atomic.Int64

	mu       sync.Mutex
	lastWarn time.Time
}

// Resting is true while Redis is left alone after a failure: the caller
// falls back without asking it.
func (h *RedisHealth) Resting() bool {
	if time.Now().UnixNano() < h.restUntil.Load() {
		h.fellBack.Add(1)
		return true
	}
	return false
}

// Failed notes that Redis at addr did not answer.
func (h *RedisHealth) Failed(log *slog.Logger, addr string, err error) {
	now := time.Now()
	h.restUntil.Store(now.Add(redisRetry).UnixNano())
	h.fellBack.Add(1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down.Load() && now.Sub(h.lastWarn) < redisWarnEvery {
		return
	}
	h.down.Store(true)
	h.lastWarn = now
	log.Warn("Redis does not answer: "+h.Shared+" are per process until it does",
		"redis", addr, "error", err, "fell_back", h.fellBack.Swap(0))
}

// Answered notes that Redis at addr answered.
func (h *RedisHealth) Answered(log *slog.Logger, addr string) {
	if !h.down.Load() {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down.Swap(false) {
		log.Info("Redis answers again: "+h.Shared+" are shared again", "redis", addr, "fell_back", h.fellBack.Swap(0))
	}
}
