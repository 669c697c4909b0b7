package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// configOf is the JSON of an integration's config as the API returns it,
// byte for byte.
func configOf(t *testing.T, a *app, id string) string {
	t.Helper()
	r := a.do(`query($id: ID!) { node(id: $id) { ... on Integration { config } } }`, map[string]any{"id": id})
	var body struct {
		Data struct {
			Node struct {
				Config json.RawMessage `json:"config"`
			} `json:"node"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(r.Raw), &body); err != nil {
		t.Fatal(err)
	}
	return string(body.Data.Node.Config)
}

// TestConfigNumbersComeBackTheSame: a config's numbers are stored in one
// canonical form, the shortest digits of their double in plain decimal,
// so that both engines give back the same bytes, in reads and in the
// audit log (PostgreSQL's jsonb used to spell 1e2 as 100 and -0 as 0
// where SQLite kept what was sent).
func TestConfigNumbersComeBackTheSame(t *testing.T) {
	t.Parallel()
	const want = `{"big":9007199254740992,"e":100,"f":0.000001,"float":1,"huge":1000000000000000000000,"list":[0.1,-2.5],"neg":0,"project":"SANDBOX","zero":0}`
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		body := fmt.Appendf(nil, `{"query":%q,"variables":{"input":{"accountId":%q,"integrationPointId":%q,"provider":"mock_ticketing","name":"numbers",
			"config":{"project":"SANDBOX","float":1.0,"e":1e2,"neg":-0,"zero":0.0e7,"f":1e-6,"huge":1e21,"big":9007199254740992,"list":[0.10,-25e-1]}}}}`,
			createIntegration, w.test, w.point)
		r := a.send(body)
		if r.Status != http.StatusOK || len(r.Errors) > 0 {
			t.Fatalf("createIntegration: %s", r.Raw)
		}
		if !strings.Contains(r.Raw, `"config":`+want) {
			t.Errorf("createIntegration answered %s\nwant config %s", r.Raw, want)
		}
		id := r.str(t, "createIntegration.integration.id")
		if got := configOf(t, a, id); got != want {
			t.Errorf("read back %s\nwant %s", got, want)
		}
		audit := a.do(`query($id: ID!) { node(id: $id) { ... on Organization { auditEvents(first: 1, filter: { action: "createIntegration" }) { nodes { changes } } } } }`,
			map[string]any{"id": w.org})
		if !strings.Contains(audit.Raw, want) {
			t.Errorf("the audit log holds %s\nwant config %s", audit.Raw, want)
		}
	})
}

// TestConfigNumbersADoubleCannotHold: a number of a config that a double
// cannot hold as written (out of range, too close to zero, more digits
// than a double's) is INVALID_INPUT at its path, and nothing is written;
// a config is measured as stored, numbers in plain decimal; 9,000 numbers
// too small for a double (63 KB as sent, 3.6 MB as PostgreSQL stored them)
// give a few errors, not 9,000. Written in the query itself, such a number
// is refused before anything runs, naming its argument.
func TestConfigNumbersADoubleCannotHold(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		id := a.integrate(w.test, w.point, "mock_ticketing", map[string]any{"project": "SANDBOX"})
		before := digest(t, a.store)
		for _, n := range []string{"1e400", "-1e400", "1e-400", "-2e-324", "9007199254740993", "0.10000000000000001"} {
			config := map[string]any{"project": "SANDBOX", "nested": map[string]any{"n": json.Number(n)}}
			r := a.do(createIntegration, integrationInput(w.test, w.point, "mock_ticketing", config))
			ue := r.list(t, "createIntegration.userErrors")
			if len(ue) != 1 || fmt.Sprint(ue[0].(map[string]any)["field"]) != "[input config nested n]" ||
				ue[0].(map[string]any)["code"] != "INVALID_INPUT" || !strings.Contains(r.Raw, n+" ") {
				t.Errorf("createIntegration with %s: %s", n, r.Raw)
			}
			r = a.do(updateIntegration, map[string]any{"input": map[string]any{"id": id, "config": config}})
			if ue := r.list(t, "updateIntegration.userErrors"); len(ue) != 1 || ue[0].(map[string]any)["code"] != "INVALID_INPUT" {
				t.Errorf("updateIntegration with %s: %s", n, r.Raw)
			}
			r = a.do(checkIntegration, integrationInput(w.test, w.point, "mock_ticketing", config))
			if ue := r.list(t, "checkIntegration.userErrors"); len(ue) != 1 || r.get(t, "checkIntegration.allowed") != false {
				t.Errorf("checkIntegration with %s: %s", n, r.Raw)
			}
		}

		var tiny strings.Builder
		for i := range 9000 {
			fmt.Fprintf(&tiny, `,"k%04d":1e-400`, i)
		}
		body := fmt.Appendf(nil, `{"query":%q,"variables":{"input":{"accountId":%q,"integrationPointId":%q,"provider":"mock_ticketing","name":"tiny","config":{"project":"SANDBOX"%s}}}}`,
			createIntegration, w.test, w.point, tiny.String())
		r := a.send(body)
		ue := r.list(t, "createIntegration.userErrors")
		if len(ue) != 11 || !strings.Contains(r.Raw, "8990 more numbers") || len(r.Raw) > 4000 {
			t.Errorf("9,000 numbers too small: %d errors, %d bytes: %.600s", len(ue), len(r.Raw), r.Raw)
		}

		// 300 × 1e-300 is 4 KB as sent, 91 KB as stored.
		small := map[string]any{"project": "SANDBOX"}
		for i := range 300 {
			small[fmt.Sprintf("k%03d", i)] = json.Number("1e-300")
		}
		r = a.do(createIntegration, integrationInput(w.test, w.point, "mock_ticketing", small))
		if ue := r.list(t, "createIntegration.userErrors"); len(ue) != 1 || !strings.Contains(r.Raw, "as stored") {
			t.Errorf("a config past the limit as stored: %s", r.Raw)
		}

		r = a.post(`mutation($a: ID!, $p: ID!) { createIntegration(input: { accountId: $a, integrationPointId: $p, provider: "mock_ticketing",
			name: "literal", config: { project: "SANDBOX", n: 1e-400 } }) { integration { id } } }`, map[string]any{"a": w.test, "p": w.point})
		if r.Status != http.StatusOK || r.errorCode(t) != "GRAPHQL_VALIDATION_FAILED" ||
			!strings.Contains(r.Errors[0].Message, `"input.config.n"`) || !strings.Contains(r.Errors[0].Message, "too close to zero") {
			t.Errorf("a literal 1e-400: %d %s", r.Status, r.Raw)
		}
		if digest(t, a.store) != before {
			t.Error("a refused config was written")
		}
	})
}
