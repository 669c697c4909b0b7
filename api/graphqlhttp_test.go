package api

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pointguard/pointguard/fixtures"
	"github.com/pointguard/pointguard/testdb"
)

// nodeScripts is where the node scripts run by these tests live, with the
// package.json and package-lock.json of what they import (.ci/run installs
// it with npm ci).
const nodeScripts = "testdata/graphqlhttp"

// runNode runs a script of nodeScripts against url with token, and
// returns what it printed. Without node or the installed packages the
// test is skipped with the reason, except under CI=true, where it fails.
func runNode(t *testing.T, script, url, token string, env ...string) []byte {
	t.Helper()
	missing := ""
	if _, err := exec.LookPath("node"); err != nil {
		missing = "node is not on PATH"
	} else if _, err := os.Stat(filepath.Join(nodeScripts, "node_modules", "graphql-http")); err != nil {
		missing = "the scripts' packages are not installed: npm ci --prefix api/" + nodeScripts
	}
	if missing != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("required under CI=true: %s", missing)
		}
		t.Skip("skipping: " + missing)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Dir = nodeScripts
	cmd.Env = append(os.Environ(), append([]string{"POINTGUARD_URL=" + url, "POINTGUARD_TOKEN=" + token}, env...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s: %v\n%s%s", script, err, out, stderr.String())
	}
	return out
}

// TestGraphQLOverHTTPAudit: issue 13, item 1. graphql-http's server
// audits (the npm package's serverAudits: every MUST, SHOULD and MAY of
// the GraphQL-over-HTTP spec that it checks), run against the real
// handler with a token, in front of both read executors: all 61 pass.
// (55 passed before: 422 for request errors under application/json, a
// "data": null in them under application/graphql-response+json, 422 for a
// missing query.)
func TestGraphQLOverHTTPAudit(t *testing.T) {
	t.Parallel()
	a := newApp(t, testdb.SQLite(t))
	for name, url := range map[string]string{"pointguard": a.url, "gqlgen": a.referenceURL} {
		t.Run(name, func(t *testing.T) {
			out := runNode(t, "audit.mjs", url+"/graphql", a.adminToken)
			var report struct {
				Total  int `json:"total"`
				Failed []struct {
					ID, Name, Level, Reason, ContentType, Body string
					Status                                     int
				} `json:"failed"`
			}
			if err := json.Unmarshal(out, &report); err != nil {
				t.Fatalf("the audit's report is not JSON: %v\n%s", err, out)
			}
			var failures strings.Builder
			for _, f := range report.Failed {
				fmt.Fprintf(&failures, "\n  %s %s (%s): %s; got %d %s %s", f.ID, f.Name, f.Level, f.Reason, f.Status, f.ContentType, f.Body)
			}
			if report.Total != 61 || len(report.Failed) > 0 {
				t.Errorf("graphql-http audits: %d of %d passed, want 61 of 61:%s", report.Total-len(report.Failed), report.Total, failures.String())
			}
		})
	}
}

// TestGraphQLRequestClient: graphql-request, the npm client, queries,
// mutates with variables and reads back through the real handler, and
// gets a refused document as its ClientError (status, code, no data).
func TestGraphQLRequestClient(t *testing.T) {
	t.Parallel()
	a := newApp(t, testdb.SQLite(t))
	for name, url := range map[string]string{"pointguard": a.url, "gqlgen": a.referenceURL} {
		t.Run(name, func(t *testing.T) {
			slug := "gr-" + name
			out := runNode(t, "client.mjs", url, a.adminToken, "POINTGUARD_SLUG="+slug)
			var got struct {
				Viewer struct {
					Viewer struct{ Name, Role string }
				}
				Created struct {
					CreateOrganization struct {
						Organization *struct{ Slug, Name string }
						UserErrors   []any
					}
				}
				Read struct {
					Organization *struct{ Slug, Name string }
				}
				Refused struct {
					Status  int
					Codes   []string
					HasData bool
				}
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("graphql-request's report is not JSON: %v\n%s", err, out)
			}
			created := got.Created.CreateOrganization
			switch {
			case got.Viewer.Viewer.Role != "PLATFORM_ADMIN":
				t.Errorf("viewer: %s", out)
			case created.Organization == nil || created.Organization.Slug != slug || len(created.UserErrors) != 0:
				t.Errorf("createOrganization: %s", out)
			case got.Read.Organization == nil || got.Read.Organization.Name != "Made by graphql-request":
				t.Errorf("the organization read back: %s", out)
			case got.Refused.Status != 400 || len(got.Refused.Codes) != 1 || got.Refused.Codes[0] != "GRAPHQL_VALIDATION_FAILED" || got.Refused.HasData:
				// graphql-request accepts application/graphql-response+json first.
				t.Errorf("a document that does not validate: %s", out)
			}
		})
	}
}

