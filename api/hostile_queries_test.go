package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pointguard/pointguard/apierror"
	"github.com/pointguard/pointguard/fixtures"
	"github.com/pointguard/pointguard/limits"
	"github.com/pointguard/pointguard/testdb"
)

// accountViewer is the app seen by an ACCOUNT_VIEWER token, the least a
// caller can be.
func accountViewer(a *app) *app {
	a.t.Helper()
	org := a.createOrg("acme")
	return a.as(a.mintToken("ACCOUNT_VIEWER", a.createAccount(org, "prod", "PROD")))
}

// getQuery asks a query by GET, from both servers (the second gqlgen's
// alone), as the app's token.
func (a *app) getQuery(query string, header ...string) (result, result) {
	a.t.Helper()
	ask := func(base string) result {
		req, _ := http.NewRequest(http.MethodGet, base+"/graphql?query="+url.QueryEscape(query), nil)
		req.Header.Set("Authorization", "Bearer "+a.token)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			a.t.Fatalf("GET /graphql: %v", err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		r := result{Status: resp.StatusCode, Raw: string(raw)}
		if err := json.Unmarshal(raw, &r); err != nil {
			a.t.Fatalf("response is not JSON (%d): %s", resp.StatusCode, raw)
		}
		return r
	}
	return ask(a.url), ask(a.referenceURL)
}

// postWith posts a request body with extra headers, to both servers.
func (a *app) postWith(body map[string]any, header ...string) (result, result) {
	a.t.Helper()
	raw, _ := json.Marshal(body)
	ask := func(base string) result {
		req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+a.token)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			a.t.Fatalf("POST /graphql: %v", err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		r := result{Status: resp.StatusCode, Raw: string(b)}
		if err := json.Unmarshal(b, &r); err != nil {
			a.t.Fatalf("response is not JSON (%d): %s", resp.StatusCode, b)
		}
		return r
	}
	return ask(a.url), ask(a.referenceURL)
}

// TestHostileFragmentChain: issue 10, item 4. 1,200 fragments, each
// spreading the one before with two aliases (63 KB), took gqlgen seconds
// of CPU to validate, then answered 200, whoever sent it; it is refused
// before validation, as the other limits refuse, by POST and GET, sent
// again or as an APQ hash, on both engines and both read executors.
func TestHostileFragmentChain(t *testing.T) {
	eachBackend(t, func(t *testing.T, a *app) {
		a = accountViewer(a)
		chain := fixtures.FragmentChain(1200)
		const message = "query expands to 2164200 selections, which exceeds the limit of 10000 " +
			"(a fragment counts wherever it is spread, and once more on its own)"
		for range 2 { // sending it again costs no more
			refused(t, a.post(chain, nil), http.StatusOK, apierror.CodeQueryTooComplex, message)
		}
		ours, theirs := a.postWith(map[string]any{"query": chain}, "Accept", "application/graphql-response+json")
		for _, r := range []result{ours, theirs} {
			refused(t, r, http.StatusBadRequest, apierror.CodeQueryTooComplex, message)
		}
		ours, theirs = a.getQuery(chain)
		for _, r := range []result{ours, theirs} {
			refused(t, r, http.StatusOK, apierror.CodeQueryTooComplex, message)
		}

		// APQ: the query with its hash, then the hash alone, which APQ
		// fills in from its cache before the limit reads it.
		sum := sha256.Sum256([]byte(chain))
		apq := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
		for _, body := range []map[string]any{{"query": chain, "extensions": apq}, {"extensions": apq}} {
			ours, theirs := a.postWith(body)
			for _, r := range []result{ours, theirs} {
				refused(t, r, http.StatusOK, apierror.CodeQueryTooComplex, message)
			}
		}

		// A chain within the limit is answered.
		if r := a.do(fixtures.FragmentChain(80), nil); r.str(t, "a") != "Query" {
			t.Errorf("chain of 80: %s", r.Raw)
		}
	})
}

// TestHostileAliasesErrorsCapped: issue 10, item 5. 300 aliases
// alternating two fields (2.6 KB) made 22,500 errors, 5.67 MB: past
// 10,000 pairs of same-named fields the document is refused before
// validation; under it, as every other response, its errors are cut to 50
// and one saying how many were left out.
func TestHostileAliasesErrorsCapped(t *testing.T) {
	eachBackend(t, func(t *testing.T, a *app) {
		a = accountViewer(a)
		r := a.post(fixtures.ConflictingAliases(300), nil)
		refused(t, r, http.StatusOK, apierror.CodeQueryTooComplex,
			"query has 44850 pairs of fields under one response name, which exceeds the limit of 10000 (validation compares every such pair)")
		if len(r.Raw) > 64<<10 {
			t.Errorf("300 aliases: %d bytes", len(r.Raw))
		}

		// 140 aliases: 9,730 pairs, and 70 × 70 conflicts.
		capped := func(r result, status int, code string, left int) {
			t.Helper()
			if r.Status != status || len(r.Errors) != limits.MaxErrors+1 {
				t.Fatalf("%d, %d errors: %.300s", r.Status, len(r.Errors), r.Raw)
			}
			for _, e := range r.Errors[:limits.MaxErrors] {
				if e.Extensions["code"] != code {
					t.Fatalf("error %v, want %s", e, code)
				}
			}
			last := r.Errors[limits.MaxErrors]
			if want := fmt.Sprintf("%d more errors left out: a response lists at most 50", left); last.Message != want ||
				last.Extensions["code"] != apierror.CodeTooManyErrors {
				t.Errorf("last error %v, want %q", last, want)
			}
			if len(r.Raw) > 64<<10 {
				t.Errorf("%d bytes", len(r.Raw))
			}
		}
		aliases := fixtures.ConflictingAliases(140)
		capped(a.post(aliases, nil), http.StatusOK, "GRAPHQL_VALIDATION_FAILED", 70*70-50)
		ours, theirs := a.getQuery(aliases)
		for _, r := range []result{ours, theirs} {
			capped(r, http.StatusOK, "GRAPHQL_VALIDATION_FAILED", 70*70-50)
		}

		// Execution errors too: 60 fields refusing their argument.
		var q strings.Builder
		q.WriteString("{")
		for i := range 60 {
			fmt.Fprintf(&q, " e%02d: organizations(first: -1) { totalCount }", i)
		}
		q.WriteString(" }")
		capped(a.post(q.String(), nil), http.StatusOK, apierror.CodeBadUserInput, 10)
	})
}

// BenchmarkFragmentChain sends chains of growing length through the whole
// API (SQLite; parsing, the selection limit, the refusal), as an
// ACCOUNT_VIEWER: ns/fragment stays flat, where gqlgen's validation alone
// grew with the square of the chain (limits.BenchmarkFragmentChain).
func BenchmarkFragmentChain(b *testing.B) {
	a := newApp(b, testdb.SQLite(b))
	a = accountViewer(a)
	for _, n := range []int{100, 200, 400, 800, 1600} {
		body, _ := json.Marshal(map[string]any{"query": fixtures.FragmentChain(n)})
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodPost, a.url+"/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+a.token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/fragment")
			b.ReportMetric(float64(len(body)), "bytes")
		})
	}
}
