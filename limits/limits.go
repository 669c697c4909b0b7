// Package limits bounds what one client can ask of the API: how deep an
// operation nests (DepthLimit), how much it may cost (Complexity sets the
// costs in gqlgen's ComplexityRoot, ComplexityLimit enforces them), how
// much a client may spend (a budget of query cost per token, CostBudget;
// shared by replicas through Redis when Config.Redis is set), and whether
// introspection is allowed
// (Introspection). Config holds the limits, FromEnv reads them, Config.Use
// and Config.Middleware install them.
//
// Every refusal is a GraphQL error with extensions.code: QUERY_TOO_DEEP,
// QUERY_TOO_COMPLEX and INTROSPECTION_DISABLED are request errors, answered
// like gqlgen's validation errors (by gqlgen alone 422; the API answers
// them as GraphQL over HTTP says, api/graphqlhttp.go); RATE_LIMITED is HTTP 429 with
// Retry-After.
package limits

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"

	"github.com/pointguard/pointguard/admission"
	"github.com/pointguard/pointguard/apierror"
)

func init() {
	// gqlgen answers an operation-context error with 422 only if its code is
	// registered as a protocol error; unregistered codes (gqlgen's own
	// COMPLEXITY_LIMIT_EXCEEDED among them) get 200.
	errcode.RegisterErrorType(apierror.CodeQueryTooDeep, errcode.KindProtocol)
	errcode.RegisterErrorType(apierror.CodeQueryTooComplex, errcode.KindProtocol)
	errcode.RegisterErrorType(apierror.CodeIntrospectionDisabled, errcode.KindProtocol)
}

// Config holds every limit. The zero value is not useful: start from Default
// or FromEnv.
type Config struct {
	// MaxDepth is the deepest field nesting an operation may have ({ a } is 1).
	MaxDepth int
	// MaxComplexity is the highest cost an operation may have (Calculate,
	// with the costs Complexity sets).
	MaxComplexity int
	// RatePerSecond is the query cost restored each second to the budget
	// of one client (a token, or an address without one): see CostBudget.
	// 0 disables rate limiting, the failure limit too.
	RatePerSecond float64
	// RateBurst is the budget: the most cost a client may spend at once.
	RateBurst int
	// FailuresPerSecond and FailureBurst are how many failed attempts to
	// authenticate an address may make (FailureLimit).
	FailuresPerSecond float64
	FailureBurst      int
	// Introspection allows __schema and __type (GraphiQL needs them).
	Introspection bool
	// Admission bounds the work running at once (package admission).
	Admission admission.Config
	// RequestTimeout bounds a request: past it the API answers 503
	// TIMEOUT, and PostgreSQL cancels the statement still running
	// (statement_timeout).
	RequestTimeout time.Duration
	// Redis, when not nil, keeps the request and failure limits in Redis,
	// shared by every replica using it; nil keeps them per process.
	Redis *Redis
	// Log is where the limits warn that Redis does not answer; nil is
	// slog.Default().
	Log *slog.Logger
}

// Default is the configuration with nothing set in the environment.
func Default() Config {
	return Config{
		MaxDepth:      12,
		MaxComplexity: 50_000,
		// A runtime asking authorizeIntegrationUse (7, with its
		// violations and effective config) 3,000 times a second spends
		// 21,000 a second; the README's org graph query (38,552) ten
		// times a second would spend 385,520 (TestCostBudgetDefaults).
		RatePerSecond:     50_000,
		RateBurst:         100_000,
		FailuresPerSecond: 100,
		FailureBurst:      200,
		Introspection:     true,
		RequestTimeout:    10 * time.Second,
		Admission:         admission.Default(),
	}
}

// Environment variables read by FromEnv.
const (
	EnvMaxDepth       = "POINTGUARD_MAX_DEPTH"
	EnvMaxComplexity  = "POINTGUARD_MAX_COMPLEXITY"
	EnvRateLimit      = "POINTGUARD_RATE_LIMIT"
	EnvRateBurst      = "POINTGUARD_RATE_BURST"
	EnvIntrospection  = "POINTGUARD_INTROSPECTION"
	EnvRequestTimeout = "POINTGUARD_REQUEST_TIMEOUT"
	EnvMaxWork        = "POINTGUARD_MAX_WORK"
	EnvMaxQueue       = "POINTGUARD_MAX_QUEUE"
	EnvQueueWait      = "POINTGUARD_QUEUE_WAIT"
	EnvRedisURL       = "POINTGUARD_REDIS_URL"
)

