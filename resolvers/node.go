package resolvers

import (
	"context"
	"errors"

	"github.com/pointguard/pointguard/catalog"
	"github.com/pointguard/pointguard/dataloaders"
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
)

// maxNodes bounds nodes(ids:) like a connection page.
const maxNodes = 100

// node starts loading the object an ID names and returns a thunk waiting
// for it. An ID that names nothing gives a nil Node, not an error.
func (r *Resolver) node(ctx context.Context, id string) func() (domain.Node, error) {
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
	case domain.KindWebhookEndpoint, domain.KindWebhookDelivery, domain.KindEvent:
		// Rare lookups, of at most 100 IDs: read one by one rather than
		// batched by a loader.
		return func() (domain.Node, error) { return r.webhookNode(ctx, kind, id) }
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

// webhookNode reads an endpoint, a delivery or an event as the lists show
// them: endpoints and their deliveries to whoever may manage the endpoint
// (Organization.webhookEndpoints), events within the token's scope (as the
// subscriptions stream them); anything else is nil, as if it did not exist.
func (r *Resolver) webhookNode(ctx context.Context, kind domain.Kind, id string) (domain.Node, error) {
	read := r.reader(ctx)
	pr := policy.From(ctx)
	endpoint := func(id string) (*domain.WebhookEndpoint, error) {
		ws, err := read.FindWebhookEndpointsByIDs(ctx, []string{id})
		if err != nil || len(ws) == 0 || pr.ManageWebhooks(ws[0].OrganizationID, ws[0].AccountID) != policy.Allowed {
			return nil, err
		}
		return ws[0], nil
	}
	switch kind {
	case domain.KindWebhookEndpoint:
		w, err := endpoint(id)
		if w == nil || err != nil {
			return nil, err
		}
		return w, nil
	case domain.KindWebhookDelivery:
		d, err := r.Store.FindDelivery(ctx, id)
		if errors.Is(err, domain.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		w, err := endpoint(d.EndpointID)
		if w == nil || err != nil {
			return nil, err
		}
		return d, nil
	case domain.KindEvent:
		e, err := read.FindEvent(ctx, id)
		if errors.Is(err, domain.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return &e, nil
	}
	return nil, nil
}
