package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pointguard/pointguard/auth"
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/testdb"
)

// rawResponse is an HTTP answer of /graphql with its headers.
type rawResponse struct {
	result
	Header http.Header
}

// postWithHeaders sends a GraphQL request with exactly the given headers
// (besides Content-Type): no Authorization unless headers has one.
func postWithHeaders(t testing.TB, url, query string, vars map[string]any, headers map[string]string) rawResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /graphql: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := rawResponse{result: result{Status: resp.StatusCode, Raw: string(raw)}, Header: resp.Header}
	if err := json.Unmarshal(raw, &r.result); err != nil {
		t.Fatalf("response is not JSON (%d): %s", resp.StatusCode, raw)
	}
	return r
}

// bearer is the Authorization header of a token.
func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// assertUnauthenticated checks a refusal before GraphQL: HTTP 401, one
// UNAUTHENTICATED error whose message contains want, no data, and a
// WWW-Authenticate challenge.
func assertUnauthenticated(t *testing.T, r rawResponse, want string) {
	t.Helper()
	if r.Status != http.StatusUnauthorized {
		t.Errorf("status %d, want 401: %s", r.Status, r.Raw)
	}
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
		t.Errorf("want one UNAUTHENTICATED error: %s", r.Raw)
	} else if !strings.Contains(r.Errors[0].Message, want) {
		t.Errorf("message %q does not say %q", r.Errors[0].Message, want)
	}
	if r.Data != nil {
		t.Errorf("a refused request returned data: %s", r.Raw)
	}
	if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", r.Header.Get("WWW-Authenticate"))
	}
}

const viewerQuery = `{ viewer { id name role prefix organization { id } account { id } lastUsedAt } }`

// tokenRecord finds a token by ID in a connection of apiTokens, or fails.
func tokenRecord(t *testing.T, r result, path, id string) map[string]any {
	t.Helper()
	for _, n := range r.list(t, path) {
		if m := n.(map[string]any); m["id"] == id {
			return m
		}
	}
	t.Fatalf("token %s not in %s: %s", id, path, r.Raw)
	return nil
}

const orgTokens = `query($id: ID!) { node(id: $id) { ... on Organization {
	apiTokens { totalCount nodes { id name role prefix createdAt expiresAt lastUsedAt revokedAt } } } } }`
const accountTokens = `query($id: ID!) { node(id: $id) { ... on Account {
	apiTokens { totalCount nodes { id name role prefix createdAt expiresAt lastUsedAt revokedAt } } } } }`

var tokenFormat = regexp.MustCompile(`^pointguard_([0-9a-f]+)$`)

