package resolvers

// Loads: reading objects and edges through the request's loaders, for
// the batch resolvers, and the policy's say on batch fields.

import (
	"context"
	"errors"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/pointguard/pointguard/dataloaders"
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/store"
	"github.com/vikstrous/dataloadgen"
)

// load reads one object through a loader; a missing one is (nil, nil).
func load[T any](ctx context.Context, l *dataloadgen.Loader[string, *T], id string) (*T, error) {
	v, err := l.Load(ctx, id)
	if dataloaders.IsNotFound(err) {
		return nil, nil
	}
	return v, err
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

// reader reads the store as the caller may: for the root fields that do
// not go through a loader.
func (r *Resolver) reader(ctx context.Context) *store.Reader {
	return r.Store.Read(policy.From(ctx).Scope())
}
