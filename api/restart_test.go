package api

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pointguard/pointguard/limits"
	"github.com/pointguard/pointguard/testdb"
)

// TestDatabaseRestartUnderLoad: PostgreSQL stops at once (as in a crash)
// and comes back while writers and readers keep asking. Every write the
// API acknowledged is in the database afterwards; no request is answered
// 500; once the server is back, writes and reads succeed again, on the
// same pool.
func TestDatabaseRestartUnderLoad(t *testing.T) {
	cluster := testdb.NewCluster(t)
	lim := limits.Default()
	lim.RatePerSecond = 0
	st, url, token := server(t, cluster.URL(), lim)

	client := &http.Client{Timeout: 30 * time.Second}
	const create = `mutation($in: CreateOrganizationInput!) { createOrganization(input: $in) { organization { slug } userErrors { message } } }`
	acknowledged := func(a answered) string {
		if a.Code != "" {
			return ""
		}
		payload, _ := a.Data["createOrganization"].(map[string]any)
		org, _ := payload["organization"].(map[string]any)
		slug, _ := org["slug"].(string)
		return slug
	}

	var (
		stop             atomic.Bool
		mu               sync.Mutex
		acked            []string
		failed, answered atomic.Int64
		wg               sync.WaitGroup
	)
	check := func(status int) {
		if status >= 500 && status != http.StatusServiceUnavailable {
			t.Errorf("HTTP %d during the restart", status)
		}
	}
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				slug := fmt.Sprintf("org-%d-%d", w, i)
				answer, _ := ask(client, url, token, create, map[string]any{"in": map[string]any{"slug": slug, "name": slug}})
				check(answer.Status)
				if acknowledged(answer) == slug {
					mu.Lock()
					acked = append(acked, slug)
					mu.Unlock()
					answered.Add(1)
				} else {
					failed.Add(1)
				}
			}
		}()
	}
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				answer, _ := ask(client, url, token, `{ organizations(first: 20) { totalCount nodes { slug } } }`, nil)
				check(answer.Status)
			}
		}()
	}
	waitFor := func(n int64) {
		for deadline := time.Now().Add(30 * time.Second); answered.Load() < n; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("only %d writes acknowledged within 30 s", answered.Load())
			}
		}
	}
	waitFor(50)
	cluster.Restart()
	before := answered.Load()
	waitFor(before + 50) // writes succeed again after the restart
	stop.Store(true)
	wg.Wait()

	var missing []string
	for _, slug := range acked {
		var n int
		if err := st.DB().QueryRow("SELECT count(*) FROM organizations WHERE slug = $1", slug).Scan(&n); err != nil || n != 1 {
			missing = append(missing, slug)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d acknowledged writes lost in the restart: %v", len(missing), missing)
	}
	t.Logf("%d writes acknowledged, %d not (while the database was down)", len(acked), failed.Load())
}
