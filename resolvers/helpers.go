package resolvers

import (
	"context"
	"fmt"

	"github.com/vikstrous/dataloadgen"

	"github.com/pointguard/pointguard/dataloaders"
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/pagination"
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

// rulesViolated is the user error that accompanies refused integrations,
// for clients that only look at userErrors.
func rulesViolated(v []domain.Violation) []*domain.UserError {
	if len(v) == 0 {
		return []*domain.UserError{}
	}
	return []*domain.UserError{{
		Code:    domain.CodeRulesViolated,
		Field:   []string{"input"},
		Message: fmt.Sprintf("The integration breaks %d rule(s) of its integration point; nothing was written. See violations.", len(v)),
	}}
}

// load reads one object through a loader; a missing one is (nil, nil).
func load[T any](ctx context.Context, l *dataloadgen.Loader[string, *T], id string) (*T, error) {
	v, err := l.Load(ctx, id)
	if dataloaders.IsNotFound(err) {
		return nil, nil
	}
	return v, err
}

// loadEdge reads the target of a non-null edge: a missing one is a broken
// invariant (foreign keys forbid it), so an internal error.
func loadEdge[T any](ctx context.Context, l *dataloadgen.Loader[string, *T], id string) (*T, error) {
	v, err := l.Load(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", id, err)
	}
	return v, nil
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
