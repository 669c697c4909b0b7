package resolvers

import (
	"context"
	"errors"

	"github.com/pointguard/pointguard/dataloaders"
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/graph"
	"github.com/pointguard/pointguard/graph/model"
	"github.com/pointguard/pointguard/pagination"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
)

// CreateOrganization is the resolver for the createOrganization field.
func (r *mutationResolver) CreateOrganization(ctx context.Context, input service.CreateOrganizationInput) (*model.OrganizationPayload, error) {
	o, err := r.Service.CreateOrganization(ctx, input)
	ue, err := userErrors(err)
	return &model.OrganizationPayload{Organization: o, UserErrors: ue}, err
}

// Accounts is the resolver for the accounts field.
func (r *organizationResolver) Accounts(ctx context.Context, objs []*domain.Organization, first *int, after *string, filter *domain.AccountFilter) ([]*pagination.Connection[*domain.Account], error) {
	page, err := pagination.NewPage(first, after)
	if err != nil {
		return nil, err
	}
	var f domain.AccountFilter
	if filter != nil {
		f = *filter
	}
	l := dataloaders.For(ctx)
	return connections(ctx, objs, l.AccountPage,
		func(o *domain.Organization) dataloaders.AccountPageKey {
			return dataloaders.AccountPageKey{OrganizationID: o.ID, Filter: f, Page: page}
		},
		func(rows []*domain.Account, key dataloaders.AccountPageKey) *pagination.AccountConnection {
			key.Page = pagination.Page{}
			return pagination.NewAccountConnection(rows, page, countFrom(l.AccountCount, key))
		})
}

// IntegrationPoints is the resolver for the integrationPoints field.
func (r *organizationResolver) IntegrationPoints(ctx context.Context, objs []*domain.Organization, first *int, after *string) ([]*pagination.Connection[*domain.IntegrationPoint], error) {
	page, err := pagination.NewPage(first, after)
	if err != nil {
		return nil, err
	}
	l := dataloaders.For(ctx)
	return connections(ctx, objs, l.IntegrationPointPage,
		func(o *domain.Organization) dataloaders.IntegrationPointPageKey {
			return dataloaders.IntegrationPointPageKey{OrganizationID: o.ID, Page: page}
		},
		func(rows []*domain.IntegrationPoint, key dataloaders.IntegrationPointPageKey) *pagination.IntegrationPointConnection {
			key.Page = pagination.Page{}
			return pagination.NewIntegrationPointConnection(rows, page, countFrom(l.IntegrationPointCount, key))
		})
}

// Integrations is the resolver for the integrations field.
func (r *organizationResolver) Integrations(ctx context.Context, objs []*domain.Organization, first *int, after *string, filter *domain.IntegrationFilter) ([]*pagination.Connection[*domain.Integration], error) {
	return integrationConnections(ctx, store.ByOrganization, objs, first, after, filter)
}

// Organization is the resolver for the organization field.
func (r *queryResolver) Organization(ctx context.Context, id *string, slug *string) (*domain.Organization, error) {
	switch {
	case (id == nil) == (slug == nil):
		return nil, &domain.InputError{Message: "organization needs exactly one of id and slug"}
	case id != nil:
		if kind, ok := domain.KindOf(*id); !ok || kind != domain.KindOrganization {
			return nil, nil
		}
		return load(ctx, dataloaders.For(ctx).Organization, *id)
	default:
		o, err := r.Store.FindOrganizationBySlug(ctx, *slug)
		if errors.Is(err, domain.ErrNotFound) {
			return nil, nil
		}
		return o, err
	}
}

// Organizations is the resolver for the organizations field.
func (r *queryResolver) Organizations(ctx context.Context, first *int, after *string) (*pagination.Connection[*domain.Organization], error) {
	page, err := pagination.NewPage(first, after)
	if err != nil {
		return nil, err
	}
	rows, err := r.Store.FindOrganizations(ctx, page)
	if err != nil {
		return nil, err
	}
	return pagination.NewOrganizationConnection(rows, page, r.Store.CountOrganizations), nil
}

// Mutation returns graph.MutationResolver implementation.
func (r *Resolver) Mutation() graph.MutationResolver { return &mutationResolver{r} }

// Organization returns graph.OrganizationResolver implementation.
func (r *Resolver) Organization() graph.OrganizationResolver { return &organizationResolver{r} }

// Query returns graph.QueryResolver implementation.
func (r *Resolver) Query() graph.QueryResolver { return &queryResolver{r} }

type mutationResolver struct{ *Resolver }
type organizationResolver struct{ *Resolver }
type queryResolver struct{ *Resolver }
