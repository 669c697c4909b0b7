package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/pointguard/pointguard/apierror"
)

// oneJSONObject refuses, 400 BAD_USER_INPUT, a JSON POST whose body is not
// exactly one JSON object: gqlgen's POST transport decodes the first value
// and ignores what follows, so a request followed by garbage, or by a
// second request, was answered as the first alone. It reads the body
// itself (bounded by http.MaxBytesHandler outside, 413 past it), so both
// transports, ours and gqlgen's, get the same answer, and the body is not
// echoed back in the error as gqlgen does.
func oneJSONObject(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); r.Method != http.MethodPost || mediaType != "application/json" {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				apierror.Write(w, http.StatusRequestEntityTooLarge, apierror.CodeBadUserInput,
					fmt.Sprintf("the request body is larger than %d bytes", tooBig.Limit))
				return
			}
			apierror.Write(w, http.StatusBadRequest, apierror.CodeBadUserInput, "the request body could not be read")
			return
		}
		if problem := notOneObject(body); problem != "" {
			apierror.Write(w, http.StatusBadRequest, apierror.CodeBadUserInput, problem)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
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
		if errors.As(err, &syntax) {
			return fmt.Sprintf("the request body is not JSON: %v, at byte %d", err, syntax.Offset)
		}
		return "the request body is not JSON: it ends before its value does"
	}
	return fmt.Sprintf("the request body must be one JSON object; more follows it, after byte %d", dec.InputOffset())
}
