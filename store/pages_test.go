package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/pagination"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/testdb"
)

// TestPagesAndCounts: the lists' reads, on both engines, for many parents
// in one call: each parent's page is its rows in ID order after the
// cursor, one more than asked (so that a next page shows), filters apply
// to pages and counts alike, and a scope reads nothing outside it: another
// organization's, an account's siblings, and nothing at all for the zero
// scope.
func TestPagesAndCounts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		st, svc, sys := openStore(t, databaseURL)
		ctx := context.Background()
		allowed := domain.AllowedProviders{Test: []string{"mock_notifications"}, Prod: []string{"slack"}}
		// Two organizations, each with a TEST and a PROD account, one point,
		// and 3 integrations on the TEST account and 2 on the PROD one.
		type tenant struct {
			org             string
			test, prod      string
			point           string
			testInts, prods []string
		}
		var tenants []tenant
		for _, slug := range []string{"acme", "globex"} {
			org, err := svc.CreateOrganization(sys, service.CreateOrganizationInput{Slug: slug, Name: slug})
			must(t, err)
			tn := tenant{org: org.ID}
			for env, id := range map[domain.Environment]*string{domain.EnvironmentTest: &tn.test, domain.EnvironmentProd: &tn.prod} {
				a, err := svc.CreateAccount(sys, service.CreateAccountInput{OrganizationID: org.ID, Slug: slug + "-" + strings.ToLower(string(env)), Name: "A", Environment: env})
				must(t, err)
				*id = a.ID
			}
			p, err := svc.CreateIntegrationPoint(sys, service.CreateIntegrationPointInput{OrganizationID: org.ID, Slug: "t", Name: "T",
				Category: domain.CategoryNotifications, AllowedProviders: allowed})
			must(t, err)
			tn.point = p.ID
			for i, account := range []string{tn.test, tn.test, tn.prod, tn.test, tn.prod} {
				provider := map[bool]string{true: "mock_notifications", false: "slack"}[account == tn.test]
				in, verdict, err := svc.CreateIntegration(sys, service.CreateIntegrationInput{AccountID: account, IntegrationPointID: p.ID,
					Provider: provider, Name: fmt.Sprintf("i%d", i), Config: map[string]any{"channel": "#alerts"}})
				must(t, err)
				if in == nil {
					t.Fatalf("integration refused: %v", verdict.Violations)
				}
				if account == tn.test {
					tn.testInts = append(tn.testInts, in.ID)
				} else {
					tn.prods = append(tn.prods, in.ID)
				}
			}
			tenants = append(tenants, tn)
		}
		ids := func(rows []*domain.Integration, parent func(*domain.Integration) string, of string) []string {
			var out []string
			for _, r := range rows {
				if parent(r) == of {
					out = append(out, r.ID)
				}
			}
			return out
		}
		sorted := func(s []string) []string { return slices.Sorted(slices.Values(s)) }
		a, b := tenants[0], tenants[1]
		both := []string{a.test, a.prod, b.test, b.prod}
		byAccount := func(i *domain.Integration) string { return i.AccountID }

		all := st.Read(policy.Scope{All: true})
		rows, err := all.FindIntegrationPages(ctx, store.ByAccount, both, domain.IntegrationFilter{}, pagination.Page{First: 2}, store.AllColumns)
		must(t, err)
		for _, c := range []struct {
			account string
			want    []string
		}{
			{a.test, sorted(a.testInts)}, {a.prod, sorted(a.prods)}, {b.test, sorted(b.testInts)}, {b.prod, sorted(b.prods)},
		} {
			// First: 2, so three rows at most: the page and the sign of a next one.
			if got, want := ids(rows, byAccount, c.account), c.want[:min(3, len(c.want))]; !slices.Equal(got, want) {
				t.Errorf("page of %s: %v, want %v", c.account, got, want)
			}
		}
		after, err := all.FindIntegrationPages(ctx, store.ByAccount, []string{a.test}, domain.IntegrationFilter{},
			pagination.Page{First: 2, After: sorted(a.testInts)[0]}, store.AllColumns)
		must(t, err)
		if got := ids(after, byAccount, a.test); !slices.Equal(got, sorted(a.testInts)[1:]) {
			t.Errorf("after the first: %v, want %v", got, sorted(a.testInts)[1:])
		}
		counts, err := all.CountIntegrations(ctx, store.ByOrganization, []string{a.org, b.org}, domain.IntegrationFilter{})
		must(t, err)
		if counts[a.org] != 5 || counts[b.org] != 5 {
			t.Errorf("counts by organization: %v, want 5 each", counts)
		}
		filtered := domain.IntegrationFilter{AccountID: a.prod}
		counts, err = all.CountIntegrations(ctx, store.ByIntegrationPoint, []string{a.point}, filtered)
		must(t, err)
		rows, err = all.FindIntegrationPages(ctx, store.ByIntegrationPoint, []string{a.point}, filtered, pagination.Page{First: 10}, store.AllColumns)
		must(t, err)
		if counts[a.point] != 2 || !slices.Equal(ids(rows, byAccount, a.prod), sorted(a.prods)) || len(rows) != 2 {
			t.Errorf("the point's integrations of the PROD account: count %d, rows %d", counts[a.point], len(rows))
		}
		accounts, err := all.FindAccountPages(ctx, []string{a.org, b.org}, domain.AccountFilter{Environment: domain.EnvironmentProd}, pagination.Page{First: 10}, store.AllColumns)
		must(t, err)
		var prodAccounts []string
		for _, acc := range accounts {
			prodAccounts = append(prodAccounts, acc.ID)
		}
		if !slices.Equal(sorted(prodAccounts), sorted([]string{a.prod, b.prod})) {
			t.Errorf("PROD accounts: %v, want %v", prodAccounts, []string{a.prod, b.prod})
		}

		// Scopes: the same calls, narrowed.
		for _, c := range []struct {
			name  string
			scope policy.Scope
			sees  []string // accounts whose integrations it reads
		}{
			{"organization", policy.Scope{OrganizationID: a.org}, []string{a.test, a.prod}},
			{"account", policy.Scope{OrganizationID: a.org, AccountID: a.test}, []string{a.test}},
			{"zero", policy.Scope{}, nil},
		} {
			r := st.Read(c.scope)
			rows, err := r.FindIntegrationPages(ctx, store.ByAccount, both, domain.IntegrationFilter{}, pagination.Page{First: 10}, store.AllColumns)
			must(t, err)
			var seen []string
			for _, row := range rows {
				if !slices.Contains(seen, row.AccountID) {
					seen = append(seen, row.AccountID)
				}
			}
			if !slices.Equal(sorted(seen), sorted(c.sees)) {
				t.Errorf("%s scope reads integrations of %v, want %v", c.name, seen, c.sees)
			}
			counts, err := r.CountIntegrations(ctx, store.ByOrganization, []string{a.org, b.org}, domain.IntegrationFilter{})
			must(t, err)
			want := map[string]int{"organization": 5, "account": 3, "zero": 0}[c.name]
			if counts[a.org] != want || counts[b.org] != 0 {
				t.Errorf("%s scope counts %v, want %d in its organization and none in another", c.name, counts, want)
			}
			found, err := r.FindAccountsByIDs(ctx, both, store.AllColumns)
			must(t, err)
			if len(found) != len(c.sees) {
				t.Errorf("%s scope finds %d of the accounts by ID, want %d", c.name, len(found), len(c.sees))
			}
		}
	})
}
