package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/pointguard/pointguard/apierror"
	"github.com/pointguard/pointguard/store"
)

// withDeadline answers 503 TIMEOUT, with Retry-After, to a request that
// has not begun its answer after d, and cancels its context; d of 0 sets
// no deadline. It answers at the deadline whether or not next has
// returned, which a context alone cannot promise: lib/pq does not return
// from a statement on a hung server (its cancel request hangs too).
// Waiting for a pooled connection ends at the deadline as well, so a stuck
// database costs each request d at most instead of piling them up.
//
// Written here rather than with http.TimeoutHandler, which does the same
// but holds every answer whole in a buffer of its own until next returns:
// 160 KB more garbage and a copy per org-graph answer (measured,
// BenchmarkOrgGraph -benchmem), for answers this API writes at once, at
// their end, anyway. An answer begun before the deadline is let finish
// (the server's WriteTimeout bounds a client that reads slowly).
func withDeadline(next http.Handler, d time.Duration) http.Handler {
	if d <= 0 {
		return next
	}
	var body bytes.Buffer
	apierror.Write(headerless{&body}, http.StatusServiceUnavailable, apierror.CodeTimeout,
		"the request did not finish within "+d.String()+"; retry later")
	timeout := body.Bytes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		dw := &deadlineWriter{w: w, header: make(http.Header), ctx: ctx}
		done := make(chan any, 1) // what next panicked with, or nil
		go func() {
			defer func() { done <- recover() }()
			next.ServeHTTP(dw, r.WithContext(ctx))
		}()
		finished := false
		var panicked any
		select {
		case panicked = <-done:
			finished = true
		case <-ctx.Done():
		}
		if !finished && errors.Is(ctx.Err(), context.Canceled) {
			// Not the deadline: the client went away, or closed its side of
			// the connection (net/http cancels then), as one whose body ends
			// before its Content-Length does. The handler's answer (400 for
			// that body) is the one to give, if it comes by the deadline.
			deadline, _ := ctx.Deadline()
			wait := time.NewTimer(time.Until(deadline))
			select {
			case panicked = <-done:
				finished = true
			case <-wait.C:
			}
			wait.Stop()
		}
		if ctx.Err() != nil && (!finished || errors.Is(ctx.Err(), context.DeadlineExceeded)) && dw.expire() {
			h := w.Header()
			h.Set("Content-Type", "application/json")
			h.Set("Cache-Control", "no-store")
			h.Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write(timeout)
			return
		}
		if !finished {
			panicked = <-done // its answer is on its way
		}
		if panicked != nil {
			panic(panicked) // for net/http to log, as if next had run here
		}
	})
}

// deadlineWriter passes an answer through, unless the deadline came
// first: then every write of the handler is refused, one that would begin
// its answer after the deadline included (the answer to a statement the
// deadline cut short is the timeout's). The handler writes its headers
// into a map of its own, copied at its first write, so that the timeout's
// answer never races with them.
type deadlineWriter struct {
	w      http.ResponseWriter
	header http.Header
	ctx    context.Context
	mu     sync.Mutex
	// begun: the handler has written; expired: the deadline answered.
	begun, expired bool
}

func (d *deadlineWriter) Header() http.Header { return d.header }

func (d *deadlineWriter) WriteHeader(status int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.begun || !d.begin() {
		return
	}
	d.w.WriteHeader(status)
}

func (d *deadlineWriter) Write(b []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.begun && !d.begin() {
		return 0, http.ErrHandlerTimeout
	}
	return d.w.Write(b)
}

func (d *deadlineWriter) Flush() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if f, ok := d.w.(http.Flusher); ok && d.begun && !d.expired {
		f.Flush()
	}
}

// begin begins the answer, unless the deadline has passed.
func (d *deadlineWriter) begin() bool {
	if d.expired || errors.Is(d.ctx.Err(), context.DeadlineExceeded) {
		d.expired = true
		return false
	}
	d.begun = true
	dst := d.w.Header()
	for k, v := range d.header {
		dst[k] = v
	}
	return true
}

// expire is true, and refuses the handler's writes from then on, unless it
// has begun its answer.
func (d *deadlineWriter) expire() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.begun {
		return false
	}
	d.expired = true
	return true
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
