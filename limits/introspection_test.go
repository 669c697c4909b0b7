package limits

import (
	"net/http"
	"testing"

	"github.com/pointguard/pointguard/apierror"
)

func TestIntrospectionDisabled(t *testing.T) {
	cfg := Default()
	cfg.Introspection = false
	h := server(cfg)

	for name, q := range map[string]string{
		"GraphiQL's query": introspectionQuery(),
		"__type":           `{ __type(name: "Query") { name } }`,
		"in a fragment":    `{ ...F } fragment F on Query { ... { __schema { queryType { name } } } }`,
		"named operation":  `query A { __typename } query B { __schema { queryType { name } } }`,
	} {
		t.Run(name, func(t *testing.T) {
			r := postOp(t, h, q, nil, map[string]string{"named operation": "B"}[name])
			if r.Status != http.StatusUnprocessableEntity || r.code() != apierror.CodeIntrospectionDisabled {
				t.Fatalf("%d %.300s", r.Status, r.Raw)
			}
		})
	}

	// __typename is not introspection of the schema; another operation of
	// the document is judged alone.
	for name, q := range map[string]string{
		"__typename":  `{ __typename }`,
		"operation A": `query A { __typename } query B { __schema { queryType { name } } }`,
	} {
		t.Run(name, func(t *testing.T) {
			r := postOp(t, h, q, nil, map[string]string{"operation A": "A"}[name])
			if r.Status != http.StatusOK || len(r.Errors) != 0 || r.Data["__typename"] != "Query" {
				t.Fatalf("%d %s", r.Status, r.Raw)
			}
		})
	}

	// Enabled, the same queries answer.
	r := post(t, server(Default()), `{ __type(name: "Query") { name } }`, nil)
	if r.Status != http.StatusOK || len(r.Errors) != 0 {
		t.Fatalf("enabled: %d %s", r.Status, r.Raw)
	}
}
