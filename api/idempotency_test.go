package api

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pointguard/pointguard/apierror"
	"github.com/pointguard/pointguard/limits"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/testdb"
)

// keyedCreateIntegration reads, besides the integration, its account and
// point, which the loaders read through the pool beside the transaction.
const keyedCreateIntegration = `mutation($input: CreateIntegrationInput!) {
	createIntegration(input: $input) {
		integration { id name account { slug } integrationPoint { slug } compliance { status } }
		violations { code } userErrors { code field message } } }`

// keyedAnswer is a response with its headers.
type keyedAnswer struct {
	result
	header http.Header
}

func (k keyedAnswer) replayed() bool { return k.header.Get(ReplayedHeader) == "true" }

// sendKeyed posts body to url with token and one Idempotency-Key header
// per key.
func sendKeyed(url, token string, body []byte, keys ...string) (keyedAnswer, error) {
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	for _, k := range keys {
		req.Header.Add(IdempotencyKeyHeader, k)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return keyedAnswer{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	k := keyedAnswer{result: result{Status: resp.StatusCode, Raw: string(raw)}, header: resp.Header}
	if err := json.Unmarshal(raw, &k.result); err != nil {
		return k, fmt.Errorf("response is not JSON (%d): %s", resp.StatusCode, raw)
	}
	return k, nil
}

func (a *app) sendKeyed(body []byte, keys ...string) keyedAnswer {
	a.t.Helper()
	k, err := sendKeyed(a.url, a.token, body, keys...)
	if err != nil {
		a.t.Fatal(err)
	}
	return k
}

func (a *app) postKeyed(key, query string, vars map[string]any) keyedAnswer {
	a.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return a.sendKeyed(body, key)
}

// storedKeys counts the rows of idempotency_keys.
func (a *app) storedKeys() int {
	a.t.Helper()
	var n int
	if err := a.store.DB().QueryRow("SELECT count(*) FROM idempotency_keys").Scan(&n); err != nil {
		a.t.Fatal(err)
	}
	return n
}

// TestIdempotencyKeyReplays: a mutation sent again with its key and body
// is answered again, byte for byte, marked Idempotent-Replayed, and
// writes nothing: one integration, one audit event. The payload's
// account and point, read by the loaders, answer as without a key.
func TestIdempotencyKeyReplays(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		vars := integrationInput(w.prod, w.point, "jira", map[string]any{"project": "SEC"})
		events := a.auditCount(w.org)

		first := a.postKeyed("create-1", keyedCreateIntegration, vars)
		if first.Status != http.StatusOK || len(first.Errors) > 0 || first.replayed() {
			t.Fatalf("first: %d %v %s", first.Status, first.header, first.Raw)
		}
		if first.str(t, "createIntegration.integration.account.slug") != "acme-prod" ||
			first.str(t, "createIntegration.integration.integrationPoint.slug") != "ticketing" {
			t.Errorf("the payload under a key: %s", first.Raw)
		}
		for i := range 2 {
			again := a.postKeyed("create-1", keyedCreateIntegration, vars)
			if again.Status != first.Status || again.Raw != first.Raw || !again.replayed() ||
				again.header.Get("Content-Type") != first.header.Get("Content-Type") {
				t.Errorf("retry %d: %d %v %s, want %s replayed", i, again.Status, again.header, again.Raw, first.Raw)
			}
		}
		if n := a.countIntegrations(w.org); n != 1 {
			t.Errorf("%d integrations, want 1", n)
		}
		if n := a.auditCount(w.org) - events; n != 1 {
			t.Errorf("%d audit events, want 1", n)
		}

		// Without a key, the same request runs again.
		if r := a.do(keyedCreateIntegration, vars); r.str(t, "createIntegration.integration.id") == first.str(t, "createIntegration.integration.id") {
			t.Error("a request without a key was replayed")
		}
	})
}

