package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"

	"github.com/pointguard/pointguard/apierror"
)

// schemaSDL serves the schema as SDL (GET /schema.graphql), for those who
// generate clients or read it without GraphiQL: the same schema
// introspection shows, formatted by gqlparser, without the built-in types.
// It is behind the token check like /graphql, and refused like
// introspection when POINTGUARD_INTROSPECTION=false.
func schemaSDL(schema *ast.Schema, introspection bool) http.Handler {
	var b bytes.Buffer
	formatter.NewFormatter(&b, formatter.WithIndent("  ")).FormatSchema(schema)
	sdl := b.Bytes()
	sum := sha256.Sum256(sdl)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			apierror.Write(w, http.StatusMethodNotAllowed, apierror.CodeMethodNotAllowed, "/schema.graphql is read with GET")
			return
		}
		if !introspection {
			apierror.Write(w, http.StatusForbidden, apierror.CodeIntrospectionDisabled,
				"introspection is disabled on this server, and so is its schema")
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Cache-Control", "private, no-cache")
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write(sdl)
	})
}
