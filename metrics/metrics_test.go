package metrics

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestOperationNamesAreBounded: past MaxNames distinct operation names,
// new ones count as "other", and a long one at once; names seen before
// keep their own series.
func TestOperationNamesAreBounded(t *testing.T) {
	m := New()
	for i := range MaxNames + 50 {
		m.Request(fmt.Sprintf("Op%d", i), http.StatusOK, time.Millisecond)
	}
	m.Request("Op0", http.StatusOK, time.Millisecond)
	m.Request(strings.Repeat("x", 129), http.StatusOK, time.Millisecond)
	m.Request("", http.StatusBadRequest, time.Millisecond)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`pointguard_http_requests_total{operation="Op0",status="200"} 2`,
		`pointguard_http_requests_total{operation="Op99",status="200"} 1`,
		`pointguard_http_requests_total{operation="other",status="200"} 51`,
		`pointguard_http_requests_total{operation="anonymous",status="400"} 1`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("no %s", want)
		}
	}
	if n := strings.Count(body, "pointguard_http_requests_total{"); n != MaxNames+2 {
		t.Errorf("%d request series, want %d", n, MaxNames+2)
	}
}

// TestNilMetricsCountNothing: a nil *Metrics is safe to call.
func TestNilMetricsCountNothing(t *testing.T) {
	var m *Metrics
	m.Request("Op", 200, 0)
	m.GraphQLError("X")
	m.Decided(true, 0)
	m.Rechecked(1, 0)
	m.WatchDB(nil, "x")
}