// exchange is one raw HTTP exchange with the API: what came back.
type exchange struct {
	status      int
	header      http.Header
	body        string
	code        string // errors[0].extensions.code
	message     string // errors[0].message
	hasData     bool   // the body has a "data" key, null or not
	errorsCount int
}

func readExchange(t *testing.T, resp *http.Response) exchange {
	t.Helper()
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	x := exchange{status: resp.StatusCode, header: resp.Header, body: string(raw)}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("%d, not a JSON object: %s", resp.StatusCode, raw)
	}
	_, x.hasData = body["data"]
	var errs []struct {
		Message    string
		Extensions struct{ Code string }
	}
	json.Unmarshal(body["errors"], &errs)
	if x.errorsCount = len(errs); x.errorsCount > 0 {
		x.code, x.message = errs[0].Extensions.Code, errs[0].Message
	}
	return x
}

// ask sends method to url's /graphql (with query, the URL's query string)
// as the app's token, with headers in pairs.
func (a *app) ask(t *testing.T, url, method, query string, body []byte, header ...string) exchange {
	t.Helper()
	target := url + "/graphql"
	if query != "" {
		target += "?" + query
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, _ := http.NewRequest(method, target, rd)
	req.Header.Set("Authorization", "Bearer "+a.token)
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s /graphql: %v", method, err)
	}
	return readExchange(t, resp)
}

// askRaw writes request, a whole HTTP/1.1 request as bytes, on a
// connection of its own, closes the connection's writing side, and reads
// the answer: for bodies no http.Client sends (a malformed chunk, a body
// shorter than its Content-Length).
func askRaw(t *testing.T, url, request string) exchange {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	conn.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to %.80q: %v", request, err)
	}
	return readExchange(t, resp)
}

