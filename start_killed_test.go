package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pointguard/pointguard/testdb"
)

// startChildEnv, when set, makes TestStartChild start the server with the
// environment it names (DATABASE_URL, or none for the embedded default):
// the process TestKilledFirstStarts kills.
const startChildEnv = "POINTGUARD_TEST_START"

func TestStartChild(t *testing.T) {
	databaseURL, ok := os.LookupEnv(startChildEnv)
	if !ok {
		t.Skip("run by TestKilledFirstStarts")
	}
	env := map[string]string{"DATABASE_URL": databaseURL, "PORT": "0"}
	var args []string
	if databaseURL != "" {
		args = []string{"-demo"}
	}
	// Serves until killed.
	if err := run(context.Background(), args, func(k string) string { return env[k] }, os.Stdout); err != nil {
		t.Fatal(err)
	}
}

// startChild starts the server on databaseURL ("" for the embedded
// default) in dir; listening is closed once it serves.
func startChild(t *testing.T, dir, databaseURL string) (cmd *exec.Cmd, listening chan struct{}) {
	t.Helper()
	cmd = exec.Command(os.Args[0], "-test.run=^TestStartChild$", "-test.count=1")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), startChildEnv+"="+databaseURL)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	listening = make(chan struct{})
	go func() {
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			if strings.Contains(lines.Text(), "pointguard listening") {
				close(listening)
				break
			}
		}
		io.Copy(io.Discard, out)
	}()
	return cmd, listening
}

// TestKilledFirstStarts: a first start killed (SIGKILL) at a random
// moment, twice, leaves a database the next start completes: the schema
// up to date, the demo organization whole (it loads in one transaction,
// and the embedded default loads it until it once committed), the demo
// tokens in data/demo.tokens working. Before, the embedded default loaded
// the demo only into a database file that did not exist yet, and a
// PostgreSQL start asked for it found the half-loaded organization and
// added nothing.
func TestKilledFirstStarts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills 40 servers")
	}
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			databaseURL := func() string {
				if engine == "sqlite" {
					return "" // the embedded default, in the folder the start runs in
				}
				return testdb.Postgres(t)
			}
			// How long an uninterrupted first start takes: kills fall anywhere in it.
			began := time.Now()
			cmd, listening := startChild(t, t.TempDir(), databaseURL())
			select {
			case <-listening:
			case <-time.After(30 * time.Second):
				t.Fatal("an uninterrupted start did not listen within 30 s")
			}
			whole := time.Since(began)
			cmd.Process.Kill()
			cmd.Wait()

			for i := 0; i < 10; i++ {
				dir, url := t.TempDir(), databaseURL()
				for kill := 0; kill < 2; kill++ {
					cmd, _ := startChild(t, dir, url)
					time.Sleep(rand.N(whole))
					cmd.Process.Kill()
					cmd.Wait()
				}
				t.Run(fmt.Sprint(i), func(t *testing.T) {
					t.Chdir(dir)
					cfg := config{databaseURL: url, demo: url != ""}
					b := boot(t, cfg)
					var integrations, version int
					db := b.store.DB()
					if err := db.QueryRow("SELECT count(*) FROM integrations").Scan(&integrations); err != nil || integrations != 4 {
						t.Errorf("the demo has %d integrations (%v), want 4", integrations, err)
					}
					if err := db.QueryRow("SELECT max(version) FROM integration_point_versions").Scan(&version); err != nil || version != 2 {
						t.Errorf("the demo's point is at version %d (%v), want 2", version, err)
					}
					if url == "" {
						var orgAdmin, accountAdmin string
						fmt.Sscanf(readDataFile(t, demoTokensFile), "ORG_ADMIN %s\nACCOUNT_ADMIN %s\n", &orgAdmin, &accountAdmin)
						for _, token := range []string{orgAdmin, accountAdmin} {
							if role, _, refusal := viewerOf(t, b.url, token); role == "" {
								t.Errorf("a demo token in %s does not work: %s", demoTokensFile, refusal)
							}
						}
					}
				})
			}
		})
	}
}
