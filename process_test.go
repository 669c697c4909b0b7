package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pointguard/pointguard/testdb"
)

// startChildEnv, when set, makes TestStartChild start the server on the
// database it names (DATABASE_URL, or none for the embedded default),
// with the POINTGUARD_ variables of its environment: the process that
// TestKilledFirstStarts kills and TestShutdown stops.
const startChildEnv = "POINTGUARD_TEST_START"

func TestStartChild(t *testing.T) {
	databaseURL, ok := os.LookupEnv(startChildEnv)
	if !ok {
		t.Skip("run by TestKilledFirstStarts")
	}
	// Any free port for the admin address too: children run side by side.
	env := map[string]string{"DATABASE_URL": databaseURL, "PORT": "0", "POINTGUARD_ADMIN_ADDR": "127.0.0.1:0"}
	for _, kv := range os.Environ() {
		if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "POINTGUARD_") {
			env[k] = v
		}
	}
	var args []string
	if databaseURL != "" {
		args = []string{"-demo"}
	}
	// Serves until killed or signalled; the test's exit code is run's.
	if err := runUntilSignalled(args, func(k string) string { return env[k] }, os.Stdout); err != nil {
		t.Fatal(err)
	}
}

// child is a server process started by startChild.
type child struct {
	cmd *exec.Cmd
	// listening is closed once the server serves, at url.
	listening chan struct{}
	url       string
	mu        sync.Mutex
	log       strings.Builder
}

// output is what the process has printed so far.
func (c *child) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.log.String()
}

// listeningURL is the URL in the log line saying the server listens.
var listeningURL = regexp.MustCompile(`pointguard listening" url=(\S+)`)

// startChild starts the server on databaseURL ("" for the embedded
// default) in dir, with env added to its environment.
func startChild(t *testing.T, dir, databaseURL string, env ...string) *child {
	t.Helper()
	c := &child{listening: make(chan struct{})}
	c.cmd = exec.Command(os.Args[0], "-test.run=^TestStartChild$", "-test.count=1")
	c.cmd.Dir = dir
	c.cmd.Env = append(append(os.Environ(), startChildEnv+"="+databaseURL), env...)
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			c.mu.Lock()
			c.log.WriteString(lines.Text() + "\n")
			c.mu.Unlock()
			if m := listeningURL.FindStringSubmatch(lines.Text()); m != nil && c.url == "" {
				c.url = m[1]
				close(c.listening)
			}
		}
	}()
	return c
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
			c := startChild(t, t.TempDir(), databaseURL())
			select {
			case <-c.listening:
			case <-time.After(30 * time.Second):
				t.Fatal("an uninterrupted start did not listen within 30 s")
			}
			whole := time.Since(began)
			c.cmd.Process.Kill()
			c.cmd.Wait()

			for i := 0; i < 10; i++ {
				dir, url := t.TempDir(), databaseURL()
				for kill := 0; kill < 2; kill++ {
					c := startChild(t, dir, url)
					time.Sleep(rand.N(whole))
					c.cmd.Process.Kill()
					c.cmd.Wait()
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

// TestShutdown: on SIGTERM, the server stops taking connections, waits
// POINTGUARD_SHUTDOWN_GRACE for the requests in flight, then closes the
// connections still open (here a client that sent half a body and went
// quiet), logs each step, and exits 0. Before, it waited a fixed 10 s,
// said nothing, and exited 1.
func TestShutdown(t *testing.T) {
	c := startChild(t, t.TempDir(), "", "POINTGUARD_SHUTDOWN_GRACE=500ms")
	select {
	case <-c.listening:
	case <-time.After(30 * time.Second):
		t.Fatalf("the server did not listen; it printed:\n%s", c.output())
	}
	conn, err := net.Dial("tcp", strings.TrimPrefix(c.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"query\":")
	time.Sleep(200 * time.Millisecond) // the server reads the headers: the connection is active

	c.cmd.Process.Signal(syscall.SIGTERM)
	err = c.cmd.Wait()
	out := c.output()
	if err != nil {
		t.Errorf("exit after SIGTERM: %v; it printed:\n%s", err, out)
	}
	for _, step := range []string{
		`msg="shutting down: no new connections; waiting for the requests in flight" grace=500ms connections=1`,
		`msg="the grace period is over: closing the connections still open" connections=1`,
		`msg="shut down"`,
	} {
		if !strings.Contains(out, step) {
			t.Errorf("the log lacks %s; it printed:\n%s", step, out)
		}
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Error("the quiet client's connection is still open")
	}
}