// FromEnv reads the configuration from the environment, starting from
// Default: POINTGUARD_MAX_DEPTH and POINTGUARD_MAX_COMPLEXITY (positive
// integers), POINTGUARD_RATE_LIMIT (query cost restored per second to each
// client's budget, 0 disables), POINTGUARD_RATE_BURST (the budget, a
// positive integer; when unset but POINTGUARD_RATE_LIMIT is set, twice the
// rate, at least 1) and
// POINTGUARD_INTROSPECTION (true or false), POINTGUARD_REQUEST_TIMEOUT (a
// Go duration, default 10s), and admission's POINTGUARD_MAX_WORK (the
// total cost running at once; 0 turns admission control off), POINTGUARD_MAX_QUEUE
// (operations waiting, 0 or more) and POINTGUARD_QUEUE_WAIT (a duration). Every bad value is reported,
// each naming its variable.
//
// POINTGUARD_REDIS_URL (redis://host:port/db, rediss://… or unix://…)
// shares the rate and failure limits among replicas through that Redis:
// FromEnv connects and fails, naming the variable, when the URL is bad or
// Redis does not answer within 5 s. With rate limiting off, the URL is
// checked but not connected to.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Default()
	var errs []error
	positive := func(name string, dst *int) {
		s := strings.TrimSpace(getenv(name))
		if s == "" {
			return
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("%s: %q is not a positive integer", name, s))
			return
		}
		*dst = n
	}
	count := func(name, what string, dst *int) {
		if s := strings.TrimSpace(getenv(name)); s != "" {
			if n, err := strconv.Atoi(s); err != nil || n < 0 {
				errs = append(errs, fmt.Errorf("%s: %q is not %s", name, s, what))
			} else {
				*dst = n
			}
		}
	}
	count(EnvMaxWork, "a total cost (0 turns admission control off)", &c.Admission.Capacity)
	count(EnvMaxQueue, "a number of operations (0 or more)", &c.Admission.MaxQueue)
	if s := strings.TrimSpace(getenv(EnvQueueWait)); s != "" {
		if d, err := time.ParseDuration(s); err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a duration (1s, 500ms…)", EnvQueueWait, s))
		} else {
			c.Admission.Wait = d
		}
	}
	positive(EnvMaxDepth, &c.MaxDepth)
	positive(EnvMaxComplexity, &c.MaxComplexity)
	if s := strings.TrimSpace(getenv(EnvRateLimit)); s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
			errs = append(errs, fmt.Errorf("%s: %q is not a query cost per second (0 disables)", EnvRateLimit, s))
		} else {
			c.RatePerSecond = f
			c.RateBurst = int(min(max(1, math.Ceil(2*f)), math.MaxInt32))
		}
	}
	positive(EnvRateBurst, &c.RateBurst)
	if s := strings.TrimSpace(getenv(EnvIntrospection)); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is neither true nor false", EnvIntrospection, s))
		} else {
			c.Introspection = b
		}
	}
	if s := strings.TrimSpace(getenv(EnvRequestTimeout)); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 100*time.Millisecond {
			errs = append(errs, fmt.Errorf("%s: %q is not a duration of at least 100ms (10s, 1m…)", EnvRequestTimeout, s))
		} else {
			c.RequestTimeout = d
		}
	}
	redisURL := strings.TrimSpace(getenv(EnvRedisURL))
	if redisURL != "" {
		if _, err := redisOptions(redisURL); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvRedisURL, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	if err := c.Validate(); err != nil {
		return c, err
	}
	if redisURL != "" && c.RatePerSecond > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), redisStartWait)
		defer cancel()
		r, err := NewRedis(ctx, redisURL, DefaultRedisPrefix)
		if err != nil {
			return Config{}, fmt.Errorf("%s: %w", EnvRedisURL, err)
		}
		c.Redis = r
	}
	return c, nil
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.MaxDepth < 1 {
		errs = append(errs, fmt.Errorf("limits: MaxDepth %d is not positive", c.MaxDepth))
	}
	if c.MaxComplexity < 1 {
		errs = append(errs, fmt.Errorf("limits: MaxComplexity %d is not positive", c.MaxComplexity))
	}
	if c.RatePerSecond < 0 || math.IsNaN(c.RatePerSecond) || math.IsInf(c.RatePerSecond, 0) {
		errs = append(errs, fmt.Errorf("limits: RatePerSecond %v is not a finite number ≥ 0", c.RatePerSecond))
	}
	if err := c.Admission.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.RatePerSecond > 0 && c.RateBurst < 1 {
		errs = append(errs, fmt.Errorf("limits: RateBurst %d is not positive", c.RateBurst))
	}
	return errors.Join(errs...)
}

// extensible is what Use needs of gqlgen's *handler.Server.
type extensible interface {
	Use(graphql.HandlerExtension)
}

// Use adds to a gqlgen server the introspection policy, the depth limit,
// the complexity limit and the cost budget, in that order (the cheapest
// refusal first; the budget charges what the complexity limit computed). It
// replaces gqlgen's extension.Introspection{}: do not add that as well. The
// complexity limit needs the schema's costs: see Complexity.
func (c Config) Use(srv extensible) {
	srv.Use(Introspection(c.Introspection))
	srv.Use(NewDepthLimit(c.MaxDepth))
	srv.Use(NewComplexityLimit(c.MaxComplexity))
	srv.Use(CostBudget{})
}

// Middleware keeps a budget of query cost per client, as key names it (a
// verified token, else an address: see auth.ClientKey): it takes 1 for
// each request, refusing it when the budget is spent, and hands the
// operation's charge to CostBudget (see Charge); or it returns next
// unchanged when RatePerSecond is 0. With Redis, the budget is shared by
// the replicas (falling back to this process's own while Redis does not
// answer).
func (c Config) Middleware(next http.Handler, key func(*http.Request) string) http.Handler {
	if c.Redis == nil || c.RatePerSecond <= 0 || math.IsNaN(c.RatePerSecond) {
		return RateLimit(next, c.RatePerSecond, c.RateBurst, key)
	}
	return &sharedRateLimiter{
		local:  newRateLimiter(next, c.RatePerSecond, c.RateBurst, key, limiterCacheSize, time.Now),
		shared: c.Redis.limit(redisCost, c.RatePerSecond, c.RateBurst, c.Log),
	}
}
