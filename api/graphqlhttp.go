package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/pointguard/pointguard/apierror"
)

// The media types of GraphQL over HTTP
// (https://graphql.github.io/graphql-over-http/draft/).
const (
	mediaJSON         = "application/json"
	mediaGraphQLJSON  = "application/graphql-response+json"
	allowedMethods    = "GET, POST"
	acceptedMediaType = `send the request as JSON, with "Content-Type: application/json"`
)

// graphqlHTTP holds every request to GraphQL over HTTP before either
// transport (ours, package executor's, or gqlgen's) sees it, so that both
// answer alike and as the spec says, and gqlgen's own answers to what it
// cannot read (400 "transport not supported" as text/plain, 200 for a bad
// persisted query, Go's type names and the whole body echoed back in a
// decoding error) are never given:
//
//   - a method other than GET and POST is 405 with Allow; a POST that is
//     not application/json (UTF-8) is 415; an Accept with no media type
//     this API writes is 406;
//   - the body is read here, bounded by http.MaxBytesHandler outside:
//     past it 413, a malformed or truncated body 400;
//   - the request must be one JSON object whose query is a string,
//     operationName a string or null, variables and extensions objects or
//     null, and a persisted query's version 1 and hash the query's: 400
//     BAD_REQUEST naming the field otherwise;
//   - gqlgen's answers to request errors (a document that does not parse
//     or validate, variables that do not coerce, the limits' refusals:
//     every code of errcode.KindProtocol) lose their "data": null, and are
//     200 under application/json and 400 under
//     application/graphql-response+json (gqlgen says 422 under the
//     first), but 403 for PERSISTED_QUERY_NOT_ALLOWED; its 406 to a
//     mutation by GET is 405 with Allow: POST.
//
// Every refusal made here is a GraphQL-shaped JSON error with
// extensions.code (apierror.Write).
func graphqlHTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			w.Header().Set("Allow", allowedMethods)
			apierror.Write(w, http.StatusMethodNotAllowed, apierror.CodeMethodNotAllowed,
				fmt.Sprintf("%s is not a GraphQL request: send a GET or POST", r.Method))
			return
		}
		media, ok := negotiate(r.Header.Values("Accept"))
		if !ok {
			apierror.Write(w, http.StatusNotAcceptable, apierror.CodeNotAcceptable,
				"this API answers application/graphql-response+json or application/json: accept one of them")
			return
		}
		var params rawParams
		switch r.Method {
		case http.MethodGet:
			problem := ""
			if params, problem = getParams(r.URL.RawQuery); problem != "" {
				apierror.Write(w, http.StatusBadRequest, apierror.CodeBadRequest, problem)
				return
			}
		case http.MethodPost:
			if problem := notJSONRequest(r.Header.Get("Content-Type")); problem != "" {
				apierror.Write(w, http.StatusUnsupportedMediaType, apierror.CodeUnsupportedMediaType, problem)
				return
			}
			body, status, problem := readBody(r.Body)
			if problem == "" {
				status = http.StatusBadRequest
				params, problem = postParams(body)
			}
			if problem != "" {
				code := apierror.CodeBadRequest
				if status == http.StatusRequestEntityTooLarge {
					code = apierror.CodeRequestTooLarge
				}
				apierror.Write(w, status, code, problem)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		if problem := params.problem(); problem != "" {
			apierror.Write(w, http.StatusBadRequest, apierror.CodeBadRequest, problem)
			return
		}

		r = r.Clone(r.Context())
		// gqlgen picks its response's media type from Accept, alone and
		// by its own rules (q-values ignored): it gets the one chosen here.
		r.Header.Set("Accept", media)
		// A websocket never gets here (New routes it), and any other
		// Upgrade (curl --http2 asks for h2c) is one this server does not
		// make; gqlgen's transports refuse every request that names one.
		r.Header.Del("Upgrade")
		rw := &graphqlResponse{ResponseWriter: w, media: media, get: r.Method == http.MethodGet}
		next.ServeHTTP(rw, r)
		rw.finish()
	})
}

