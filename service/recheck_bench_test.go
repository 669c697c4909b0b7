package service

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/secrets"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/testdb"
	"github.com/pointguard/pointguard/webhooks"
	"github.com/pointguard/pointguard/webhooks/queue"
)

// BenchmarkRecheck changes the rules of a point with 100,000 integrations
// (over 1,000 accounts) and so re-checks them all, in one transaction.
// Each change flips half of them between COMPLIANT and NON_COMPLIANT, so
// half the rows are rewritten every time, and 50,000
// integration.compliance_changed events written. rules changes a CEL rule;
// defaults changes a config default (issue 11): the half of the
// integrations that inherit site_url get a site a rule refuses (or back),
// the other half set their own and keep their result, with no write;
// webhook is rules with a webhook endpoint that wants every event, so
// that each event also gets a delivery and its River job (through
// batch jobs, queue.Config.Batch); rules-without-events is rules
// without its events, the baseline to compare both with.
func BenchmarkRecheck(b *testing.B) {
	const integrations, accounts = 100_000, 1_000
	for _, engine := range testdb.Engines {
		b.Run(engine, func(b *testing.B) {
			databaseURL := testdb.URL(b, engine)
			ctx := policy.With(context.Background(), policy.System)
			ring, _ := secrets.NewKeyring(secrets.NewKey())
			st, err := store.Open(ctx, databaseURL, store.Options{Secrets: ring})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			svc := New(st)
			point := seedPoint(b, svc, st, integrations, accounts)
			// flipRules flips the rules with update: UpdateIntegrationPoint,
			// or the same change without its events. ruled is whether the
			// point has the rule now, so that every update changes it, however
			// many updates the sub-benchmark before made.
			ruled := false
			flipRules := func(b *testing.B, update func(UpdateIntegrationPointInput) error) {
				even := []domain.Rule{{Name: "even-projects", Expression: `int(integration.config.n) % 2 == 0`, Message: "odd", Enforcement: domain.EnforcementDeny}}
				start := time.Now()
				for b.Loop() {
					next := even
					if ruled {
						next = []domain.Rule{}
					}
					if err := update(UpdateIntegrationPointInput{ID: point.ID, Rules: graphql.OmittableOf(next)}); err != nil {
						b.Fatal(err)
					}
					ruled = !ruled
				}
				b.ReportMetric(float64(integrations)*float64(b.N)/time.Since(start).Seconds(), "integrations/s")
			}
			update := func(in UpdateIntegrationPointInput) error {
				_, err := svc.UpdateIntegrationPoint(ctx, in)
				return err
			}
			b.Run("rules", func(b *testing.B) { flipRules(b, update) })
			// The baseline of issue 12's promise (events must not double a
			// re-check's time): the same change, committed without noting
			// its events, as a preview does (updatePoint with no changeLog).
			b.Run("rules-without-events", func(b *testing.B) {
				pr, err := principal(ctx)
				if err != nil {
					b.Fatal(err)
				}
				flipRules(b, func(in UpdateIntegrationPointInput) error {
					return svc.inTx(ctx, pr, func(tx *store.Tx) error {
						_, _, _, err := svc.updatePoint(ctx, tx, pr, in, nil)
						return err
					})
				})
			})
			b.Run("defaults", func(b *testing.B) {
				jira := "jira"
				site := func(url string) graphql.Omittable[[]ConfigDefaultInput] {
					return graphql.OmittableOf([]ConfigDefaultInput{{Provider: &jira, Path: "site_url", Value: url, Mode: domain.ConfigModeDefault}})
				}
				_, err := svc.UpdateIntegrationPoint(ctx, UpdateIntegrationPointInput{ID: point.ID, ConfigDefaults: site("https://acme.atlassian.net"),
					Rules: graphql.OmittableOf([]domain.Rule{{Name: "atlassian", Expression: `integration.config.site_url.endsWith('.atlassian.net')`,
						Message: "not Atlassian", Enforcement: domain.EnforcementDeny}})})
				if err != nil {
					b.Fatal(err)
				}
				sites := []string{"https://acme.example.com", "https://acme.atlassian.net"}
				start := time.Now()
				for n := 0; b.Loop(); n++ {
					if _, err := svc.UpdateIntegrationPoint(ctx, UpdateIntegrationPointInput{ID: point.ID, ConfigDefaults: site(sites[n%2])}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(integrations)*float64(b.N)/time.Since(start).Seconds(), "integrations/s")
			})
			b.Run("webhook", func(b *testing.B) {
				if _, err := svc.UpdateIntegrationPoint(ctx, UpdateIntegrationPointInput{ID: point.ID, ConfigDefaults: graphql.OmittableOf([]ConfigDefaultInput{}),
					Rules: graphql.OmittableOf([]domain.Rule{})}); err != nil {
					b.Fatal(err)
				}
				ruled = false
				// Jobs are enqueued, not worked: the queue is not started.
				if _, err := queue.New(ctx, st, queue.Config{}); err != nil {
					b.Fatal(err)
				}
				now := svc.Now()
				w := &domain.WebhookEndpoint{ID: domain.NewID(domain.KindWebhookEndpoint), OrganizationID: point.OrganizationID,
					URL: "https://hooks.example.com/pointguard", Enabled: true, CreatedAt: now, UpdatedAt: now}
				if err := st.InTx(ctx, policy.System.Scope(), func(tx *store.Tx) error {
					return tx.CreateWebhookEndpoint(ctx, w, webhooks.NewSecret())
				}); err != nil {
					b.Fatal(err)
				}
				flipRules(b, update)
			})
		})
	}
}

// seedPoint creates a point and n compliant integrations on it, written
// straight through the store in one transaction: the API would take minutes.
func seedPoint(b *testing.B, svc *Service, st *store.Store, n, accounts int) *domain.IntegrationPoint {
	b.Helper()
	ctx := policy.With(context.Background(), policy.System)
	org, err := svc.CreateOrganization(ctx, CreateOrganizationInput{Slug: "bench", Name: "Bench"})
	if err != nil {
		b.Fatal(err)
	}
	point, err := svc.CreateIntegrationPoint(ctx, CreateIntegrationPointInput{OrganizationID: org.ID, Slug: "p", Name: "P",
		Category: domain.CategoryTicketing, AllowedProviders: domain.AllowedProviders{Prod: []string{"jira"}}, RequiredConfig: []string{"project"}})
	if err != nil {
		b.Fatal(err)
	}
	now := svc.Now()
	err = st.InTx(ctx, policy.System.Scope(), func(tx *store.Tx) error {
		accountIDs := make([]string, accounts)
		for i := range accountIDs {
			a := &domain.Account{ID: domain.NewID(domain.KindAccount), OrganizationID: org.ID, Slug: fmt.Sprintf("a%d", i), Name: "A",
				Environment: domain.EnvironmentProd, Labels: []domain.Label{}, CreatedAt: now, UpdatedAt: now}
			if err := tx.CreateAccount(ctx, a); err != nil {
				return err
			}
			accountIDs[i] = a.ID
		}
		for i := 0; i < n; i++ {
			err := tx.CreateIntegration(ctx, &domain.Integration{
				ID: domain.NewID(domain.KindIntegration), OrganizationID: org.ID, AccountID: accountIDs[i%accounts],
				IntegrationPointID: point.ID, ProviderKey: "jira", Name: "I",
				Config:     benchConfig(i),
				Compliance: domain.Compliance{Status: domain.StatusCompliant, PointVersion: 1, CheckedAt: now, Violations: []domain.Violation{}},
				CreatedAt:  now, UpdatedAt: now,
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return point
}

// benchConfig is integration i's config: every even one sets its own site.
func benchConfig(i int) map[string]any {
	if i%2 == 0 {
		return map[string]any{"project": "P", "n": i, "site_url": "https://own.atlassian.net"}
	}
	return map[string]any{"project": "P", "n": i}
}
