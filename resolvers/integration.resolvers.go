package resolvers

import (
	"context"
	"fmt"

	"github.com/pointguard/pointguard/catalog"
	"github.com/pointguard/pointguard/dataloaders"
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/graph"
	"github.com/pointguard/pointguard/graph/model"
	"github.com/pointguard/pointguard/pagination"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
)

// Account is the resolver for the account field.
func (r *integrationResolver) Account(ctx context.Context, obj *domain.Integration) (*domain.Account, error) {
	return loadEdge(ctx, dataloaders.For(ctx).Account, obj.AccountID)
}

// IntegrationPoint is the resolver for the integrationPoint field.
func (r *integrationResolver) IntegrationPoint(ctx context.Context, obj *domain.Integration) (*domain.IntegrationPoint, error) {
	return loadEdge(ctx, dataloaders.For(ctx).IntegrationPoint, obj.IntegrationPointID)
}

// Provider is the resolver for the provider field. Providers come from the
// catalog in memory: there is nothing to batch.
func (r *integrationResolver) Provider(ctx context.Context, obj *domain.Integration) (*domain.Provider, error) {
	if p := catalog.Lookup(obj.ProviderKey); p != nil {
		return p, nil
	}
	return nil, fmt.Errorf("integration %s names provider %q, which is not in the catalog", obj.ID, obj.ProviderKey)
}

// Config is the resolver for the config field.
func (r *integrationResolver) Config(ctx context.Context, obj *domain.Integration) (any, error) {
	if obj.Config == nil {
		return map[string]any{}, nil
	}
	return obj.Config, nil
}

// CreateIntegration is the resolver for the createIntegration field.
func (r *mutationResolver) CreateIntegration(ctx context.Context, input service.CreateIntegrationInput) (*model.IntegrationPayload, error) {
	return integrationPayload(r.Service.CreateIntegration(ctx, input))
}

// UpdateIntegration is the resolver for the updateIntegration field.
func (r *mutationResolver) UpdateIntegration(ctx context.Context, input service.UpdateIntegrationInput) (*model.IntegrationPayload, error) {
	return integrationPayload(r.Service.UpdateIntegration(ctx, input))
}

// DeleteIntegration is the resolver for the deleteIntegration field.
func (r *mutationResolver) DeleteIntegration(ctx context.Context, input service.DeleteInput) (*model.DeletePayload, error) {
	return deletePayload(r.Service.DeleteIntegration(ctx, input))
}

// CheckIntegration is the resolver for the checkIntegration field.
func (r *queryResolver) CheckIntegration(ctx context.Context, input service.CreateIntegrationInput) (*model.IntegrationCheck, error) {
	v, err := r.Service.CheckIntegration(ctx, input)
	ue, err := userErrors(err)
	if err != nil {
		return nil, err
	}
	return &model.IntegrationCheck{Allowed: len(ue) == 0 && len(v) == 0, Violations: violationList(v), UserErrors: ue}, nil
}

func integrationPayload(i *domain.Integration, v []domain.Violation, err error) (*model.IntegrationPayload, error) {
	ue, err := userErrors(err)
	if err != nil {
		return nil, err
	}
	if len(ue) == 0 {
		ue = rulesViolated(v)
	}
	return &model.IntegrationPayload{Integration: i, Violations: violationList(v), UserErrors: ue}, nil
}

func deletePayload(id string, err error) (*model.DeletePayload, error) {
	ue, err := userErrors(err)
	if err != nil {
		return nil, err
	}
	p := &model.DeletePayload{UserErrors: ue}
	if id != "" {
		p.DeletedID = &id
	}
	return p, nil
}

// integrations is every integrations(first, after, filter) field: one
// parent's page, batched with its siblings' through the request's loaders.
func integrations(ctx context.Context, parent store.IntegrationParent, parentID string, first *int, after *string, filter *domain.IntegrationFilter) (*pagination.IntegrationConnection, error) {
	page, err := pagination.NewPage(first, after)
	if err != nil {
		return nil, err
	}
	key := dataloaders.IntegrationPageKey{Parent: parent, ParentID: parentID, Filter: integrationFilter(filter), Page: page}
	l := dataloaders.For(ctx)
	rows, err := l.IntegrationPage.Load(ctx, key)
	if err != nil {
		return nil, err
	}
	countKey := key
	countKey.Page = pagination.Page{}
	return pagination.NewIntegrationConnection(rows, page, countFrom(l.IntegrationCount, countKey)), nil
}

// Integration returns graph.IntegrationResolver implementation.
func (r *Resolver) Integration() graph.IntegrationResolver { return &integrationResolver{r} }

type integrationResolver struct{ *Resolver }
