package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/pagination"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/testdb"
)

func pointIDs(points []*domain.IntegrationPoint) []string {
	out := make([]string, len(points))
	for i, p := range points {
		out[i] = p.ID
	}
	slices.Sort(out)
	return out
}

// TestAccountScopeSeesSelectingPoints: under an account's scope, every read
// and lock of points keeps those whose selector selects the account, so a
// caller that forgets the rule still fails closed; the point an account's
// integration is on stays reachable through the integration, and only
// that one. Organization scopes see every point. On both engines.
func TestAccountScopeSeesSelectingPoints(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		st, svc, sys := openStore(t, databaseURL)
		ctx := context.Background()
		org, err := svc.CreateOrganization(sys, service.CreateOrganizationInput{Slug: "acme", Name: "Acme"})
		must(t, err)
		test, err := svc.CreateAccount(sys, service.CreateAccountInput{OrganizationID: org.ID, Slug: "t", Name: "T", Environment: domain.EnvironmentTest})
		must(t, err)
		allowed := domain.AllowedProviders{Test: []string{"mock_ticketing"}, Prod: []string{"jira"}}
		point := func(slug string, sel *domain.AccountSelector) *domain.IntegrationPoint {
			p, err := svc.CreateIntegrationPoint(sys, service.CreateIntegrationPointInput{OrganizationID: org.ID, Slug: slug, Name: slug,
				Category: domain.CategoryTicketing, AllowedProviders: allowed, AccountSelector: sel})
			must(t, err)
			return p
		}
		everyone := point("everyone", nil)
		unused := point("unused-prod", &domain.AccountSelector{Environments: []domain.Environment{domain.EnvironmentProd}})
		drifted := point("drifted", nil)
		_, _, err = svc.CreateIntegration(sys, service.CreateIntegrationInput{AccountID: test.ID, IntegrationPointID: drifted.ID,
			Provider: "mock_ticketing", Name: "tickets", Config: map[string]any{}})
		must(t, err)
		// The point then stops selecting TEST accounts: the integration stays on it.
		_, err = svc.UpdateIntegrationPoint(sys, service.UpdateIntegrationPointInput{ID: drifted.ID,
			AccountSelector: graphql.OmittableOf(&domain.AccountSelector{Environments: []domain.Environment{domain.EnvironmentProd}})})
		must(t, err)
		all := []string{everyone.ID, unused.ID, drifted.ID}

		for _, c := range []struct {
			name  string
			scope policy.Scope
			sees  []string // through every read of points
			// through the points of integrations
			ofIntegrations []string
		}{
			{"account", policy.Scope{OrganizationID: org.ID, AccountID: test.ID}, []string{everyone.ID}, []string{drifted.ID}},
			{"organization", policy.Scope{OrganizationID: org.ID}, all, all},
			{"another account", policy.Scope{OrganizationID: org.ID, AccountID: "acc_nobody"}, nil, nil},
		} {
			want := slices.Sorted(slices.Values(c.sees))
			r := st.Read(c.scope)
			byID, err := r.FindIntegrationPointsByIDs(ctx, all, store.AllColumns)
			must(t, err)
			pages, err := r.FindIntegrationPointPages(ctx, []string{org.ID}, pagination.Page{First: 10}, store.PointName)
			must(t, err)
			counts, err := r.CountIntegrationPoints(ctx, []string{org.ID})
			must(t, err)
			ofIntegrations, err := r.FindPointsOfIntegrations(ctx, all, store.PointName)
			must(t, err)
			for what, got := range map[string][]string{"by ID": pointIDs(byID), "pages": pointIDs(pages)} {
				if !slices.Equal(got, want) {
					t.Errorf("%s scope, %s: %v, want %v", c.name, what, got, want)
				}
			}
			if counts[org.ID] != len(want) {
				t.Errorf("%s scope: counted %d points, want %d", c.name, counts[org.ID], len(want))
			}
			if got, want := pointIDs(ofIntegrations), slices.Sorted(slices.Values(c.ofIntegrations)); !slices.Equal(got, want) {
				t.Errorf("%s scope, points of integrations: %v, want %v", c.name, got, want)
			}
			// Pages past a cursor keep to the points the scope sees.
			if len(want) > 0 {
				after, err := r.FindIntegrationPointPages(ctx, []string{org.ID}, pagination.Page{First: 10, After: want[0]}, store.PointName)
				must(t, err)
				if got := pointIDs(after); !slices.Equal(got, want[1:]) {
					t.Errorf("%s scope, after %s: %v, want %v", c.name, want[0], got, want[1:])
				}
			}

			err = st.InTx(ctx, c.scope, func(tx *store.Tx) error {
				locked, err := tx.LockIntegrationPoints(ctx, all, store.Shared)
				must(t, err)
				if got := pointIDs(locked); !slices.Equal(got, want) {
					t.Errorf("%s scope, locked %v, want %v", c.name, got, want)
				}
				_, err = tx.LockPointOfIntegration(ctx, drifted.ID, store.Shared)
				if reached := err == nil; reached != slices.Contains(c.ofIntegrations, drifted.ID) {
					t.Errorf("%s scope: the drifted point through its integration: %v", c.name, err)
				}
				if _, err := tx.LockIntegrationPoint(ctx, unused.ID, store.Shared); slices.Contains(c.sees, unused.ID) == errors.Is(err, domain.ErrNotFound) {
					t.Errorf("%s scope: locking the unselected point: %v", c.name, err)
				}
				return nil
			})
			must(t, err)
		}

		selecting, err := st.Read(policy.Scope{OrganizationID: org.ID}).FindPointsSelecting(ctx, []*domain.Account{test, test}, store.PointName)
		must(t, err)
		if got := pointIDs(selecting[test.ID]); !slices.Equal(got, []string{everyone.ID}) {
			t.Errorf("points selecting the TEST account (listed twice): %v, want only %s", got, everyone.ID)
		}
	})
}