// TestGraphQLOverHTTPRefusals: issue 13, item 1. Every request that is
// not a GraphQL-over-HTTP request gets the HTTP status that says why and a
// GraphQL-shaped JSON error with extensions.code, never a Go type name nor
// an echo of the body, and no "data"; request errors (a document that does
// not parse or validate, variables that do not coerce, the limits) are 200
// under application/json and 400 under application/graphql-response+json,
// without "data"; in front of both read executors, and nothing runs.
func TestGraphQLOverHTTPRefusals(t *testing.T) {
	t.Parallel()
	a := newApp(t, testdb.SQLite(t))
	a.createOrg("acme")
	before := digest(t, a.store)
	const appJSON = "application/json"
	const gqlJSON = "application/graphql-response+json"
	mutation := `mutation { createOrganization(input: {slug: "second", name: "Second"}) { organization { id } } }`
	query := `{"query":"{ organizations { totalCount } }"}`
	hash := func(s string) string { sum := sha256.Sum256([]byte(s)); return hex.EncodeToString(sum[:]) }
	apq := func(version, sha string) string {
		return `{"query":"{ __typename }","extensions":{"persistedQuery":{"version":` + version + `,"sha256Hash":"` + sha + `"}}}`
	}
	deepBody, _ := json.Marshal(map[string]string{"query": fixtures.DeepQuery(20)})
	deepQuery := string(deepBody)
	deep := strings.Repeat("[", 9000) + strings.Repeat("]", 9000)
	deeper := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)

	type want struct {
		status  int
		code    string
		message string // a part of it
		allow   string
	}
	for _, base := range []string{a.url, a.referenceURL} {
		check := func(name string, x exchange, w want) {
			t.Helper()
			switch {
			case x.status != w.status || x.code != w.code || x.errorsCount != 1:
				t.Errorf("%s: %d %s, want %d %s", name, x.status, x.body, w.status, w.code)
			case !strings.Contains(x.message, w.message):
				t.Errorf("%s: message %q, want it to say %q", name, x.message, w.message)
			case x.header.Get("Allow") != w.allow:
				t.Errorf("%s: Allow %q, want %q", name, x.header.Get("Allow"), w.allow)
			case x.hasData:
				t.Errorf("%s: a data key in a refusal: %s", name, x.body)
			case strings.Contains(x.body, "graphql.") || strings.Contains(x.body, "interface {}") || len(x.body) > 1000:
				t.Errorf("%s: Go's words, or an echo: %.300s", name, x.body)
			}
			if ct := x.header.Get("Content-Type"); !strings.HasPrefix(ct, appJSON) && !strings.HasPrefix(ct, gqlJSON) {
				t.Errorf("%s: Content-Type %q", name, ct)
			}
		}

		// Methods.
		for _, method := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch} {
			check(method, a.ask(t, base, method, "", []byte(query), "Content-Type", appJSON),
				want{http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "GET or POST", "GET, POST"})
		}
		check("a mutation by GET", a.ask(t, base, http.MethodGet, "query="+url.QueryEscape(mutation), nil, "Accept", gqlJSON),
			want{http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "POST", "POST"})
		check("a mutation by GET, application/json", a.ask(t, base, http.MethodGet, "query="+url.QueryEscape(mutation), nil),
			want{http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "POST", "POST"})

		// Media types.
		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "", "application/json; charset=latin1", "application/graphql"} {
			check("Content-Type "+ct, a.ask(t, base, http.MethodPost, "", []byte(query), "Content-Type", ct),
				want{http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "application/json", ""})
		}
		check("Accept text/html", a.ask(t, base, http.MethodPost, "", []byte(query), "Content-Type", appJSON, "Accept", "text/html"),
			want{http.StatusNotAcceptable, "NOT_ACCEPTABLE", gqlJSON, ""})

		// Size and framing.
		big := bytes.Repeat([]byte(" "), MaxBodyBytes+1)
		copy(big, query)
		check("over 1 MiB", a.ask(t, base, http.MethodPost, "", big, "Content-Type", appJSON),
			want{http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE", "larger than 1048576 bytes", ""})
		head := "POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + a.token + "\r\nContent-Type: application/json\r\n"
		check("over 1 MiB, chunked", askRaw(t, base, head+"Transfer-Encoding: chunked\r\n\r\n"+fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(big), big)),
			want{http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE", "larger than 1048576 bytes", ""})
		check("a malformed chunk", askRaw(t, base, head+"Transfer-Encoding: chunked\r\n\r\n5\r\n{\"que\r\nzz\r\n"),
			want{http.StatusBadRequest, "BAD_REQUEST", "could not be read", ""})
		check("a truncated body", askRaw(t, base, head+"Content-Length: 100\r\n\r\n"+query),
			want{http.StatusBadRequest, "BAD_REQUEST", "could not be read", ""})
		check("no body", a.ask(t, base, http.MethodPost, "", nil, "Content-Type", appJSON),
			want{http.StatusBadRequest, "BAD_REQUEST", "empty", ""})

		// The shape of the request.
		for body, w := range map[string]want{
			`[]`:                         {http.StatusBadRequest, "BAD_REQUEST", "must be a JSON object", ""},
			`[` + query + `]`:            {http.StatusBadRequest, "BAD_REQUEST", "must be a JSON object", ""},
			query + ` x`:                 {http.StatusBadRequest, "BAD_REQUEST", "more follows it", ""},
			`{"query": nope}`:            {http.StatusBadRequest, "BAD_REQUEST", "not JSON", ""},
			`{}`:                         {http.StatusBadRequest, "BAD_REQUEST", `no "query"`, ""},
			`{"qeury":"{ __typename }"}`: {http.StatusBadRequest, "BAD_REQUEST", `no "query"`, ""},
			`{"query":null}`:             {http.StatusBadRequest, "BAD_REQUEST", `no "query"`, ""},
			`{"query":{"a":1}}`:          {http.StatusBadRequest, "BAD_REQUEST", `"query" must be a string, not an object`, ""},
			`{"query":["{ a }"]}`:        {http.StatusBadRequest, "BAD_REQUEST", `"query" must be a string, not an array`, ""},
			`{"query":"{ __typename }","operationName":1}`:          {http.StatusBadRequest, "BAD_REQUEST", `"operationName" must be a string or null, not a number`, ""},
			`{"query":"{ __typename }","variables":[]}`:             {http.StatusBadRequest, "BAD_REQUEST", `"variables" must be a JSON object or null, not an array`, ""},
			`{"query":"{ __typename }","variables":"{}"}`:           {http.StatusBadRequest, "BAD_REQUEST", `"variables" must be a JSON object or null, not a string`, ""},
			`{"query":"{ __typename }","variables":` + deep + `}`:   {http.StatusBadRequest, "BAD_REQUEST", `"variables" must be a JSON object or null, not an array`, ""},
			`{"query":"{ __typename }","variables":` + deeper + `}`: {http.StatusBadRequest, "BAD_REQUEST", "nests arrays and objects more than 10000 deep", ""},
			`{"query":"{ __typename }","extensions":1}`:             {http.StatusBadRequest, "BAD_REQUEST", `"extensions" must be a JSON object or null, not a number`, ""},
			`{"query":"{ __typename }","extensions":false}`:         {http.StatusBadRequest, "BAD_REQUEST", `"extensions" must be a JSON object or null, not a boolean`, ""},
			apq("1", hash("{ other }")):                             {http.StatusBadRequest, "BAD_REQUEST", "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query", ""},
			apq("2", hash("{ __typename }")):                        {http.StatusBadRequest, "BAD_REQUEST", "extensions.persistedQuery.version 2 is not supported: send 1", ""},
			apq(`"1"`, hash("{ __typename }")):                      {http.StatusBadRequest, "BAD_REQUEST", "extensions.persistedQuery.version", ""},
			`{"extensions":{"persistedQuery":{"version":1}}}`:       {http.StatusBadRequest, "BAD_REQUEST", "extensions.persistedQuery.sha256Hash", ""},
			`{"extensions":{"persistedQuery":[]}}`:                  {http.StatusBadRequest, "BAD_REQUEST", `extensions.persistedQuery must be a JSON object`, ""},
		} {
			check(body[:min(len(body), 60)], a.ask(t, base, http.MethodPost, "", []byte(body), "Content-Type", appJSON), w)
		}
		for query, w := range map[string]want{
			"": {http.StatusBadRequest, "BAD_REQUEST", `no "query"`, ""},
			"query=%7B+__typename+%7D&variables=%5B%5D": {http.StatusBadRequest, "BAD_REQUEST", `"variables" must be a JSON object or null, not an array`, ""},
			"query=%7B+__typename+%7D&variables=%7B":    {http.StatusBadRequest, "BAD_REQUEST", `"variables" is not JSON`, ""},
			"query=%7B+__typename+%7D&extensions=1":     {http.StatusBadRequest, "BAD_REQUEST", `"extensions" must be a JSON object or null, not a number`, ""},
			"query=%7B+__typename+%7D&x=%zz":            {http.StatusBadRequest, "BAD_REQUEST", "query string", ""},
		} {
			check("GET ?"+query, a.ask(t, base, http.MethodGet, query, nil), w)
		}

		// Request errors: 200 under application/json (and with no Accept,
		// as curl and GraphiQL send), 400 under application/graphql-response+json.
		for doc, code := range map[string]string{
			`{"query":"{"}`:               "GRAPHQL_PARSE_FAILED",
			`{"query":"{ noSuchField }"}`: "GRAPHQL_VALIDATION_FAILED",
			`{"query":""}`:                "GRAPHQL_VALIDATION_FAILED",
			`{"query":"query Q($id: ID!) { node(id: $id) { id } }","variables":{"id":null}}`: "GRAPHQL_VALIDATION_FAILED",
			`{"query":"{ __typename }","operationName":"Nope"}`:                              "GRAPHQL_VALIDATION_FAILED",
			deepQuery: "QUERY_TOO_DEEP",
		} {
			for accept, status := range map[string]int{"": http.StatusOK, appJSON: http.StatusOK, "*/*": http.StatusOK, gqlJSON: http.StatusBadRequest,
				gqlJSON + ", " + appJSON: http.StatusBadRequest, appJSON + ";q=0.5, " + gqlJSON: http.StatusBadRequest} {
				x := a.ask(t, base, http.MethodPost, "", []byte(doc), "Content-Type", appJSON, "Accept", accept)
				ct := appJSON
				if status == http.StatusBadRequest {
					ct = gqlJSON
				}
				if x.status != status || x.code != code || x.hasData || !strings.HasPrefix(x.header.Get("Content-Type"), ct) {
					t.Errorf("%.60s, Accept %q: %d %s %s, want %d %s %s without data", doc, accept, x.status, x.header.Get("Content-Type"), x.body, status, ct, code)
				}
			}
		}
		if x := a.ask(t, base, http.MethodGet, "query=%7B", nil, "Accept", gqlJSON); x.status != http.StatusBadRequest || x.code != "GRAPHQL_PARSE_FAILED" || x.hasData {
			t.Errorf("GET, a parse failure: %d %s", x.status, x.body)
		}

		// What is a GraphQL-over-HTTP request is answered as before.
		for name, x := range map[string]exchange{
			"POST":                  a.ask(t, base, http.MethodPost, "", []byte(query), "Content-Type", appJSON),
			"POST, charset":         a.ask(t, base, http.MethodPost, "", []byte(query), "Content-Type", "application/json; charset=UTF-8"),
			"POST, Upgrade: h2c":    a.ask(t, base, http.MethodPost, "", []byte(query), "Content-Type", appJSON, "Upgrade", "h2c", "Connection", "Upgrade"),
			"GET":                   a.ask(t, base, http.MethodGet, "query="+url.QueryEscape("{ organizations { totalCount } }")+"&variables=null&extensions=%7B%7D", nil),
			"GET, Accept text/html": a.ask(t, base, http.MethodGet, "query="+url.QueryEscape("{ organizations { totalCount } }"), nil, "Accept", "text/html,*/*;q=0.8"),
		} {
			if x.status != http.StatusOK || x.errorsCount != 0 || !strings.Contains(x.body, `{"organizations":{"totalCount":1}}`) {
				t.Errorf("%s: %d %s", name, x.status, x.body)
			}
		}
		// A field error keeps its data, 200 under either media type.
		for _, accept := range []string{appJSON, gqlJSON} {
			x := a.ask(t, base, http.MethodPost, "", []byte(`{"query":"{ organizations(first: 500) { totalCount } }"}`), "Content-Type", appJSON, "Accept", accept)
			if x.status != http.StatusOK || x.code != "BAD_USER_INPUT" || !x.hasData {
				t.Errorf("a field error, Accept %s: %d %s", accept, x.status, x.body)
			}
		}
	}
	if digest(t, a.store) != before {
		t.Error("a refused request ran")
	}
}
