package api

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pointguard/pointguard/auth"
	"github.com/pointguard/pointguard/eventstream"
	"github.com/pointguard/pointguard/limits"
	"github.com/pointguard/pointguard/secrets"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/testdb"
)

// TestSubscriptionAcrossReplicas: two replicas on one PostgreSQL; a
// subscriber on B gets the events of a rule change made through A. B's
// subscriptions poll once a minute here, so only A's NOTIFY, delivered to
// B's listener at the commit, can bring them in time.
func TestSubscriptionAcrossReplicas(t *testing.T) {
	t.Parallel()
	databaseURL := testdb.Postgres(t)
	ring, _ := secrets.NewKeyring(secrets.NewKey())
	admin := auth.NewToken()
	slow := eventstream.Default()
	slow.Poll = time.Minute
	lim := limits.Default()
	lim.RatePerSecond = 0
	type replica struct {
		url     string
		st      *store.Store
		svc     *service.Service
		handler *Handler
	}
	var rs []replica
	for range 2 {
		st, err := store.Open(context.Background(), databaseURL, store.Options{Secrets: ring})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		svc := service.New(st)
		if _, err := svc.SetBootstrapToken(context.Background(), admin); err != nil {
			t.Fatal(err)
		}
		h := newHandler(st, svc, slog.New(slog.DiscardHandler), lim, Pointguard, slow)
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		t.Cleanup(h.Close)
		rs = append(rs, replica{srv.URL, st, svc, h})
	}
	a := &app{t: t, url: rs[0].url, store: rs[0].st, service: rs[0].svc, statements: new(atomic.Int64), gqlgenRuns: new(atomic.Int64),
		executorFailures: &failures{}, clock: &testClock{}, token: admin, adminToken: admin}
	w := a.world()
	a.integrate(w.test, w.point, "jira", map[string]any{"project": "OPS-1"})
	t2 := a.integrate(w.test, w.point, "jira", map[string]any{"project": "DEV-2"})
	p1 := a.integrate(w.prod, w.point, "jira", map[string]any{"project": "DEV-3"})

	b := subscriber(t, rs[1].url, admin)
	b.subscribe("b", complianceChanged, map[string]any{"org": w.org})
	waitSubscriptions(t, rs[1].handler, 1)
	time.Sleep(100 * time.Millisecond) // past its first read
	start := time.Now()
	a.do(updateIntegrationPoint, opsOnly(w.point))
	got := b.changes("b", 2)
	if !slices.Equal(integrations(got), sorted(t2, p1)) {
		t.Fatalf("B got %+v, want %s and %s", got, t2, p1)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("B got them %v after the change", d)
	}
	t.Logf("B got them %v after the change was answered by A", time.Since(start).Round(time.Millisecond))
	b.quiet(300 * time.Millisecond)
}
