package api

import (
	"fmt"
	"strings"
	"testing"
)

// TestNamesAreVisibleText: a name of an organization, account, point,
// integration, token or rule needs a visible character (not only U+200B
// and the like), and it, a label value, a description and a rule's message
// hold no control character (an ANSI escape, ESC, included) nor
// bidirectional override or isolate: INVALID_INPUT at the field, nothing
// written, on both engines. A description may break lines; emoji,
// right-to-left text and joiners inside a name are names.
func TestNamesAreVisibleText(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, a *app) {
		w := a.world()
		before := digest(t, a.store)
		rule := func(name, message string) map[string]any {
			return map[string]any{"rules": []any{map[string]any{"name": name, "expression": "true", "message": message}}}
		}
		for _, c := range []struct {
			query, field string
			input        map[string]any
			at           string
		}{
			{createOrganization, "createOrganization", map[string]any{"slug": "zw", "name": "\u200b"}, "input.name"},
			{createOrganization, "createOrganization", map[string]any{"slug": "fill", "name": "\u3164\u3164"}, "input.name"},
			{createOrganization, "createOrganization", map[string]any{"slug": "ansi", "name": "\x1b[31mAcme\x1b[0m"}, "input.name"},
			{createAccount, "createAccount", map[string]any{"organizationId": w.org, "slug": "a1", "name": "\ufeff \u00a0", "environment": "TEST"}, "input.name"},
			{createAccount, "createAccount", map[string]any{"organizationId": w.org, "slug": "a2", "name": "Acme", "environment": "TEST",
				"labels": []any{map[string]any{"key": "team", "value": "ops\x1b]8;;http://evil\x07"}}}, "input.labels.0.value"},
			{updateAccount, "updateAccount", map[string]any{"id": w.test, "name": "Acme \u202egnp.exe"}, "input.name"},
			{createIntegrationPoint, "createIntegrationPoint", ticketingPoint(w.org, map[string]any{"slug": "p1", "name": "\u2066Ticketing"}), "input.name"},
			{createIntegrationPoint, "createIntegrationPoint", ticketingPoint(w.org, map[string]any{"slug": "p2", "description": "Red\x1b[31m"}), "input.description"},
			{createIntegrationPoint, "createIntegrationPoint", ticketingPoint(w.org, map[string]any{"slug": "p3", "rules": rule("a\x1b[2Jb", "m")["rules"]}), "input.rules.0.name"},
			{createIntegrationPoint, "createIntegrationPoint", ticketingPoint(w.org, map[string]any{"slug": "p4", "rules": rule("r", "\u202eok")["rules"]}), "input.rules.0.message"},
			{updateIntegrationPoint, "updateIntegrationPoint", map[string]any{"id": w.point, "name": "\u200b\u200c\u200d"}, "input.name"},
			{createIntegration, "createIntegration", integrationInput(w.test, w.point, "mock_ticketing", map[string]any{"project": "X"})["input"].(map[string]any), ""},
			{createApiToken, "createApiToken", map[string]any{"organizationId": w.org, "role": "ORG_VIEWER", "name": "\u2800"}, "input.name"},
		} {
			if c.at == "" { // the integration's name
				c.input["name"], c.at = "\u0007bell", "input.name"
			}
			r := a.do(c.query, map[string]any{"input": c.input})
			ue := r.list(t, c.field+".userErrors")
			if len(ue) != 1 || ue[0].(map[string]any)["code"] != "INVALID_INPUT" ||
				strings.Join(toStrings(ue[0].(map[string]any)["field"].([]any)), ".") != c.at ||
				!strings.HasPrefix(ue[0].(map[string]any)["message"].(string), c.at+" must") {
				t.Errorf("%s %q: %s", c.field, c.input, r.Raw)
			}
		}
		if digest(t, a.store) != before {
			t.Error("a name that is no visible text was written")
		}

		for i, name := range []string{"🚀 Launch", "שלום Acme", "👩\u200d💻 team", "Zoë"} {
			r := a.do(createOrganization, map[string]any{"input": map[string]any{"slug": fmt.Sprintf("ok%d", i), "name": name}})
			if r.get(t, "createOrganization.organization.name") != name {
				t.Errorf("%q: %s", name, r.Raw)
			}
		}
		r := a.do(updateIntegrationPoint, map[string]any{"input": map[string]any{"id": w.point, "description": "Line one.\n\tLine two."}})
		if ue := r.list(t, "updateIntegrationPoint.userErrors"); len(ue) != 0 {
			t.Errorf("a description of two lines: %s", r.Raw)
		}
	})
}
