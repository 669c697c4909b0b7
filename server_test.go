package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pointguard/pointguard/api"
	"github.com/pointguard/pointguard/auth"
	"github.com/pointguard/pointguard/demo"
	"github.com/pointguard/pointguard/limits"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/testdb"
)

func hasDemo(t *testing.T, st *store.Store) bool {
	t.Helper()
	_, err := st.Read(policy.System.Scope()).FindOrganizationBySlug(context.Background(), demo.OrganizationSlug)
	return err == nil
}

// TestDemoData: a new embedded database gets the demo organization, once;
// PostgreSQL gets it only with -demo.
func TestDemoData(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()

	t.Run("NewEmbeddedDatabase", func(t *testing.T) {
		t.Chdir(t.TempDir())
		for i := 0; i < 2; i++ { // the second start finds the demo and adds nothing
			st, _, _, err := open(ctx, config{}, nil, log)
			if err != nil {
				t.Fatal(err)
			}
			if !hasDemo(t, st) {
				t.Fatal("no demo organization in a new embedded database")
			}
			n, err := st.Read(policy.System.Scope()).CountOrganizations(ctx)
			st.Close()
			if err != nil || n != 1 {
				t.Fatalf("start %d: %d organizations (%v), want 1", i+1, n, err)
			}
		}
	})

	t.Run("PostgresOnlyWithFlag", func(t *testing.T) {
		databaseURL := testdb.Postgres(t)
		cfg, err := parseConfig(nil, func(k string) string {
			return map[string]string{"DATABASE_URL": databaseURL}[k]
		}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		st, _, _, err := open(ctx, cfg, nil, log)
		if err != nil {
			t.Fatal(err)
		}
		if hasDemo(t, st) {
			t.Error("demo data loaded into PostgreSQL unasked")
		}
		st.Close()
		cfg, _ = parseConfig([]string{"-demo"}, func(k string) string {
			return map[string]string{"DATABASE_URL": databaseURL}[k]
		}, io.Discard)
		st, _, _, err = open(ctx, cfg, nil, log)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if !hasDemo(t, st) {
			t.Error("-demo did not load the demo organization")
		}
	})
}

// booted is a start of the server: open as run calls it, and the handler
// run serves (without rate limit), on a test server.
type booted struct {
	url, log string
	store    *store.Store
	stop     func()
}

// boot starts the server with cfg; stop ends it (the test's end does too).
func boot(t *testing.T, cfg config) booted {
	t.Helper()
	var logged bytes.Buffer
	st, svc, _, err := open(context.Background(), cfg, nil, slog.New(slog.NewTextHandler(&logged, nil)))
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	lim := limits.Default()
	lim.RatePerSecond = 0
	srv := httptest.NewServer(api.New(st, svc, slog.New(slog.NewTextHandler(io.Discard, nil)), lim, api.Pointguard))
	var once sync.Once
	stop := func() { once.Do(func() { srv.Close(); st.Close() }) }
	t.Cleanup(stop)
	return booted{url: srv.URL, log: logged.String(), store: st, stop: stop}
}

// tokenFormat is a minted token: the prefix, then hex (auth.NewToken).
var tokenFormat = regexp.MustCompile(`^` + auth.TokenPrefix + `[0-9a-f]+$`)

// answer is a GraphQL answer as the start-up stories read it; the API's
// own stories (package api) have a fuller harness.
type answer struct {
	Status int
	Raw    string
	Data   map[string]any
	Errors []struct{ Message string }
}

// ask posts a GraphQL request to the server at url with token.
func ask(t *testing.T, url, query string, vars map[string]any, token string) answer {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{Status: resp.StatusCode, Raw: string(raw)}
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("not JSON (%d): %s", resp.StatusCode, raw)
	}
	return a
}

// at is the data at a dotted path ("a.b.0.c"), or fails.
func (a answer) at(t *testing.T, path string) any {
	t.Helper()
	var v any = a.Data
	for _, k := range strings.Split(path, ".") {
		if l, ok := v.([]any); ok {
			i, err := strconv.Atoi(k)
			if err != nil || i >= len(l) {
				t.Fatalf("no %s in %s", path, a.Raw)
			}
			v = l[i]
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("no %s in %s", path, a.Raw)
		}
		v = m[k]
	}
	return v
}

func (a answer) str(t *testing.T, path string) string { s, _ := a.at(t, path).(string); return s }
func (a answer) num(t *testing.T, path string) int    { n, _ := a.at(t, path).(float64); return int(n) }
func (a answer) list(t *testing.T, path string) []any { l, _ := a.at(t, path).([]any); return l }

