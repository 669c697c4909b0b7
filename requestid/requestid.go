// Package requestid names each HTTP request, so that an audit event, a log
// line and the client's own records can be matched: the client's
// X-Request-Id when it is a sensible one, else the trace's ID when the
// request is traced (package tracing), else a fresh UUID. The response
// carries it back in X-Request-Id, and a traced request's span carries it
// as pointguard.request_id: from an audit event's requestId, the trace is
// one search away, and usually that search is by its own ID.
package requestid

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Header is the request and response header that carries the ID.
const Header = "X-Request-Id"

// maxLength bounds a client's ID: it is stored with every audit event.
const maxLength = 128

type ctxKey struct{}

// Middleware gives each request its ID.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(Header)
		span := trace.SpanFromContext(r.Context())
		switch sc := span.SpanContext(); {
		case valid(id):
		case sc.IsValid():
			id = sc.TraceID().String()
		default:
			id = uuid.NewString()
		}
		span.SetAttributes(attribute.String("pointguard.request_id", id))
		w.Header().Set(Header, id)
		next.ServeHTTP(w, r.WithContext(With(r.Context(), id)))
	})
}

// With returns ctx carrying id.
func With(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// From is the request's ID, or "" outside a request.
func From(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// valid accepts the IDs proxies and clients commonly send: letters,
// digits and . _ - : only, so that nothing odd reaches logs or the database.
func valid(id string) bool {
	if id == "" || len(id) > maxLength {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == ':') {
			return false
		}
	}
	return true
}
