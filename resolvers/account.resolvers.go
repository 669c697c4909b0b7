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

// Organization is the resolver for the organization field.
func (r *accountResolver) Organization(ctx context.Context, objs []*domain.Account) ([]*domain.Organization, error) {
	return loadEdges(ctx, dataloaders.For(ctx).Organization, objs, func(a *domain.Account) string { return a.OrganizationID })
}

// Integrations is the resolver for the integrations field.
func (r *accountResolver) Integrations(ctx context.Context, objs []*domain.Account, first *int, after *string, filter *domain.IntegrationFilter) ([]*pagination.Connection[*domain.Integration], error) {
	return integrationConnections(ctx, store.ByAccount, objs, first, after, filter)
}

// CreateAccount is the resolver for the createAccount field.
func (r *mutationResolver) CreateAccount(ctx context.Context, input service.CreateAccountInput) (*model.AccountPayload, error) {
	a, err := r.Service.CreateAccount(ctx, input)
	ue, err := userErrors(err)
	return &model.AccountPayload{Account: a, UserErrors: ue}, err
}

// UpdateAccount is the resolver for the updateAccount field.
func (r *mutationResolver) UpdateAccount(ctx context.Context, input service.UpdateAccountInput) (*model.AccountPayload, error) {
	a, err := r.Service.UpdateAccount(ctx, input)
	ue, err := userErrors(err)
	return &model.AccountPayload{Account: a, UserErrors: ue}, err
}

// DeleteAccount is the resolver for the deleteAccount field.
func (r *mutationResolver) DeleteAccount(ctx context.Context, input service.DeleteInput) (*model.DeletePayload, error) {
	return deletePayload(r.Service.DeleteAccount(ctx, input))
}

// Account returns graph.AccountResolver implementation.
func (r *Resolver) Account() graph.AccountResolver { return &accountResolver{r} }

type accountResolver struct{ *Resolver }
