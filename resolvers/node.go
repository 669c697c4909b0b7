package resolvers

import (
	"context"

	"github.com/pointguard/pointguard/catalog"
	"github.com/pointguard/pointguard/dataloaders"
	"github.com/pointguard/pointguard/domain"
)

// maxNodes bounds nodes(ids:) like a connection page.
const maxNodes = 100

// node starts loading the object an ID names and returns a thunk waiting
// for it. An ID that names nothing gives a nil Node, not an error.
func node(ctx context.Context, id string) func() (domain.Node, error) {
	kind, ok := domain.KindOf(id)
	if !ok {
		return func() (domain.Node, error) { return nil, nil }
	}
	l := dataloaders.For(ctx)
	switch kind {
	case domain.KindOrganization:
		return thunk(l.Organization.LoadThunk(ctx, id))
	case domain.KindAccount:
		return thunk(l.Account.LoadThunk(ctx, id))
	case domain.KindIntegrationPoint:
		return thunk(l.IntegrationPoint.LoadThunk(ctx, id))
	case domain.KindIntegration:
		return thunk(l.Integration.LoadThunk(ctx, id))
	case domain.KindProvider:
		p := catalog.ByID(id)
		return func() (domain.Node, error) {
			if p == nil {
				return nil, nil
			}
			return p, nil
		}
	}
	return func() (domain.Node, error) { return nil, nil }
}

// thunk adapts a loader's thunk to a Node thunk; not found is a nil Node
// (never a typed nil inside the interface).
func thunk[T domain.Node](t func() (T, error)) func() (domain.Node, error) {
	return func() (domain.Node, error) {
		v, err := t()
		if dataloaders.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return v, nil
	}
}
