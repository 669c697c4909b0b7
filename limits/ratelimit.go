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
)

// limiterCacheSize bounds how many clients' limiters are kept. When it is
// full, the least recently seen client's limiter is dropped (an idle one,
// unless more clients than this are active at once); it comes back full.
const limiterCacheSize = 10_000

// RateLimit lets each client, as named by key, make perSecond requests per
// second on average and burst at once; past that it answers 429 with a
// Retry-After header (whole seconds, at least 1) and a GraphQL-shaped body
// whose error has the code RATE_LIMITED, without calling next. perSecond
// 0 (or less) disables it: next is returned as is. A burst below 1 is 1.
// The limiters of the 10,000 most recently seen clients are kept.
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
	now := rl.now()
	l := rl.limiter(rl.key(r))
	if l.AllowN(now, 1) {
		rl.next.ServeHTTP(w, r)
		return
	}
	rl.refuse(w, l, now)
}

// refuse answers 429 to a client whose limiter l is empty.
func (rl *rateLimiter) refuse(w http.ResponseWriter, l *rate.Limiter, now time.Time) {
	// The wait until one whole token is back, rounded up to a whole second.
	missing := 1 - l.TokensAt(now)
	retry := max(1, int(math.Ceil(missing/rl.perSecond)))
	w.Header().Set("Retry-After", strconv.Itoa(retry))
	apierror.Write(w, http.StatusTooManyRequests, apierror.CodeRateLimited,
		fmt.Sprintf("rate limit exceeded: at most %s requests per second (bursts of %d); retry after %d s",
			strconv.FormatFloat(rl.perSecond, 'f', -1, 64), rl.burst, retry))
}

// FailureLimit limits, by client address, failed attempts to authenticate:
// past the allowance, requests are answered 429 before their token is
// looked up, so guessing tokens costs the database nothing. Successes do
// not count. A nil *FailureLimit limits nothing.
type FailureLimit struct{ rl *rateLimiter }

// FailureLimit is the failure limit with the configuration's rate and
// burst, or nil when RatePerSecond is 0.
func (c Config) FailureLimit() *FailureLimit {
	if c.RatePerSecond <= 0 {
		return nil
	}
	return &FailureLimit{newRateLimiter(nil, c.RatePerSecond, c.RateBurst, ClientIP, limiterCacheSize, time.Now)}
}

// Refused answers 429 and is true when r's client has no failures left.
func (f *FailureLimit) Refused(w http.ResponseWriter, r *http.Request) bool {
	if f == nil {
		return false
	}
	now := f.rl.now()
	l := f.rl.limiter(f.rl.key(r))
	if l.TokensAt(now) >= 1 {
		return false
	}
	f.rl.refuse(w, l, now)
	return true
}

// Failed counts a failed attempt of r's client.
func (f *FailureLimit) Failed(r *http.Request) {
	if f != nil {
		f.rl.limiter(f.rl.key(r)).AllowN(f.rl.now(), 1)
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
