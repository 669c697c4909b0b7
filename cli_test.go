package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pointguard/pointguard/demo"
)

// TestHelp: --help, -h and help print the commands, the flags and every
// variable with its default, and succeed; a wrong flag or command fails
// pointing at --help. None of them reads the environment (a bad value
// does not stop --help).
func TestHelp(t *testing.T) {
	bad := func(k string) string { return map[string]string{"POINTGUARD_MAX_DEPTH": "deep"}[k] }
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		var out bytes.Buffer
		if err := run(context.Background(), args, bad, &out); err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		for _, want := range []string{"Usage: pointguard", "-demo", "token create --org SLUG", "migrate up | status | force VERSION",
			"rotate-secrets", "version", "serve"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%q does not say %q:\n%s", args, want, out.String())
			}
		}
		for _, e := range environment {
			if !regexp.MustCompile(`(?m)^  ` + e.name + ` .*\(` + regexp.QuoteMeta(orUnset(e.fallback)) + `\)$`).MatchString(out.String()) {
				t.Errorf("%q does not list %s with its default %q", args, e.name, e.fallback)
			}
		}
	}
	for _, args := range [][]string{{"-x"}, {"serv"}, {"token", "create"}, {"token", "create", "--org", "acme", "--role", "ORG_ADMIN"}} {
		if err := run(context.Background(), args, func(string) string { return "" }, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "usage") && !strings.Contains(err.Error(), "--help") {
			t.Errorf("%q: %v, want an error pointing at the usage", args, err)
		}
	}
}

func orUnset(s string) string {
	if s == "" {
		return "unset"
	}
	return s
}

// TestHelpListsTheEnvironment: every variable the code reads is in
// --help's list, and every one in the list is in the README's table of
// variables, so neither forgets one.
func TestHelpListsTheEnvironment(t *testing.T) {
	listed := map[string]bool{}
	for _, e := range environment {
		listed[e.name] = true
	}
	var read []string
	// examples/ are programs of their own: the partner app's
	// POINTGUARD_TOKEN is its client's, not the server's.
	name := regexp.MustCompile(`"((?:POINTGUARD|OTEL)_[A-Z_]+|DATABASE_URL|PORT|GOGC|GOMEMLIMIT)"`)
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdb" || d.Name() == "examples" || strings.HasPrefix(d.Name(), ".")) {
			if err == nil && path != "." {
				return filepath.SkipDir
			}
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		for _, m := range name.FindAllStringSubmatch(string(src), -1) {
			read = append(read, m[1])
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(read)
	read = slices.Compact(read)
	if len(read) < 20 {
		t.Fatalf("found only %v: the walk is broken", read)
	}
	for _, v := range read {
		if !listed[v] {
			t.Errorf("%s is read by the code but not listed by --help (cli.go, environment)", v)
		}
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range environment {
		if !regexp.MustCompile("(?m)^\\| [^|]*`" + e.name + "`").Match(readme) {
			t.Errorf("%s is not in the README's table of variables", e.name)
		}
	}
}

// TestTokenCreate: `pointguard token create` mints a token of the role
// asked for, printed alone on standard output, that the API accepts; an
// account's, with --account; an unknown organization or role is refused.
func TestTokenCreate(t *testing.T) {
	t.Chdir(t.TempDir()) // the embedded database, with the demo
	env := func(string) string { return "" }
	mint := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"token", "create"}, args...), env, &out)
		return out.String(), err
	}
	out, err := mint("--org", demo.OrganizationSlug, "--role", "org_viewer", "--name", "partner app", "--expires", "720h")
	if err != nil {
		t.Fatal(err)
	}
	token := strings.SplitN(out, "\n", 2)[0]
	if !tokenFormat.MatchString(token) || !strings.Contains(out, "ORG_VIEWER partner app") {
		t.Fatalf("printed %q", out)
	}
	accountToken, err := mint("--org", demo.OrganizationSlug, "--account", "acme-test", "--role", "ACCOUNT_VIEWER", "--name", "dashboard")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := parseConfig(nil, env, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	b := boot(t, cfg)
	r := ask(t, b.url, `{ viewer { role name expiresAt account { slug } } }`, nil, token)
	if jsonPath(r.Data, "viewer.role") != "ORG_VIEWER" || jsonPath(r.Data, "viewer.name") != "partner app" || jsonPath(r.Data, "viewer.expiresAt") == nil {
		t.Errorf("the minted token: %s", r.Raw)
	}
	r = ask(t, b.url, `{ viewer { role account { slug } } }`, nil, strings.SplitN(accountToken, "\n", 2)[0])
	if jsonPath(r.Data, "viewer.role") != "ACCOUNT_VIEWER" || jsonPath(r.Data, "viewer.account.slug") != "acme-test" {
		t.Errorf("the account's token: %s", r.Raw)
	}
	b.stop()
	for _, args := range [][]string{
		{"--org", "nobody", "--role", "ORG_ADMIN", "--name", "x"},
		{"--org", demo.OrganizationSlug, "--role", "EMPEROR", "--name", "x"},
		{"--org", demo.OrganizationSlug, "--account", "nobody", "--role", "ACCOUNT_ADMIN", "--name", "x"},
	} {
		if out, err := mint(args...); err == nil || out != "" {
			t.Errorf("%q: printed %q, %v", args, out, err)
		}
	}
}

// jsonPath walks a decoded answer by dotted keys.
func jsonPath(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

// TestParseConfigListenAndLogFormat: POINTGUARD_LISTEN, a host:port,
// wins over PORT; with neither, the embedded demo listens on loopback
// alone, anything else on every interface; POINTGUARD_LOG_FORMAT is text or json; anything else is
// refused, naming the variable.
func TestParseConfigListenAndLogFormat(t *testing.T) {
	for _, tc := range []struct {
		env        map[string]string
		addr, logs string
	}{
		{map[string]string{}, "127.0.0.1:8080", ""}, // the embedded demo: this machine alone
		{map[string]string{"DATABASE_URL": "postgres://127.0.0.1/test"}, ":8080", ""},
		{map[string]string{"DATABASE_URL": "my.db"}, ":8080", ""},
		{map[string]string{"PORT": "9000"}, ":9000", ""},
		{map[string]string{"PORT": "9000", "POINTGUARD_LISTEN": "127.0.0.1:9001"}, "127.0.0.1:9001", ""},
		{map[string]string{"POINTGUARD_LISTEN": "[::1]:8080", "POINTGUARD_LOG_FORMAT": "json"}, "[::1]:8080", "json"},
	} {
		c, err := parseConfig(nil, func(k string) string { return tc.env[k] }, &bytes.Buffer{})
		if err != nil || c.addr != tc.addr || c.logFormat != tc.logs {
			t.Errorf("%v: %q, %q, %v; want %q, %q", tc.env, c.addr, c.logFormat, err, tc.addr, tc.logs)
		}
	}
	for name, bad := range map[string]string{"POINTGUARD_LISTEN": "localhost", "POINTGUARD_LOG_FORMAT": "xml"} {
		if _, err := parseConfig(nil, func(k string) string { return map[string]string{name: bad}[k] }, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: %v", name, bad, err)
		}
	}
	var out bytes.Buffer
	logger(&out, "json").Info("hello", "n", 1)
	var r map[string]any
	if err := json.Unmarshal(out.Bytes(), &r); err != nil || r["msg"] != "hello" {
		t.Errorf("a JSON log record: %q", out.String())
	}
}
