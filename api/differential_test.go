package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// isQuery tells whether a GraphQL request body asks for a query
// operation: the operations package executor runs.
func isQuery(body []byte) bool {
	var req struct {
		Query         string `json:"query"`
		OperationName string `json:"operationName"`
	}
	if json.Unmarshal(body, &req) != nil {
		return false
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: req.Query})
	if err != nil {
		return false
	}
	op := doc.Operations.ForName(req.OperationName)
	return op != nil && op.Operation == ast.Query
}

// differential fails the test unless both executors gave the same answer:
// the same HTTP status, the same data, and the same errors (message, path
// and extensions.code), in any order.
func differential(t testing.TB, body []byte, got, want result) {
	t.Helper()
	var g, w struct {
		Data   any `json:"data"`
		Errors []struct {
			Message    string         `json:"message"`
			Path       []any          `json:"path"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if json.Unmarshal([]byte(got.Raw), &g) != nil || json.Unmarshal([]byte(want.Raw), &w) != nil {
		t.Fatalf("differential: an answer is not JSON\nours:   %s\ngqlgen: %s", got.Raw, want.Raw)
	}
	errs := func(list []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	}) []string {
		out := make([]string, len(list))
		for i, e := range list {
			out[i] = fmt.Sprintf("%v %q %v", e.Path, e.Message, e.Extensions["code"])
		}
		slices.Sort(out)
		return out
	}
	differentialCompared.Add(1)
	if got.Status != want.Status || canonical(got.Raw, "data") != canonical(want.Raw, "data") || !reflect.DeepEqual(errs(g.Errors), errs(w.Errors)) {
		t.Fatalf("differential: the executors disagree on\n%s\nours (%d):   %.3000s\ngqlgen (%d): %.3000s", body, got.Status, got.Raw, want.Status, want.Raw)
	}
}

// differentialCompared counts the answers differential compared.
var differentialCompared atomic.Int64

// canonical is the member key of a JSON document re-encoded with its
// object keys in their order (GraphQL answers follow the selection's
// order) and its strings and numbers spelled one way.
func canonical(doc, key string) string {
	var top map[string]json.RawMessage
	if json.Unmarshal([]byte(doc), &top) != nil {
		return "not JSON"
	}
	raw, ok := top[key]
	if !ok {
		return "absent"
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var b strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch v := tok.(type) {
		case json.Delim:
			b.WriteString(v.String())
		case string:
			b.WriteString(strconv.Quote(v))
		case json.Number:
			b.WriteString(v.String())
		case nil:
			b.WriteString("null")
		default:
			fmt.Fprint(&b, v)
		}
		b.WriteByte(' ')
	}
	return b.String()
}