// negotiate chooses the response's media type from the request's Accept
// headers: the acceptable one of highest q (the first at equal q),
// application/json for */* and application/* and without Accept (the
// spec's choice until its watershed, and what GraphiQL and curl get), and
// false when nothing acceptable is named.
func negotiate(accept []string) (string, bool) {
	best, bestQ, named := "", 0.0, false
	for _, header := range accept {
		for part := range strings.SplitSeq(header, ",") {
			if strings.TrimSpace(part) == "" {
				continue
			}
			named = true
			mediaType, params, err := mime.ParseMediaType(part)
			if err != nil {
				continue
			}
			q := 1.0
			if s, ok := params["q"]; ok {
				if q, err = strconv.ParseFloat(s, 64); err != nil {
					continue
				}
			}
			var media string
			switch mediaType {
			case mediaGraphQLJSON:
				media = mediaGraphQLJSON
			case mediaJSON, "application/*", "*/*":
				media = mediaJSON
			default:
				continue
			}
			if q > bestQ {
				best, bestQ = media, q
			}
		}
	}
	if !named {
		return mediaJSON, true
	}
	return best, best != ""
}

// notJSONRequest says why a POST's Content-Type is not GraphQL over
// HTTP's application/json (in UTF-8, the only charset JSON has), or "".
func notJSONRequest(contentType string) string {
	if contentType == "" {
		return "the request has no Content-Type: " + acceptedMediaType
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil || mediaType != mediaJSON {
		if len(mediaType) > 100 || err != nil {
			return "this Content-Type is not accepted: " + acceptedMediaType
		}
		return fmt.Sprintf("Content-Type %s is not accepted: %s", strconv.Quote(mediaType), acceptedMediaType)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return "a charset other than UTF-8 is not accepted: JSON is UTF-8; " + acceptedMediaType
	}
	return ""
}

// readBody reads a POST's body, or says with what status and why it
// cannot: past http.MaxBytesHandler's bound, 413; a malformed chunk, or a
// body that ends before its Content-Length, 400.
func readBody(body io.Reader) ([]byte, int, string) {
	b, err := io.ReadAll(body)
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return b, 0, ""
	case errors.As(err, &tooBig):
		return nil, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is larger than %d bytes", tooBig.Limit)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, http.StatusBadRequest, "the request body could not be read: it ends before its Content-Length"
	default:
		// net/http's own words (malformed chunked encoding…), never the body.
		return nil, http.StatusBadRequest, "the request body could not be read: " + err.Error()
	}
}

// rawParams is a GraphQL-over-HTTP request's parameters, as JSON not yet
// judged; a parameter absent is nil.
type rawParams struct {
	// Matched to the body's keys as gqlgen's graphql.RawParams is (by
	// encoding/json, case-insensitively), so that what is judged here is
	// what gqlgen reads.
	Query         json.RawMessage `json:"query"`
	OperationName json.RawMessage `json:"operationName"`
	Variables     json.RawMessage `json:"variables"`
	Extensions    json.RawMessage `json:"extensions"`
	// get: the parameters of a GET, from its query string, whose query
	// is getQuery as it came (Query holds it as JSON text).
	get      bool
	getQuery string
}

// postParams reads a POST body's parameters, or says why the body is not
// one JSON object. encoding/json's own errors, which name Go types, are
// never shown.
func postParams(body []byte) (rawParams, string) {
	if problem := notOneObject(body); problem != "" {
		return rawParams{}, problem
	}
	var p rawParams
	if err := json.Unmarshal(body, &p); err != nil {
		return rawParams{}, "the request body is not a JSON object" // notOneObject said it was
	}
	return p, ""
}

// getParams reads a GET's parameters from its query string: variables
// and extensions are JSON text there, query and operationName text.
func getParams(rawQuery string) (rawParams, string) {
	values, err := url.ParseQuery(rawQuery)
	if err != nil {
		return rawParams{}, "the URL's query string could not be read: " + err.Error()
	}
	p := rawParams{get: true, getQuery: values.Get("query")}
	text := func(name string) json.RawMessage {
		if !values.Has(name) {
			return nil
		}
		b, _ := json.Marshal(values.Get(name))
		return b
	}
	p.Query, p.OperationName = text("query"), text("operationName")
	for name, dst := range map[string]*json.RawMessage{"variables": &p.Variables, "extensions": &p.Extensions} {
		if v := values.Get(name); v != "" {
			if !json.Valid([]byte(v)) {
				return rawParams{}, fmt.Sprintf("%q is not JSON: send a JSON object, URL-encoded", name)
			}
			*dst = json.RawMessage(v)
		}
	}
	return p, ""
}

