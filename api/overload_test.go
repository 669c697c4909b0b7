package api

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/pointguard/pointguard/limits"
	"github.com/pointguard/pointguard/testdb"
)

// TestOverloadedIsRefused: with room for one heavy operation and no
// queue, heavy operations sent together are answered or refused 503
// OVERLOADED with Retry-After, never anything else; light ones are never
// refused meanwhile; and room is given back, so that a heavy operation
// sent alone afterwards runs.
func TestOverloadedIsRefused(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		lim := limits.Default()
		lim.RatePerSecond = 0
		lim.Admission.Capacity = 1 // each heavy operation takes it all
		lim.Admission.MaxQueue = 0
		_, url, token := server(t, databaseURL, lim)

		// Costs 5,100 by its `first`s, whatever the data; the light one 2.
		const heavy = `{ organizations(first: 50) { nodes { accounts(first: 50) { nodes { name } } } } }`
		const light = `{ viewer { role } }`
		post := func(query string) (int, string, string) {
			a, err := ask(http.DefaultClient, url, token, query, nil)
			if err != nil {
				t.Error(err)
			}
			return a.Status, a.Code, a.RetryAfter
		}

		refused := 0
		for round := 0; round < 20 && refused == 0; round++ {
			var mu sync.Mutex
			var wg sync.WaitGroup
			for i := 0; i < 16; i++ {
				wg.Add(2)
				go func() {
					defer wg.Done()
					status, code, retry := post(heavy)
					switch {
					case status == http.StatusOK && code == "":
					case status == http.StatusServiceUnavailable && code == "OVERLOADED" && retry != "":
						mu.Lock()
						refused++
						mu.Unlock()
					default:
						t.Errorf("a heavy operation: %d %q Retry-After %q, want 200, or 503 OVERLOADED with Retry-After", status, code, retry)
					}
				}()
				go func() {
					defer wg.Done()
					if status, code, _ := post(light); status != http.StatusOK || code != "" {
						t.Errorf("a light operation beside heavy ones: %d %q", status, code)
					}
				}()
			}
			wg.Wait()
		}
		if refused == 0 {
			t.Error("16 heavy operations at once, 20 times, and none refused with room for one")
		}
		time.Sleep(10 * time.Millisecond)
		if status, code, _ := post(heavy); status != http.StatusOK || code != "" {
			t.Errorf("a heavy operation alone, after the others: %d %q: their room was not given back", status, code)
		}
	})
}
