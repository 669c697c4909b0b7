package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	collector "go.opentelemetry.io/proto/otlp/collector/trace/v1"
)

// otlpReceiver is an OTLP/HTTP collector of traces: what each export
// carried, by service.name.
type otlpReceiver struct {
	mu    sync.Mutex
	spans map[string][]string // service.name → span names
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req collector.ExportTraceServiceRequest
	if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" || proto.Unmarshal(body, &req) != nil {
		http.Error(w, "not an OTLP/HTTP export of traces", http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, rs := range req.ResourceSpans {
		service := ""
		for _, a := range rs.GetResource().GetAttributes() {
			if a.Key == "service.name" {
				service = a.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				o.spans[service] = append(o.spans[service], s.Name)
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	resp, _ := proto.Marshal(&collector.ExportTraceServiceResponse{})
	w.Write(resp)
}

func (o *otlpReceiver) total() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, names := range o.spans {
		n += len(names)
	}
	return n
}

func (o *otlpReceiver) names(service string) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.spans[service])
}

// TestTracesExported: the real server, with OTEL_EXPORTER_OTLP_ENDPOINT
// set, sends its spans to that collector over OTLP/HTTP, at the latest as
// it shuts down: the request's, the operation's and its statements', under
// OTEL_SERVICE_NAME. Without the variable, it sends nothing.
func TestTracesExported(t *testing.T) {
	t.Chdir(t.TempDir())
	receiver := &otlpReceiver{spans: map[string][]string{}}
	collectorSrv := httptest.NewServer(receiver)
	defer collectorSrv.Close()
	const token = "test-admin-token-0123456789abcdef0123"
	serve := func(env map[string]string) {
		t.Helper()
		env["PORT"], env["POINTGUARD_ADMIN_ADDR"], env["POINTGUARD_ADMIN_TOKEN"] = "0", "off", token
		logs := &syncBuffer{}
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- run(ctx, nil, func(k string) string { return env[k] }, logs) }()
		var url string
		for deadline := time.Now().Add(30 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if m := regexp.MustCompile(`pointguard listening" url=(\S+)`).FindStringSubmatch(logs.String()); m != nil {
				url = m[1]
			}
		}
		if url == "" {
			t.Fatalf("the server did not start:\n%s", logs.String())
		}
		req, _ := http.NewRequest(http.MethodPost, url+"/graphql", strings.NewReader(`{"query":"query Orgs { organizations(first: 1) { nodes { id } } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("query: %v %v", resp, err)
		}
		resp.Body.Close()
		stop()
		if err := <-done; err != nil {
			t.Fatalf("run: %v\n%s", err, logs.String())
		}
	}

	serve(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": collectorSrv.URL, "OTEL_SERVICE_NAME": "pointguard-test"})
	names := receiver.names("pointguard-test")
	for _, want := range []string{"POST /graphql", "query Orgs", "sql.stmt.query"} {
		if !slices.Contains(names, want) {
			t.Errorf("no %q among the spans received: %v", want, names)
		}
	}

	before := receiver.total()
	serve(map[string]string{})
	if after := receiver.total(); after != before {
		t.Errorf("without OTEL_EXPORTER_OTLP_ENDPOINT, %d spans were sent", after-before)
	}
}