// problem says which parameter is wrong, and how, or "".
func (p rawParams) problem() string {
	var pq json.RawMessage
	if kind := jsonKind(p.Extensions); kind != "" && kind != "null" {
		if kind != "object" {
			return fmt.Sprintf(`"extensions" must be a JSON object or null, not %s`, article(kind))
		}
		var ext map[string]json.RawMessage
		json.Unmarshal(p.Extensions, &ext)
		pq = ext["persistedQuery"]
	}
	switch kind := jsonKind(p.Query); kind {
	case "", "null":
		if jsonKind(pq) == "" || jsonKind(pq) == "null" {
			if p.get {
				return `the request has no "query": send the GraphQL document in ?query=`
			}
			return `the request has no "query": send the GraphQL document as {"query": "…"}`
		}
	case "string":
	default:
		return fmt.Sprintf(`"query" must be a string, not %s`, article(kind))
	}
	if kind := jsonKind(p.OperationName); kind != "" && kind != "null" && kind != "string" {
		return fmt.Sprintf(`"operationName" must be a string or null, not %s`, article(kind))
	}
	if kind := jsonKind(p.Variables); kind != "" && kind != "null" && kind != "object" {
		return fmt.Sprintf(`"variables" must be a JSON object or null, not %s`, article(kind))
	}
	query := p.getQuery
	if !p.get {
		json.Unmarshal(p.Query, &query)
	}
	return persistedQueryProblem(pq, query)
}

// persistedQueryProblem says what is wrong with an automatic persisted
// query's extension (gqlgen's AutomaticPersistedQuery reads it after),
// or "": gqlgen answers its problems 200, without a code.
func persistedQueryProblem(pq json.RawMessage, query string) string {
	switch kind := jsonKind(pq); kind {
	case "", "null":
		return ""
	case "object":
	default:
		return fmt.Sprintf("extensions.persistedQuery must be a JSON object, not %s", article(kind))
	}
	var ext struct {
		Version    json.RawMessage `json:"version"`
		Sha256Hash json.RawMessage `json:"sha256Hash"`
	}
	json.Unmarshal(pq, &ext)
	if v := string(ext.Version); v != "1" {
		if jsonKind(ext.Version) == "number" {
			return fmt.Sprintf("extensions.persistedQuery.version %s is not supported: send 1", v)
		}
		return "extensions.persistedQuery.version must be the number 1"
	}
	var hash string
	if json.Unmarshal(ext.Sha256Hash, &hash) != nil || hash == "" {
		return "extensions.persistedQuery.sha256Hash must be the SHA-256 of the query, in lower-case hex"
	}
	if query != "" {
		if sum := sha256.Sum256([]byte(query)); hex.EncodeToString(sum[:]) != hash {
			return "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query (lower-case hex of its UTF-8 bytes)"
		}
	}
	return ""
}

