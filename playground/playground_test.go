package playground

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"hash"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	Register(mux, "/graphql", "")
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

type ref struct{ tag, url, integrity string }

var (
	tagRE  = regexp.MustCompile(`(?s)<(script|link)\b([^>]*)>`)
	attrRE = regexp.MustCompile(`(?s)\b(src|href|integrity|crossorigin)="([^"]*)"`)
)

// pageRefs returns every <script src> and <link href> of the page.
func pageRefs(t *testing.T, page string) []ref {
	t.Helper()
	var refs []ref
	for _, m := range tagRE.FindAllStringSubmatch(page, -1) {
		attrs := map[string]string{}
		for _, a := range attrRE.FindAllStringSubmatch(m[2], -1) {
			attrs[a[1]] = html.UnescapeString(a[2])
		}
		u := attrs["src"] + attrs["href"]
		if u == "" {
			continue // inline script
		}
		refs = append(refs, ref{m[1], u, attrs["integrity"]})
	}
	return refs
}

func fetchPage(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	res, body := get(t, srv.URL+"/", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("GET / Content-Type = %q", ct)
	}
	// The page holds pasted tokens: no other site may frame it.
	if res.Header.Get("X-Frame-Options") != "DENY" || res.Header.Get("Content-Security-Policy") != "frame-ancestors 'none'" {
		t.Errorf("GET / may be framed: X-Frame-Options %q, CSP %q", res.Header.Get("X-Frame-Options"), res.Header.Get("Content-Security-Policy"))
	}
	return string(body)
}

func TestPageReferencesOnlyLocalAssets(t *testing.T) {
	srv := newServer(t)
	page := fetchPage(t, srv)

	if !strings.Contains(page, "<title>"+Title+"</title>") {
		t.Errorf("page has no <title>%s</title>", Title)
	}
	if !strings.Contains(page, `"/graphql"`) {
		t.Errorf("page does not talk to /graphql")
	}
	// Nothing absolute at all: an asset URL with a scheme or a
	// protocol-relative one would reach outside the server.
	for _, bad := range []string{"http://", "https://", `src="//`, `href="//`} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}

	refs := pageRefs(t, page)
	var scripts, styles int
	for _, r := range refs {
		if !strings.HasPrefix(r.url, AssetPrefix) {
			t.Errorf("<%s> references %q, not under %s", r.tag, r.url, AssetPrefix)
		}
		if r.integrity == "" {
			t.Errorf("<%s %s> has no integrity", r.tag, r.url)
		}
		switch r.tag {
		case "script":
			scripts++
		case "link":
			styles++
		}
	}
	// React, ReactDOM, GraphiQL and the explorer plugin; two stylesheets.
	if scripts != 4 || styles != 2 {
		t.Errorf("page has %d scripts and %d stylesheets, want 4 and 2: %v", scripts, styles, refs)
	}
}

func TestReferencedAssetsServedWithMatchingIntegrity(t *testing.T) {
	srv := newServer(t)
	refs := pageRefs(t, fetchPage(t, srv))
	if len(refs) == 0 {
		t.Fatal("page references no assets")
	}
	for _, r := range refs {
		t.Run(r.url, func(t *testing.T) {
			res, body := get(t, srv.URL+r.url, nil)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			if len(body) < 1000 {
				t.Errorf("body only %d bytes", len(body))
			}
			wantCT := map[string]string{"script": "text/javascript; charset=utf-8", "link": "text/css; charset=utf-8"}[r.tag]
			if ct := res.Header.Get("Content-Type"); ct != wantCT {
				t.Errorf("Content-Type = %q, want %q", ct, wantCT)
			}
			if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
				t.Errorf("Cache-Control = %q, want a long immutable cache", cc)
			}

			alg, want, ok := strings.Cut(r.integrity, "-")
			if !ok {
				t.Fatalf("bad integrity %q", r.integrity)
			}
			var h hash.Hash
			switch alg {
			case "sha256":
				h = sha256.New()
			case "sha384":
				h = sha512.New384()
			case "sha512":
				h = sha512.New()
			default:
				t.Fatalf("unknown SRI algorithm %q", alg)
			}
			h.Write(body)
			if got := base64.StdEncoding.EncodeToString(h.Sum(nil)); got != want {
				t.Errorf("integrity %s-%s, body hashes to %s", alg, want, got)
			}

			// A revalidation by ETag gets 304.
			res, _ = get(t, srv.URL+r.url, http.Header{"If-None-Match": {res.Header.Get("ETag")}})
			if res.StatusCode != http.StatusNotModified {
				t.Errorf("If-None-Match: status %d, want 304", res.StatusCode)
			}
		})
	}
}

func TestAssetWithoutCurrentVersionIsNotCachedLong(t *testing.T) {
	srv := newServer(t)
	res, _ := get(t, srv.URL+AssetPrefix+"graphiql.min.js?v=old", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control = %q, want no-cache", cc)
	}
	res, _ = get(t, srv.URL+AssetPrefix+"nope.js", nil)
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown asset: status %d, want 404", res.StatusCode)
	}
	res, _ = get(t, srv.URL+"/other", nil)
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("/other: status %d, want 404 (the page is only at /)", res.StatusCode)
	}
}
