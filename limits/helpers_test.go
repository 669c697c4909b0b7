package limits

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/pointguard/pointguard/graph"
)

// schema is Pointguard's executable schema with our costs and no
// resolvers: enough to parse, validate, cost, refuse and introspect.
func schema() graphql.ExecutableSchema {
	cfg := graph.Config{}
	Complexity(&cfg.Complexity)
	return graph.NewExecutableSchema(cfg)
}

// load parses and validates a query against the schema.
func load(t *testing.T, query string) *ast.QueryDocument {
	t.Helper()
	doc, errs := gqlparser.LoadQueryWithRules(schema().Schema(), query, nil) // nil: the default rules, as gqlgen validates
	if errs != nil {
		t.Fatalf("invalid query: %v\n%s", errs, query)
	}
	return doc
}

// introspectionQuery is the introspection query GraphiQL sends.
func introspectionQuery() string {
	b, err := os.ReadFile("testdata/graphiql-introspection.graphql")
	if err != nil {
		panic(err)
	}
	return string(b)
}

// server is a gqlgen handler over the schema with the limits of cfg, as
// Config.Use installs them.
func server(cfg Config) http.Handler {
	srv := handler.New(schema())
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetRecoverFunc(func(context.Context, any) error {
		return errors.New("no resolvers in this test")
	})
	cfg.Use(srv)
	return srv
}

type response struct {
	Status int
	Header http.Header
	Data   map[string]any
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	}
	Raw string
}

func (r response) code() string {
	if len(r.Errors) != 1 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

func post(t *testing.T, h http.Handler, query string, vars map[string]any, header ...string) response {
	t.Helper()
	return send(t, h, map[string]any{"query": query, "variables": vars}, header...)
}

// postOp posts a document and the name of the operation to run ("" for none).
func postOp(t *testing.T, h http.Handler, query string, vars map[string]any, operation string) response {
	t.Helper()
	body := map[string]any{"query": query, "variables": vars}
	if operation != "" {
		body["operationName"] = operation
	}
	return send(t, h, body)
}

func send(t *testing.T, h http.Handler, request map[string]any, header ...string) response {
	t.Helper()
	body, _ := json.Marshal(request)
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	r := response{Status: rec.Code, Header: rec.Header(), Raw: rec.Body.String()}
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("response is not JSON (%d): %s", rec.Code, rec.Body)
	}
	return r
}

// hasCode tells whether any error of the response has the code.
func (r response) hasCode(code string) bool {
	for _, e := range r.Errors {
		if e.Extensions["code"] == code {
			return true
		}
	}
	return false
}