// TestIdempotencyKeyCanonicalRequest: the request is its query, operation
// name and variables, not the bytes of its JSON: keys in another order and
// other whitespace are the same request.
func TestIdempotencyKeyCanonicalRequest(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		org := a.createOrg("acme")
		query, _ := json.Marshal(`mutation Make($input: CreateAccountInput!) { createAccount(input: $input) { account { id slug } userErrors { code } } }`)
		one := fmt.Sprintf(`{"query":%s,"operationName":"Make","variables":{"input":{"organizationId":%q,"slug":"one","name":"One","environment":"TEST"}}}`, query, org)
		other := fmt.Sprintf(`{ "variables" : { "input" : { "environment" : "TEST", "name" : "\u004fne", "slug" : "one", "organizationId" : %q } },
			"operationName": "Make", "query": %s }`, org, query)
		first := a.sendKeyed([]byte(one), "k")
		second := a.sendKeyed([]byte(other), "k")
		if first.Status != http.StatusOK || len(first.Errors) > 0 || !second.replayed() || second.Raw != first.Raw {
			t.Fatalf("first %s; second %v %s", first.Raw, second.header, second.Raw)
		}
		// Another operation name is another request.
		renamed := strings.Replace(one, `"operationName":"Make"`, `"operationName":null`, 1)
		if r := a.sendKeyed([]byte(strings.Replace(renamed, "Make(", "(", 1)), "k"); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("another operation name: %d %s", r.Status, r.Raw)
		}
	})
}

// TestIdempotencyKeyReused: a key sent with another request within 24
// hours is refused, 422 IDEMPOTENCY_KEY_REUSED, and writes nothing.
func TestIdempotencyKeyReused(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		events := a.auditCount(w.org)
		cfg := map[string]any{"project": "SEC"}
		a.postKeyed("k", keyedCreateIntegration, integrationInput(w.prod, w.point, "jira", cfg))
		other := integrationInput(w.prod, w.point, "servicenow", cfg)
		for range 2 {
			r := a.postKeyed("k", keyedCreateIntegration, other)
			if r.Status != http.StatusUnprocessableEntity || r.errorCode(t) != apierror.CodeIdempotencyKeyReused ||
				!strings.Contains(r.Errors[0].Message, "different request in the last 24 hours") || r.replayed() {
				t.Errorf("another request with the key: %d %s", r.Status, r.Raw)
			}
		}
		if n, e := a.countIntegrations(w.org), a.auditCount(w.org)-events; n != 1 || e != 1 {
			t.Errorf("%d integrations and %d audit events, want 1 and 1", n, e)
		}
	})
}

// TestIdempotencyKeyPerToken: a key is its token's: another token's same
// key is another key.
func TestIdempotencyKeyPerToken(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		vars := integrationInput(w.prod, w.point, "jira", map[string]any{"project": "SEC"})
		admin := a.postKeyed("shared", keyedCreateIntegration, vars)
		org := a.as(a.mintToken("ORG_ADMIN", w.org)).postKeyed("shared", keyedCreateIntegration, vars)
		if admin.replayed() || org.replayed() || admin.Raw == org.Raw {
			t.Errorf("two tokens' keys: %s and %s", admin.Raw, org.Raw)
		}
		if n := a.countIntegrations(w.org); n != 2 {
			t.Errorf("%d integrations, want 2", n)
		}
	})
}

