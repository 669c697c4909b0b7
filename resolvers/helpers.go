package resolvers

import (
	"context"
	"errors"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vikstrous/dataloadgen"

	"github.com/pointguard/pointguard/dataloaders"
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/graph/model"
	"github.com/pointguard/pointguard/pagination"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
)

// userErrors splits a service error into what goes to the payload's
// userErrors and what is an internal failure.
func userErrors(err error) ([]*domain.UserError, error) {
	if err == nil {
		return []*domain.UserError{}, nil
	}
	ue := domain.AsUserErrors(err)
	if ue == nil {
		return nil, err
	}
	out := make([]*domain.UserError, len(ue))
	for i := range ue {
		out[i] = &ue[i]
	}
	return out, nil
}

func violationList(v []domain.Violation) []*domain.Violation {
	out := make([]*domain.Violation, len(v))
	for i := range v {
		out[i] = &v[i]
	}
	return out
}

// load reads one object through a loader; a missing one is (nil, nil).
func load[T any](ctx context.Context, l *dataloadgen.Loader[string, *T], id string) (*T, error) {
	v, err := l.Load(ctx, id)
	if dataloaders.IsNotFound(err) {
		return nil, nil
	}
	return v, err
}

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

func integrationPayload(i *domain.Integration, v service.Verdict, err error) (*model.IntegrationPayload, error) {
	ue, err := userErrors(err)
	if err != nil {
		return nil, err
	}
	if len(ue) == 0 && v.Refusal != nil {
		ue = []*domain.UserError{v.Refusal}
	}
	return &model.IntegrationPayload{Integration: i, Violations: violationList(v.Violations), UserErrors: ue}, nil
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

// loadEdges reads the target of a non-null to-one edge for every parent
// in one loader call. A missing target is a broken invariant (foreign keys
// forbid it), so an internal error.
func loadEdges[P any, T any](ctx context.Context, l *dataloadgen.Loader[string, *T], objs []P, idOf func(P) string) ([]*T, error) {
	ids := make([]string, len(objs))
	for i, o := range objs {
		ids[i] = idOf(o)
	}
	out, err := l.LoadAll(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load edges: %w", err)
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

// permitted resolves a batch field for the parents the policy lets the
// caller read, with load; the others get null and a FORBIDDEN error each.
func permitted[P any, C any](ctx context.Context, objs []P, decide func(P) policy.Decision, load func([]P) ([]*C, error)) ([]*C, error) {
	var (
		allowed []P
		at      []int
		errs    = make(graphql.BatchErrorList, len(objs))
		denied  bool
	)
	for i, o := range objs {
		if decide(o) == policy.Allowed {
			allowed = append(allowed, o)
			at = append(at, i)
			continue
		}
		errs[i] = &domain.ForbiddenError{Message: "your token's role may not read this field"}
		denied = true
	}
	out := make([]*C, len(objs))
	if len(allowed) > 0 {
		values, err := load(allowed)
		if err != nil {
			return nil, err
		}
		for j, i := range at {
			out[i] = values[j]
		}
	}
	if denied {
		return out, errs
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

// loadOptional reads the target of a nullable to-one edge for every parent
// in one loader call: null where the parent has none, or where the caller
// may not see it.
func loadOptional[P any, T any](ctx context.Context, l *dataloadgen.Loader[string, *T], objs []P, idOf func(P) string) ([]*T, error) {
	var ids []string
	for _, o := range objs {
		if id := idOf(o); id != "" {
			ids = append(ids, id)
		}
	}
	found := map[string]*T{}
	if len(ids) > 0 {
		values, err := l.LoadAll(ctx, ids)
		for i, v := range values {
			found[ids[i]] = v
		}
		if err != nil && !allNotFound(err) {
			return nil, err
		}
	}
	out := make([]*T, len(objs))
	for i, o := range objs {
		out[i] = found[idOf(o)]
	}
	return out, nil
}

// allNotFound is true when every error a LoadAll returned is a missing key.
func allNotFound(err error) bool {
	var list dataloadgen.ErrorSlice
	if !errors.As(err, &list) {
		return dataloaders.IsNotFound(err)
	}
	for _, e := range list {
		if e != nil && !dataloaders.IsNotFound(e) {
			return false
		}
	}
	return true
}

// reader reads the store as the caller may: for the root fields that do
// not go through a loader.
func (r *Resolver) reader(ctx context.Context) *store.Reader {
	return r.Store.Read(policy.From(ctx).Scope())
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
