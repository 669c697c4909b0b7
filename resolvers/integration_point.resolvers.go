package resolvers

import (
	"context"

	"github.com/pointguard/pointguard/catalog"
	"github.com/pointguard/pointguard/dataloaders"
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/graph"
	"github.com/pointguard/pointguard/graph/model"
	"github.com/pointguard/pointguard/pagination"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
)

// Test is the resolver for the test field.
func (r *allowedProvidersResolver) Test(ctx context.Context, obj *domain.AllowedProviders) ([]*domain.Provider, error) {
	return providers(obj.Test), nil
}

// Prod is the resolver for the prod field.
func (r *allowedProvidersResolver) Prod(ctx context.Context, obj *domain.AllowedProviders) ([]*domain.Provider, error) {
	return providers(obj.Prod), nil
}

// Organization is the resolver for the organization field.
func (r *integrationPointResolver) Organization(ctx context.Context, obj *domain.IntegrationPoint) (*domain.Organization, error) {
	return loadEdge(ctx, dataloaders.For(ctx).Organization, obj.OrganizationID)
}

// Integrations is the resolver for the integrations field.
func (r *integrationPointResolver) Integrations(ctx context.Context, obj *domain.IntegrationPoint, first *int, after *string, filter *domain.IntegrationFilter) (*pagination.Connection[*domain.Integration], error) {
	return integrations(ctx, store.ByIntegrationPoint, obj.ID, first, after, filter)
}

// CreateIntegrationPoint is the resolver for the createIntegrationPoint field.
func (r *mutationResolver) CreateIntegrationPoint(ctx context.Context, input service.CreateIntegrationPointInput) (*model.IntegrationPointPayload, error) {
	p, err := r.Service.CreateIntegrationPoint(ctx, input)
	ue, err := userErrors(err)
	return &model.IntegrationPointPayload{IntegrationPoint: p, UserErrors: ue}, err
}

// UpdateIntegrationPoint is the resolver for the updateIntegrationPoint field.
func (r *mutationResolver) UpdateIntegrationPoint(ctx context.Context, input service.UpdateIntegrationPointInput) (*model.IntegrationPointPayload, error) {
	p, err := r.Service.UpdateIntegrationPoint(ctx, input)
	ue, err := userErrors(err)
	return &model.IntegrationPointPayload{IntegrationPoint: p, UserErrors: ue}, err
}

// DeleteIntegrationPoint is the resolver for the deleteIntegrationPoint field.
func (r *mutationResolver) DeleteIntegrationPoint(ctx context.Context, input service.DeleteInput) (*model.DeletePayload, error) {
	return deletePayload(r.Service.DeleteIntegrationPoint(ctx, input))
}

// providers maps approved keys to catalog entries. Keys are checked
// against the catalog when a point is saved, so none is missing.
func providers(keys []string) []*domain.Provider {
	out := make([]*domain.Provider, 0, len(keys))
	for _, k := range keys {
		if p := catalog.Lookup(k); p != nil {
			out = append(out, p)
		}
	}
	return out
}

// AllowedProviders returns graph.AllowedProvidersResolver implementation.
func (r *Resolver) AllowedProviders() graph.AllowedProvidersResolver {
	return &allowedProvidersResolver{r}
}

// IntegrationPoint returns graph.IntegrationPointResolver implementation.
func (r *Resolver) IntegrationPoint() graph.IntegrationPointResolver {
	return &integrationPointResolver{r}
}

type allowedProvidersResolver struct{ *Resolver }
type integrationPointResolver struct{ *Resolver }
