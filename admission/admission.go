// Package admission bounds the work the API runs at once. Each operation
// weighs what the complexity limit computed for it (its cost); the
// operations running together may weigh Capacity at most. An operation
// that does not fit waits, in a queue of at most MaxQueue, for up to Wait;
// then it is refused with 503 OVERLOADED and Retry-After, before it reads
// anything. Memory and CPU follow from the work in flight, so a flood of
// heavy queries costs what Capacity allows and no more, whatever the
// number of clients, tokens or their rate limits.
//
// Light operations, those costing Light or less, are never queued: a
// small query answers at once however many heavy ones are waiting.
//
// Gate.Middleware must wrap the GraphQL handler, and Gate.Extension be
// used after the complexity limit, which computes the cost it reads.
package admission

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"golang.org/x/sync/semaphore"

	"github.com/pointguard/pointguard/apierror"
	"github.com/pointguard/pointguard/metrics"
)

func init() {
	// A protocol error, so that gqlgen answers it before executing; the
	// middleware turns its status into 503.
	errcode.RegisterErrorType(apierror.CodeOverloaded, errcode.KindProtocol)
}

// Config sizes a Gate.
type Config struct {
	// Capacity is the total cost of the operations running at once; 0
	// admits everything.
	Capacity int
	// Light is the cost at or under which an operation is never queued.
	Light int
	// MaxQueue is how many operations may wait at once; more are refused
	// without waiting.
	MaxQueue int
	// Wait is how long an operation waits before it is refused.
	Wait time.Duration
}

// Default fits one full-cost operation (the complexity limit's default
// is 50,000), or four org-graph reads of 1,000 integrations (11,082 each):
// more in flight answered no more on 2 cores, and held the pool's
// connections from the small queries (bench/overload/run: with 100,000,
// a small query's p99 on SQLite was 128 ms; with 50,000, 64 ms). It lets
// up to 1,000 wait for 2 s: a refused client that asks again at once
// (most do) costs a refusal, so a queue shorter than the crowd, or a
// shorter wait, spends the CPU on refusals instead of answers (with 100
// waiting for 1 s, 500 clients got 21 org graphs a second; with 1,000
// for 2 s, 126, and a small query's p99 fell from 451 to 68 ms).
func Default() Config {
	return Config{Capacity: 50_000, Light: 100, MaxQueue: 1_000, Wait: 2 * time.Second}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.Capacity < 0 {
		errs = append(errs, fmt.Errorf("admission: capacity %d is negative", c.Capacity))
	}
	if c.Light < 0 || c.MaxQueue < 0 || c.Wait < 0 {
		errs = append(errs, errors.New("admission: Light, MaxQueue and Wait cannot be negative"))
	}
	return errors.Join(errs...)
}

// Gate admits operations by cost. It is safe for concurrent use.
type Gate struct {
	cfg     Config
	running *semaphore.Weighted
	queued  atomic.Int64
	// inFlight is the cost admitted and not yet released, for tests and
	// metrics.
	inFlight atomic.Int64
	// retryAfter is the Retry-After of a refusal: the wait, in whole
	// seconds, at least 1.
	retryAfter string
}

// New returns a gate of cfg, which must be valid.
func New(cfg Config) *Gate {
	return &Gate{cfg: cfg, running: semaphore.NewWeighted(int64(max(cfg.Capacity, 1))),
		retryAfter: strconv.Itoa(max(1, int(cfg.Wait.Round(time.Second)/time.Second)))}
}

// InFlight is the cost of the operations admitted and still running.
func (g *Gate) InFlight() int { return int(g.inFlight.Load()) }

type ticketKey struct{}

// ticket is one request's admission: what to release when its answer is
// written, and whether it was refused.
type ticket struct {
	release func()
	refused bool
}

// Middleware gives each request a ticket, releases what its operation was
// admitted with once the answer is written (a large answer is memory
// until then), and answers a refused one 503 with Retry-After.
func (g *Gate) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := &ticket{}
		defer func() {
			if t.release != nil {
				t.release()
			}
		}()
		next.ServeHTTP(&refusal{ResponseWriter: w, t: t, retryAfter: g.retryAfter},
			r.WithContext(context.WithValue(r.Context(), ticketKey{}, t)))
	})
}

// refusal turns the status gqlgen gives a refused operation into 503.
type refusal struct {
	http.ResponseWriter
	t          *ticket
	retryAfter string
}

func (w *refusal) WriteHeader(status int) {
	if w.t.refused {
		w.Header().Set("Retry-After", w.retryAfter)
		status = http.StatusServiceUnavailable
	}
	w.ResponseWriter.WriteHeader(status)
}

// Extension is the gqlgen extension that admits each operation.
func (g *Gate) Extension() graphql.HandlerExtension { return extensionOf{g} }

type extensionOf struct{ g *Gate }

var _ graphql.OperationContextMutator = extensionOf{}

func (extensionOf) ExtensionName() string                   { return "Admission" }
func (extensionOf) Validate(graphql.ExecutableSchema) error { return nil }
func (e extensionOf) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	t, ok := ctx.Value(ticketKey{}).(*ticket)
	if !ok || t.release != nil {
		return nil // not behind the middleware (or admitted already): nothing to release it
	}
	cost := 1
	if s, ok := opCtx.Stats.GetExtension("ComplexityLimit").(*extension.ComplexityStats); ok {
		cost = max(1, s.Complexity)
	}
	release, err := e.g.admit(ctx, cost)
	if err != nil {
		t.refused = true
		metrics.Overloaded(ctx)
		gerr := gqlerror.Errorf("%s", err.Error())
		errcode.Set(gerr, apierror.CodeOverloaded)
		return gerr
	}
	t.release = release
	return nil
}

// admit waits until cost fits, and returns what gives it back.
func (g *Gate) admit(ctx context.Context, cost int) (func(), error) {
	if cost <= g.cfg.Light || g.cfg.Capacity == 0 {
		return func() {}, nil
	}
	weight := int64(min(cost, g.cfg.Capacity)) // the costliest operation still runs, alone
	if !g.running.TryAcquire(weight) {
		if g.queued.Add(1) > int64(g.cfg.MaxQueue) {
			g.queued.Add(-1)
			return nil, g.overloaded("too many operations are waiting")
		}
		waitCtx, cancel := context.WithTimeout(ctx, g.cfg.Wait)
		err := g.running.Acquire(waitCtx, weight)
		cancel()
		g.queued.Add(-1)
		if err != nil {
			return nil, g.overloaded("no room within " + g.cfg.Wait.String())
		}
	}
	g.inFlight.Add(weight)
	var once atomic.Bool
	return func() {
		if once.CompareAndSwap(false, true) {
			g.inFlight.Add(-weight)
			g.running.Release(weight)
		}
	}, nil
}

func (g *Gate) overloaded(why string) error {
	return fmt.Errorf("the server is at capacity (%s); retry after %s s", why, g.retryAfter)
}
