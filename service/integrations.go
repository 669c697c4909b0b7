package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pointguard/pointguard/catalog"
	"github.com/pointguard/pointguard/configsecrets"
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/requestid"
	"github.com/pointguard/pointguard/rules"
	"github.com/pointguard/pointguard/store"
)

// errDryRun rolls back a check that must not write.
var errDryRun = errors.New("dry run")

// CheckIntegration runs every rule createIntegration would, takes the same
// locks, and writes nothing. Its verdict is what a create with the same
// input would be told now.
func (s *Service) CheckIntegration(ctx context.Context, in CreateIntegrationInput) (Verdict, error) {
	pr, err := principal(ctx)
	if err != nil {
		return Verdict{}, err
	}
	var violations []domain.Violation
	err = s.inTx(ctx, pr, func(tx *store.Tx) error {
		_, v, err := s.checkNew(ctx, tx, pr, in)
		if err != nil {
			return err
		}
		violations = v
		return errDryRun
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	return verdictOf(violations), err
}

// CreateIntegration creates an integration unless a DENY rule refuses it;
// then it writes nothing. Its verdict shows the DENY violations when
// refused, else the WARN ones it was allowed despite.
func (s *Service) CreateIntegration(ctx context.Context, in CreateIntegrationInput) (*domain.Integration, Verdict, error) {
	pr, err := principal(ctx)
	if err != nil {
		return nil, Verdict{}, err
	}
	var (
		out        *domain.Integration
		violations []domain.Violation
	)
	err = s.inTx(ctx, pr, func(tx *store.Tx) error {
		i, v, err := s.checkNew(ctx, tx, pr, in)
		violations = v
		if err != nil || domain.Denies(v) {
			return err
		}
		if err := tx.CreateIntegration(ctx, i); err != nil {
			return notFound(err, domain.KindAccount, in.AccountID, "input", "accountId")
		}
		out = i
		return s.audit(ctx, tx, pr, "createIntegration", i.OrganizationID, domain.KindIntegration, i.ID, nil, i)
	})
	if err != nil {
		return nil, Verdict{}, err
	}
	return out, verdictOf(violations), nil
}

// checkNew validates a create input, locks the account (so that concurrent
// creates count each other: LIMIT_REACHED holds under races) and the point
// (so that its rules do not change under the check), and judges the
// would-be integration.
func (s *Service) checkNew(ctx context.Context, tx *store.Tx, pr *policy.Principal, in CreateIntegrationInput) (*domain.Integration, []domain.Violation, error) {
	var p problems
	p.id(in.AccountID, domain.KindAccount, "input", "accountId")
	p.id(in.IntegrationPointID, domain.KindIntegrationPoint, "input", "integrationPointId")
	p.name(in.Name, "input", "name")
	config := p.config(in.Config, "input", "config")
	if err := p.err(); err != nil {
		return nil, nil, err
	}
	// A new integration needs a point the caller sees; an existing one
	// keeps the point it is on (see UpdateIntegration).
	account, point, err := lockTargets(ctx, tx, in.AccountID, in.IntegrationPointID, tx.LockIntegrationPoint)
	if err != nil {
		return nil, nil, err
	}
	if err := allow(pr, pr.ManageIntegrations(account.OrganizationID, account.ID), "create integrations",
		domain.KindAccount, account.ID, "input", "accountId"); err != nil {
		return nil, nil, err
	}
	earlier, err := tx.CountEarlierIntegrations(ctx, account.ID, point.ID, "")
	if err != nil {
		return nil, nil, err
	}
	config = configsecrets.Carry(config, nil)
	now := s.Now()
	i := &domain.Integration{
		ID: domain.NewID(domain.KindIntegration), OrganizationID: account.OrganizationID,
		AccountID: account.ID, IntegrationPointID: point.ID, ProviderKey: in.Provider, Name: in.Name,
		Config: config, CreatedAt: now, UpdatedAt: now,
		Status: domain.IntegrationActive, StatusChangedAt: now,
	}
	prg, err := s.Program(point)
	if err != nil {
		return nil, nil, err
	}
	violations := s.judgeOne(i, account, point, prg, earlier, now)
	return i, violations, err
}

// UpdateIntegration changes an integration unless a DENY rule refuses the
// result; then it writes nothing. Violations are as for CreateIntegration.
func (s *Service) UpdateIntegration(ctx context.Context, in UpdateIntegrationInput) (*domain.Integration, Verdict, error) {
	var p problems
	p.id(in.ID, domain.KindIntegration, "input", "id")
	if in.Name != nil {
		p.name(*in.Name, "input", "name")
	}
	rawConfig, setConfig := in.Config.ValueOK()
	var config map[string]any
	if setConfig {
		if rawConfig == nil {
			p.invalid("input.config must be a JSON object, got null; send {} to clear it", "input", "config")
		} else {
			config = p.config(rawConfig, "input", "config")
		}
	}
	if err := p.err(); err != nil {
		return nil, Verdict{}, err
	}
	pr, err := principal(ctx)
	if err != nil {
		return nil, Verdict{}, err
	}
	var (
		out        *domain.Integration
		violations []domain.Violation
	)
	err = s.inTx(ctx, pr, func(tx *store.Tx) error {
		// Read, then lock in the order every writer uses (account, point),
		// then read again: whatever changed it in between held those locks.
		current, err := s.findIntegration(ctx, tx, in.ID)
		if err != nil {
			return err
		}
		if err := allow(pr, pr.ManageIntegrations(current.OrganizationID, current.AccountID), "change integrations",
			domain.KindIntegration, in.ID, "input", "id"); err != nil {
			return err
		}
		account, point, err := lockTargets(ctx, tx, current.AccountID, current.IntegrationPointID, tx.LockPointOfIntegration)
		if err != nil {
			return err
		}
		if current, err = s.findIntegration(ctx, tx, in.ID); err != nil {
			return err
		}
		next := *current
		if in.Provider != nil {
			next.ProviderKey = *in.Provider
		}
		if in.Name != nil {
			next.Name = *in.Name
		}
		if setConfig {
			next.Config = configsecrets.Carry(config, current.Config)
		}
		earlier, err := tx.CountEarlierIntegrations(ctx, account.ID, point.ID, next.ID)
		if err != nil {
			return err
		}
		now := s.Now()
		next.UpdatedAt = now
		prg, err := s.Program(point)
		if err != nil {
			return err
		}
		if violations = s.judgeOne(&next, account, point, prg, earlier, now); domain.Denies(violations) {
			return nil
		}
		// A SUSPENDED integration that now complies is resumed with the
		// change that fixed it (it cannot be suspended here: a DENY
		// violation refused the change above).
		settled := settle(&next, point, now)
		if unchanged(current, &next) {
			out = current
			return nil
		}
		if err := tx.UpdateIntegration(ctx, &next); err != nil {
			return notFound(err, domain.KindIntegration, in.ID, "input", "id")
		}
		out = &next
		var l changeLog
		s.note(ctx, &l, pr, "updateIntegration", next.OrganizationID, domain.KindIntegration, next.ID, current, &next)
		if next.Compliance.Status != current.Compliance.Status || !slices.Equal(next.Compliance.Violations, current.Compliance.Violations) {
			why := cause{"mutation": "updateIntegration", "requestId": requestid.From(ctx)}.encoded()
			l.events = append(l.events, complianceChanged(&next, current.Compliance, why, now))
		}
		if settled != "" {
			was := next
			was.Status, was.StatusReason, was.StatusChangedAt = current.Status, current.StatusReason, current.StatusChangedAt
			s.noteSettled(ctx, &l, settled, &was, &next)
		}
		return l.write(ctx, tx)
	})
	if err != nil {
		return nil, Verdict{}, err
	}
	return out, verdictOf(violations), nil
}

func (s *Service) findIntegration(ctx context.Context, tx *store.Tx, id string) (*domain.Integration, error) {
	found, err := tx.FindIntegrationsByIDs(ctx, []string{id}, store.AllColumns)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, notFound(domain.ErrNotFound, domain.KindIntegration, id, "input", "id")
	}
	return found[0], nil
}

// lockTargets locks an integration's account (exclusively) and point
// (shared, with lockPoint), in that order, and checks they belong to one
// organization.
func lockTargets(ctx context.Context, tx *store.Tx, accountID, pointID string,
	lockPoint func(context.Context, string, store.LockMode) (*domain.IntegrationPoint, error)) (*domain.Account, *domain.IntegrationPoint, error) {
	account, err := tx.LockAccount(ctx, accountID)
	if err != nil {
		return nil, nil, notFound(err, domain.KindAccount, accountID, "input", "accountId")
	}
	point, err := lockPoint(ctx, pointID, store.Shared)
	if err != nil {
		return nil, nil, notFound(err, domain.KindIntegrationPoint, pointID, "input", "integrationPointId")
	}
	if point.OrganizationID != account.OrganizationID {
		// Another organization's point is, to this account, no point at all.
		return nil, nil, notFound(domain.ErrNotFound, domain.KindIntegrationPoint, pointID, "input", "integrationPointId")
	}
	return account, point, nil
}

// check runs the rules of point (prg is its compiled custom rules) on an
// integration of account that has earlier integrations before it on the point.
func check(i *domain.Integration, account *domain.Account, point *domain.IntegrationPoint, prg *rules.Program, earlier int) []domain.Violation {
	return rules.Check(rules.Facts{
		Point: point, Account: account, ProviderKey: i.ProviderKey, Provider: catalog.Lookup(i.ProviderKey),
		Name: i.Name, Config: i.Config, Earlier: earlier, Program: prg,
	})
}

// judge runs the rules (prg is the point's compiled custom rules) and
// records the result as i's compliance.
func judge(i *domain.Integration, account *domain.Account, point *domain.IntegrationPoint, prg *rules.Program, earlier int, now time.Time) []domain.Violation {
	violations := check(i, account, point, prg, earlier)
	i.Compliance = domain.Compliance{
		Status: rules.Status(violations), PointVersion: point.Version, CheckedAt: now,
		Violations: domain.OrEmpty(violations),
	}
	return violations
}

// judgeOne is judge for a write or a check of one integration, timed for
// the observer (a re-check times its whole run instead: see recheck).
func (s *Service) judgeOne(i *domain.Integration, account *domain.Account, point *domain.IntegrationPoint, prg *rules.Program, earlier int, now time.Time) []domain.Violation {
	start := time.Now()
	violations := judge(i, account, point, prg, earlier, now)
	s.observer.Checked(i.Compliance.Status, time.Since(start))
	return violations
}

// Verdict is what the caller of a write or a check of an integration is
// told of its point's rules, as UseDecision is at use time.
type Verdict struct {
	// Allowed is true when no DENY rule refuses it.
	Allowed bool
	// Violations are those the caller sees; AUDIT ones are only recorded
	// in the integration's compliance.
	Violations []domain.Violation
	// Refusal, when not allowed, says so as a user error, for clients that
	// read only userErrors.
	Refusal *domain.UserError
}

func verdictOf(violations []domain.Violation) Verdict {
	v := Verdict{Allowed: !domain.Denies(violations), Violations: visible(violations)}
	if !v.Allowed {
		denied := 0
		for _, x := range violations {
			if x.Enforcement == domain.EnforcementDeny {
				denied++
			}
		}
		v.Refusal = &domain.UserError{Code: domain.CodeRulesViolated, Field: []string{"input"},
			Message: fmt.Sprintf("The integration breaks %d rule(s) of its integration point; nothing was written. See violations.", denied)}
	}
	return v
}

// visible drops AUDIT violations: they are only recorded in compliance.
func visible(violations []domain.Violation) []domain.Violation {
	out := make([]domain.Violation, 0, len(violations))
	for _, v := range violations {
		if v.Enforcement != domain.EnforcementAudit {
			out = append(out, v)
		}
	}
	return out
}

// DeleteIntegration deletes an integration.
//
// The deletion frees a place under the point's limit of integrations per
// account, if it has one: the account's later integrations on the point
// are judged again in the same transaction, so one that was over the
// limit complies (and resumes, if suspended) at once.
func (s *Service) DeleteIntegration(ctx context.Context, in DeleteInput) (string, error) {
	var account *domain.Account
	var point *domain.IntegrationPoint
	return deleteTarget(s, ctx, in.ID, domain.KindIntegration, "delete integrations",
		func(tx *store.Tx) (*domain.Integration, error) {
			i, err := s.findIntegration(ctx, tx, in.ID)
			if err != nil {
				return nil, err
			}
			// In the order every write of integrations locks.
			if account, point, err = lockTargets(ctx, tx, i.AccountID, i.IntegrationPointID, tx.LockPointOfIntegration); err != nil {
				return nil, err
			}
			return tx.LockIntegration(ctx, in.ID)
		},
		func(pr *policy.Principal, i *domain.Integration) (policy.Decision, string) {
			return pr.ManageIntegrations(i.OrganizationID, i.AccountID), i.OrganizationID
		},
		func(tx *store.Tx) error {
			if err := tx.DeleteIntegration(ctx, in.ID); err != nil || point.MaxIntegrationsPerAccount == nil {
				return err
			}
			return s.recheckLimit(ctx, tx, account, point, cause{"mutation": "deleteIntegration", "integrationId": in.ID})
		})
}

// recheckLimit judges again the account's integrations on point, whose
// places under its limit changed, and writes the events of what changed.
func (s *Service) recheckLimit(ctx context.Context, tx *store.Tx, account *domain.Account, point *domain.IntegrationPoint, why cause) error {
	list, err := tx.FindIntegrationsToRecheck(ctx, store.ByAccount, account.ID)
	if err != nil {
		return err
	}
	list = slices.DeleteFunc(list, func(i *domain.Integration) bool { return i.IntegrationPointID != point.ID })
	prg, err := s.Program(point)
	if err != nil {
		return err
	}
	var l changeLog
	_, err = s.recheck(ctx, tx, list, map[string]*domain.Account{account.ID: account},
		map[string]*domain.IntegrationPoint{point.ID: point}, map[string]*rules.Program{point.ID: prg}, &l, why)
	if err != nil {
		return err
	}
	return l.write(ctx, tx)
}

// deleteTarget reads the target as the caller sees it, asks the policy
// (decide also names the target's organization, for the audit log),
// deletes and records the deletion.
