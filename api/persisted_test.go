package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pointguard/pointguard/apierror"
	"github.com/pointguard/pointguard/graph"
	"github.com/pointguard/pointguard/limits"
	"github.com/pointguard/pointguard/persisted"
	"github.com/pointguard/pointguard/testdb"
)

// serveWith serves the app's database with New given cfg and opts, with
// reads executing queries, until the test ends, and returns its URL.
func serveWith(t *testing.T, a *app, cfg limits.Config, reads ReadExecutor, opts ...Option) string {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	h := New(a.store, a.service, log, cfg, reads, opts...)
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		h.Close()
		srv.Close()
	})
	return srv.URL
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// apqBody is an automatic persisted query's request: the hash of query,
// with query's text unless hashOnly.
func apqBody(query string, hashOnly bool) []byte {
	body := map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": sha256Hex(query)}}}
	if !hashOnly {
		body["query"] = query
	}
	b, _ := json.Marshal(body)
	return b
}

// TestPersistedQueriesSharedThroughRedis: with Redis configured, a query
// registered by APQ on one replica (hash and text) is served by another
// from its hash alone, whichever executor each runs; without Redis, a
// replica knows only what it was sent itself.
func TestPersistedQueriesSharedThroughRedis(t *testing.T) {
	eachBackend(t, func(t *testing.T, a *app) {
		redisURL, prefix := testdb.Redis(t)
		replica := func(reads ReadExecutor, shared bool) string {
			cfg := limits.Default()
			cfg.RatePerSecond = 0
			if shared {
				r, err := limits.NewRedis(context.Background(), redisURL, prefix)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { r.Close() })
				cfg.Redis = r
			}
			return serveWith(t, a, cfg, reads)
		}
		pointguard, gqlgen := replica(Pointguard, true), replica(Gqlgen, true)
		for i, hop := range [][2]string{{pointguard, gqlgen}, {gqlgen, pointguard}} {
			query := `query Shared { viewer { id role } }`
			if i == 1 {
				query = `query SharedBack { viewer { role } }`
			}
			if r := a.sendTo(hop[0], apqBody(query, false)); r.Status != http.StatusOK || len(r.Errors) > 0 {
				t.Fatalf("register on the first replica: %d %s", r.Status, r.Raw)
			}
			r := a.sendTo(hop[1], apqBody(query, true))
			if r.Status != http.StatusOK || len(r.Errors) > 0 || r.str(t, "viewer.role") != "PLATFORM_ADMIN" {
				t.Fatalf("hash alone on the other replica: %d %s", r.Status, r.Raw)
			}
			keys, err := testdb.RedisKeys(redisURL, prefix)
			if err != nil {
				t.Fatal(err)
			}
			if key := "apq:" + prefix + sha256Hex(query); !slices.Contains(keys, key) {
				t.Errorf("no key %s in Redis: %q", key, keys)
			}
		}

		alone := replica(Pointguard, false)
		if r := a.sendTo(alone, apqBody(`query Shared { viewer { id role } }`, true)); r.errorCode(t) != apierror.CodePersistedQueryNotFound {
			t.Errorf("a replica without Redis: %d %s", r.Status, r.Raw)
		}
	})
}