// TestApiTokenLifecycle: a token is minted in a recognisable format, shown
// once and kept only as a hash, authenticates, records its use, and stops
// working when revoked or expired.
func TestApiTokenLifecycle(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()

		r := a.do(createApiToken, map[string]any{"input": map[string]any{
			"organizationId": w.org, "role": "ORG_ADMIN", "name": "ci deploys"}})
		token := r.str(t, "createApiToken.token")
		id := r.str(t, "createApiToken.apiToken.id")
		prefix := r.str(t, "createApiToken.apiToken.prefix")

		t.Run("Format", func(t *testing.T) {
			m := tokenFormat.FindStringSubmatch(token)
			if m == nil {
				t.Fatalf("token %q is not pointguard_ and lower-case hex", token)
			}
			if len(m[1])*4 < 256 {
				t.Errorf("token carries %d bits of hex after the prefix, want ≥ 256", len(m[1])*4)
			}
			if len(token) < 23 || prefix != token[:23] {
				t.Errorf("apiToken.prefix = %q, want the token's first 23 characters %q", prefix, token[:min(23, len(token))])
			}
			if prefix == token || len(prefix) >= len(token) {
				t.Errorf("apiToken.prefix is the whole token")
			}
			if got := r.get(t, "createApiToken.apiToken.lastUsedAt"); got != nil {
				t.Errorf("lastUsedAt = %v at creation, want null", got)
			}
			if got := r.get(t, "createApiToken.apiToken.revokedAt"); got != nil {
				t.Errorf("revokedAt = %v at creation, want null", got)
			}
			if r.str(t, "createApiToken.apiToken.role") != "ORG_ADMIN" || r.str(t, "createApiToken.apiToken.name") != "ci deploys" {
				t.Errorf("record: %s", r.Raw)
			}
			other := a.mintToken("ORG_ADMIN", w.org)
			if other == token || other[:23] == prefix {
				t.Errorf("two tokens share their prefix: %s, %s", token, other)
			}
		})

		t.Run("ShownOnce", func(t *testing.T) {
			db, engine := a.store.DB(), a.store.Engine()
			if where := testdb.CellsContaining(t, db, engine == store.SQLite, token); len(where) > 0 {
				t.Errorf("the token is in clear in %v", where)
			}
			if where := testdb.CellsContaining(t, db, engine == store.SQLite, token[23:]); len(where) > 0 {
				t.Errorf("the token's secret part is in clear in %v", where)
			}
			if where := testdb.CellsContaining(t, db, engine == store.SQLite, prefix); len(where) == 0 {
				t.Error("the raw-database scan does not even find the prefix: it cannot prove the token is absent")
			}
			if where := testdb.CellsContaining(t, db, engine == store.SQLite, auth.Hash(token)); len(where) == 0 {
				t.Error("the token's hash is not stored")
			}
			list := a.do(orgTokens, map[string]any{"id": w.org})
			if strings.Contains(list.Raw, token) || strings.Contains(list.Raw, token[23:]) {
				t.Errorf("the token list shows the secret: %s", list.Raw)
			}
			if got := tokenRecord(t, list, "node.apiTokens.nodes", id)["prefix"]; got != prefix {
				t.Errorf("listed prefix %v, want %s", got, prefix)
			}
		})

		t.Run("ViewerAndLastUsed", func(t *testing.T) {
			before := tokenRecord(t, a.do(orgTokens, map[string]any{"id": w.org}), "node.apiTokens.nodes", id)
			if before["lastUsedAt"] != nil {
				t.Fatalf("lastUsedAt set before any use: %v", before)
			}
			v := a.as(token).do(viewerQuery, nil)
			if v.str(t, "viewer.id") != id || v.str(t, "viewer.role") != "ORG_ADMIN" || v.str(t, "viewer.name") != "ci deploys" ||
				v.str(t, "viewer.prefix") != prefix || v.str(t, "viewer.organization.id") != w.org || v.get(t, "viewer.account") != nil {
				t.Errorf("viewer: %s", v.Raw)
			}
			after := tokenRecord(t, a.do(orgTokens, map[string]any{"id": w.org}), "node.apiTokens.nodes", id)
			used, _ := after["lastUsedAt"].(string)
			usedAt, err := time.Parse(time.RFC3339Nano, used)
			if err != nil {
				t.Fatalf("lastUsedAt after a use = %v, want a time", after["lastUsedAt"])
			}
			createdAt, _ := time.Parse(time.RFC3339Nano, after["createdAt"].(string))
			if usedAt.Before(createdAt) || time.Since(usedAt) > time.Minute {
				t.Errorf("lastUsedAt %s: before createdAt %s or not recent", used, after["createdAt"])
			}
			// A second use within the minute does not write it again.
			a.as(token).do(viewerQuery, nil)
			again := tokenRecord(t, a.do(orgTokens, map[string]any{"id": w.org}), "node.apiTokens.nodes", id)
			if again["lastUsedAt"] != used {
				t.Errorf("lastUsedAt rewritten within the minute: %v, then %v", used, again["lastUsedAt"])
			}

			// An account token: recorded too, listed under its account only.
			accToken := a.mintToken("ACCOUNT_VIEWER", w.prod)
			v = a.as(accToken).do(viewerQuery, nil)
			accID := v.str(t, "viewer.id")
			if v.str(t, "viewer.role") != "ACCOUNT_VIEWER" || v.str(t, "viewer.account.id") != w.prod || v.str(t, "viewer.organization.id") != w.org {
				t.Errorf("account viewer: %s", v.Raw)
			}
			acc := tokenRecord(t, a.do(accountTokens, map[string]any{"id": w.prod}), "node.apiTokens.nodes", accID)
			if acc["lastUsedAt"] == nil {
				t.Errorf("account token used, lastUsedAt still null: %v", acc)
			}
			for _, n := range a.do(orgTokens, map[string]any{"id": w.org}).list(t, "node.apiTokens.nodes") {
				if n.(map[string]any)["id"] == accID {
					t.Errorf("Organization.apiTokens lists an account token: %v", n)
				}
			}
		})

		t.Run("SchemeCaseInsensitive", func(t *testing.T) {
			r := postWithHeaders(t, a.url, viewerQuery, nil, map[string]string{"Authorization": "bearer " + token})
			if r.Status != http.StatusOK || len(r.Errors) > 0 || r.str(t, "viewer.id") != id {
				t.Errorf("lower-case bearer scheme: %s", r.Raw)
			}
		})

		t.Run("Revocation", func(t *testing.T) {
			victim := a.mintToken("ORG_VIEWER", w.org)
			victimID := a.as(victim).do(viewerQuery, nil).str(t, "viewer.id")
			const revoke = `mutation($id: ID!) { revokeApiToken(input: { id: $id }) { apiToken { id revokedAt } userErrors { code field message } } }`
			r := a.do(revoke, map[string]any{"id": victimID})
			revokedAt, _ := r.get(t, "revokeApiToken.apiToken.revokedAt").(string)
			if revokedAt == "" || len(r.list(t, "revokeApiToken.userErrors")) > 0 {
				t.Fatalf("revoke: %s", r.Raw)
			}
			assertUnauthenticated(t, postWithHeaders(t, a.url, viewerQuery, nil, bearer(victim)), "revoked")

			r = a.do(revoke, map[string]any{"id": victimID})
			if len(r.list(t, "revokeApiToken.userErrors")) > 0 || r.str(t, "revokeApiToken.apiToken.id") != victimID {
				t.Errorf("revoking twice: %s", r.Raw)
			}
			if got := r.get(t, "revokeApiToken.apiToken.revokedAt"); got != revokedAt {
				t.Errorf("revoking twice moved revokedAt from %s to %v", revokedAt, got)
			}
			if got := tokenRecord(t, a.do(orgTokens, map[string]any{"id": w.org}), "node.apiTokens.nodes", victimID)["revokedAt"]; got != revokedAt {
				t.Errorf("listed revokedAt %v, want %s", got, revokedAt)
			}
			assertUnauthenticated(t, postWithHeaders(t, a.url, viewerQuery, nil, bearer(victim)), "revoked")
			// The others are untouched.
			if a.as(token).do(viewerQuery, nil).str(t, "viewer.id") != id {
				t.Error("revoking one token broke another")
			}
		})

		t.Run("Expiry", func(t *testing.T) {
			expiresAt := time.Now().Add(1500 * time.Millisecond).UTC()
			r := a.do(createApiToken, map[string]any{"input": map[string]any{
				"organizationId": w.org, "role": "ORG_VIEWER", "name": "short-lived", "expiresAt": expiresAt.Format(time.RFC3339Nano)}})
			short := r.str(t, "createApiToken.token")
			got, err := time.Parse(time.RFC3339Nano, r.str(t, "createApiToken.apiToken.expiresAt"))
			if err != nil || got.Sub(expiresAt).Abs() > time.Millisecond {
				t.Errorf("expiresAt = %v (%v), want %s", got, err, expiresAt)
			}
			if v := a.as(short).post(viewerQuery, nil); v.Status != http.StatusOK || len(v.Errors) > 0 {
				t.Fatalf("the token before it expires: %s", v.Raw)
			}
			a.clock.advance(time.Until(expiresAt) + time.Second)
			assertUnauthenticated(t, postWithHeaders(t, a.url, viewerQuery, nil, bearer(short)), "expired")
		})

		t.Run("ExpiresAtInThePast", func(t *testing.T) {
			count := func() int {
				return a.do(orgTokens, map[string]any{"id": w.org}).num(t, "node.apiTokens.totalCount")
			}
			n := count()
			for _, at := range []string{time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "2001-01-01T00:00:00Z"} {
				r := a.do(createApiToken, map[string]any{"input": map[string]any{
					"organizationId": w.org, "role": "ORG_VIEWER", "name": "stale", "expiresAt": at}})
				if r.get(t, "createApiToken.token") != nil || r.get(t, "createApiToken.apiToken") != nil {
					t.Errorf("a token was minted with expiresAt %s: %s", at, r.Raw)
				}
				ue := r.list(t, "createApiToken.userErrors")
				if len(ue) != 1 || r.str(t, "createApiToken.userErrors.0.code") != "INVALID_INPUT" ||
					strings.Join(toStrings(r.list(t, "createApiToken.userErrors.0.field")), ".") != "input.expiresAt" {
					t.Errorf("expiresAt %s: want one INVALID_INPUT on input.expiresAt, got %s", at, r.Raw)
				}
			}
			if got := count(); got != n {
				t.Errorf("refused mints wrote tokens: %d, was %d", got, n)
			}
		})

		t.Run("Unauthenticated", func(t *testing.T) {
			unknown := auth.NewToken()
			// Same lookup prefix as a real token, another secret: the hash decides.
			forged := token[:23] + strings.Repeat("0", len(token)-23)
			for _, tc := range []struct {
				name, header, want string
			}{
				{"NoHeader", "", "missing Authorization header"},
				{"BasicScheme", "Basic " + "dXNlcjpwYXNz", "must be Bearer"},
				{"BearerWithoutToken", "Bearer", "must be Bearer"},
				{"Garbage", "Bearer not-a-token", "invalid token"},
				{"Unknown", "Bearer " + unknown, "invalid token"},
				{"KnownPrefixWrongSecret", "Bearer " + forged, "invalid token"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					h := map[string]string{}
					if tc.header != "" {
						h["Authorization"] = tc.header
					}
					assertUnauthenticated(t, postWithHeaders(t, a.url, viewerQuery, nil, h), tc.want)
				})
			}
			// GET /graphql is guarded like POST.
			resp, err := http.Get(a.url + "/graphql?query=%7Bviewer%7Bid%7D%7D")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("GET /graphql without a token: %d, want 401", resp.StatusCode)
			}
		})

		t.Run("WhoMintsAndLists", func(t *testing.T) {
			orgAdmin := a.as(token)
			accountAdmin := a.as(a.mintToken("ACCOUNT_ADMIN", w.prod))
			for _, tc := range []struct {
				name string
				as   *app
				in   map[string]any
				code string
			}{
				{"OrgAdminMintsPlatformAdmin", orgAdmin, map[string]any{"role": "PLATFORM_ADMIN", "name": "escalate"}, "FORBIDDEN"},
				{"AccountAdminMintsOrgViewer", accountAdmin, map[string]any{"organizationId": w.org, "role": "ORG_VIEWER", "name": "escalate"}, "FORBIDDEN"},
				// Another account is out of its sight: it looks like no account.
				{"AccountAdminMintsForAnotherAccount", accountAdmin, map[string]any{"accountId": w.test, "role": "ACCOUNT_VIEWER", "name": "sideways"}, "NOT_FOUND"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					r := tc.as.on(t).do(createApiToken, map[string]any{"input": tc.in})
					if r.get(t, "createApiToken.token") != nil || r.get(t, "createApiToken.apiToken") != nil {
						t.Fatalf("minted: %s", r.Raw)
					}
					if code, _ := r.get(t, "createApiToken.userErrors.0.code").(string); code != tc.code {
						t.Errorf("want user error %s: %s", tc.code, r.Raw)
					}
				})
			}
			// Within its own scope, an ACCOUNT_ADMIN mints.
			r := accountAdmin.do(createApiToken, map[string]any{"input": map[string]any{"accountId": w.prod, "role": "ACCOUNT_VIEWER", "name": "reader"}})
			if _, ok := r.get(t, "createApiToken.token").(string); !ok {
				t.Errorf("ACCOUNT_ADMIN minting an ACCOUNT_VIEWER of its account: %s", r.Raw)
			}

			viewer := a.as(a.mintToken("ORG_VIEWER", w.org))
			r = viewer.post(orgTokens, map[string]any{"id": w.org})
			if jsonAt(r.Data, "node.apiTokens") != nil || r.errorCode(t) != "FORBIDDEN" {
				t.Errorf("ORG_VIEWER lists the organization's tokens: %s", r.Raw)
			}
			r = a.as(a.mintToken("ACCOUNT_VIEWER", w.prod)).post(accountTokens, map[string]any{"id": w.prod})
			if jsonAt(r.Data, "node.apiTokens") != nil || r.errorCode(t) != "FORBIDDEN" {
				t.Errorf("ACCOUNT_VIEWER lists its account's tokens: %s", r.Raw)
			}
			if r := accountAdmin.do(accountTokens, map[string]any{"id": w.prod}); r.num(t, "node.apiTokens.totalCount") < 2 {
				t.Errorf("ACCOUNT_ADMIN lists its account's tokens: %s", r.Raw)
			}
			if r := orgAdmin.do(accountTokens, map[string]any{"id": w.prod}); r.num(t, "node.apiTokens.totalCount") < 2 {
				t.Errorf("ORG_ADMIN lists an account's tokens: %s", r.Raw)
			}
		})

		t.Run("OpenEndpoints", func(t *testing.T) {
			for _, path := range []string{"/healthz", "/readyz", "/"} {
				resp, err := http.Get(a.url + path)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("GET %s without a token: %d %s", path, resp.StatusCode, body)
				}
				if path == "/" && !strings.Contains(strings.ToLower(string(body)), "<html") {
					t.Errorf("GET / is not the GraphiQL page: %.200s", body)
				}
			}
		})
	})
}

