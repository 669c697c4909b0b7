package service

import (
	"context"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/store"
)

// CreateOrganization creates an organization.
func (s *Service) CreateOrganization(ctx context.Context, in CreateOrganizationInput) (*domain.Organization, error) {
	var p problems
	p.slug(in.Slug, "input", "slug")
	p.name(in.Name, "input", "name")
	if err := p.err(); err != nil {
		return nil, err
	}
	pr, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if err := allow(pr, pr.CreateOrganization(), "create organizations", domain.KindOrganization, ""); err != nil {
		return nil, err
	}
	now := s.Now()
	o := &domain.Organization{ID: domain.NewID(domain.KindOrganization), Slug: in.Slug, Name: in.Name, CreatedAt: now, UpdatedAt: now}
	err = s.inTx(ctx, pr, func(tx *store.Tx) error {
		if err := tx.CreateOrganization(ctx, o); err != nil {
			return slugTaken(err, in.Slug, " by another organization", "input", "slug")
		}
		return s.audit(ctx, tx, pr, "createOrganization", o.ID, domain.KindOrganization, o.ID, nil, o)
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}
