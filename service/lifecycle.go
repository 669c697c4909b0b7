package service

import (
	"context"
	"fmt"
	"time"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/store"
)

// An integration's lifecycle status says whether it may be used. A person
// disables and enables it; its point suspends it while it is NON_COMPLIANT
// (OnViolation SUSPEND) and resumes it once it complies, in the
// transaction of the change that decided it. What a person disabled, only
// a person enables: settle never touches a DISABLED integration.

// The audit actions of lifecycle changes. Suspensions and resumptions are
// Pointguard's own (policy.System), with the request ID of the change
// that caused them.
const (
	actionDisable = "disableIntegration"
	actionEnable  = "enableIntegration"
	actionSuspend = "suspendIntegration"
	actionResume  = "resumeIntegration"
)

func orActive(s domain.IntegrationStatus) domain.IntegrationStatus {
	if s == "" {
		return domain.IntegrationActive
	}
	return s
}

func orKeep(o domain.OnViolation) domain.OnViolation {
	if o == "" {
		return domain.OnViolationKeep
	}
	return o
}

// suspendedBy is the reason a point suspends with: the same for all its
// integrations, so that a re-check writes them in one statement.
func suspendedBy(point *domain.IntegrationPoint) string {
	return fmt.Sprintf("Suspended by integration point %s (onViolation: SUSPEND) because it is NON_COMPLIANT; "+
		"it resumes by itself once it complies (see compliance.violations)", point.Slug)
}

// settle gives i the status its compliance calls for on point, as of now:
// SUSPENDED while NON_COMPLIANT on a point that suspends, ACTIVE again
// once not. It returns the action to record, or "" when the status stays.
func settle(i *domain.Integration, point *domain.IntegrationPoint, now time.Time) string {
	i.Status = orActive(i.Status)
	suspend := orKeep(point.OnViolation) == domain.OnViolationSuspend && i.Compliance.Status == domain.StatusNonCompliant
	switch {
	case i.Status == domain.IntegrationDisabled:
		return ""
	case suspend && i.Status == domain.IntegrationActive:
		reason := suspendedBy(point)
		i.Status, i.StatusReason, i.StatusChangedAt = domain.IntegrationSuspended, &reason, now
		return actionSuspend
	case !suspend && i.Status == domain.IntegrationSuspended:
		i.Status, i.StatusReason, i.StatusChangedAt = domain.IntegrationActive, nil, now
		return actionResume
	}
	return ""
}

// auditSettled records what settle did to i (before is i as it was), as
// Pointguard's own act.
func (s *Service) noteSettled(ctx context.Context, l *changeLog, action string, before, after *domain.Integration) {
	s.note(ctx, l, policy.System, action, after.OrganizationID, domain.KindIntegration, after.ID, before, after)
}

// DisableIntegration takes an integration out of use until a person
// enables it. Disabling a disabled integration again changes its reason
// only.
func (s *Service) DisableIntegration(ctx context.Context, in DisableIntegrationInput) (*domain.Integration, Verdict, error) {
	var p problems
	p.id(in.ID, domain.KindIntegration, "input", "id")
	p.human(in.Reason, MaxDescriptionLength, true, true, "input", "reason")
	if err := p.err(); err != nil {
		return nil, Verdict{}, err
	}
	return s.changeStatus(ctx, in.ID, "disable integrations", func(current *domain.Integration, _ *domain.IntegrationPoint) (*domain.Integration, Verdict, error) {
		next := *current
		reason := in.Reason
		next.StatusReason = &reason
		if current.Status != domain.IntegrationDisabled {
			next.Status, next.StatusChangedAt = domain.IntegrationDisabled, s.Now()
		}
		return &next, verdictOf(nil), nil
	}, actionDisable)
}

