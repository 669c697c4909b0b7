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
	"net"
	"net/http"
	"path"
	"strings"
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
// "/graphql") and its assets under AssetPrefix to mux. demoToken, when not
// "", is offered on the page with one click to whoever OffersDemoToken
// admits; the server passes one only when it runs the embedded demo on a
// loopback address alone (server.go, demoTokenToOffer).
func Register(mux *http.ServeMux, endpoint, demoToken string) {
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
		offer := ""
		if demoToken != "" && OffersDemoToken(r) {
			offer = demoToken
			h.Set("Cache-Control", "no-store") // a token: kept by no cache
			h.Set("Referrer-Policy", "no-referrer")
		}
		page(w, offer)
	})
	mux.HandleFunc("GET "+AssetPrefix+"{name}", serveAsset)
}

// OffersDemoToken is whether the page may hold the demo token for r: only
// for a browser on this machine, reaching it by a loopback name. The peer
// is a loopback address; no proxy forwarded the request (a proxy on this
// host would make every client look local); and the Host is localhost or
// a loopback address, so that a page of another site whose name was made
// to point at 127.0.0.1 (DNS rebinding) gets nothing.
func OffersDemoToken(r *http.Request) bool {
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	peer, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil || !isLoopback(peer) {
		return false
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return isLoopback(strings.Trim(host, "[]"))
}

// isLoopback is true for localhost and a loopback IP address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
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
