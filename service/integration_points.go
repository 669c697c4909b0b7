package service

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/store"
)

// CreateIntegrationPoint creates a point at version 1.
func (s *Service) CreateIntegrationPoint(ctx context.Context, in CreateIntegrationPointInput) (*domain.IntegrationPoint, error) {
	var p problems
	p.id(in.OrganizationID, domain.KindOrganization, "input", "organizationId")
	p.slug(in.Slug, "input", "slug")
	p.name(in.Name, "input", "name")
	description := ""
	if in.Description != nil {
		description = *in.Description
		p.prose(description, MaxDescriptionLength, "input", "description")
	}
	p.allowedProviders(in.AllowedProviders, in.Category, "input", "allowedProviders")
	p.requiredConfig(in.RequiredConfig, "input", "requiredConfig")
	p.limit(in.MaxIntegrationsPerAccount, "input", "maxIntegrationsPerAccount")
	p.rules(in.Rules, "input", "rules")
	p.selector(in.AccountSelector, "input", "accountSelector")
	sent := p.configDefaults(in.ConfigDefaults, false, "input", "configDefaults")
	p.onViolation(in.OnViolation, "input", "onViolation")
	if err := p.err(); err != nil {
		return nil, err
	}
	now := s.Now()
	point := &domain.IntegrationPoint{
		ID: domain.NewID(domain.KindIntegrationPoint), OrganizationID: in.OrganizationID,
		Slug: in.Slug, Name: in.Name, Description: description, Category: in.Category, Version: 1,
		AllowedProviders:          normalizeAllowed(in.AllowedProviders),
		RequiredConfig:            domain.OrEmpty(in.RequiredConfig),
		MaxIntegrationsPerAccount: in.MaxIntegrationsPerAccount,
		Rules:                     domain.OrEmpty(in.Rules),
		AccountSelector:           normalizeSelector(in.AccountSelector),
		OnViolation:               onViolationOr(in.OnViolation, domain.OnViolationKeep),
		CreatedAt:                 now, UpdatedAt: now,
	}
	point.ConfigDefaults, point.SecretDefaults = domain.OrEmpty(sent.plain), sent.secret
	p.defaultsFit(point, sent.index, "input", "configDefaults")
	if err := p.err(); err != nil {
		return nil, err
	}
	pr, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if err := allow(pr, pr.ManageOrganization(in.OrganizationID), "create integration points",
		domain.KindOrganization, in.OrganizationID, "input", "organizationId"); err != nil {
		return nil, err
	}
	err = s.inTx(ctx, pr, func(tx *store.Tx) error {
		err := tx.CreateIntegrationPoint(ctx, point)
		err = notFound(err, domain.KindOrganization, in.OrganizationID, "input", "organizationId")
		if err = slugTaken(err, in.Slug, " by another integration point of the organization", "input", "slug"); err != nil {
			return err
		}
		if err := tx.CreateIntegrationPointVersion(ctx, point); err != nil {
			return err
		}
		if len(point.AllConfigDefaults()) > 0 {
			if err := tx.SetPointConfigDefaults(ctx, point); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, pr, "createIntegrationPoint", point.OrganizationID, domain.KindIntegrationPoint, point.ID, nil, point)
	})
	if err != nil {
		return nil, err
	}
	return point, nil
}