func toStrings(l []any) []string {
	out := make([]string, len(l))
	for i, v := range l {
		out[i], _ = v.(string)
	}
	return out
}

// TestTokenRevokedWhileItsRequestRuns: a mutation re-checks its token
// inside its transaction, under a lock revocation waits for, so a request
// that was authenticated before its token was revoked writes nothing. The
// principal below is what the middleware put in the context of a request
// that started before the revocation.
func TestTokenRevokedWhileItsRequestRuns(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		org := a.createOrg("acme")
		r := a.do(createApiToken, map[string]any{"input": map[string]any{"role": "ORG_ADMIN", "name": "soon revoked", "organizationId": org}})
		record := r.get(t, "createApiToken.apiToken").(map[string]any)
		stale := policy.With(context.Background(), &policy.Principal{TokenID: record["id"].(string), Name: "soon revoked",
			Role: domain.RoleOrgAdmin, OrganizationID: org})
		if _, err := a.service.CreateAccount(stale, service.CreateAccountInput{OrganizationID: org, Slug: "before", Name: "Before",
			Environment: domain.EnvironmentTest}); err != nil {
			t.Fatalf("before the revocation: %v", err)
		}
		a.do(`mutation($id: ID!) { revokeApiToken(input: { id: $id }) { userErrors { code } } }`, map[string]any{"id": record["id"]})
		before := digest(t, a.store)
		_, err := a.service.CreateAccount(stale, service.CreateAccountInput{OrganizationID: org, Slug: "after", Name: "After",
			Environment: domain.EnvironmentTest})
		var unauthenticated *domain.UnauthenticatedError
		if !errors.As(err, &unauthenticated) {
			t.Errorf("a write by a revoked token: %v, want UnauthenticatedError", err)
		}
		if _, _, err := a.service.CreateApiToken(stale, service.CreateApiTokenInput{Role: domain.RoleOrgAdmin, Name: "escape",
			OrganizationID: &org}); !errors.As(err, &unauthenticated) {
			t.Errorf("minting by a revoked token: %v, want UnauthenticatedError", err)
		}
		if digest(t, a.store) != before {
			t.Error("a revoked token's request wrote to the database")
		}
	})
}

