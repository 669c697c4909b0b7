package resolvers

import (
	"context"

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
func (r *integrationPointResolver) Organization(ctx context.Context, objs []*domain.IntegrationPoint) ([]*domain.Organization, error) {
	return loadEdges(ctx, dataloaders.For(ctx).Organization, objs, func(p *domain.IntegrationPoint) string { return p.OrganizationID })
}

// Integrations is the resolver for the integrations field.
func (r *integrationPointResolver) Integrations(ctx context.Context, objs []*domain.IntegrationPoint, first *int, after *string, filter *domain.IntegrationFilter) ([]*pagination.Connection[*domain.Integration], error) {
	return integrationConnections(ctx, store.ByIntegrationPoint, objs, first, after, filter)
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
