package resolvers

import (
	"context"
	"fmt"

	"github.com/pointguard/pointguard/catalog"
	"github.com/pointguard/pointguard/dataloaders"
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/graph"
	"github.com/pointguard/pointguard/graph/model"
	"github.com/pointguard/pointguard/service"
)

// Account is the resolver for the account field.
func (r *integrationResolver) Account(ctx context.Context, objs []*domain.Integration) ([]*domain.Account, error) {
	return loadEdges(ctx, dataloaders.For(ctx).Account, objs, func(i *domain.Integration) string { return i.AccountID })
}

// IntegrationPoint is the resolver for the integrationPoint field.
func (r *integrationResolver) IntegrationPoint(ctx context.Context, objs []*domain.Integration) ([]*domain.IntegrationPoint, error) {
	return loadEdges(ctx, dataloaders.For(ctx).IntegrationPoint, objs, func(i *domain.Integration) string { return i.IntegrationPointID })
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

// Integration returns graph.IntegrationResolver implementation.
func (r *Resolver) Integration() graph.IntegrationResolver { return &integrationResolver{r} }

type integrationResolver struct{ *Resolver }