// viewerOf is who token is at url: its role and ID, or the 401's message.
func viewerOf(t *testing.T, url, token string) (role, id, refusal string) {
	t.Helper()
	r := ask(t, url, `{ viewer { id role } }`, nil, token)
	if r.Status != http.StatusOK || len(r.Errors) > 0 {
		if r.Status != http.StatusUnauthorized || len(r.Errors) == 0 {
			t.Fatalf("status %d: %s", r.Status, r.Raw)
		}
		return "", "", r.Errors[0].Message
	}
	return r.str(t, "viewer.role"), r.str(t, "viewer.id"), ""
}

// fileMode is a file's permission bits, or fails.
func fileMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func readDataFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestBootstrapAdminToken: without POINTGUARD_ADMIN_TOKEN, the first start
// generates the platform admin token into data/admin.token (0600) and
// logs it once; later starts reuse it; POINTGUARD_ADMIN_TOKEN replaces it.
func TestBootstrapAdminToken(t *testing.T) {
	t.Chdir(t.TempDir())

	first := boot(t, config{})
	if mode := fileMode(t, defaultAdminTokenFile); mode != 0o600 {
		t.Errorf("%s has mode %o, want 600", defaultAdminTokenFile, mode)
	}
	if mode := fileMode(t, "data"); mode&0o077 != 0 {
		t.Errorf("data/ has mode %o: others may read it", mode)
	}
	fileToken := strings.TrimSpace(readDataFile(t, defaultAdminTokenFile))
	if !tokenFormat.MatchString(fileToken) {
		t.Fatalf("%s holds %q, not a token", defaultAdminTokenFile, fileToken)
	}
	role, id, refusal := viewerOf(t, first.url, fileToken)
	if role != "PLATFORM_ADMIN" {
		t.Fatalf("the generated token: role %q, refusal %q", role, refusal)
	}
	if !strings.Contains(first.log, fileToken) {
		t.Error("the first start does not show the generated token")
	}
	if where := testdb.CellsContaining(t, first.store.DB(), first.store.Engine() == store.SQLite, fileToken); len(where) > 0 {
		t.Errorf("the admin token is in clear in %v", where)
	}
	if _, _, refusal := viewerOf(t, first.url, auth.NewToken()); refusal != "invalid token" {
		t.Errorf("another token: %q, want invalid token", refusal)
	}
	first.stop()

	second := boot(t, config{})
	if got := strings.TrimSpace(readDataFile(t, defaultAdminTokenFile)); got != fileToken {
		t.Fatalf("the second start replaced the token file: %q, was %q", got, fileToken)
	}
	if strings.Contains(second.log, fileToken) {
		t.Error("the second start logs the admin token again")
	}
	if role, again, refusal := viewerOf(t, second.url, fileToken); role != "PLATFORM_ADMIN" || again != id {
		t.Errorf("after a restart, the file's token is %q %q (%q), want the same PLATFORM_ADMIN record %s", role, again, refusal, id)
	}
	second.stop()

	// POINTGUARD_ADMIN_TOKEN replaces it: the file's token is revoked.
	envToken := "0123456789abcdef0123456789abcdef-ops" // any 32+ characters, as openssl rand -hex 32 gives
	cfg, err := parseConfig(nil, func(k string) string { return map[string]string{"POINTGUARD_ADMIN_TOKEN": envToken}[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	third := boot(t, cfg)
	if strings.Contains(third.log, envToken) {
		t.Error("the configured admin token is logged")
	}
	role, envID, refusal := viewerOf(t, third.url, envToken)
	if role != "PLATFORM_ADMIN" || envID == id {
		t.Errorf("POINTGUARD_ADMIN_TOKEN: role %q, id %s (%q); want a new PLATFORM_ADMIN token", role, envID, refusal)
	}
	if _, _, refusal := viewerOf(t, third.url, fileToken); !strings.Contains(refusal, "revoked") {
		t.Errorf("the replaced file token: %q, want revoked", refusal)
	}
	third.stop()

	// The same configuration again changes nothing.
	fourth := boot(t, cfg)
	if role, again, _ := viewerOf(t, fourth.url, envToken); role != "PLATFORM_ADMIN" || again != envID {
		t.Errorf("restart with the same POINTGUARD_ADMIN_TOKEN: %q %s, want the record %s", role, again, envID)
	}
	n := 0
	if err := fourth.store.DB().QueryRow("SELECT COUNT(*) FROM api_tokens WHERE bootstrap AND revoked_at IS NULL").Scan(&n); err != nil || n != 1 {
		t.Errorf("%d live bootstrap tokens (%v), want 1", n, err)
	}
}

// TestBootstrapWithConfiguredToken: with POINTGUARD_ADMIN_TOKEN from the
// first start, no token file is written.
func TestBootstrapWithConfiguredToken(t *testing.T) {
	t.Chdir(t.TempDir())
	envToken := auth.NewToken()
	b := boot(t, config{adminToken: envToken})
	if role, _, refusal := viewerOf(t, b.url, envToken); role != "PLATFORM_ADMIN" {
		t.Errorf("POINTGUARD_ADMIN_TOKEN: %q (%q)", role, refusal)
	}
	if _, err := os.Stat(defaultAdminTokenFile); !os.IsNotExist(err) {
		t.Errorf("%s written although POINTGUARD_ADMIN_TOKEN is set (%v)", defaultAdminTokenFile, err)
	}
}

// TestBootstrapTokenRevokedForGood: a revoked admin token never comes
// back. Going back to a POINTGUARD_ADMIN_TOKEN used before stops the start
// with an error naming the variable (and leaves the current token alone);
// unsetting it again, which brings back the revoked data/admin.token,
// replaces that file's token with a new one.
func TestBootstrapTokenRevokedForGood(t *testing.T) {
	t.Run("RollBack", func(t *testing.T) {
		t.Chdir(t.TempDir())
		a, b := auth.NewToken(), auth.NewToken()
		for _, token := range []string{a, b} {
			boot(t, config{adminToken: token}).stop()
		}
		st, _, _, err := open(context.Background(), config{adminToken: a}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err == nil {
			st.Close()
			t.Fatal("a revoked POINTGUARD_ADMIN_TOKEN was accepted again")
		}
		if !strings.Contains(err.Error(), "POINTGUARD_ADMIN_TOKEN") || !strings.Contains(err.Error(), "revoked") {
			t.Errorf("error %q does not name POINTGUARD_ADMIN_TOKEN and say revoked", err)
		}
		srv := boot(t, config{adminToken: b})
		if role, _, refusal := viewerOf(t, srv.url, b); role != "PLATFORM_ADMIN" {
			t.Errorf("the current token after the refused start: %q", refusal)
		}
		if _, _, refusal := viewerOf(t, srv.url, a); !strings.Contains(refusal, "revoked") {
			t.Errorf("the old token: %q, want revoked", refusal)
		}
	})
	t.Run("UnsetAgain", func(t *testing.T) {
		t.Chdir(t.TempDir())
		boot(t, config{}).stop()
		first := strings.TrimSpace(readDataFile(t, defaultAdminTokenFile))
		configured := auth.NewToken()
		boot(t, config{adminToken: configured}).stop()
		srv := boot(t, config{})
		renewed := strings.TrimSpace(readDataFile(t, defaultAdminTokenFile))
		if renewed == first || !tokenFormat.MatchString(renewed) {
			t.Fatalf("data/admin.token was not renewed: %q", renewed[:min(len(renewed), 23)])
		}
		if mode := fileMode(t, defaultAdminTokenFile); mode != 0o600 {
			t.Errorf("renewed %s has mode %o", defaultAdminTokenFile, mode)
		}
		if !strings.Contains(srv.log, renewed) {
			t.Error("the renewed token is not shown at the start that made it")
		}
		if role, _, refusal := viewerOf(t, srv.url, renewed); role != "PLATFORM_ADMIN" {
			t.Errorf("the renewed token: %q", refusal)
		}
		for _, old := range []string{first, configured} {
			if _, _, refusal := viewerOf(t, srv.url, old); !strings.Contains(refusal, "revoked") {
				t.Errorf("an old admin token: %q, want revoked", refusal)
			}
		}
	})
}

// TestDemoTokens: the demo data's ORG_ADMIN and ACCOUNT_ADMIN tokens are
// kept in data/demo.tokens (0600), logged at every start, and work.
func TestDemoTokens(t *testing.T) {
	t.Chdir(t.TempDir())
	first := boot(t, config{})
	if mode := fileMode(t, demoTokensFile); mode != 0o600 {
		t.Errorf("%s has mode %o, want 600", demoTokensFile, mode)
	}
	var orgAdmin, accountAdmin string
	content := readDataFile(t, demoTokensFile)
	if n, err := fmt.Sscanf(content, "ORG_ADMIN %s\nACCOUNT_ADMIN %s\n", &orgAdmin, &accountAdmin); n != 2 || err != nil {
		t.Fatalf("%s: %q (%v)", demoTokensFile, content, err)
	}
	if !tokenFormat.MatchString(orgAdmin) || !tokenFormat.MatchString(accountAdmin) || orgAdmin == accountAdmin {
		t.Fatalf("demo tokens %q, %q", orgAdmin, accountAdmin)
	}
	for _, tok := range []string{orgAdmin, accountAdmin} {
		if !strings.Contains(first.log, tok) {
			t.Errorf("the first start does not show demo token %s…", tok[:23])
		}
		if where := testdb.CellsContaining(t, first.store.DB(), first.store.Engine() == store.SQLite, tok); len(where) > 0 {
			t.Errorf("a demo token is in clear in %v", where)
		}
	}

	const q = `{ viewer { role } organization(slug: "acme") { slug accounts { totalCount nodes { slug } } } }`
	check := func(t *testing.T, url string) {
		r := ask(t, url, q, nil, orgAdmin)
		if r.Status != http.StatusOK || len(r.Errors) > 0 || r.str(t, "viewer.role") != "ORG_ADMIN" ||
			r.str(t, "organization.slug") != "acme" || r.num(t, "organization.accounts.totalCount") != 2 {
			t.Errorf("demo ORG_ADMIN: %s", r.Raw)
		}
		r = ask(t, url, q, nil, accountAdmin)
		if r.Status != http.StatusOK || len(r.Errors) > 0 || r.str(t, "viewer.role") != "ACCOUNT_ADMIN" {
			t.Fatalf("demo ACCOUNT_ADMIN: %s", r.Raw)
		}
		if got := r.list(t, "organization.accounts.nodes"); len(got) != 1 || got[0].(map[string]any)["slug"] != "acme-prod" ||
			r.num(t, "organization.accounts.totalCount") != 1 {
			t.Errorf("demo ACCOUNT_ADMIN sees accounts %s, want only acme-prod", r.Raw)
		}
	}
	check(t, first.url)
	first.stop()

	second := boot(t, config{})
	if readDataFile(t, demoTokensFile) != content {
		t.Error("the second start rewrote the demo tokens file")
	}
	if !strings.Contains(second.log, orgAdmin) || !strings.Contains(second.log, accountAdmin) {
		t.Errorf("the second start does not show the demo tokens again; it logged:\n%s", second.log)
	}
	check(t, second.url)
}

// TestParseConfigAdminToken: POINTGUARD_ADMIN_TOKEN must be a real secret.
func TestParseConfigAdminToken(t *testing.T) {
	env := func(token string) func(string) string {
		return func(k string) string { return map[string]string{"POINTGUARD_ADMIN_TOKEN": token}[k] }
	}
	for _, bad := range []string{"s3cr3t", strings.Repeat("Q", 31), strings.Repeat("Q", 20) + " " + strings.Repeat("Z", 20)} {
		if _, err := parseConfig(nil, env(bad), io.Discard); err == nil || !strings.Contains(err.Error(), "POINTGUARD_ADMIN_TOKEN") {
			t.Errorf("POINTGUARD_ADMIN_TOKEN %q: error %v, want one naming POINTGUARD_ADMIN_TOKEN", bad, err)
		} else if strings.Contains(err.Error(), bad) {
			t.Errorf("the error shows the token: %v", err)
		}
	}
	for _, good := range []string{strings.Repeat("x", 32), auth.NewToken(), ""} {
		cfg, err := parseConfig(nil, env(good), io.Discard)
		if err != nil || cfg.adminToken != good {
			t.Errorf("POINTGUARD_ADMIN_TOKEN %q: %v, adminToken %q", good, err, cfg.adminToken)
		}
	}
}

// TestParseConfigExecutor: POINTGUARD_EXECUTOR picks what runs queries;
// a value that names neither is refused, naming the variable.
func TestParseConfigExecutor(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string { return map[string]string{"POINTGUARD_EXECUTOR": v}[k] }
	}
	for v, want := range map[string]api.ReadExecutor{"": api.Pointguard, "pointguard": api.Pointguard, "gqlgen": api.Gqlgen} {
		if cfg, err := parseConfig(nil, env(v), io.Discard); err != nil || cfg.readExecutor != want {
			t.Errorf("POINTGUARD_EXECUTOR %q: %v, executor %q, want %q", v, err, cfg.readExecutor, want)
		}
	}
	if _, err := parseConfig(nil, env("fast"), io.Discard); err == nil || !strings.Contains(err.Error(), "POINTGUARD_EXECUTOR") {
		t.Errorf("POINTGUARD_EXECUTOR fast: error %v, want one naming POINTGUARD_EXECUTOR", err)
	}
}

// TestRevokedDemoTokensNotShown: a later start shows the demo tokens only
// while they work.
func TestRevokedDemoTokensNotShown(t *testing.T) {
	t.Chdir(t.TempDir())
	first := boot(t, config{})
	var orgAdmin, accountAdmin string
	fmt.Sscanf(readDataFile(t, demoTokensFile), "ORG_ADMIN %s\nACCOUNT_ADMIN %s\n", &orgAdmin, &accountAdmin)
	id := ask(t, first.url, `{ viewer { id } }`, nil, accountAdmin).str(t, "viewer.id")
	ask(t, first.url, `mutation($id: ID!) { revokeApiToken(input: { id: $id }) { userErrors { code } } }`,
		map[string]any{"id": id}, orgAdmin)
	first.stop()
	second := boot(t, config{})
	if strings.Contains(second.log, accountAdmin) || strings.Contains(second.log, orgAdmin) {
		t.Error("a start shows demo tokens after one of them was revoked")
	}
	if !strings.Contains(second.log, "were revoked or have expired") {
		t.Errorf("the start does not say why it shows no demo tokens:\n%s", second.log)
	}
}

// TestCollectLessOften: without GOGC the collector's target is gcPercent;
// a GOGC of the operator's is left as it is.
func TestCollectLessOften(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	collectLessOften(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("GOGC unset: GC percent %d, want %d", got, gcPercent)
	}
	collectLessOften(func(k string) string { return map[string]string{"GOGC": "50"}[k] })
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC=50: GC percent changed to %d", got)
	}
}

// TestLimitMemory: without GOMEMLIMIT the runtime's soft memory limit is
// memoryLimit; a GOMEMLIMIT of the operator's is left as it is.
func TestLimitMemory(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	debug.SetMemoryLimit(math.MaxInt64)
	limitMemory(func(string) string { return "" })
	if got := debug.SetMemoryLimit(-1); got != memoryLimit {
		t.Errorf("GOMEMLIMIT unset: limit %d, want %d", got, memoryLimit)
	}
	debug.SetMemoryLimit(math.MaxInt64)
	limitMemory(func(k string) string { return map[string]string{"GOMEMLIMIT": "1GiB"}[k] })
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("GOMEMLIMIT set: limit changed to %d", got)
	}
}

// TestMigrateCommand: `pointguard migrate` takes up, status and force N,
// refuses anything else with its usage, and reports where the schema is.
func TestMigrateCommand(t *testing.T) {
	for _, bad := range [][]string{{"migrate"}, {"migrate", "down"}, {"migrate", "force"}, {"migrate", "force", "-1"},
		{"migrate", "force", "x"}, {"migrate", "status", "now"}} {
		if _, err := parseConfig(bad, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	databaseURL := testdb.Postgres(t)
	env := func(k string) string { return map[string]string{"DATABASE_URL": databaseURL}[k] }
	for _, step := range []struct {
		args []string
		want string
	}{
		{[]string{"migrate", "status"}, "version 0 (clean)"},
		{[]string{"migrate", "up"}, fmt.Sprintf("version %d (clean)", latestMigration(t))},
		{[]string{"migrate", "force", "2"}, "version 2 (clean)"},
		{[]string{"migrate", "force", "0"}, "version 0 (clean)"},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), step.args, env, &out); err != nil || !strings.Contains(out.String(), step.want) {
			t.Errorf("%q: %v, printed %q, want %q", step.args, err, out.String(), step.want)
		}
	}
}

// latestMigration is the number of the last migration this binary has.
func latestMigration(t *testing.T) int {
	m, err := store.OpenMigrator(context.Background(), filepath.Join(t.TempDir(), "latest.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	s, err := m.Status()
	if err != nil {
		t.Fatal(err)
	}
	return s.Latest
}

// TestParseConfigShutdownGrace: POINTGUARD_SHUTDOWN_GRACE is a duration,
// 15s unset; anything else is refused, naming the variable.
func TestParseConfigShutdownGrace(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string { return map[string]string{"POINTGUARD_SHUTDOWN_GRACE": v}[k] }
	}
	for v, want := range map[string]time.Duration{"": 15 * time.Second, "2s": 2 * time.Second, "0s": 0} {
		if cfg, err := parseConfig(nil, env(v), io.Discard); err != nil || cfg.shutdownGrace != want {
			t.Errorf("POINTGUARD_SHUTDOWN_GRACE %q: %v, grace %v, want %v", v, err, cfg.shutdownGrace, want)
		}
	}
	for _, bad := range []string{"15", "-1s", "later"} {
		if _, err := parseConfig(nil, env(bad), io.Discard); err == nil || !strings.Contains(err.Error(), "POINTGUARD_SHUTDOWN_GRACE") {
			t.Errorf("POINTGUARD_SHUTDOWN_GRACE %q: error %v, want one naming the variable", bad, err)
		}
	}
}