// TestIdempotencyKeyOnQueries: the key of a query operation, or of a
// request gqlgen refuses before running it, is ignored: nothing stored,
// and the key is still free for a mutation.
func TestIdempotencyKeyOnQueries(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		org := a.createOrg("acme")
		read := a.postKeyed("k", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": org})
		if read.Status != http.StatusOK || read.str(t, "node.id") != org || read.replayed() {
			t.Fatalf("a query with a key: %d %s", read.Status, read.Raw)
		}
		// Refused by validation (a request error: 200 under application/json,
		// GraphQL over HTTP): it never ran.
		invalid := a.postKeyed("k", `mutation { createOrganization(input: {slug: "x"}) { organization { id } } }`, nil)
		if invalid.Status != http.StatusOK || invalid.errorCode(t) != "GRAPHQL_VALIDATION_FAILED" || invalid.replayed() {
			t.Fatalf("an invalid mutation with a key: %d %s", invalid.Status, invalid.Raw)
		}
		if n := a.storedKeys(); n != 0 {
			t.Errorf("%d keys stored", n)
		}
		r := a.postKeyed("k", createOrganization, map[string]any{"input": map[string]any{"slug": "other", "name": "Other"}})
		if r.Status != http.StatusOK || r.str(t, "createOrganization.organization.slug") != "other" {
			t.Errorf("the key after a query: %d %s", r.Status, r.Raw)
		}
	})
}

// TestIdempotencyKeyMalformed: a key that is not 1 to 255 printable ASCII
// characters without spaces, or two keys, is refused, 400
// INVALID_IDEMPOTENCY_KEY, before anything runs.
func TestIdempotencyKeyMalformed(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		body, _ := json.Marshal(map[string]any{"query": createOrganization,
			"variables": map[string]any{"input": map[string]any{"slug": "acme", "name": "Acme"}}})
		for name, keys := range map[string][]string{
			"Empty":      {""},
			"TooLong":    {strings.Repeat("k", 256)},
			"Space":      {"two words"},
			"Tab":        {"tab\there"},
			"NotASCII":   {"clé"},
			"TwoHeaders": {"one", "two"},
			"SameTwice":  {"one", "one"},
			"OnAQuery":   {strings.Repeat("q", 256)},
		} {
			t.Run(name, func(t *testing.T) {
				b := body
				if name == "OnAQuery" {
					b, _ = json.Marshal(map[string]any{"query": "{ __typename }"})
				}
				r := a.on(t).sendKeyed(b, keys...)
				if r.Status != http.StatusBadRequest || r.errorCode(t) != apierror.CodeInvalidIdempotencyKey {
					t.Errorf("%q: %d %s", keys, r.Status, r.Raw)
				}
			})
		}
		if n := a.storedKeys(); n != 0 {
			t.Errorf("%d keys stored", n)
		}
		if r := a.do(`{ organizations(first: 10) { totalCount } }`, nil); r.num(t, "organizations.totalCount") != 0 {
			t.Errorf("a refused request wrote: %s", r.Raw)
		}
		if r := a.sendKeyed(body, strings.Repeat("~", 255)); r.Status != http.StatusOK || len(r.Errors) > 0 {
			t.Errorf("a key of 255 characters: %d %s", r.Status, r.Raw)
		}
	})
}

// TestIdempotencyKeyConcurrent: eight requests with one key at once: one
// runs, the others wait for it and answer what it answered.
func TestIdempotencyKeyConcurrent(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		body, _ := json.Marshal(map[string]any{"query": keyedCreateIntegration,
			"variables": integrationInput(w.prod, w.point, "jira", map[string]any{"project": "SEC"})})
		const n = 8
		answers := make([]keyedAnswer, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				answers[i], errs[i] = sendKeyed(a.url, a.token, body, "at-once")
			}()
		}
		wg.Wait()
		replayed := 0
		for i, r := range answers {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			if r.Status != http.StatusOK || r.Raw != answers[0].Raw {
				t.Errorf("answer %d: %d %s, answer 0: %s", i, r.Status, r.Raw, answers[0].Raw)
			}
			if r.replayed() {
				replayed++
			}
		}
		if replayed != n-1 {
			t.Errorf("%d answers replayed, want %d", replayed, n-1)
		}
		if c := a.countIntegrations(w.org); c != 1 {
			t.Errorf("%d integrations, want 1", c)
		}
	})
}

