package resolvers

import (
	"context"
	"errors"
	"time"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/service"
)

// authorizeUse is the use-time gate (authorizeIntegrationUse), counted
// with its time on r.Metrics by outcome: an integration the token cannot
// see, or none, is refused; an error is not a decision.
func (r *queryResolver) authorizeUse(ctx context.Context, integrationID string) (*service.UseDecision, error) {
	start := time.Now()
	d, err := r.decide(ctx, integrationID)
	if err == nil {
		r.Metrics.Decided(d.Allowed, time.Since(start))
	}
	return d, err
}

func (r *queryResolver) decide(ctx context.Context, integrationID string) (*service.UseDecision, error) {
	if kind, ok := domain.KindOf(integrationID); !ok || kind != domain.KindIntegration {
		return &service.UseDecision{Violations: []domain.Violation{}}, nil
	}
	// A root field has no siblings to batch with: read at once, through a
	// prepared statement, rather than wait for a loader's batch.
	uc, err := r.Store.FindUseContext(ctx, policy.From(ctx).Scope(), integrationID)
	if errors.Is(err, domain.ErrNotFound) {
		return &service.UseDecision{Violations: []domain.Violation{}}, nil
	}
	if err != nil {
		return nil, err
	}
	return r.Service.Decide(uc)
}