// EnableIntegration puts a DISABLED integration back in use. It refuses,
// writing nothing, while the integration is NON_COMPLIANT on a point that
// suspends: enabling it would either hand it to the point's suspension
// at once or let a person overrule the point's rules, and the caller
// learns more from a refusal that says why (RULES_VIOLATED, with the
// violations) than from a success that leaves it out of use. A SUSPENDED
// integration is refused alike; it resumes by itself once it complies.
func (s *Service) EnableIntegration(ctx context.Context, in EnableIntegrationInput) (*domain.Integration, Verdict, error) {
	var p problems
	p.id(in.ID, domain.KindIntegration, "input", "id")
	if err := p.err(); err != nil {
		return nil, Verdict{}, err
	}
	return s.changeStatus(ctx, in.ID, "enable integrations", func(current *domain.Integration, point *domain.IntegrationPoint) (*domain.Integration, Verdict, error) {
		next := *current
		next.Status = domain.IntegrationActive
		if settle(&next, point, s.Now()) == actionSuspend {
			v := verdictOf(current.Compliance.Violations)
			state := "DISABLED"
			if current.Status == domain.IntegrationSuspended {
				state = "SUSPENDED; it resumes by itself once it complies"
			}
			v.Refusal = &domain.UserError{Code: domain.CodeRulesViolated, Field: []string{"input", "id"}, Message: fmt.Sprintf(
				"Integration %s is NON_COMPLIANT on integration point %s, which suspends integrations that break its rules "+
					"(onViolation: SUSPEND): it stays %s. Fix it with updateIntegration (see violations), then enable it.",
				current.Name, point.Slug, state)}
			return nil, v, nil
		}
		if current.Status != domain.IntegrationActive {
			next.Status, next.StatusReason, next.StatusChangedAt = domain.IntegrationActive, nil, s.Now()
		}
		return &next, verdictOf(nil), nil
	}, actionEnable)
}

// changeStatus reads an integration under the locks an update takes
// (account, then point), asks the policy, lets decide make the next
// integration (nil: refused, nothing written) and writes and records it
// when it changed.
func (s *Service) changeStatus(ctx context.Context, id, what string,
	decide func(current *domain.Integration, point *domain.IntegrationPoint) (*domain.Integration, Verdict, error), action string) (*domain.Integration, Verdict, error) {
	pr, err := principal(ctx)
	if err != nil {
		return nil, Verdict{}, err
	}
	var (
		out     *domain.Integration
		verdict Verdict
	)
	err = s.inTx(ctx, pr, func(tx *store.Tx) error {
		current, err := s.findIntegration(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := allow(pr, pr.ManageIntegrations(current.OrganizationID, current.AccountID), what,
			domain.KindIntegration, id, "input", "id"); err != nil {
			return err
		}
		_, point, err := lockTargets(ctx, tx, current.AccountID, current.IntegrationPointID, tx.LockPointOfIntegration)
		if err != nil {
			return err
		}
		if current, err = s.findIntegration(ctx, tx, id); err != nil {
			return err
		}
		next, v, err := decide(current, point)
		verdict = v
		if err != nil || next == nil {
			return err
		}
		if unchanged(current, next) {
			out = current
			return nil
		}
		next.UpdatedAt = s.Now()
		if err := tx.UpdateIntegration(ctx, next); err != nil {
			return notFound(err, domain.KindIntegration, id, "input", "id")
		}
		out = next
		return s.audit(ctx, tx, pr, action, next.OrganizationID, domain.KindIntegration, next.ID, current, next)
	})
	if err != nil {
		return nil, Verdict{}, err
	}
	return out, verdict, nil
}

// onViolationOr is *o, or or when o is nil.
func onViolationOr(o *domain.OnViolation, or domain.OnViolation) domain.OnViolation {
	if o == nil {
		return or
	}
	return *o
}

// Use-time gate codes of an integration out of use.
const (
	ViolationIntegrationDisabled  = "INTEGRATION_DISABLED"
	ViolationIntegrationSuspended = "INTEGRATION_SUSPENDED"
)

// outOfUse is the DENY violation the use-time gate refuses a DISABLED or
// SUSPENDED integration with, or nil for an ACTIVE one.
func outOfUse(i *domain.Integration) *domain.Violation {
	reason := ""
	if i.StatusReason != nil {
		reason = ": " + *i.StatusReason
	}
	switch orActive(i.Status) {
	case domain.IntegrationDisabled:
		return &domain.Violation{Code: ViolationIntegrationDisabled, Rule: "status", Enforcement: domain.EnforcementDeny,
			Message: fmt.Sprintf("Integration %s is DISABLED%s; a person enables it with enableIntegration", i.Name, reason)}
	case domain.IntegrationSuspended:
		return &domain.Violation{Code: ViolationIntegrationSuspended, Rule: "status", Enforcement: domain.EnforcementDeny,
			Message: fmt.Sprintf("Integration %s is SUSPENDED by its integration point until it complies", i.Name)}
	}
	return nil
}
