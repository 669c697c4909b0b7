// Package resolvers maps GraphQL fields to Pointguard: root fields read the
// store, nested fields read the request's dataloaders, and mutations call
// the service. No rule logic lives here.
package resolvers

import (
	"github.com/pointguard/pointguard/eventstream"
	"github.com/pointguard/pointguard/metrics"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
)

// Resolver is the root of the resolver tree.
type Resolver struct {
	Store   *store.Store
	Service *service.Service
	// Events streams the stored events to subscriptions.
	Events *eventstream.Broker
	// Metrics counts the use-time decisions (nil: nothing).
	Metrics *metrics.Metrics
}
