// Package demo loads a small organization to explore in GraphiQL. It goes
// through the service, like any client, so its data obeys every rule.
//
// Acme Corp has two accounts, acme-test (TEST) and acme-prod (PROD), and a
// "Ticketing" point. Version 1 of the point approved zendesk in PROD; version
// 2 approves only jira and servicenow (plus mock_ticketing for TEST), so the
// Zendesk integration created under version 1 is now NON_COMPLIANT: drift, visible.
// The Ticketing point locks Jira's site_url, gives every integration the
// project SEC by default and recommends Jira issues of type Bug: the Jira
// integration sets only issue_type Task, so it inherits the rest and is
// WARNING (CONFIG_NOT_RECOMMENDED).
// A second point, "Alerts", has one compliant Slack integration.
package demo

import (
	"context"
	"errors"
	"fmt"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
)

// OrganizationSlug is the demo organization's slug.
const OrganizationSlug = "acme"

// Tokens are the demo's API tokens: an ORG_ADMIN of Acme Corp and an
// ACCOUNT_ADMIN of acme-prod.
type Tokens struct {
	OrgAdmin     string
	AccountAdmin string
}

// offered is the setting that records the demo was loaded once.
const offered = "demo_offered"

// When says when Start loads the demo.
type When int

const (
	// Never leaves the database as it is.
	Never When = iota
	// Once loads the demo into a database it was never loaded into (the
	// embedded default): whoever deleted it does not get it back.
	Once
	// Asked loads the demo unless its organization exists (-demo).
	Asked
)

// Load creates the demo organization and its tokens in one transaction,
// unless when says not to (then it returns nil, nil). keep, if set, is
// given the tokens before the transaction commits: a start killed after
// keep and before the commit loads the demo again, and calls keep again.
// It acts as policy.System, and the audit log says so.
func Load(ctx context.Context, st *store.Store, svc *service.Service, when When, keep func(*Tokens) error) (*Tokens, error) {
	ctx = policy.With(ctx, policy.System)
	var tokens *Tokens
	err := st.Atomically(ctx, func(ctx context.Context) error {
		tokens = nil
		if load, err := shouldLoad(ctx, st, when); err != nil || !load {
			return err
		}
		var err error
		if tokens, err = load(ctx, svc); err != nil {
			return err
		}
		if keep != nil {
			if err := keep(tokens); err != nil {
				return err
			}
		}
		return st.InTx(ctx, policy.System.Scope(), func(tx *store.Tx) error {
			return tx.SetSetting(ctx, offered, "true")
		})
	})
	return tokens, err
}

func shouldLoad(ctx context.Context, st *store.Store, when When) (bool, error) {
	var load bool
	err := st.InTx(ctx, policy.System.Scope(), func(tx *store.Tx) error {
		switch when {
		case Once:
			_, done, err := tx.Setting(ctx, offered)
			load = !done
			return err
		case Asked:
			_, err := tx.FindOrganizationBySlug(ctx, OrganizationSlug)
			load = errors.Is(err, domain.ErrNotFound)
			if load {
				return nil
			}
			return err
		}
		return nil
	})
	return load, err
}