// UpdateIntegrationPoint changes a point. A change of its rules raises its
// version, records the new version and re-checks every integration on it,
// in the same transaction: readers see the old rules and results or the
// new ones, never a mix.
func (s *Service) UpdateIntegrationPoint(ctx context.Context, in UpdateIntegrationPointInput) (*domain.IntegrationPoint, error) {
	if err := validatePointUpdate(in); err != nil {
		return nil, err
	}
	pr, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	var out *domain.IntegrationPoint
	err = s.inTx(ctx, pr, func(tx *store.Tx) error {
		var rechecked changeLog
		before, next, _, err := s.updatePoint(ctx, tx, pr, in, &rechecked)
		if err != nil {
			return err
		}
		out = next
		// The point's event first, then what its change did.
		if err := s.audit(ctx, tx, pr, "updateIntegrationPoint", next.OrganizationID, domain.KindIntegrationPoint, next.ID, before, next); err != nil {
			return err
		}
		return rechecked.write(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PreviewIntegrationPointUpdate runs the update exactly as
// UpdateIntegrationPoint would, with the same locks and code, and rolls it
// back: applying the same input next gives the predicted result, unless
// something else changes in between (expectedVersion guards that).
func (s *Service) PreviewIntegrationPointUpdate(ctx context.Context, in UpdateIntegrationPointInput) (*domain.ImpactPreview, error) {
	if err := validatePointUpdate(in); err != nil {
		return nil, err
	}
	pr, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	var out *domain.ImpactPreview
	err = s.inTx(ctx, pr, func(tx *store.Tx) error {
		before, next, impacts, err := s.updatePoint(ctx, tx, pr, in, nil)
		if err != nil {
			return err
		}
		configChanges(before, next, impacts)
		if impacts == nil { // the rules do not change: every integration stays as it is
			counts, err := tx.SummarizeCompliance(ctx, store.ByIntegrationPoint, []string{next.ID})
			if err != nil {
				return err
			}
			out = domain.NewImpactPreview(next.Version, nil)
			out.Unchanged = counts[next.ID].Total
			return errDryRun
		}
		out = domain.NewImpactPreview(next.Version, impacts)
		return errDryRun
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	return out, err
}

func validatePointUpdate(in UpdateIntegrationPointInput) error {
	var p problems
	p.id(in.ID, domain.KindIntegrationPoint, "input", "id")
	if in.ExpectedVersion != nil && *in.ExpectedVersion < 1 {
		p.invalid(fmt.Sprintf("input.expectedVersion must be at least 1, got %d", *in.ExpectedVersion), "input", "expectedVersion")
	}
	if in.Slug != nil {
		p.slug(*in.Slug, "input", "slug")
	}
	if in.Name != nil {
		p.name(*in.Name, "input", "name")
	}
	if description, set := in.Description.ValueOK(); set && description != nil {
		p.prose(*description, MaxDescriptionLength, "input", "description")
	}
	if required, set := in.RequiredConfig.ValueOK(); set {
		p.requiredConfig(required, "input", "requiredConfig")
	}
	if limit, set := in.MaxIntegrationsPerAccount.ValueOK(); set {
		p.limit(limit, "input", "maxIntegrationsPerAccount")
	}
	if rs, set := in.Rules.ValueOK(); set {
		p.rules(rs, "input", "rules")
	}
	if sel, set := in.AccountSelector.ValueOK(); set {
		p.selector(sel, "input", "accountSelector")
	}
	p.onViolation(in.OnViolation, "input", "onViolation")
	if cds, set := in.ConfigDefaults.ValueOK(); set {
		p.configDefaults(cds, true, "input", "configDefaults")
	}
	return p.err()
}

// updatePoint applies a validated update inside tx and returns the point
// as it was and as it now is and, when its rules changed, the impact on
// every integration, whose events it notes in l (unless nil: a preview).
func (s *Service) updatePoint(ctx context.Context, tx *store.Tx, pr *policy.Principal, in UpdateIntegrationPointInput, l *changeLog) (
	before, after *domain.IntegrationPoint, impacts []*domain.Impact, err error) {
	point, err := tx.LockIntegrationPoint(ctx, in.ID, store.Exclusive)
	if err != nil {
		return nil, nil, nil, notFound(err, domain.KindIntegrationPoint, in.ID, "input", "id")
	}
	if err := allow(pr, pr.ManageOrganization(point.OrganizationID), "change integration points",
		domain.KindIntegrationPoint, in.ID, "input", "id"); err != nil {
		return nil, nil, nil, err
	}
	if in.ExpectedVersion != nil && *in.ExpectedVersion != point.Version {
		return nil, nil, nil, domain.NewUserError(domain.CodeVersionConflict, fmt.Sprintf(
			"Integration point %s is at version %d, not %d: it changed since you read it; read it again and retry",
			point.Slug, point.Version, *in.ExpectedVersion), "input", "expectedVersion")
	}
	next := *point
	if in.Slug != nil {
		next.Slug = *in.Slug
	}
	if in.Name != nil {
		next.Name = *in.Name
	}
	if description, set := in.Description.ValueOK(); set {
		next.Description = ""
		if description != nil {
			next.Description = *description
		}
	}
	if in.Category != nil {
		next.Category = *in.Category
	}
	if in.AllowedProviders != nil {
		next.AllowedProviders = normalizeAllowed(*in.AllowedProviders)
	}
	if required, set := in.RequiredConfig.ValueOK(); set {
		next.RequiredConfig = domain.OrEmpty(required)
	}
	if limit, set := in.MaxIntegrationsPerAccount.ValueOK(); set {
		next.MaxIntegrationsPerAccount = limit
	}
	if rs, set := in.Rules.ValueOK(); set {
		next.Rules = domain.OrEmpty(rs)
	}
	if sel, set := in.AccountSelector.ValueOK(); set {
		next.AccountSelector = normalizeSelector(sel)
	}
	next.OnViolation = onViolationOr(in.OnViolation, orKeep(point.OnViolation))
	index := map[defaultKey]int{}
	if cds, set := in.ConfigDefaults.ValueOK(); set {
		var p problems // validatePointUpdate reported them
		sent := p.configDefaults(cds, true, "input", "configDefaults")
		next.ConfigDefaults, next.SecretDefaults = domain.OrEmpty(sent.plain), carrySecretDefaults(point.SecretDefaults, sent)
		index = sent.index
	}
	// The approved providers must fit the category the point ends up with.
	var problemsAfter problems
	problemsAfter.allowedProviders(next.AllowedProviders, next.Category, "input", "allowedProviders")
	if in.ConfigDefaults.IsSet() || in.AllowedProviders != nil || in.Category != nil {
		problemsAfter.defaultsFit(&next, index, "input", "configDefaults")
	}
	if err := problemsAfter.err(); err != nil {
		return nil, nil, nil, err
	}
	if unchanged(point, &next) {
		return point, point, nil, nil
	}
	rulesChanged := !sameRules(point, &next)
	if rulesChanged {
		next.Version++
	}
	next.UpdatedAt = s.Now()
	if err := tx.UpdateIntegrationPoint(ctx, &next); err != nil {
		return nil, nil, nil, slugTaken(err, next.Slug, " by another integration point of the organization", "input", "slug")
	}
	if !sameDefaults(point, &next) {
		if err := tx.SetPointConfigDefaults(ctx, &next); err != nil {
			return nil, nil, nil, err
		}
	}
	if !rulesChanged {
		if point.OnViolation == next.OnViolation {
			return point, &next, nil, nil
		}
		// Only what becomes of NON_COMPLIANT integrations changes: the
		// rules, and so the version and every result, stay; every status
		// is settled again.
		if impacts, err = s.recheckPoint(ctx, tx, &next, l, pointChange(&next)); err != nil {
			return nil, nil, nil, err
		}
		return point, &next, impacts, nil
	}
	if err := tx.CreateIntegrationPointVersion(ctx, &next); err != nil {
		return nil, nil, nil, err
	}
	impacts, err = s.recheckPoint(ctx, tx, &next, l, pointChange(&next))
	if err != nil {
		return nil, nil, nil, err
	}
	return point, &next, impacts, nil
}

// sameRules is true when two versions of a point judge integrations alike.
func sameRules(a, b *domain.IntegrationPoint) bool {
	return a.Category == b.Category &&
		slices.Equal(a.AllowedProviders.Test, b.AllowedProviders.Test) &&
		slices.Equal(a.AllowedProviders.Prod, b.AllowedProviders.Prod) &&
		slices.Equal(a.RequiredConfig, b.RequiredConfig) &&
		equalLimit(a.MaxIntegrationsPerAccount, b.MaxIntegrationsPerAccount) &&
		slices.Equal(a.Rules, b.Rules) &&
		slices.Equal(a.AccountSelector.Environments, b.AccountSelector.Environments) &&
		slices.Equal(a.AccountSelector.MatchLabels, b.AccountSelector.MatchLabels) &&
		sameDefaults(a, b)
}

func normalizeSelector(s *domain.AccountSelector) domain.AccountSelector {
	if s == nil {
		return domain.AccountSelector{Environments: []domain.Environment{}, MatchLabels: []domain.Label{}}
	}
	out := *s
	if out.Environments == nil {
		out.Environments = []domain.Environment{}
	}
	if out.MatchLabels == nil {
		out.MatchLabels = []domain.Label{}
	}
	return out
}

func equalLimit(a, b *int) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func normalizeAllowed(a domain.AllowedProviders) domain.AllowedProviders {
	return domain.AllowedProviders{Test: domain.OrEmpty(a.Test), Prod: domain.OrEmpty(a.Prod)}
}

// DeleteIntegrationPoint deletes a point without integrations.
func (s *Service) DeleteIntegrationPoint(ctx context.Context, in DeleteInput) (string, error) {
	return deleteTarget(s, ctx, in.ID, domain.KindIntegrationPoint, "delete integration points",
		func(tx *store.Tx) (*domain.IntegrationPoint, error) {
			return tx.LockIntegrationPoint(ctx, in.ID, store.Exclusive)
		},
		func(pr *policy.Principal, p *domain.IntegrationPoint) (policy.Decision, string) {
			return pr.ManageOrganization(p.OrganizationID), p.OrganizationID
		},
		func(tx *store.Tx) error { return tx.DeleteIntegrationPoint(ctx, in.ID) })
}

// pointChange is the cause of a re-check after an update of point.
func pointChange(point *domain.IntegrationPoint) cause {
	return cause{"mutation": "updateIntegrationPoint", "integrationPointId": point.ID, "integrationPointVersion": point.Version}
}
