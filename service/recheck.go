package service

import (
	"context"
	"slices"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/store"
)

// recheckPoint re-judges every integration on a point against its new
// rules and stores the results that changed. Integrations that no longer
// comply stay, marked NON_COMPLIANT with their violations, so drift is
// visible. It returns every integration's impact.
func (s *Service) recheckPoint(ctx context.Context, tx *store.Tx, point *domain.IntegrationPoint) ([]*domain.Impact, error) {
	list, err := tx.FindIntegrationsToRecheck(ctx, store.ByIntegrationPoint, point.ID)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	accounts, err := tx.FindAccountsByIDs(ctx, distinct(list, func(i *domain.Integration) string { return i.AccountID }))
	if err != nil {
		return nil, err
	}
	points := map[string]*domain.IntegrationPoint{point.ID: point}
	return s.recheck(ctx, tx, list, byID(accounts), points)
}

// recheckAccount re-judges an account's integrations after a change of the
// account, holding its points' rules still while it does.
func (s *Service) recheckAccount(ctx context.Context, tx *store.Tx, account *domain.Account) error {
	list, err := tx.FindIntegrationsToRecheck(ctx, store.ByAccount, account.ID)
	if err != nil || len(list) == 0 {
		return err
	}
	points, err := tx.LockIntegrationPoints(ctx, distinct(list, func(i *domain.Integration) string { return i.IntegrationPointID }), store.Shared)
	if err != nil {
		return err
	}
	accounts := map[string]*domain.Account{account.ID: account}
	_, err = s.recheck(ctx, tx, list, accounts, byID(points))
	return err
}

// recheck judges integrations ordered by account, point and age (so that
// each one's position among its account's integrations on the point is its
// Earlier count) and stores the results that changed: at scale, most
// integrations keep their result, and rewriting them would cost the most.
func (s *Service) recheck(ctx context.Context, tx *store.Tx, list []*domain.Integration,
	accounts map[string]*domain.Account, points map[string]*domain.IntegrationPoint) ([]*domain.Impact, error) {
	now := s.now()
	impacts := make([]*domain.Impact, len(list))
	var changed []*domain.Integration
	earlier := 0
	for n, i := range list {
		if n > 0 && (list[n-1].AccountID != i.AccountID || list[n-1].IntegrationPointID != i.IntegrationPointID) {
			earlier = 0
		}
		before := i.Compliance
		if _, err := s.judge(i, accounts[i.AccountID], points[i.IntegrationPointID], earlier, now); err != nil {
			return nil, err
		}
		earlier++
		impact := &domain.Impact{Integration: i, Before: before.Status, After: i.Compliance.Status, Violations: i.Compliance.Violations}
		if impact.Changed = i.Compliance.Status != before.Status || !slices.Equal(i.Compliance.Violations, before.Violations); impact.Changed {
			changed = append(changed, i)
		} else {
			i.Compliance = before // unchanged: as stored
		}
		impacts[n] = impact
	}
	return impacts, tx.UpdateCompliance(ctx, changed)
}

func distinct(list []*domain.Integration, key func(*domain.Integration) string) []string {
	seen := map[string]bool{}
	var out []string
	for _, i := range list {
		if k := key(i); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

func byID[T domain.Node](list []T) map[string]T {
	m := make(map[string]T, len(list))
	for _, x := range list {
		m[x.GetID()] = x
	}
	return m
}