// TestTokenShapes: a token that cannot be one is refused before the
// database is asked (bytes PostgreSQL would reject as UTF-8 included);
// a configured admin token keeps most of its characters secret.
func TestTokenShapes(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		for _, bad := range []string{strings.Repeat("\xff", 40), "pointguard_" + strings.Repeat("é", 30)} {
			assertUnauthenticated(t, postWithHeaders(t, a.url, `{ viewer { id } }`, nil, bearer(bad)), "invalid token")
		}
	})
	configured := "an-operator-chosen-admin-token-of-40-chr"
	if p := auth.Prefix(configured); len(p) != 8 || !strings.HasPrefix(configured, p) {
		t.Errorf("prefix of a configured token %q: it must leave all but 8 characters secret", p)
	}
	if p := auth.Prefix(auth.NewToken()); len(p) != 23 {
		t.Errorf("prefix of a minted token %q, want 23 characters (11 of them the fixed prefix)", p)
	}
}

// TestMintedTokensExpireWithTheirMinter: a token outlives none of the
// tokens that minted it, so expiry cannot be escaped by minting.
func TestMintedTokensExpireWithTheirMinter(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		org := a.createOrg("acme")
		limit := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
		r := a.do(createApiToken, map[string]any{"input": map[string]any{"role": "ORG_ADMIN", "name": "temporary",
			"organizationId": org, "expiresAt": limit.Format(time.RFC3339)}})
		temporary := a.as(r.str(t, "createApiToken.token"))

		r = temporary.do(createApiToken, map[string]any{"input": map[string]any{"role": "ORG_ADMIN", "name": "child", "organizationId": org}})
		if got := r.str(t, "createApiToken.apiToken.expiresAt"); got != limit.Format(time.RFC3339) {
			t.Errorf("a token minted without expiresAt by a token expiring at %s expires at %q", limit.Format(time.RFC3339), got)
		}
		r = temporary.do(createApiToken, map[string]any{"input": map[string]any{"role": "ORG_VIEWER", "name": "later", "organizationId": org,
			"expiresAt": limit.Add(time.Minute).Format(time.RFC3339)}})
		if code := payloadCode(t, r, "createApiToken"); code != "INVALID_INPUT" || r.get(t, "createApiToken.token") != nil {
			t.Errorf("a token outliving its minter: %s", r.Raw)
		}
	})
}