func load(ctx context.Context, svc *service.Service) (*Tokens, error) {
	org, err := svc.CreateOrganization(ctx, service.CreateOrganizationInput{Slug: OrganizationSlug, Name: "Acme Corp"})
	if err != nil {
		return nil, fmt.Errorf("demo organization: %w", err)
	}
	test, err := svc.CreateAccount(ctx, service.CreateAccountInput{
		OrganizationID: org.ID, Slug: "acme-test", Name: "Acme (test)", Environment: domain.EnvironmentTest,
		Labels: []domain.Label{{Key: "region", Value: "eu"}},
	})
	if err != nil {
		return nil, fmt.Errorf("demo account: %w", err)
	}
	prod, err := svc.CreateAccount(ctx, service.CreateAccountInput{
		OrganizationID: org.ID, Slug: "acme-prod", Name: "Acme (production)", Environment: domain.EnvironmentProd,
		Labels: []domain.Label{{Key: "region", Value: "eu"}, {Key: "tier", Value: "enterprise"}},
	})
	if err != nil {
		return nil, fmt.Errorf("demo account: %w", err)
	}
	limit := 5
	jira := "jira"
	description := "Where security findings become tickets."
	ticketing, err := svc.CreateIntegrationPoint(ctx, service.CreateIntegrationPointInput{
		OrganizationID: org.ID, Slug: "ticketing", Name: "Ticketing", Description: &description,
		Category: domain.CategoryTicketing,
		AllowedProviders: domain.AllowedProviders{
			Test: []string{"jira", "servicenow", "mock_ticketing"},
			Prod: []string{"jira", "servicenow", "zendesk"},
		},
		RequiredConfig:            []string{"project"},
		MaxIntegrationsPerAccount: &limit,
		// Every Jira integration files into Acme's site; the project is
		// SEC unless an integration says otherwise; Jira issues are
		// recommended to be bugs.
		ConfigDefaults: []service.ConfigDefaultInput{
			{Provider: &jira, Path: "site_url", Value: "https://acme.atlassian.net", Mode: domain.ConfigModeLocked},
			{Path: "project", Value: "SEC", Mode: domain.ConfigModeDefault},
			{Provider: &jira, Path: "issue_type", Value: "Bug", Mode: domain.ConfigModeRecommended},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("demo point: %w", err)
	}
	description = "Where alerts are sent."
	alerts, err := svc.CreateIntegrationPoint(ctx, service.CreateIntegrationPointInput{
		OrganizationID: org.ID, Slug: "alerts", Name: "Alerts", Description: &description,
		Category: domain.CategoryNotifications,
		AllowedProviders: domain.AllowedProviders{
			Test: []string{"mock_notifications", "slack"},
			Prod: []string{"slack", "microsoft_teams", "pagerduty"},
		},
		RequiredConfig: []string{"channel"},
	})
	if err != nil {
		return nil, fmt.Errorf("demo point: %w", err)
	}
	for _, in := range []service.CreateIntegrationInput{
		// It inherits the site and the project, and files tasks rather
		// than the recommended bugs: allowed, with a warning.
		{AccountID: prod.ID, IntegrationPointID: ticketing.ID, Provider: "jira", Name: "Security findings (Jira)",
			Config: map[string]any{"issue_type": "Task"}},
		{AccountID: prod.ID, IntegrationPointID: ticketing.ID, Provider: "zendesk", Name: "Customer escalations (Zendesk)",
			Config: map[string]any{"project": "ESC"}},
		{AccountID: test.ID, IntegrationPointID: ticketing.ID, Provider: "mock_ticketing", Name: "Ticketing sandbox",
			Config: map[string]any{"project": "SANDBOX"}},
		{AccountID: prod.ID, IntegrationPointID: alerts.ID, Provider: "slack", Name: "SOC alerts (Slack)",
			Config: map[string]any{"channel": "#soc-alerts"}},
	} {
		_, verdict, err := svc.CreateIntegration(ctx, in)
		for _, v := range verdict.Violations {
			if err == nil && v.Code != domain.ViolationConfigNotRecommended {
				err = errors.New(v.Message)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("demo integration %q: %w", in.Name, err)
		}
	}
	// Version 2 drops zendesk from PROD: its integration stays, NON_COMPLIANT.
	_, err = svc.UpdateIntegrationPoint(ctx, service.UpdateIntegrationPointInput{
		ID: ticketing.ID,
		AllowedProviders: &domain.AllowedProviders{
			Test: []string{"jira", "servicenow", "mock_ticketing"},
			Prod: []string{"jira", "servicenow"},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("demo point update: %w", err)
	}
	var tokens Tokens
	tokens.OrgAdmin, _, err = svc.CreateApiToken(ctx, service.CreateApiTokenInput{
		OrganizationID: &org.ID, Role: domain.RoleOrgAdmin, Name: "demo organization admin"})
	if err != nil {
		return nil, fmt.Errorf("demo token: %w", err)
	}
	tokens.AccountAdmin, _, err = svc.CreateApiToken(ctx, service.CreateApiTokenInput{
		AccountID: &prod.ID, Role: domain.RoleAccountAdmin, Name: "demo acme-prod admin"})
	if err != nil {
		return nil, fmt.Errorf("demo token: %w", err)
	}
	return &tokens, nil
}