// jsonKind is the kind of a JSON value ("object", "array", "string",
// "number", "boolean", "null"), or "" for none.
func jsonKind(v json.RawMessage) string {
	v = bytes.TrimLeft(v, " \t\r\n")
	if len(v) == 0 {
		return ""
	}
	switch v[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

func article(kind string) string {
	if kind == "object" || kind == "array" {
		return "an " + kind
	}
	return "a " + kind
}

// graphqlResponse is the response writer of a GraphQL-over-HTTP request
// (see graphqlHTTP). An answer of 400, 422, or 406 to a GET, is held until
// the handler returns: it may be a request error of gqlgen's, to answer as
// the spec says. Every other answer passes through as it is written.
type graphqlResponse struct {
	http.ResponseWriter
	media string
	get   bool
	// wrote: the handler has begun its answer; held: with this status,
	// kept in body until finish.
	wrote bool
	held  int
	body  bytes.Buffer
}

func (g *graphqlResponse) WriteHeader(status int) {
	if g.wrote {
		return
	}
	g.wrote = true
	if status == http.StatusBadRequest || status == http.StatusUnprocessableEntity || (g.get && status == http.StatusNotAcceptable) {
		g.held = status
		return
	}
	g.ResponseWriter.WriteHeader(status)
}

func (g *graphqlResponse) Write(b []byte) (int, error) {
	if !g.wrote {
		g.WriteHeader(http.StatusOK)
	}
	if g.held != 0 {
		return g.body.Write(b)
	}
	return g.ResponseWriter.Write(b)
}

// Unwrap is for http.ResponseController.
func (g *graphqlResponse) Unwrap() http.ResponseWriter { return g.ResponseWriter }

func (g *graphqlResponse) Flush() {
	if f, ok := g.ResponseWriter.(http.Flusher); ok && g.held == 0 {
		f.Flush()
	}
}

// finish writes a held answer: as the spec says if it is gqlgen's request
// error, as it was otherwise (another 400 or 422: an Idempotency-Key's).
func (g *graphqlResponse) finish() {
	if g.held == 0 {
		return
	}
	if g.held == http.StatusNotAcceptable {
		// gqlgen's GET transport, to an operation other than a query.
		g.Header().Set("Allow", http.MethodPost)
		apierror.Write(g.ResponseWriter, http.StatusMethodNotAllowed, apierror.CodeMethodNotAllowed,
			"a GET runs only queries: send a mutation by POST")
		return
	}
	var resp struct {
		Errors     json.RawMessage `json:"errors"`
		Extensions json.RawMessage `json:"extensions"`
	}
	var errs codedErrors
	if json.Unmarshal(g.body.Bytes(), &resp) != nil || json.Unmarshal(resp.Errors, &errs) != nil || !requestError(errs) {
		g.ResponseWriter.WriteHeader(g.held)
		g.ResponseWriter.Write(g.body.Bytes())
		return
	}
	// A request error: the operation never ran, so there is no "data"
	// (GraphQL spec, Response); the status says so only to a client that
	// accepts application/graphql-response+json (GraphQL over HTTP).
	status := http.StatusOK
	if g.media == mediaGraphQLJSON {
		status = http.StatusBadRequest
	}
	if errs.has(apierror.CodePersistedQueryNotAllowed) {
		status = http.StatusForbidden // authenticated, and not allowed this document
	}
	var out bytes.Buffer
	out.WriteString(`{"errors":`)
	out.Write(resp.Errors)
	if len(resp.Extensions) > 0 && string(resp.Extensions) != "null" {
		out.WriteString(`,"extensions":`)
		out.Write(resp.Extensions)
	}
	out.WriteString("}")
	g.Header().Del("Content-Length")
	g.ResponseWriter.WriteHeader(status)
	g.ResponseWriter.Write(out.Bytes())
}

// codedErrors is the codes of a response's errors.
type codedErrors []struct {
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

// has: one of the errors has code.
func (errs codedErrors) has(code string) bool {
	for _, e := range errs {
		if e.Extensions.Code == code {
			return true
		}
	}
	return false
}

// requestError: the errors are gqlgen's to a request that did not run, by
// the rule gqlgen chose 422 or 400 by (errcode.GetErrorKind: the codes of
// parsing and validation, and those the limits and admission register).
func requestError(errs codedErrors) bool {
	list := make(gqlerror.List, 0, len(errs))
	for _, e := range errs {
		if e.Extensions.Code != "" {
			list = append(list, &gqlerror.Error{Extensions: map[string]any{"code": e.Extensions.Code}})
		}
	}
	return len(list) > 0 && errcode.GetErrorKind(list) == errcode.KindProtocol
}

// notOneObject says why body is not one JSON object, or "".
func notOneObject(body []byte) string {
	if json.Valid(body) {
		if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' {
			return "the request body must be a JSON object: {\"query\": …, \"variables\": …}"
		}
		return ""
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return "the request body is empty; send a JSON object: {\"query\": …, \"variables\": …}"
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var first json.RawMessage
	if err := dec.Decode(&first); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) && strings.Contains(syntax.Error(), "exceeded max depth") {
			return fmt.Sprintf("the request body nests arrays and objects more than 10000 deep, at byte %d", syntax.Offset)
		}
		if errors.As(err, &syntax) {
			return fmt.Sprintf("the request body is not JSON: %v, at byte %d", err, syntax.Offset)
		}
		return "the request body is not JSON: it ends before its value does"
	}
	return fmt.Sprintf("the request body must be one JSON object; more follows it, after byte %d", dec.InputOffset())
}
