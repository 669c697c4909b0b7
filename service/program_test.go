package service_test

import (
	"context"
	"errors"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/pointguard/pointguard/demo"
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/secrets"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/testdb"
)

// TestRolledBackVersionLeavesNoProgram: rules saved as version N in a
// transaction that rolled back, and used there, do not judge the next
// version N, which has other rules. The compiled rules were cached by
// point and version: the deny-all rules of the rolled-back version 3
// refused every integration of the real version 3.
func TestRolledBackVersionLeavesNoProgram(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		ring, _ := secrets.NewKeyring(secrets.NewKey())
		st, err := store.Open(context.Background(), databaseURL, store.Options{Secrets: ring})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		svc := service.New(st)
		ctx := policy.With(context.Background(), policy.System)
		if _, err := demo.Load(ctx, st, svc, demo.Asked, nil); err != nil {
			t.Fatal(err)
		}
		var pointID, accountID string
		if err := st.DB().QueryRow("SELECT id FROM integration_points WHERE slug = 'ticketing'").Scan(&pointID); err != nil {
			t.Fatal(err)
		}
		if err := st.DB().QueryRow("SELECT id FROM accounts WHERE slug = 'acme-prod'").Scan(&accountID); err != nil {
			t.Fatal(err)
		}
		withRules := func(expression string) service.UpdateIntegrationPointInput {
			return service.UpdateIntegrationPointInput{ID: pointID, Rules: graphql.OmittableOf([]domain.Rule{
				{Name: "gate", Expression: expression, Message: "closed", Enforcement: domain.EnforcementDeny}})}
		}
		create := func(ctx context.Context) (service.Verdict, error) {
			_, verdict, err := svc.CreateIntegration(ctx, service.CreateIntegrationInput{AccountID: accountID,
				IntegrationPointID: pointID, Provider: "jira", Name: "Another Jira",
				Config: map[string]any{"project": "OPS", "site_url": "https://acme.atlassian.net"}})
			return verdict, err
		}

		undo := errors.New("undo")
		err = st.Atomically(ctx, func(ctx context.Context) error {
			if _, err := svc.UpdateIntegrationPoint(ctx, withRules("false")); err != nil {
				return err
			}
			if verdict, err := create(ctx); err != nil || len(verdict.Violations) == 0 {
				t.Errorf("version 3 denies every integration, yet: %v %+v", err, verdict)
			}
			return undo
		})
		if !errors.Is(err, undo) {
			t.Fatal(err)
		}
		if _, err := svc.UpdateIntegrationPoint(ctx, withRules("true")); err != nil {
			t.Fatal(err)
		}
		if verdict, err := create(ctx); err != nil || len(verdict.Violations) > 0 {
			t.Errorf("the real version 3 allows every integration, yet: %v %+v", err, verdict)
		}
	})
}
