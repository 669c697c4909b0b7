package api

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel/trace"

	"github.com/pointguard/pointguard/auth"
	"github.com/pointguard/pointguard/metrics"
	"github.com/pointguard/pointguard/requestid"
)

// accessLog writes one line per request once it is answered: method,
// path, status, duration, the request ID, the token's ID (never the
// token) and the GraphQL operation's name, and when it is traced its
// trace and span IDs. The inner layers that learn
// the last two (knownToken, operationName) note them in the request's
// facts; a deadline may answer while they still run, hence the lock.
// The same facts go to m (package metrics), which the limits inside find
// in the request's context to count their refusals; a websocket (101) is
// a connection, not a request to time.
func accessLog(log *slog.Logger, m *metrics.Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		f := &facts{}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r.WithContext(metrics.NewContext(context.WithValue(r.Context(), factsKey{}, f), m)))
		f.mu.Lock()
		token, operation := f.token, f.operation
		f.mu.Unlock()
		if sw.status != http.StatusSwitchingProtocols {
			m.Request(operation, sw.status, time.Since(start))
		}
		attrs := []slog.Attr{slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", sw.status),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("request_id", requestid.From(r.Context())), slog.String("token_id", token), slog.String("operation", operation)}
		if sc := trace.SpanContextFromContext(r.Context()); sc.IsValid() {
			attrs = append(attrs, slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
		}
		log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

type factsKey struct{}

// facts are what the access log learns of a request from inner layers.
type facts struct {
	mu               sync.Mutex
	token, operation string
}

func note(ctx context.Context, set func(*facts)) {
	if f, ok := ctx.Value(factsKey{}).(*facts); ok {
		f.mu.Lock()
		set(f)
		f.mu.Unlock()
	}
}

// countCodes counts each error gqlgen answers by its extensions.code, as
// present makes it.
func countCodes(m *metrics.Metrics, present graphql.ErrorPresenterFunc) graphql.ErrorPresenterFunc {
	if m == nil {
		return present
	}
	return func(ctx context.Context, err error) *gqlerror.Error {
		e := present(ctx, err)
		code, _ := e.Extensions["code"].(string)
		m.GraphQLError(code)
		return e
	}
}

// knownToken notes the request's token ID, once auth has verified it.
func knownToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if t := auth.TokenFrom(r.Context()); t != nil {
			note(r.Context(), func(f *facts) { f.token = t.ID })
		}
		next.ServeHTTP(w, r)
	})
}

// operationName is the gqlgen extension that notes the operation's name
// ("" for an anonymous one).
type operationName struct{}

var _ graphql.OperationContextMutator = operationName{}

func (operationName) ExtensionName() string                   { return "AccessLog" }
func (operationName) Validate(graphql.ExecutableSchema) error { return nil }
func (operationName) MutateOperationContext(ctx context.Context, op *graphql.OperationContext) *gqlerror.Error {
	name := op.OperationName
	if name == "" && op.Operation != nil {
		name = op.Operation.Name
	}
	note(ctx, func(f *facts) { f.operation = name })
	return nil
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(status int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = status, true
	}
	w.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController and websocket upgrades reach the
// writer beneath.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
