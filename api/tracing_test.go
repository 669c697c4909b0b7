package api

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/pointguard/pointguard/auth"
	"github.com/pointguard/pointguard/limits"
	"github.com/pointguard/pointguard/secrets"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/testdb"
)

// tracedServer is the real handler and store traced by one provider whose
// spans are kept in memory, with its JSON log: the spans, the log, the URL
// and the platform admin's token.
func tracedServer(t *testing.T, databaseURL string, reads ReadExecutor) (*tracetest.InMemoryExporter, *lockedBuffer, string, string) {
	t.Helper()
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	ring, _ := secrets.NewKeyring(secrets.NewKey())
	st, err := store.Open(context.Background(), databaseURL, store.Options{Secrets: ring, Tracer: tp})
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(st)
	token := auth.NewToken()
	if _, err := svc.SetBootstrapToken(context.Background(), token); err != nil {
		t.Fatal(err)
	}
	logged := &lockedBuffer{}
	h := New(st, svc, slog.New(slog.NewJSONHandler(logged, nil)), limits.Default(), reads, WithTracing(tp))
	srv := httptest.NewServer(h)
	t.Cleanup(func() { h.Close(); srv.Close(); st.Close(); tp.Shutdown(context.Background()) })
	return spans, logged, srv.URL, token
}

// tracedPost posts a GraphQL request with the headers given; it answers
// the response's X-Request-Id and its body's data.
func tracedPost(t *testing.T, url, token, query string, vars map[string]any, headers map[string]string) (string, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data   map[string]any
		Errors []any
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK || len(out.Errors) > 0 {
		t.Fatalf("%s: %d %v %v", query, resp.StatusCode, out.Errors, err)
	}
	return resp.Header.Get("X-Request-Id"), out.Data
}

// traceOf is the spans of one trace, by name, and whether each descends
// from another.
type traceOf struct {
	spans tracetest.SpanStubs
	byID  map[trace.SpanID]tracetest.SpanStub
}

func spansOf(all tracetest.SpanStubs, id trace.TraceID) traceOf {
	tr := traceOf{byID: map[trace.SpanID]tracetest.SpanStub{}}
	for _, s := range all {
		if s.SpanContext.TraceID() == id {
			tr.spans = append(tr.spans, s)
			tr.byID[s.SpanContext.SpanID()] = s
		}
	}
	return tr
}

func (tr traceOf) named(prefix string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range tr.spans {
		if strings.HasPrefix(s.Name, prefix) {
			out = append(out, s)
		}
	}
	return out
}

func (tr traceOf) descends(s, from tracetest.SpanStub) bool {
	for p, ok := s, true; ok; p, ok = tr.byID[p.Parent.SpanID()] {
		if p.Parent.SpanID() == from.SpanContext.SpanID() {
			return true
		}
	}
	return false
}

