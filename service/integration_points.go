package service

import (
	"context"
	"fmt"
	"slices"

	"github.com/pointguard/pointguard/domain"
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
		p.text(description, MaxDescriptionLength, false, "input", "description")
	}
	p.allowedProviders(in.AllowedProviders, in.Category, "input", "allowedProviders")
	p.requiredConfig(in.RequiredConfig, "input", "requiredConfig")
	p.limit(in.MaxIntegrationsPerAccount, "input", "maxIntegrationsPerAccount")
	if err := p.err(); err != nil {
		return nil, err
	}
	now := s.now()
	point := &domain.IntegrationPoint{
		ID: domain.NewID(domain.KindIntegrationPoint), OrganizationID: in.OrganizationID,
		Slug: in.Slug, Name: in.Name, Description: description, Category: in.Category, Version: 1,
		AllowedProviders:          normalizeAllowed(in.AllowedProviders),
		RequiredConfig:            nonNil(in.RequiredConfig),
		MaxIntegrationsPerAccount: in.MaxIntegrationsPerAccount,
		CreatedAt:                 now, UpdatedAt: now,
	}
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		err := tx.CreateIntegrationPoint(ctx, point)
		err = notFound(err, domain.KindOrganization, in.OrganizationID, "input", "organizationId")
		return slugTaken(err, in.Slug, " by another integration point of the organization", "input", "slug")
	})
	if err != nil {
		return nil, err
	}
	return point, nil
}

// UpdateIntegrationPoint changes a point. A change of its rules raises its
// version and re-checks every integration on it, in the same transaction:
// readers see the old rules and results or the new ones, never a mix.
func (s *Service) UpdateIntegrationPoint(ctx context.Context, in UpdateIntegrationPointInput) (*domain.IntegrationPoint, error) {
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
	description, setDescription := in.Description.ValueOK()
	if setDescription && description != nil {
		p.text(*description, MaxDescriptionLength, false, "input", "description")
	}
	required, setRequired := in.RequiredConfig.ValueOK()
	if setRequired {
		p.requiredConfig(required, "input", "requiredConfig")
	}
	limit, setLimit := in.MaxIntegrationsPerAccount.ValueOK()
	if setLimit {
		p.limit(limit, "input", "maxIntegrationsPerAccount")
	}
	if err := p.err(); err != nil {
		return nil, err
	}

	var out *domain.IntegrationPoint
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		point, err := tx.LockIntegrationPoint(ctx, in.ID, store.Exclusive)
		if err != nil {
			return notFound(err, domain.KindIntegrationPoint, in.ID, "input", "id")
		}
		if in.ExpectedVersion != nil && *in.ExpectedVersion != point.Version {
			return domain.NewUserError(domain.CodeVersionConflict, fmt.Sprintf(
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
		if setDescription {
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
		if setRequired {
			next.RequiredConfig = nonNil(required)
		}
		if setLimit {
			next.MaxIntegrationsPerAccount = limit
		}
		// The approved providers must fit the category the point ends up with.
		var after problems
		after.allowedProviders(next.AllowedProviders, next.Category, "input", "allowedProviders")
		if err := after.err(); err != nil {
			return err
		}
		rulesChanged := !sameRules(point, &next)
		if rulesChanged {
			next.Version++
		}
		next.UpdatedAt = s.now()
		if err := tx.UpdateIntegrationPoint(ctx, &next); err != nil {
			return slugTaken(err, next.Slug, " by another integration point of the organization", "input", "slug")
		}
		if rulesChanged {
			if err := s.recheckPoint(ctx, tx, &next); err != nil {
				return err
			}
		}
		out = &next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// sameRules is true when two versions of a point judge integrations alike.
func sameRules(a, b *domain.IntegrationPoint) bool {
	return a.Category == b.Category &&
		slices.Equal(a.AllowedProviders.Test, b.AllowedProviders.Test) &&
		slices.Equal(a.AllowedProviders.Prod, b.AllowedProviders.Prod) &&
		slices.Equal(a.RequiredConfig, b.RequiredConfig) &&
		equalLimit(a.MaxIntegrationsPerAccount, b.MaxIntegrationsPerAccount)
}

func equalLimit(a, b *int) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func normalizeAllowed(a domain.AllowedProviders) domain.AllowedProviders {
	return domain.AllowedProviders{Test: nonNil(a.Test), Prod: nonNil(a.Prod)}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
