package api

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestDeadline: an answer not begun by the deadline is 503 TIMEOUT with
// Retry-After, and the late handler can write nothing more; an answer
// begun in time is let finish, headers and all; a panic is the
// handler's, as if it had run in place.
func TestDeadline(t *testing.T) {
	const d = 50 * time.Millisecond
	lateWrite := make(chan error, 1)
	cancelled := make(chan bool, 1)
	late := withDeadline(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
		cancelled <- true
		time.Sleep(d)
		w.Header().Set("X-Late", "1")
		_, err := w.Write([]byte("LATE-ANSWER"))
		lateWrite <- err
	}), d)
	rec := httptest.NewRecorder()
	late.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/graphql", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" ||
		!strings.Contains(rec.Body.String(), `"code":"TIMEOUT"`) || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("past the deadline: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	if !<-cancelled {
		t.Error("the handler's context was not cancelled")
	}
	if err := <-lateWrite; !errors.Is(err, http.ErrHandlerTimeout) {
		t.Errorf("a write after the deadline: %v, want http.ErrHandlerTimeout", err)
	}
	if rec.Header().Get("X-Late") != "" || strings.Contains(rec.Body.String(), "LATE-ANSWER") {
		t.Error("the late handler wrote into the timeout's answer")
	}

	begun := withDeadline(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Answer", "yes")
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, "first ")
		time.Sleep(3 * d) // past the deadline, mid-answer
		io.WriteString(w, "second")
	}), d)
	srv := httptest.NewServer(begun)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || resp.Header.Get("X-Answer") != "yes" || string(body) != "first second" {
		t.Errorf("an answer begun in time: %d %v %q", resp.StatusCode, resp.Header, body)
	}

	panics := withDeadline(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }), d)
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %v, want the handler's panic", p)
			}
		}()
		panics.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	}()
}
