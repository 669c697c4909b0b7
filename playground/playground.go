// Package playground serves a GraphiQL page whose scripts and styles are
// embedded in the binary, so it works with no internet access (gqlgen's stock
// page loads them from a CDN), and whose requests carry the headers pasted
// into its Headers tab, the schema's too.
package playground

//go:generate go run ./internal/syncassets

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"time"
)

// AssetPrefix is the URL path under which the embedded files are served.
const AssetPrefix = "/playground/assets/"

// Title is the title of the GraphiQL page.
const Title = "Pointguard"

//go:embed assets
var assetFS embed.FS

type asset struct {
	body        []byte
	contentType string
	version     string // hex prefix of the SHA-256 of body, used as ?v=
	integrity   string // SRI value for integrity=""
	url         string // AssetPrefix + name + "?v=" + version
}

var assets = loadAssets()

func loadAssets() map[string]*asset {
	m := make(map[string]*asset)
	entries, err := fs.ReadDir(assetFS, "assets")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		name := e.Name()
		b, err := assetFS.ReadFile("assets/" + name)
		if err != nil {
			panic(err)
		}
		sum256 := sha256.Sum256(b)
		sum384 := sha512.Sum384(b)
		v := hex.EncodeToString(sum256[:8])
		m[name] = &asset{
			body:        b,
			contentType: contentType(name),
			version:     v,
			integrity:   "sha384-" + base64.StdEncoding.EncodeToString(sum384[:]),
			url:         AssetPrefix + name + "?v=" + v,
		}
	}
	return m
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	default:
		return "text/plain; charset=utf-8"
	}
}

// mustAsset panics at start-up if go generate has not produced a file the
// page needs.
func mustAsset(name string) *asset {
	a, ok := assets[name]
	if !ok {
		panic("playground: embedded asset " + name + " missing; run go generate ./playground")
	}
	return a
}

// Register adds the GraphiQL page at GET / (talking to endpoint, e.g.
// "/graphql") and its assets under AssetPrefix to mux.
func Register(mux *http.ServeMux, endpoint string) {
	page := pageHandler(endpoint)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		// The asset URLs change with their content, so the page must not be
		// cached for long, or it would keep pointing at old versions.
		h := w.Header()
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		// The page holds the tokens pasted into it: no other site may frame it.
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "frame-ancestors 'none'")
		page(w, r)
	})
	mux.HandleFunc("GET "+AssetPrefix+"{name}", serveAsset)
}

func serveAsset(w http.ResponseWriter, r *http.Request) {
	a, ok := assets[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", `"`+a.version+`"`)
	if r.URL.Query().Get("v") == a.version {
		// The URL names this exact content: cache it for a year.
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	// ServeContent handles HEAD, Range and If-None-Match against the ETag.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}
