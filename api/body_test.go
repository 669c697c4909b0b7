package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestBodyIsOneJSONObject: a POST body must be exactly one JSON object.
// One followed by garbage, or by a second request, was answered as the
// first alone; now it, and a body that is not an object or not JSON, is
// 400 BAD_REQUEST saying why (the body not echoed back), with either
// executor's transport, and nothing runs. Past 1 MiB it is 413.
func TestBodyIsOneJSONObject(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		a.createOrg("acme")
		before := digest(t, a.store)
		mutation, _ := json.Marshal(map[string]any{"query": createOrganization, "variables": map[string]any{
			"input": map[string]any{"slug": "second", "name": "Second"}}})
		query := `{"query":"{ organizations { totalCount } }"}`
		for body, why := range map[string]string{
			query + ` garbage`:                       "more follows it, after byte 44",
			query + `{"query":"{ __typename }"}`:     "more follows it",
			query + "\n" + string(mutation):          "more follows it",
			string(mutation) + ` x`:                  "more follows it",
			string(mutation) + `}`:                   "more follows it",
			`{"query":"{ organizations { totalCount`: "not JSON: it ends before its value does",
			`{"query": nope}`:                        "not JSON: invalid character 'o' in literal null (expecting 'u'), at byte 12",
			`[` + query + `]`:                        "must be a JSON object",
			`"{ __typename }"`:                       "must be a JSON object",
			"  \n":                                   "the request body is empty",
		} {
			for _, url := range []string{a.url, a.referenceURL} {
				r := a.sendTo(url, []byte(body))
				if r.Status != http.StatusBadRequest || r.errorCode(t) != "BAD_REQUEST" || !strings.Contains(r.Errors[0].Message, why) ||
					r.Data != nil || (len(body) > 20 && strings.Contains(r.Raw, body[len(body)-10:])) {
					t.Errorf("%q: %d %s\nwant 400 saying %q", body, r.Status, r.Raw, why)
				}
			}
		}
		if digest(t, a.store) != before {
			t.Error("a request in a malformed body ran")
		}

		// Spaces after the object are no second value.
		for _, url := range []string{a.url, a.referenceURL} {
			if r := a.sendTo(url, []byte(query+" \r\n\t")); r.Status != http.StatusOK || r.num(t, "organizations.totalCount") != 1 {
				t.Errorf("an object and spaces: %d %s", r.Status, r.Raw)
			}
		}
		big := bytes.Repeat([]byte(" "), MaxBodyBytes+1)
		copy(big, query)
		if r := a.sendTo(a.url, big); r.Status != http.StatusRequestEntityTooLarge || r.errorCode(t) != "REQUEST_TOO_LARGE" {
			t.Errorf("a body past the limit: %d %s", r.Status, r.Raw)
		}
	})
}
