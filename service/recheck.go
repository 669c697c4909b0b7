package service

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/requestid"
	"github.com/pointguard/pointguard/rules"
	"github.com/pointguard/pointguard/store"
)

// recheckPoint re-judges every integration on a point against its new
// rules and stores the results that changed. Integrations that no longer
// comply stay, marked NON_COMPLIANT with their violations, so drift is
// visible. It returns every integration's impact, and notes in l (unless
// nil: a preview) the events of what changed, caused by why.
func (s *Service) recheckPoint(ctx context.Context, tx *store.Tx, point *domain.IntegrationPoint, l *changeLog, why cause) ([]*domain.Impact, error) {
	list, err := tx.FindIntegrationsToRecheck(ctx, store.ByIntegrationPoint, point.ID)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	accounts, err := tx.FindAccountsByIDs(ctx, distinct(list, func(i *domain.Integration) string { return i.AccountID }), store.AllColumns)
	if err != nil {
		return nil, err
	}
	// The new version is not committed yet, and may never be (a preview, a
	// retry): its rules are compiled for this re-check only, never cached.
	prg, errs := rules.Compile(point.Rules)
	if len(errs) > 0 {
		return nil, fmt.Errorf("point %s: rules do not compile: %s", point.ID, errs[0].Message)
	}
	programs := map[string]*rules.Program{point.ID: prg}
	points := map[string]*domain.IntegrationPoint{point.ID: point}
	return s.recheck(ctx, tx, list, byID(accounts), points, programs, l, why)
}

// recheckAccount re-judges an account's integrations after a change of the
// account, holding its points' rules still while it does, and notes in l
// the events of what changed, caused by why.
func (s *Service) recheckAccount(ctx context.Context, tx *store.Tx, account *domain.Account, l *changeLog, why cause) error {
	list, err := tx.FindIntegrationsToRecheck(ctx, store.ByAccount, account.ID)
	if err != nil || len(list) == 0 {
		return err
	}
	points, err := tx.LockPointsOfIntegrations(ctx, distinct(list, func(i *domain.Integration) string { return i.IntegrationPointID }), store.Shared)
	if err != nil {
		return err
	}
	// Read the results again now that the points are locked: a rule change
	// may have re-checked them while this waited, and a write decided
	// against a stale result would be skipped as "unchanged". The account
	// lock keeps the set of integrations, and so of points, the same.
	if list, err = tx.FindIntegrationsToRecheck(ctx, store.ByAccount, account.ID); err != nil {
		return err
	}
	programs := map[string]*rules.Program{}
	for _, p := range points {
		if programs[p.ID], err = s.Program(p); err != nil {
			return err
		}
	}
	accounts := map[string]*domain.Account{account.ID: account}
	_, err = s.recheck(ctx, tx, list, accounts, byID(points), programs, l, why)
	return err
}

// recheck judges integrations, oldest first (so that the count of those
// seen before of its account on its point is its Earlier), and stores the
// results that changed: at scale, most
// integrations keep their result, and rewriting them would cost the most.
// Each integration's lifecycle status is then settled (see settle) and the
// statuses that change are written. Unless l is nil, each change of a
// result is noted in it as an integration.compliance_changed event, and
// each change of a status as Pointguard's own act, for the caller to
// write in bulk.
func (s *Service) recheck(ctx context.Context, tx *store.Tx, list []*domain.Integration,
	accounts map[string]*domain.Account, points map[string]*domain.IntegrationPoint, programs map[string]*rules.Program,
	l *changeLog, why cause) ([]*domain.Impact, error) {
	defer s.rechecked(time.Now(), len(list))
	now := s.Now()
	impacts := make([]*domain.Impact, len(list))
	var changed, settled []*domain.Integration
	var whyJSON json.RawMessage
	if why != nil {
		why["requestId"] = requestid.From(ctx)
		whyJSON = why.encoded()
	}
	type pair struct{ account, point string }
	earlier := map[pair]int{}
	for n, i := range list {
		before := i.Compliance
		on := pair{i.AccountID, i.IntegrationPointID}
		judge(i, accounts[i.AccountID], points[i.IntegrationPointID], programs[i.IntegrationPointID], earlier[on], now)
		earlier[on]++
		impact := &domain.Impact{Integration: i, Before: before.Status, After: i.Compliance.Status, Violations: i.Compliance.Violations}
		if impact.Changed = i.Compliance.Status != before.Status || !slices.Equal(i.Compliance.Violations, before.Violations); impact.Changed {
			changed = append(changed, i)
			if l != nil {
				l.events = append(l.events, complianceChanged(i, before, whyJSON, now))
			}
		} else {
			// Unchanged, as stored: and so the new version's result too, as
			// every read of a stored result says (store.integrationRow.fill).
			i.Compliance = before
			i.Compliance.PointVersion = max(before.PointVersion, points[i.IntegrationPointID].Version)
		}
		status, reason, changedAt := orActive(i.Status), i.StatusReason, i.StatusChangedAt
		if action := settle(i, points[i.IntegrationPointID], now); action != "" {
			settled = append(settled, i)
			impact.Changed = true
			if l != nil {
				was := *i
				was.Compliance, was.Status, was.StatusReason, was.StatusChangedAt = before, status, reason, changedAt
				s.noteSettled(ctx, l, action, &was, i)
			}
		}
		impact.StatusBefore, impact.StatusAfter = status, i.Status
		impacts[n] = impact
	}
	if err := tx.UpdateCompliance(ctx, changed); err != nil {
		return nil, err
	}
	if err := tx.UpdateStatuses(ctx, settled); err != nil {
		return nil, err
	}
	return impacts, nil
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