// TestIdempotencyKeyExpires: 24 hours on, a key is new again, and a
// mutation sent with it runs.
func TestIdempotencyKeyExpires(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		vars := integrationInput(w.prod, w.point, "jira", map[string]any{"project": "SEC"})
		first := a.postKeyed("k", keyedCreateIntegration, vars)
		a.clock.advance(IdempotencyTTL - time.Second)
		if r := a.postKeyed("k", keyedCreateIntegration, vars); !r.replayed() {
			t.Fatalf("a key of 23:59:59 ago: %s", r.Raw)
		}
		a.clock.advance(time.Second)
		second := a.postKeyed("k", keyedCreateIntegration, vars)
		if second.replayed() || second.Status != http.StatusOK || second.Raw == first.Raw {
			t.Fatalf("a key of 24 hours ago: %v %s", second.header, second.Raw)
		}
		if r := a.postKeyed("k", keyedCreateIntegration, vars); !r.replayed() || r.Raw != second.Raw {
			t.Errorf("the key again: %s, want %s", r.Raw, second.Raw)
		}
		if n := a.countIntegrations(w.org); n != 2 {
			t.Errorf("%d integrations, want 2", n)
		}
		// The next sweep, a minute on, deletes what expired; here, nothing.
		a.clock.advance(sweepEvery)
		a.postKeyed("other", keyedCreateIntegration, vars)
		if n := a.storedKeys(); n != 2 {
			t.Errorf("%d keys stored, want 2", n)
		}
		a.clock.advance(IdempotencyTTL)
		a.postKeyed("third", keyedCreateIntegration, vars)
		if n := a.storedKeys(); n != 1 {
			t.Errorf("%d keys stored after a day, want 1 (the expired ones deleted)", n)
		}
	})
}

// TestIdempotencyKeyNotCommitted: when the answer cannot be kept, or the
// commit fails, the client is told so (503 NOT_COMMITTED, Retry-After),
// never the success its mutation made, and nothing is written: the answer
// and the writes are one transaction. A retry with the key then runs.
func TestIdempotencyKeyNotCommitted(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		events := a.auditCount(w.org)
		db := a.store.DB()
		// PostgreSQL: the commit itself fails (a deferred constraint
		// trigger). SQLite: storing the answer fails.
		setup, teardown := []string{
			`CREATE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$`,
			`CREATE CONSTRAINT TRIGGER refuse_commit AFTER UPDATE ON idempotency_keys DEFERRABLE INITIALLY DEFERRED
				FOR EACH ROW EXECUTE FUNCTION refuse_commit()`,
		}, []string{`DROP TRIGGER refuse_commit ON idempotency_keys`}
		if a.store.Engine() == store.SQLite {
			setup = []string{`CREATE TRIGGER refuse_save BEFORE UPDATE ON idempotency_keys BEGIN SELECT RAISE(ABORT, 'refused'); END`}
			teardown = []string{`DROP TRIGGER refuse_save`}
		}
		for _, s := range setup {
			if _, err := db.Exec(s); err != nil {
				t.Fatal(err)
			}
		}
		vars := integrationInput(w.prod, w.point, "jira", map[string]any{"project": "SEC"})
		r := a.postKeyed("k", keyedCreateIntegration, vars)
		if r.Status != http.StatusServiceUnavailable || r.errorCode(t) != apierror.CodeNotCommitted || r.header.Get("Retry-After") == "" ||
			strings.Contains(r.Raw, "acme-prod") {
			t.Errorf("a request whose commit failed: %d %v %s", r.Status, r.header, r.Raw)
		}
		if n, e, k := a.countIntegrations(w.org), a.auditCount(w.org)-events, a.storedKeys(); n != 0 || e != 0 || k != 0 {
			t.Errorf("a request that did not commit left %d integrations, %d audit events, %d keys", n, e, k)
		}
		for _, s := range teardown {
			if _, err := db.Exec(s); err != nil {
				t.Fatal(err)
			}
		}
		if r := a.postKeyed("k", keyedCreateIntegration, vars); r.Status != http.StatusOK || r.replayed() || len(r.Errors) > 0 {
			t.Errorf("the retry: %d %s", r.Status, r.Raw)
		}
		if n := a.countIntegrations(w.org); n != 1 {
			t.Errorf("%d integrations, want 1", n)
		}
	})
}