// TestTrustedDocuments: with POINTGUARD_TRUSTED_DOCUMENTS, a token that is
// not an admin's runs the listed documents, by text or by hash alone, and
// nothing else: 403 PERSISTED_QUERY_NOT_ALLOWED, before anything runs. An
// ORG_ADMIN runs any document.
func TestTrustedDocuments(t *testing.T) {
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		viewerToken := a.mintToken("ORG_VIEWER", w.org)
		orgAdminToken := a.mintToken("ORG_ADMIN", w.org)
		accountAdminToken := a.mintToken("ACCOUNT_ADMIN", w.test)

		const me = `query Me { viewer { id role } }`
		listed := map[string]string{sha256Hex(me): me, sha256Hex(createIntegration): createIntegration}
		b, _ := json.Marshal(listed)
		path := filepath.Join(t.TempDir(), "trusted-documents.json")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		trusted, err := persisted.LoadTrustedDocuments(path, graph.NewExecutableSchema(graph.Config{}).Schema())
		if err != nil {
			t.Fatal(err)
		}
		cfg := limits.Default()
		cfg.RatePerSecond = 0
		a.url = serveWith(t, a, cfg, Pointguard, WithTrustedDocuments(trusted))
		a.referenceURL = serveWith(t, a, cfg, Gqlgen, WithTrustedDocuments(trusted))

		viewer := a.as(viewerToken)
		if r := viewer.do(me, nil); r.str(t, "viewer.role") != "ORG_VIEWER" {
			t.Errorf("listed, by text: %s", r.Raw)
		}
		for _, url := range []string{a.url, a.referenceURL} {
			// Never sent with its text before: the manifest's.
			r := viewer.sendTo(url, apqBody(me, true))
			if r.Status != http.StatusOK || len(r.Errors) > 0 || r.str(t, "viewer.role") != "ORG_VIEWER" {
				t.Errorf("listed, by hash alone: %d %s", r.Status, r.Raw)
			}
		}

		const unlisted = `query { viewer { id } }`
		notAllowed := "this server runs only trusted documents for this token; the operation's SHA-256 " + sha256Hex(unlisted) + " is not one of them"
		refused(t, viewer.post(unlisted, nil), http.StatusForbidden, apierror.CodePersistedQueryNotAllowed, notAllowed)
		for _, url := range []string{a.url, a.referenceURL} {
			refused(t, viewer.sendTo(url, apqBody(unlisted, true)), http.StatusForbidden, apierror.CodePersistedQueryNotAllowed, notAllowed)
			refused(t, viewer.sendTo(url, apqBody(unlisted, false)), http.StatusForbidden, apierror.CodePersistedQueryNotAllowed, notAllowed)
			// 403 under either media type.
			req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader([]byte(`{"query":"query { viewer { id } }"}`)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/graphql-response+json")
			req.Header.Set("Authorization", "Bearer "+viewerToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("application/graphql-response+json: %d, want 403", resp.StatusCode)
			}
		}

		// A subscription is held to the list too.
		ws := subscriber(t, a.url, viewerToken)
		ws.subscribe("unlisted", complianceChanged, map[string]any{"org": w.org})
		if msg, code := ws.refusal("unlisted"); code != apierror.CodePersistedQueryNotAllowed ||
			msg != "this server runs only trusted documents for this token; the operation's SHA-256 "+sha256Hex(complianceChanged)+" is not one of them" {
			t.Errorf("unlisted subscription: %s %s", code, msg)
		}

		// An unlisted mutation by a token that may write runs not at all;
		// the listed one does.
		accountAdmin := a.as(accountAdminToken)
		const unlistedCreate = `mutation($input: CreateIntegrationInput!) { createIntegration(input: $input) { integration { id } userErrors { code } } }`
		input := integrationInput(w.test, w.point, "mock_ticketing", map[string]any{"project": "T"})
		refused(t, accountAdmin.post(unlistedCreate, input), http.StatusForbidden, apierror.CodePersistedQueryNotAllowed, "")
		if n := a.countIntegrations(w.org); n != 0 {
			t.Fatalf("%d integrations after the refused mutation, want 0", n)
		}
		accountAdmin.integrate(w.test, w.point, "mock_ticketing", map[string]any{"project": "T"})
		if n := a.countIntegrations(w.org); n != 1 {
			t.Fatalf("%d integrations after the listed mutation, want 1", n)
		}

		// The listed mutation by its hash alone, with an Idempotency-Key:
		// it runs at once (no PERSISTED_QUERY_NOT_FOUND first), and its
		// retry is answered again, not run again.
		retried := func() (int, string, string) {
			body, _ := json.Marshal(map[string]any{
				"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": sha256Hex(createIntegration)}},
				"variables":  integrationInput(w.test, w.point, "mock_ticketing", map[string]any{"project": "K"}),
			})
			req, _ := http.NewRequest(http.MethodPost, a.url+"/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+accountAdminToken)
			req.Header.Set(IdempotencyKeyHeader, "trusted-hash-only-1")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			out, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, resp.Header.Get(ReplayedHeader), string(out)
		}
		status, replayed, first := retried()
		if status != http.StatusOK || replayed != "" || !strings.Contains(first, `"integration":{"id"`) {
			t.Fatalf("the listed mutation by hash, with a key: %d %q %s", status, replayed, first)
		}
		status, replayed, again := retried()
		if status != http.StatusOK || replayed != "true" || again != first {
			t.Errorf("its retry: %d %q %s; want the first answer, replayed", status, replayed, again)
		}
		if n := a.countIntegrations(w.org); n != 2 {
			t.Fatalf("%d integrations after the mutation by hash and its retry, want 2", n)
		}

		// An admin runs what is not listed.
		orgAdmin := a.as(orgAdminToken)
		if r := orgAdmin.do(unlisted, nil); r.str(t, "viewer.id") == "" {
			t.Errorf("ORG_ADMIN, unlisted: %s", r.Raw)
		}
		if r := orgAdmin.sendTo(a.url, apqBody(unlisted, false)); r.Status != http.StatusOK || len(r.Errors) > 0 {
			t.Errorf("ORG_ADMIN, unlisted with APQ: %d %s", r.Status, r.Raw)
		}
	})
}
