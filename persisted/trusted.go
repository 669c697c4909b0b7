package persisted

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/pointguard/pointguard/apierror"
	"github.com/pointguard/pointguard/auth"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/scalars"
)

func init() {
	// A request error, so that gqlgen refuses it before anything runs
	// (422, which package api answers 403).
	errcode.RegisterErrorType(apierror.CodePersistedQueryNotAllowed, errcode.KindProtocol)
}

// Trusted is an allow-list of trusted documents: GraphQL documents by the
// SHA-256 of their text, read from a manifest (LoadTrustedDocuments).
type Trusted struct {
	path string
	docs map[string]string
}

// LoadTrustedDocuments reads the manifest at path, a JSON object of
// documents by their SHA-256 ({"<sha256 hex of the document>":
// "<document>"}, as persisted-query tooling writes it), and checks it
// whole: every key is the SHA-256 of its document in lowercase hex, and
// every document parses and validates against schema (with the API's own
// rules). An empty manifest is an error: it would refuse every operation
// of every token but the admins'. Its errors name the file and the
// problem (the hash of the document at fault, and its first error).
func LoadTrustedDocuments(path string, schema *ast.Schema) (*Trusted, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is said once, below
		}
		return nil, fmt.Errorf("the trusted documents %s cannot be read: %w", path, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || raw == nil {
		why := "it is null"
		if err != nil {
			why = err.Error()
			var syntax *json.SyntaxError
			if errors.As(err, &syntax) {
				why = fmt.Sprintf("%v, at byte %d", err, syntax.Offset)
			} else if strings.HasPrefix(why, "json: cannot unmarshal") {
				why = "it is not an object"
			}
		}
		return nil, fmt.Errorf(`the trusted documents %s are not a JSON object of documents by their SHA-256 ({"<sha256 hex>": "<document>"}): %s`, path, why)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("the trusted documents %s list no document: every operation of every token but the admins' would be refused", path)
	}
	hashes := make([]string, 0, len(raw))
	for hash := range raw {
		hashes = append(hashes, hash)
	}
	slices.Sort(hashes) // the first problem is the same one every time
	docs := make(map[string]string, len(raw))
	for _, hash := range hashes {
		if !isSHA256(hash) {
			return nil, fmt.Errorf("the trusted documents %s have the key %q, which is not a SHA-256 in lowercase hex (64 characters 0-9, a-f)", path, truncate(hash))
		}
		var doc string
		if err := json.Unmarshal(raw[hash], &doc); err != nil {
			return nil, fmt.Errorf("the trusted documents %s have under %s a value that is not a string: each value is a GraphQL document", path, hash)
		}
		if sum := hashOf(doc); sum != hash {
			return nil, fmt.Errorf("the trusted documents %s have under %s a document whose SHA-256 is %s: the key must be the SHA-256 of its document's text", path, hash, sum)
		}
		if _, errs := gqlparser.LoadQueryWithRules(schema, doc, scalars.ValidationRules()); len(errs) > 0 {
			where := ""
			if len(errs[0].Locations) > 0 {
				where = fmt.Sprintf(" (line %d)", errs[0].Locations[0].Line)
			}
			return nil, fmt.Errorf("the trusted documents %s have under %s a document that is not valid GraphQL for this schema%s: %s",
				path, hash, where, errs[0].Message)
		}
		docs[hash] = doc
	}
	return &Trusted{path: path, docs: docs}, nil
}

// Len is how many documents are listed.
func (t *Trusted) Len() int { return len(t.docs) }

// Path is the manifest's file.
func (t *Trusted) Path() string { return t.path }

// Document is the document whose SHA-256 is hash, if listed; a nil
// Trusted lists none.
func (t *Trusted) Document(hash string) (string, bool) {
	if t == nil {
		return "", false
	}
	doc, ok := t.docs[hash]
	return doc, ok
}

// TrustedOnly is the gqlgen extension that holds every caller whose role
// may not run any document (policy.MayRunAnyDocument: all but the admins)
// to Documents, before anything runs:
//
//   - a request sending only extensions.persistedQuery.sha256Hash of a
//     listed document runs that document: partner apps send just the hash;
//   - any other request whose query's SHA-256 (or, sent alone, hash) is not
//     listed is refused with PERSISTED_QUERY_NOT_ALLOWED, answered 403 by
//     package api; an admin's goes on as it came (automatic persisted
//     queries included).
//
// Use it before extension.AutomaticPersistedQuery, which would otherwise
// answer a listed hash it has not seen PERSISTED_QUERY_NOT_FOUND.
type TrustedOnly struct{ Documents *Trusted }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = TrustedOnly{}

func (TrustedOnly) ExtensionName() string { return "TrustedDocuments" }

func (e TrustedOnly) Validate(graphql.ExecutableSchema) error {
	if e.Documents == nil {
		return errors.New("TrustedOnly.Documents can not be nil")
	}
	return nil
}

func (e TrustedOnly) MutateOperationParameters(ctx context.Context, raw *graphql.RawParams) *gqlerror.Error {
	hash := sentHash(raw.Extensions)
	if raw.Query == "" && hash != "" {
		if doc, ok := e.Documents.Document(hash); ok {
			raw.Query = doc
			// The document is the manifest's: nothing for the APQ cache.
			delete(raw.Extensions, "persistedQuery")
			return nil
		}
	} else if raw.Query == "" {
		return nil // no operation: gqlgen says so
	} else {
		hash = hashOf(raw.Query)
		if _, ok := e.Documents.Document(hash); ok {
			return nil
		}
	}
	if t := auth.TokenFrom(ctx); t != nil && policy.MayRunAnyDocument(t.Role) {
		return nil
	}
	err := gqlerror.Errorf("this server runs only trusted documents for this token; the operation's SHA-256 %s is not one of them", truncate(hash))
	errcode.Set(err, apierror.CodePersistedQueryNotAllowed)
	return err
}

// sentHash is extensions.persistedQuery.sha256Hash, or "".
func sentHash(extensions map[string]any) string {
	pq, _ := extensions["persistedQuery"].(map[string]any)
	hash, _ := pq["sha256Hash"].(string)
	return hash
}

func hashOf(doc string) string {
	sum := sha256.Sum256([]byte(doc))
	return hex.EncodeToString(sum[:])
}

// truncate keeps what is echoed of a client's (or a file's) string short.
func truncate(s string) string {
	if len(s) > 2*sha256.Size+8 {
		return s[:2*sha256.Size] + "…"
	}
	return s
}