// TestIdempotencyKeyPersistedQuery: an automatic persisted query's hash
// names the same request as its text, so a retry sending the hash alone
// is answered from the key; a hash alone with a key never used is asked
// for its text (PERSISTED_QUERY_NOT_FOUND), which APQ clients then send.
func TestIdempotencyKeyPersistedQuery(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		sum := sha256.Sum256([]byte(createOrganization))
		apq := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
		vars := map[string]any{"input": map[string]any{"slug": "acme", "name": "Acme"}}
		hashOnly, _ := json.Marshal(map[string]any{"extensions": apq, "variables": vars})
		withText, _ := json.Marshal(map[string]any{"extensions": apq, "variables": vars, "query": createOrganization})

		r := a.sendKeyed(hashOnly, "k")
		if r.Status != http.StatusOK || r.errorCode(t) != apierror.CodePersistedQueryNotFound || a.storedKeys() != 0 {
			t.Fatalf("a hash alone, first: %d %s", r.Status, r.Raw)
		}
		first := a.sendKeyed(withText, "k")
		if first.Status != http.StatusOK || len(first.Errors) > 0 || first.replayed() {
			t.Fatalf("with its text: %d %s", first.Status, first.Raw)
		}
		if again := a.sendKeyed(hashOnly, "k"); !again.replayed() || again.Raw != first.Raw {
			t.Errorf("the hash alone, again: %v %s", again.header, again.Raw)
		}
	})
}

// TestIdempotencyKeyAcrossReplicas: two replicas on one PostgreSQL honour
// each other's keys: the retry of a request one answered, sent to the
// other, is answered again, and waits for it when it is still running.
func TestIdempotencyKeyAcrossReplicas(t *testing.T) {
	t.Parallel()
	lim := limits.Default()
	lim.RatePerSecond = 0
	databaseURL := testdb.Postgres(t)
	replicas, admin := startReplicas(t, 2, databaseURL, lim, "", "")
	body, _ := json.Marshal(map[string]any{"query": createApiToken,
		"variables": map[string]any{"input": map[string]any{"role": "PLATFORM_ADMIN", "name": "deploy"}}})
	var (
		answers [6]keyedAnswer
		errs    [6]error
		wg      sync.WaitGroup
	)
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i], errs[i] = sendKeyed(replicas[i%2].url, admin, body, "deploy-token")
		}()
	}
	wg.Wait()
	replayed := 0
	for i, r := range answers {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if r.Status != http.StatusOK || r.Raw != answers[0].Raw || len(r.Errors) > 0 {
			t.Errorf("answer %d: %d %s, answer 0: %s", i, r.Status, r.Raw, answers[0].Raw)
		}
		if r.replayed() {
			replayed++
		}
	}
	if replayed != len(answers)-1 {
		t.Errorf("%d answers replayed, want %d", replayed, len(answers)-1)
	}
	later, err := sendKeyed(replicas[1].url, admin, body, "deploy-token")
	if err != nil || !later.replayed() || later.Raw != answers[0].Raw {
		t.Errorf("later, on the other replica: %v %s", err, later.Raw)
	}
	// The token the retries were given is the one made, and it works.
	db, err := sql.Open("postgres", databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var made int
	if err := db.QueryRow("SELECT count(*) FROM api_tokens WHERE name = 'deploy'").Scan(&made); err != nil || made != 1 {
		t.Errorf("%d tokens made (%v), want 1", made, err)
	}
	secret, _ := answers[0].get(t, "createApiToken.token").(string)
	if v, err := sendKeyed(replicas[1].url, secret, []byte(`{"query":"{ viewer { name } }"}`)); err != nil || v.Status != http.StatusOK || len(v.Errors) > 0 {
		t.Errorf("the token given does not authenticate: %v %s", err, v.Raw)
	}
}
