package resolvers

import (
	"context"

	"github.com/pointguard/pointguard/catalog"
	"github.com/pointguard/pointguard/domain"
)

// Providers is the resolver for the providers field.
func (r *queryResolver) Providers(ctx context.Context, category *domain.Category) ([]*domain.Provider, error) {
	if category == nil {
		return catalog.All(), nil
	}
	return catalog.ByCategory(*category), nil
}

// Provider is the resolver for the provider field.
func (r *queryResolver) Provider(ctx context.Context, key string) (*domain.Provider, error) {
	return catalog.Lookup(key), nil
}
