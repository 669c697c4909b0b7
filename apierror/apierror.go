// Package apierror is the GraphQL errors Pointguard answers with: every
// code it puts in extensions.code (besides gqlgen's GRAPHQL_PARSE_FAILED
// and GRAPHQL_VALIDATION_FAILED), and the body of the answers made before
// gqlgen runs (authentication, rate limits). The codes of userErrors in
// mutation payloads are domain.ErrorCode.
package apierror

import (
	"encoding/json"
	"net/http"
)

const (
	// CodeBadUserInput: an argument or variable the caller got wrong.
	CodeBadUserInput = "BAD_USER_INPUT"
	// CodeForbidden: a field the caller's role may not read.
	CodeForbidden = "FORBIDDEN"
	// CodeUnauthenticated: no valid token (HTTP 401), or one revoked while
	// its request ran.
	CodeUnauthenticated = "UNAUTHENTICATED"
	// CodeInternal: anything else; the detail goes to the log only.
	CodeInternal = "INTERNAL"

	CodeQueryTooDeep          = "QUERY_TOO_DEEP"
	CodeQueryTooComplex       = "QUERY_TOO_COMPLEX"
	CodeIntrospectionDisabled = "INTROSPECTION_DISABLED"
	CodeRateLimited           = "RATE_LIMITED"
	// CodeOverloaded: the server is at capacity (HTTP 503, Retry-After);
	// see package admission.
	CodeOverloaded = "OVERLOADED"
	// CodeTimeout: the request ran out of time (HTTP 503, Retry-After).
	CodeTimeout = "TIMEOUT"

	// What is not a GraphQL-over-HTTP request (package api, graphqlHTTP):
	// CodeBadRequest, a body or query string that is not one (not one JSON
	// object; a query, operationName, variables or extensions of the wrong
	// type; a persisted query's unknown version, or a hash not the query's),
	// HTTP 400; CodeRequestTooLarge, a body past 1 MiB (413);
	// CodeMethodNotAllowed, a method other than GET and POST, or a mutation
	// by GET (405, with Allow); CodeUnsupportedMediaType, a POST that is
	// not application/json (415); CodeNotAcceptable, an Accept naming no
	// media type the API writes (406).
	CodeBadRequest           = "BAD_REQUEST"
	CodeRequestTooLarge      = "REQUEST_TOO_LARGE"
	CodeMethodNotAllowed     = "METHOD_NOT_ALLOWED"
	CodeUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
	CodeNotAcceptable        = "NOT_ACCEPTABLE"
	// CodeTooManyErrors: the last error of a response whose errors were
	// cut to limits.MaxErrors; its message says how many were left out.
	CodeTooManyErrors = "TOO_MANY_ERRORS"

	// Idempotency-Key (see package api): CodeInvalidIdempotencyKey, a key
	// that is not 1 to 255 printable ASCII characters, or two keys (HTTP
	// 400); CodeIdempotencyKeyReused, a key used for a different request
	// in the last 24 hours (HTTP 422); CodeNotCommitted, a request whose
	// changes did not commit, none of them (HTTP 503, Retry-After: retry
	// it with the same key).
	CodeInvalidIdempotencyKey = "INVALID_IDEMPOTENCY_KEY"
	CodeIdempotencyKeyReused  = "IDEMPOTENCY_KEY_REUSED"
	CodeNotCommitted          = "NOT_COMMITTED"
	// CodePersistedQueryNotFound is gqlgen's, for a persisted query's hash
	// it does not know; also the answer to a hash sent alone with an
	// Idempotency-Key never used, so that the client sends the query's text.
	CodePersistedQueryNotFound = "PERSISTED_QUERY_NOT_FOUND"
	// CodePersistedQueryNotAllowed: the server runs only trusted documents
	// (POINTGUARD_TRUSTED_DOCUMENTS, package persisted) for the caller's
	// role, and the operation is not one of them (HTTP 403); nothing ran.
	CodePersistedQueryNotAllowed = "PERSISTED_QUERY_NOT_ALLOWED"
	// CodeTooManySubscriptions: a token holds as many subscriptions at
	// once as one server allows (package eventstream).
	CodeTooManySubscriptions = "TOO_MANY_SUBSCRIPTIONS"
)

// Write answers status with a GraphQL error body of one error, never
// cached.
func Write(w http.ResponseWriter, status int, code, message string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"errors": []any{map[string]any{"message": message, "extensions": map[string]any{"code": code}}},
	})
}
