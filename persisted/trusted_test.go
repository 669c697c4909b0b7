package persisted

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/pointguard/pointguard/apierror"
	"github.com/pointguard/pointguard/auth"
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/graph"
)

func schema() *ast.Schema { return graph.NewExecutableSchema(graph.Config{}).Schema() }

// manifest writes text to a file of the test's and returns its path.
func manifest(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trusted-documents.json")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// manifestOf is the manifest listing docs under their hashes.
func manifestOf(docs ...string) string {
	m := map[string]string{}
	for _, d := range docs {
		m[hashOf(d)] = d
	}
	b, _ := json.Marshal(m)
	return string(b)
}

const (
	viewerQuery = `query Me { viewer { id role } }`
	typename    = `{ __typename }`
)

func TestLoadTrustedDocuments(t *testing.T) {
	path := manifest(t, manifestOf(viewerQuery, typename))
	trusted, err := LoadTrustedDocuments(path, schema())
	if err != nil {
		t.Fatal(err)
	}
	if trusted.Len() != 2 || trusted.Path() != path {
		t.Errorf("%d documents from %s", trusted.Len(), trusted.Path())
	}
	if doc, ok := trusted.Document(hashOf(viewerQuery)); !ok || doc != viewerQuery {
		t.Errorf("Document: %q %v", doc, ok)
	}
	if _, ok := trusted.Document(hashOf("{ other }")); ok {
		t.Error("an unlisted hash is listed")
	}
}

// TestLoadTrustedDocumentsRefuses: every way a manifest is wrong stops the
// start with a sentence naming the file and the problem.
func TestLoadTrustedDocumentsRefuses(t *testing.T) {
	wrong := hashOf("{ something else }")
	invalid := `{ noSuchField }`
	unparsable := `{ viewer { id `
	for name, c := range map[string]struct {
		text string
		want []string // each is in the error
	}{
		"bad JSON":    {`{"a": `, []string{"not a JSON object", "unexpected end of JSON input"}},
		"not object":  {`["{ __typename }"]`, []string{"not a JSON object", "it is not an object"}},
		"null":        {`null`, []string{"not a JSON object", "it is null"}},
		"empty":       {`{}`, []string{"list no document"}},
		"not a hash":  {`{"Me": "{ __typename }"}`, []string{`the key "Me"`, "not a SHA-256 in lowercase hex"}},
		"upper hex":   {`{"` + strings.ToUpper(hashOf(typename)) + `": "{ __typename }"}`, []string{strings.ToUpper(hashOf(typename)), "lowercase hex"}},
		"not string":  {`{"` + hashOf(typename) + `": 1}`, []string{hashOf(typename), "not a string"}},
		"wrong hash":  {`{"` + wrong + `": "{ __typename }"}`, []string{"under " + wrong, "whose SHA-256 is " + hashOf(typename)}},
		"invalid":     {manifestOf(typename, invalid), []string{"under " + hashOf(invalid), "not valid GraphQL for this schema", `Cannot query field "noSuchField" on type "Query"`}},
		"unparsable":  {manifestOf(unparsable), []string{"under " + hashOf(unparsable), "not valid GraphQL", "line 1"}},
		"bad literal": {manifestOf(`{ organizations(first: 3000000000) { totalCount } }`), []string{"not valid GraphQL", "first"}},
	} {
		t.Run(name, func(t *testing.T) {
			path := manifest(t, c.text)
			trusted, err := LoadTrustedDocuments(path, schema())
			if err == nil {
				t.Fatalf("loaded %d documents", trusted.Len())
			}
			t.Log(err)
			for _, w := range append(c.want, path) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	missing := filepath.Join(t.TempDir(), "missing.json")
	if _, err := LoadTrustedDocuments(missing, schema()); err == nil || !strings.Contains(err.Error(), missing) ||
		!strings.Contains(err.Error(), "no such file") || strings.Count(err.Error(), missing) != 1 {
		t.Errorf("missing file: %v", err)
	}
}

// TestTrustedOnly: what the extension does with each request, by role.
func TestTrustedOnly(t *testing.T) {
	trusted, err := LoadTrustedDocuments(manifest(t, manifestOf(viewerQuery)), schema())
	if err != nil {
		t.Fatal(err)
	}
	ext := TrustedOnly{Documents: trusted}
	as := func(role domain.Role) context.Context {
		return auth.WithToken(context.Background(), &domain.ApiToken{ID: "tok_1", Role: role})
	}
	apq := func(hash string) map[string]any {
		return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
	}
	other := `{ viewer { id } }`

	for _, role := range domain.Roles {
		ctx := as(role)
		// Listed, by text or by hash alone: the manifest's document runs.
		if err := ext.MutateOperationParameters(ctx, &graphql.RawParams{Query: viewerQuery}); err != nil {
			t.Errorf("%s, listed text: %v", role, err)
		}
		p := &graphql.RawParams{Extensions: apq(hashOf(viewerQuery))}
		if err := ext.MutateOperationParameters(ctx, p); err != nil || p.Query != viewerQuery || p.Extensions["persistedQuery"] != nil {
			t.Errorf("%s, listed hash: %v, query %q, extensions %v", role, err, p.Query, p.Extensions)
		}
		// Unlisted: refused unless the role may run anything.
		for what, p := range map[string]*graphql.RawParams{
			"text":      {Query: other},
			"hash":      {Extensions: apq(hashOf(other))},
			"text+hash": {Query: other, Extensions: apq(hashOf(other))},
		} {
			err := ext.MutateOperationParameters(ctx, p)
			if role == domain.RolePlatformAdmin || role == domain.RoleOrgAdmin {
				if err != nil || p.Query != map[bool]string{true: "", false: other}[what == "hash"] {
					t.Errorf("%s, unlisted %s: %v, query %q", role, what, err, p.Query)
				}
				continue
			}
			if err == nil || err.Extensions["code"] != apierror.CodePersistedQueryNotAllowed ||
				err.Message != "this server runs only trusted documents for this token; the operation's SHA-256 "+hashOf(other)+" is not one of them" {
				t.Errorf("%s, unlisted %s: %v %v", role, what, err, err.Extensions)
			}
		}
	}
	// No token: nothing but the list.
	if err := ext.MutateOperationParameters(context.Background(), &graphql.RawParams{Query: other}); err == nil {
		t.Error("no token ran an unlisted document")
	}
	// No query and no hash: gqlgen's to refuse.
	if err := ext.MutateOperationParameters(as(domain.RoleOrgViewer), &graphql.RawParams{}); err != nil {
		t.Errorf("no operation: %v", err)
	}
}
