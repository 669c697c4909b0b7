package api

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"testing"

	"github.com/pointguard/pointguard/testdb"
)

// readmeBlocks are the README's graphql and json blocks: the examples
// (two of the API, one of configuration inheritance) and their answers.
func readmeBlocks(t *testing.T) (graphql, answers []string) {
	t.Helper()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := func(lang string) []string {
		var out []string
		for _, m := range regexp.MustCompile("(?s)```"+lang+"\n(.*?)```").FindAllStringSubmatch(string(readme), -1) {
			out = append(out, m[1])
		}
		return out
	}
	graphql, answers = blocks("graphql"), blocks("json")
	if len(graphql) != 3 || len(answers) != 2 {
		t.Fatalf("README has %d graphql and %d json blocks, want 3 and 2", len(graphql), len(answers))
	}
	return graphql, answers
}

// TestReadmeExamples runs the README's examples against the demo data and
// checks the answer it shows, so that the README stays true.
func TestReadmeExamples(t *testing.T) {
	t.Parallel()
	graphql, answers := readmeBlocks(t)

	testdb.Each(t, func(t *testing.T, databaseURL string) {
		a := newApp(t, databaseURL).withDemo()
		a = a.as(a.demo.OrgAdmin) // as the README says
		r := a.do(graphql[0], nil)
		if got := r.num(t, "organization.integrationPoints.nodes.0.integrations.totalCount"); got != 3 {
			t.Errorf("Ticketing has %d integrations, want 3", got)
		}
		if got := r.str(t, "organization.nonCompliant.nodes.0.name"); got != "Customer escalations (Zendesk)" {
			t.Errorf("non-compliant integration: %s", got)
		}
		var prod string
		for i := range r.list(t, "organization.accounts.nodes") {
			if r.str(t, "organization.accounts.nodes."+strconv.Itoa(i)+".slug") == "acme-prod" {
				prod = r.str(t, "organization.accounts.nodes."+strconv.Itoa(i)+".id")
			}
		}

		post := func(op string, vars map[string]any) result {
			body, _ := json.Marshal(map[string]any{"query": graphql[1], "operationName": op, "variables": vars})
			r := a.send(body)
			if len(r.Errors) > 0 {
				t.Fatalf("%s: %s", op, r.Raw)
			}
			return r
		}
		r = post("NewPoint", map[string]any{"org": r.str(t, "organization.id")})
		point := r.str(t, "createIntegrationPoint.integrationPoint.id")
		r = post("Refused", map[string]any{"account": prod, "point": point})
		if r.get(t, "createIntegration.integration") != nil {
			t.Fatalf("the README's refused integration was written: %s", r.Raw)
		}
		var want any
		if err := json.Unmarshal([]byte(answers[0]), &want); err != nil {
			t.Fatalf("README answer is not JSON: %v", err)
		}
		if got := r.get(t, "createIntegration.violations"); !reflect.DeepEqual(got, want) {
			t.Errorf("violations:\n got %v\nwant %v (README)", got, want)
		}
	})
}
