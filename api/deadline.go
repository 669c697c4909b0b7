package api

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/pointguard/pointguard/apierror"
	"github.com/pointguard/pointguard/store"
)

// withDeadline answers 503 TIMEOUT to a request still running after d,
// and cancels its context; d of 0 sets no deadline. http.TimeoutHandler does the work: it runs
// next aside and answers at the deadline whether or not next has
// returned, which a context alone cannot promise, since lib/pq does not
// return from a statement on a hung server (its cancel request hangs
// too). Waiting for a pooled connection ends at the deadline as well, so a
// stuck database costs each request d at most instead of piling them up.
func withDeadline(next http.Handler, d time.Duration) http.Handler {
	if d <= 0 {
		return next
	}
	var body bytes.Buffer
	apierror.Write(headerless{&body}, http.StatusServiceUnavailable, apierror.CodeTimeout,
		"the request did not finish within "+d.String()+"; retry later")
	timed := http.TimeoutHandler(next, d, body.String())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Seen only on the timeout's answer: on any other, the handler's
		// own headers replace these.
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-store")
		timed.ServeHTTP(retryAfterTimeout{w}, r)
	})
}

// retryAfterTimeout adds Retry-After to a 503 that has none (the
// timeout's).
type retryAfterTimeout struct{ http.ResponseWriter }

func (w retryAfterTimeout) WriteHeader(status int) {
	if h := w.Header(); status == http.StatusServiceUnavailable && h.Get("Retry-After") == "" {
		h.Set("Retry-After", "1")
	}
	w.ResponseWriter.WriteHeader(status)
}

// headerless is a ResponseWriter that keeps the body alone: apierror.Write
// renders the timeout's body once, at start.
type headerless struct{ io.Writer }

func (headerless) Header() http.Header { return http.Header{} }
func (headerless) WriteHeader(int)     {}

// readyTimeout bounds /readyz.
const readyTimeout = 2 * time.Second

// registerHealth adds /healthz (the process answers) and /readyz (the
// database answers too, within readyTimeout: 503 otherwise).
func registerHealth(mux *http.ServeMux, st *store.Store, log *slog.Logger) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		// Aside, for the reason withDeadline gives: on a hung server the
		// ping outlives its context.
		pinged := make(chan error, 1)
		go func() { pinged <- st.Ping(ctx) }()
		var err error
		select {
		case err = <-pinged:
		case <-ctx.Done():
			err = ctx.Err()
		}
		if err != nil {
			log.WarnContext(ctx, "database not ready", "error", err)
			w.Header().Set("Retry-After", strconv.Itoa(int(readyTimeout/time.Second)))
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	})
}