// TestBootstrapTokenConcurrentStarts: instances starting at once with the
// same new POINTGUARD_ADMIN_TOKEN all start, and one token is live.
func TestBootstrapTokenConcurrentStarts(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		token := auth.NewToken()
		errs := make(chan error, 4)
		for range 4 {
			go func() {
				_, err := a.service.SetBootstrapToken(context.Background(), token)
				errs <- err
			}()
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Errorf("an instance failed to start: %v", err)
			}
		}
		var live int
		if err := a.store.DB().QueryRow("SELECT count(*) FROM api_tokens WHERE bootstrap AND revoked_at IS NULL").Scan(&live); err != nil || live != 1 {
			t.Errorf("%d live bootstrap tokens (%v), want 1", live, err)
		}
		if r := a.as(token).post(`{ viewer { role } }`, nil); r.Status != 200 || r.str(t, "viewer.role") != "PLATFORM_ADMIN" {
			t.Errorf("the configured token: %s", r.Raw)
		}
	})
}

// TestTokenRevokesItself: any token may revoke itself, a viewer's too, so
// a leaked token can be put out of use with nothing but itself.
func TestTokenRevokesItself(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		org := a.createOrg("acme")
		viewer := a.as(a.mintToken("ORG_VIEWER", org))
		id := viewer.do(`{ viewer { id } }`, nil).str(t, "viewer.id")
		r := viewer.do(`mutation($id: ID!) { revokeApiToken(input: { id: $id }) { apiToken { revokedAt } userErrors { code } } }`, map[string]any{"id": id})
		if r.get(t, "revokeApiToken.apiToken.revokedAt") == nil {
			t.Fatalf("a viewer could not revoke itself: %s", r.Raw)
		}
		if r := viewer.post(`{ viewer { id } }`, nil); r.Status != http.StatusUnauthorized {
			t.Errorf("after revoking itself: %d %s", r.Status, r.Raw)
		}
		other := a.tokenID("ORG_ADMIN", org)
		another := a.as(a.mintToken("ORG_VIEWER", org))
		r = another.do(`mutation($id: ID!) { revokeApiToken(input: { id: $id }) { userErrors { code } } }`, map[string]any{"id": other})
		if payloadCode(t, r, "revokeApiToken") != "FORBIDDEN" {
			t.Errorf("a viewer revoked another token: %s", r.Raw)
		}
	})
}

