package limits

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"

	"github.com/pointguard/pointguard/apierror"
	"github.com/pointguard/pointguard/metrics"
)

// limiterCacheSize bounds how many clients' limiters are kept. When it is
// full, the least recently seen client's limiter is dropped (an idle one,
// unless more clients than this are active at once); it comes back full.
const limiterCacheSize = 10_000

// RateLimit gives each client, as named by key, a budget of burst that
// refills at perSecond; each request takes 1 of it, and its operation the
// rest of its cost (CostBudget, through the request's Charge). A request
// that finds the budget spent is answered 429 with a Retry-After header
// (whole seconds, at least 1) and a GraphQL-shaped body whose error has
// the code RATE_LIMITED, without calling next. perSecond 0 (or less)
// disables it: next is returned as is. A burst below 1 is 1. The budgets
// of the 10,000 most recently seen clients are kept.
func RateLimit(next http.Handler, perSecond float64, burst int, key func(*http.Request) string) http.Handler {
	if perSecond <= 0 || math.IsNaN(perSecond) {
		return next
	}
	return newRateLimiter(next, perSecond, burst, key, limiterCacheSize, time.Now)
}

type rateLimiter struct {
	next      http.Handler
	perSecond float64
	burst     int
	key       func(*http.Request) string
	now       func() time.Time
	limiters  *lru.Cache[string, *rate.Limiter]
}

func newRateLimiter(next http.Handler, perSecond float64, burst int, key func(*http.Request) string,
	size int, now func() time.Time) *rateLimiter {
	limiters, err := lru.New[string, *rate.Limiter](size)
	if err != nil {
		panic(err) // only for a size below 1
	}
	return &rateLimiter{
		next:      next,
		perSecond: perSecond,
		burst:     max(burst, 1),
		key:       key,
		now:       now,
		limiters:  limiters,
	}
}

// limiter is the client's limiter, created full on its first request.
func (rl *rateLimiter) limiter(key string) *rate.Limiter {
	if l, ok := rl.limiters.Get(key); ok {
		return l
	}
	l := rate.NewLimiter(rate.Limit(rl.perSecond), rl.burst)
	if prev, ok, _ := rl.limiters.PeekOrAdd(key, l); ok {
		return prev // another request of the same client got there first
	}
	return l
}

func (rl *rateLimiter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rl.serve(w, r, rl.key(r))
}

func (rl *rateLimiter) serve(w http.ResponseWriter, r *http.Request, key string) {
	now := rl.now()
	l := rl.limiter(key)
	if !l.AllowN(now, 1) {
		rl.refuse(w, r, rl.wait(l, now, 1))
		return
	}
	rl.charge(func(n int) (bool, float64, float64) {
		now := rl.now()
		if n <= 0 || l.AllowN(now, n) {
			return true, 0, l.TokensAt(now)
		}
		return false, rl.wait(l, now, n), l.TokensAt(now)
	}, l.TokensAt(now)).served(rl.next, w, r)
}

// charge is a request's charge against a budget of rl's size, taking
// with take, left holding what remains after the request's 1.
func (rl *rateLimiter) charge(take func(int) (bool, float64, float64), left float64) *Charge {
	return &Charge{perSecond: rl.perSecond, burst: rl.burst, take: take, at: rl.now, left: left}
}

// wait is how long until l holds n again, in seconds.
func (rl *rateLimiter) wait(l *rate.Limiter, now time.Time, n int) float64 {
	return (float64(n) - l.TokensAt(now)) / rl.perSecond
}

// refuse answers 429 to a client that has nothing left for wait seconds,
// and counts it (package metrics).
func (rl *rateLimiter) refuse(w http.ResponseWriter, r *http.Request, wait float64) {
	metrics.RateLimited(r.Context())
	retry := retryAfter(wait)
	w.Header().Set("Retry-After", strconv.Itoa(retry))
	apierror.Write(w, http.StatusTooManyRequests, apierror.CodeRateLimited,
		fmt.Sprintf("rate limit exceeded: the budget of %d is spent (restored at %s a second); retry after %d s",
			rl.burst, strconv.FormatFloat(rl.perSecond, 'f', -1, 64), retry))
}

// FailureLimit limits, by client address, failed attempts to authenticate:
// past the allowance, requests are answered 429 before their token is
// looked up, so guessing tokens costs the database nothing. Successes do
// not count. A nil *FailureLimit limits nothing. With Config.Redis, the
// count is shared by the replicas (falling back to this process's own
// while Redis does not answer).
type FailureLimit struct {
	rl     *rateLimiter
	shared *sharedLimit // nil without Redis
}

// FailureLimit is the failure limit with the configuration's
// FailuresPerSecond and FailureBurst, or nil when rate limiting is off
// (RatePerSecond 0).
func (c Config) FailureLimit() *FailureLimit {
	if c.RatePerSecond <= 0 || c.FailuresPerSecond <= 0 {
		return nil
	}
	f := &FailureLimit{rl: newRateLimiter(nil, c.FailuresPerSecond, c.FailureBurst, ClientIP, limiterCacheSize, time.Now)}
	if c.Redis != nil {
		f.shared = c.Redis.limit(redisFailures, c.FailuresPerSecond, c.FailureBurst, c.Log)
	}
	return f
}

// Refused answers 429 and is true when r's client has no failures left.
func (f *FailureLimit) Refused(w http.ResponseWriter, r *http.Request) bool {
	if f == nil {
		return false
	}
	key := f.rl.key(r)
	if f.shared != nil {
		if ok, wait, answered := f.shared.peek(r.Context(), "ip:"+key); answered {
			if !ok {
				f.rl.refuse(w, r, wait)
			}
			return !ok
		}
	}
	now := f.rl.now()
	l := f.rl.limiter(key)
	if l.TokensAt(now) >= 1 {
		return false
	}
	f.rl.refuse(w, r, f.rl.wait(l, now, 1))
	return true
}

// Failed counts a failed attempt of r's client.
func (f *FailureLimit) Failed(r *http.Request) {
	if f == nil {
		return
	}
	key := f.rl.key(r)
	if f.shared != nil {
		if _, _, answered := f.shared.take(r.Context(), "ip:"+key); answered {
			return
		}
	}
	f.rl.limiter(key).AllowN(f.rl.now(), 1)
}

// sharedRateLimiter is the request limit kept in Redis, with the process's
// own (local) for when Redis does not answer.
type sharedRateLimiter struct {
	local  *rateLimiter
	shared *sharedLimit
}

func (s *sharedRateLimiter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := s.local.key(r)
	ctx := r.Context()
	res, answered := s.shared.ask(ctx, key, 1)
	switch {
	case !answered:
		s.local.serve(w, r, key)
	case res.Allowed > 0:
		s.local.charge(func(n int) (bool, float64, float64) {
			if n <= 0 {
				return true, 0, float64(res.Remaining)
			}
			more, answered := s.shared.ask(ctx, key, n)
			if !answered {
				return true, 0, float64(res.Remaining) // Redis went away: this one is let through
			}
			return more.Allowed > 0, more.RetryAfter.Seconds(), float64(more.Remaining)
		}, float64(res.Remaining)).served(s.local.next, w, r)
	default:
		s.local.refuse(w, r, res.RetryAfter.Seconds())
	}
}

// ClientIP is the host part of r.RemoteAddr: the address of the peer, not
// of a client behind a proxy (X-Forwarded-For is not trusted).
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
