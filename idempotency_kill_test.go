package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/pointguard/pointguard/auth"
	"github.com/pointguard/pointguard/testdb"
)

// TestKilledMidMutation: a server killed (SIGKILL) during a mutation sent
// with an Idempotency-Key, at a random moment or as soon as its writes
// are visible, then started again, answers the retry with the same key so
// that the mutation took effect once: the answer and the writes commit
// together, so the retry either replays what committed or runs what did
// not. The mutation creates an API token, whose names are not unique:
// twice would be two tokens (as it was, every round killed after the
// commit, when the key was ignored).
func TestKilledMidMutation(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills 40 servers")
	}
	const rounds = 10
	admin := auth.NewToken()
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			dir := t.TempDir()
			databaseURL, driver, count := filepath.Join(dir, "pointguard.db"), "sqlite", "SELECT count(*) FROM api_tokens WHERE name = ?"
			if engine == "postgres" {
				databaseURL, driver, count = testdb.Postgres(t), "postgres", "SELECT count(*) FROM api_tokens WHERE name = $1"
			}
			start := func() *child {
				c := startChild(t, dir, databaseURL, "POINTGUARD_ADMIN_TOKEN="+admin)
				select {
				case <-c.listening:
				case <-time.After(30 * time.Second):
					t.Fatalf("the server did not listen; it printed:\n%s", c.output())
				}
				return c
			}
			kill := func(c *child) {
				c.cmd.Process.Kill()
				c.cmd.Wait()
			}
			create := func(url, name string) (int, string, bool, error) {
				body, _ := json.Marshal(map[string]any{
					"query":     `mutation($in: CreateApiTokenInput!) { createApiToken(input: $in) { token userErrors { code } } }`,
					"variables": map[string]any{"in": map[string]any{"role": "PLATFORM_ADMIN", "name": name}}})
				req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+admin)
				req.Header.Set("Idempotency-Key", name)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return 0, "", false, err
				}
				defer resp.Body.Close()
				raw, _ := io.ReadAll(resp.Body)
				var answer struct {
					Data struct {
						CreateApiToken struct{ Token string }
					}
				}
				json.Unmarshal(raw, &answer)
				return resp.StatusCode, answer.Data.CreateApiToken.Token, resp.Header.Get("Idempotent-Replayed") == "true", nil
			}

			// How long one takes: kills fall anywhere in twice that.
			c := start()
			began := time.Now()
			if status, _, _, err := create(c.url, "warm-up"); err != nil || status != http.StatusOK {
				t.Fatalf("%d %v", status, err)
			}
			window := 2 * time.Since(began)
			kill(c)

			db, err := sql.Open(driver, databaseURL)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			outcomes := map[string]int{}
			defer func() { t.Logf("outcomes: %v", outcomes) }()
			for i := range rounds {
				name := fmt.Sprintf("killed-%d", i)
				c := start()
				answered := make(chan bool)
				go func() {
					status, _, _, err := create(c.url, name) // answered, or cut off by the kill
					answered <- err == nil && status == http.StatusOK
				}()
				if i%2 == 0 {
					time.Sleep(rand.N(window))
				} else {
					// The moment its writes are visible: committed, and
					// maybe not yet answered.
					for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
						var made int
						if db.QueryRow(count, name).Scan(&made); made > 0 {
							break
						}
					}
				}
				kill(c)
				first := <-answered

				c = start()
				status, token, replayed, err := create(c.url, name)
				if err != nil || status != http.StatusOK || token == "" {
					t.Fatalf("round %d, the retry: %d %v", i, status, err)
				}
				if role, _, refusal := viewerOf(t, c.url, token); role != "PLATFORM_ADMIN" {
					t.Errorf("round %d: the token the retry was given does not work: %s", i, refusal)
				}
				kill(c)
				outcomes[fmt.Sprintf("answered %v, then replayed %v", first, replayed)]++
				var made int
				if err := db.QueryRow(count, name).Scan(&made); err != nil || made != 1 {
					t.Errorf("round %d: %d tokens made (%v), want 1", i, made, err)
				}
			}
		})
	}
}