// TestMalformedTimeIsTheCallersMistake: a Time argument that is not one
// ("tomorrow", a five-digit year, a number) is BAD_USER_INPUT naming what
// a Time is, at the argument's path, and nothing is written; it used to be
// INTERNAL.
func TestMalformedTimeIsTheCallersMistake(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		orgTokens := `query($id: ID!) { node(id: $id) { ... on Organization { apiTokens { totalCount } } } }`
		before := a.do(orgTokens, map[string]any{"id": w.org}).num(t, "node.apiTokens.totalCount")
		for _, bad := range []any{"tomorrow", "99999-01-01T00:00:00Z", "2026-12-01", 1700000000} {
			r := a.post(createApiToken, map[string]any{"input": map[string]any{
				"organizationId": w.org, "role": "ORG_VIEWER", "name": "bad time", "expiresAt": bad}})
			if r.Status != http.StatusOK || r.errorCode(t) != "BAD_USER_INPUT" ||
				!strings.Contains(r.Errors[0].Message, "RFC 3339") || r.Data["createApiToken"] != nil {
				t.Errorf("expiresAt %v: %s", bad, r.Raw)
			}
			r = a.post(`query($org: ID!, $since: Time) { node(id: $org) { ... on Organization { auditEvents(filter: { since: $since }) { totalCount } } } }`,
				map[string]any{"org": w.org, "since": bad})
			if r.errorCode(t) != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "RFC 3339") {
				t.Errorf("auditEvents since %v: %s", bad, r.Raw)
			}
		}
		if after := a.do(orgTokens, map[string]any{"id": w.org}).num(t, "node.apiTokens.totalCount"); after != before {
			t.Errorf("tokens went from %d to %d", before, after)
		}
	})
}

// TestTwoAuthorizationHeaders: a request with two Authorization headers is
// refused (401, saying why) rather than answered as whichever one a server
// happens to read, even when both are valid tokens; a mutation so sent
// writes nothing.
func TestTwoAuthorizationHeaders(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		viewer := a.mintToken("ORG_VIEWER", w.org)
		before := digest(t, a.store)
		body, _ := json.Marshal(map[string]any{"query": createApiToken, "variables": map[string]any{"input": map[string]any{
			"organizationId": w.org, "role": "ORG_VIEWER", "name": "twice"}}})
		req, _ := http.NewRequest(http.MethodPost, a.url+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Add("Authorization", "Bearer "+a.adminToken)
		req.Header.Add("Authorization", "Bearer "+viewer)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		r := rawResponse{result: result{Status: resp.StatusCode, Raw: string(raw)}, Header: resp.Header}
		if err := json.Unmarshal(raw, &r.result); err != nil {
			t.Fatalf("not JSON: %s", raw)
		}
		assertUnauthenticated(t, r, "send one Authorization header, not 2")
		if digest(t, a.store) != before {
			t.Error("a request with two Authorization headers wrote to the database")
		}
	})
}