// TestTraces: with tracing on, a request continues its caller's trace
// (traceparent): its server span, the GraphQL operation's span inside it
// and the SQL statements' spans inside that, on both engines and with
// both executors. The request ID is the trace ID, so the access log line
// and the audit event's requestId lead to the trace; a client's own
// X-Request-Id is kept, and found on the span.
func TestTraces(t *testing.T) {
	for _, reads := range []ReadExecutor{Pointguard, Gqlgen} {
		t.Run(string(reads), func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, databaseURL string) {
				spans, logged, url, token := tracedServer(t, databaseURL, reads)
				const (
					traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
					parent  = "00f067aa0ba902b7"
				)
				requestID, data := tracedPost(t, url, token, `mutation CreateOrg($input: CreateOrganizationInput!) {
					createOrganization(input: $input) { organization { id } } }`,
					map[string]any{"input": map[string]any{"slug": "traced", "name": "Traced"}},
					map[string]string{"traceparent": "00-" + traceID + "-" + parent + "-01"})
				if requestID != traceID {
					t.Errorf("X-Request-Id %q; want the trace ID %s", requestID, traceID)
				}
				id, _ := trace.TraceIDFromHex(traceID)
				tr := spansOf(spans.GetSpans(), id)
				server := tr.named("POST /graphql")
				if len(server) != 1 || server[0].Parent.SpanID().String() != parent || server[0].SpanKind != trace.SpanKindServer {
					t.Fatalf("server spans of the trace: %+v", server)
				}
				assertOperationTraced(t, tr, server[0], "mutation CreateOrg")

				orgID := data["createOrganization"].(map[string]any)["organization"].(map[string]any)["id"].(string)
				_, audit := tracedPost(t, url, token, auditEventsQuery, map[string]any{"id": orgID}, nil)
				events := audit["node"].(map[string]any)["auditEvents"].(map[string]any)["nodes"].([]any)
				if len(events) != 1 || events[0].(map[string]any)["requestId"] != traceID {
					t.Errorf("audit events %v: want one, with requestId %s", events, traceID)
				}

				// A read, its trace begun here; the client's own request ID.
				spans.Reset()
				mine, _ := tracedPost(t, url, token, `query Orgs { organizations(first: 5) { nodes { id accounts(first: 5) { nodes { id } } } } }`,
					nil, map[string]string{"X-Request-Id": "client-id-1"})
				if mine != "client-id-1" {
					t.Errorf("X-Request-Id %q; want the client's", mine)
				}
				var root []tracetest.SpanStub
				for _, s := range spans.GetSpans() {
					if s.Name == "POST /graphql" {
						root = append(root, s)
					}
				}
				if len(root) != 1 || root[0].Parent.IsValid() {
					t.Fatalf("server spans: %+v", root)
				}
				tr = spansOf(spans.GetSpans(), root[0].SpanContext.TraceID())
				if len(tr.spans) != len(spans.GetSpans()) {
					t.Errorf("%d spans, %d of them in the request's trace", len(spans.GetSpans()), len(tr.spans))
				}
				assertOperationTraced(t, tr, root[0], "query Orgs")
				if !hasAttribute(root[0], "pointguard.request_id", "client-id-1") {
					t.Errorf("server span attributes %v: no pointguard.request_id", root[0].Attributes)
				}

				lines := requestLines(t, logged)
				if len(lines) != 3 {
					t.Fatalf("%d request lines: %v", len(lines), lines)
				}
				if first := lines[0]; first["trace_id"] != traceID || first["request_id"] != traceID || first["span_id"] != server[0].SpanContext.SpanID().String() {
					t.Errorf("the first request's line %v: want trace_id and request_id %s, span_id %s", first, traceID, server[0].SpanContext.SpanID())
				}
				if last := lines[2]; last["trace_id"] != root[0].SpanContext.TraceID().String() || last["request_id"] != "client-id-1" {
					t.Errorf("the last request's line %v", last)
				}
			})
		})
	}
}

// assertOperationTraced: the trace has one span for the operation, the
// child of server, and SQL statements' spans inside server: the token's
// (api_tokens, before GraphQL runs) and the operation's, inside its span.
func assertOperationTraced(t *testing.T, tr traceOf, server tracetest.SpanStub, operation string) {
	t.Helper()
	ops := tr.named(operation)
	if len(ops) != 1 || ops[0].Parent.SpanID() != server.SpanContext.SpanID() {
		t.Fatalf("%s spans %+v; want one, the child of %s", operation, ops, server.SpanContext.SpanID())
	}
	inside := 0
	for _, s := range tr.named("sql.") {
		switch {
		case !tr.descends(s, server):
			t.Errorf("%s: SQL span %s (%v) is outside the request's span", operation, s.Name, s.Attributes)
		case tr.descends(s, ops[0]):
			inside++
		case !hasAttributeContaining(s, "db.query.text", "api_tokens"):
			t.Errorf("%s: SQL span %s (%v) is outside the operation's span", operation, s.Name, s.Attributes)
		}
	}
	if inside == 0 {
		t.Errorf("%s: no SQL span inside the operation's, among %d spans", operation, len(tr.spans))
	}
}

func hasAttributeContaining(s tracetest.SpanStub, key, part string) bool {
	for _, a := range s.Attributes {
		if string(a.Key) == key && strings.Contains(a.Value.AsString(), part) {
			return true
		}
	}
	return false
}

func hasAttribute(s tracetest.SpanStub, key, value string) bool {
	for _, a := range s.Attributes {
		if string(a.Key) == key && a.Value.AsString() == value {
			return true
		}
	}
	return false
}

// requestLines is the access log's request records.
func requestLines(t *testing.T, logged *lockedBuffer) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logged.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["msg"] == "request" {
			lines = append(lines, rec)
		}
	}
	return lines
}

// TestNotTraced: without tracing a traceparent changes nothing: the
// request ID is a fresh UUID, and the log has no trace.
func TestNotTraced(t *testing.T) {
	t.Parallel()
	a := newApp(t, testdb.SQLite(t))
	logged := &lockedBuffer{}
	srv := httptest.NewServer(New(a.store, a.service, slog.New(slog.NewJSONHandler(logged, nil)), limits.Default(), Pointguard))
	defer srv.Close()
	id, _ := tracedPost(t, srv.URL, a.adminToken, `{ viewer { name } }`, nil,
		map[string]string{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
	if !uuidFormat.MatchString(id) {
		t.Errorf("X-Request-Id %q; want a UUID", id)
	}
	lines := requestLines(t, logged)
	if len(lines) != 1 || lines[0]["trace_id"] != nil || lines[0]["request_id"] != id {
		t.Errorf("request lines %v", lines)
	}
}
