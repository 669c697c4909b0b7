package api

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// graphqlWSScripts holds subscribe.mjs and the package.json and
// package-lock.json of the graphql-ws client it runs (.ci/run installs
// them with npm ci).
const graphqlWSScripts = "testdata/graphqlws"

// nodeLine is one line subscribe.mjs prints.
type nodeLine struct {
	Connected bool            `json:"connected"`
	Next      json.RawMessage `json:"next"`
	Error     any             `json:"error"`
	Closed    *struct {
		Code   int    `json:"code"`
		Reason string `json:"reason"`
	} `json:"closed"`
}

// startSubscriber runs subscribe.mjs against base with token; it returns
// the lines it prints, closed when it exits. Without node or the
// installed packages the test is skipped with the reason, except under
// CI=true, where it fails.
func startSubscriber(t *testing.T, base, token string, env ...string) <-chan nodeLine {
	t.Helper()
	missing := ""
	if _, err := exec.LookPath("node"); err != nil {
		missing = "node is not on PATH"
	} else if _, err := os.Stat(filepath.Join(graphqlWSScripts, "node_modules", "graphql-ws")); err != nil {
		missing = "the script's packages are not installed: npm ci --prefix api/" + graphqlWSScripts
	}
	if missing != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("required under CI=true: %s", missing)
		}
		t.Skip("skipping: " + missing)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	cmd := exec.CommandContext(ctx, "node", "subscribe.mjs")
	cmd.Dir = graphqlWSScripts
	cmd.Env = append(os.Environ(), append([]string{"POINTGUARD_URL=ws" + strings.TrimPrefix(base, "http") + "/graphql",
		"POINTGUARD_TOKEN=" + token}, env...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan nodeLine, 10)
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		defer close(lines)
		s := bufio.NewScanner(out)
		for s.Scan() {
			var l nodeLine
			if err := json.Unmarshal(s.Bytes(), &l); err != nil {
				t.Errorf("subscribe.mjs printed %s", s.Text())
				continue
			}
			lines <- l
		}
		if err := cmd.Wait(); err != nil {
			t.Errorf("subscribe.mjs: %v\n%s", err, stderr.String())
		}
	}()
	t.Cleanup(func() { // it exits by itself once done; else it is killed, and fails
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cancel()
			<-exited
		}
		cancel()
	})
	return lines
}

func nextLine(t *testing.T, lines <-chan nodeLine) nodeLine {
	t.Helper()
	select {
	case l, ok := <-lines:
		if !ok {
			t.Fatal("subscribe.mjs exited")
		}
		return l
	case <-time.After(15 * time.Second):
		t.Fatal("subscribe.mjs printed nothing for 15 s")
	}
	return nodeLine{}
}

// TestGraphQLWSClient: the graphql-ws npm client (graphql-transport-ws)
// subscribes with its token in connectionParams and gets the events of a
// rule change; it resumes with after; a bad token is closed at init with
// 4403 Forbidden.
func TestGraphQLWSClient(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		t2 := a.integrate(w.test, w.point, "jira", map[string]any{"project": "DEV-2"})
		p1 := a.integrate(w.prod, w.point, "jira", map[string]any{"project": "DEV-3"})
		token := a.mintToken("ORG_VIEWER", w.org)

		lines := startSubscriber(t, a.url, token, "POINTGUARD_ORG="+w.org, "POINTGUARD_COUNT=2")
		if l := nextLine(t, lines); !l.Connected {
			t.Fatalf("first: %+v", l)
		}
		waitSubscriptions(t, a.handler, 1)
		a.do(updateIntegrationPoint, opsOnly(w.point))
		var ids, integrationIDs []string
		for range 2 {
			l := nextLine(t, lines)
			var p struct {
				Data struct {
					ComplianceChanged struct {
						Event       struct{ ID, Type string }
						Integration struct {
							ID         string
							Compliance struct{ Status string }
						}
					}
				}
			}
			if err := json.Unmarshal(l.Next, &p); err != nil || p.Data.ComplianceChanged.Event.Type != "integration.compliance_changed" ||
				p.Data.ComplianceChanged.Integration.Compliance.Status != "NON_COMPLIANT" {
				t.Fatalf("next: %+v (%s)", l, l.Next)
			}
			ids = append(ids, p.Data.ComplianceChanged.Event.ID)
			integrationIDs = append(integrationIDs, p.Data.ComplianceChanged.Integration.ID)
		}
		if slices.Sort(integrationIDs); !slices.Equal(integrationIDs, sorted(t2, p1)) {
			t.Fatalf("got %v, want %s and %s", integrationIDs, t2, p1)
		}

		resumed := startSubscriber(t, a.url, token, "POINTGUARD_ORG="+w.org, "POINTGUARD_AFTER="+ids[0], "POINTGUARD_COUNT=1")
		nextLine(t, resumed) // connected
		if l := nextLine(t, resumed); !strings.Contains(string(l.Next), ids[1]) {
			t.Fatalf("resumed after %s: %+v (%s), want %s", ids[0], l, l.Next, ids[1])
		}

		refused := startSubscriber(t, a.url, "pointguard_0000000000000000000000000000000000000000000000000000000000000000000000000000",
			"POINTGUARD_ORG="+w.org)
		for {
			l := nextLine(t, refused)
			if l.Closed != nil {
				if l.Closed.Code != 4403 || l.Closed.Reason != "invalid token" {
					t.Fatalf("a bad token closed with %+v", l.Closed)
				}
				break
			}
			if l.Connected || l.Next != nil {
				t.Fatalf("a bad token: %+v", l)
			}
		}
	})
}
