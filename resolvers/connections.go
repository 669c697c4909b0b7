package resolvers

// Connections: the Relay lists of the schema, each parent's page asked of
// a loader in one call.

import (
	"context"

	"github.com/pointguard/pointguard/dataloaders"
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/pagination"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/store"
	"github.com/vikstrous/dataloadgen"
)

// countFrom makes a connection's lazy totalCount out of a count loader.
func countFrom[K comparable](l *dataloadgen.Loader[K, int], key K) pagination.CountFunc {
	return func(ctx context.Context) (int, error) { return l.Load(ctx, key) }
}

func integrationFilter(f *domain.IntegrationFilter) domain.IntegrationFilter {
	if f == nil {
		return domain.IntegrationFilter{}
	}
	return *f
}

// integrationConnections is every integrations(first, after, filter)
// field: each parent's page, asked of the loader in one call.
func integrationConnections[P domain.Node](ctx context.Context, parent store.IntegrationParent, objs []P, first *int, after *string, filter *domain.IntegrationFilter) ([]*pagination.IntegrationConnection, error) {
	page, err := pagination.NewPage(first, after, domain.KindIntegration)
	if err != nil {
		return nil, err
	}
	f := integrationFilter(filter)
	l := dataloaders.For(ctx)
	return connections(ctx, objs, l.IntegrationPage,
		func(p P) dataloaders.IntegrationPageKey {
			return dataloaders.IntegrationPageKey{ParentID: p.GetID(), Filter: dataloaders.IntegrationList{Parent: parent, Filter: f}, Page: page}
		},
		func(rows []*domain.Integration, key dataloaders.IntegrationPageKey) *pagination.IntegrationConnection {
			return pagination.NewConnection(rows, page, countFrom(l.IntegrationCount, key))
		})
}

// connections loads the page of every parent in one loader call and
// builds each parent's connection.
func connections[P any, K comparable, T any, C any](ctx context.Context, objs []P, pages *dataloadgen.Loader[K, []T],
	keyOf func(P) K, build func([]T, K) C) ([]C, error) {
	keys := make([]K, len(objs))
	for i, o := range objs {
		keys[i] = keyOf(o)
	}
	rows, err := pages.LoadAll(ctx, keys)
	if err != nil {
		return nil, err
	}
	out := make([]C, len(objs))
	for i := range objs {
		out[i] = build(rows[i], keys[i])
	}
	return out, nil
}

// summaries reads the compliance summary of every parent in one loader call.
func summaries[P domain.Node](ctx context.Context, parent store.IntegrationParent, objs []P) ([]*domain.ComplianceSummary, error) {
	keys := make([]dataloaders.SummaryKey, len(objs))
	for i, o := range objs {
		keys[i] = dataloaders.SummaryKey{Parent: parent, ParentID: o.GetID()}
	}
	values, err := dataloaders.For(ctx).ComplianceSummary.LoadAll(ctx, keys)
	if err != nil {
		return nil, err
	}
	out := make([]*domain.ComplianceSummary, len(values))
	for i := range values {
		out[i] = &values[i]
	}
	return out, nil
}

// tokenConnections is every apiTokens(first, after) field.
func tokenConnections[P domain.Node](ctx context.Context, owner store.TokenOwner, objs []P, first *int, after *string,
	decide func(*policy.Principal, P) policy.Decision) ([]*pagination.ApiTokenConnection, error) {
	page, err := pagination.NewPage(first, after, domain.KindApiToken)
	if err != nil {
		return nil, err
	}
	pr := policy.From(ctx)
	l := dataloaders.For(ctx)
	return permitted(ctx, objs, func(o P) policy.Decision { return decide(pr, o) },
		func(allowed []P) ([]*pagination.ApiTokenConnection, error) {
			return connections(ctx, allowed, l.ApiTokenPage,
				func(o P) dataloaders.ApiTokenPageKey {
					return dataloaders.ApiTokenPageKey{ParentID: o.GetID(), Filter: owner, Page: page}
				},
				func(rows []*domain.ApiToken, key dataloaders.ApiTokenPageKey) *pagination.ApiTokenConnection {
					return pagination.NewConnection(rows, page, countFrom(l.ApiTokenCount, key))
				})
		})
}

// pointsSelecting is the page of the points of an account's organization
// whose selector selects the account.
func pointsSelecting(ctx context.Context, account *domain.Account, page pagination.Page) (*pagination.IntegrationPointConnection, error) {
	all, err := dataloaders.For(ctx).PointsSelecting.Load(ctx, account)
	if err != nil {
		return nil, err
	}
	total := len(all)
	return pagination.NewConnection(pagination.Window(all, page), page, func(context.Context) (int, error) { return total, nil }), nil
}
