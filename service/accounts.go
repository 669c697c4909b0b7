package service

import (
	"context"
	"slices"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/store"
)

// CreateAccount creates an account in an organization.
func (s *Service) CreateAccount(ctx context.Context, in CreateAccountInput) (*domain.Account, error) {
	var p problems
	p.id(in.OrganizationID, domain.KindOrganization, "input", "organizationId")
	p.slug(in.Slug, "input", "slug")
	p.name(in.Name, "input", "name")
	p.labels(in.Labels, "input", "labels")
	if err := p.err(); err != nil {
		return nil, err
	}
	now := s.Now()
	labels := in.Labels
	if labels == nil {
		labels = []domain.Label{}
	}
	a := &domain.Account{
		ID: domain.NewID(domain.KindAccount), OrganizationID: in.OrganizationID, Slug: in.Slug, Name: in.Name,
		Environment: in.Environment, Labels: labels, CreatedAt: now, UpdatedAt: now,
	}
	pr, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if err := allow(pr, pr.ManageOrganization(in.OrganizationID), "create accounts",
		domain.KindOrganization, in.OrganizationID, "input", "organizationId"); err != nil {
		return nil, err
	}
	err = s.inTx(ctx, pr, func(tx *store.Tx) error {
		err := tx.CreateAccount(ctx, a)
		err = notFound(err, domain.KindOrganization, in.OrganizationID, "input", "organizationId")
		if err = slugTaken(err, in.Slug, " by another account of the organization", "input", "slug"); err != nil {
			return err
		}
		return s.audit(ctx, tx, pr, "createAccount", a.OrganizationID, domain.KindAccount, a.ID, nil, a)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// UpdateAccount changes an account. A change of environment or labels
// re-checks the account's integrations in the same transaction.
func (s *Service) UpdateAccount(ctx context.Context, in UpdateAccountInput) (*domain.Account, error) {
	var p problems
	p.id(in.ID, domain.KindAccount, "input", "id")
	if in.Slug != nil {
		p.slug(*in.Slug, "input", "slug")
	}
	if in.Name != nil {
		p.name(*in.Name, "input", "name")
	}
	labels, setLabels := in.Labels.ValueOK()
	if setLabels {
		p.labels(labels, "input", "labels")
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	pr, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	var out *domain.Account
	err = s.inTx(ctx, pr, func(tx *store.Tx) error {
		a, err := tx.LockAccount(ctx, in.ID)
		if err != nil {
			return notFound(err, domain.KindAccount, in.ID, "input", "id")
		}
		if err := allow(pr, pr.ManageOrganization(a.OrganizationID), "change accounts", domain.KindAccount, in.ID, "input", "id"); err != nil {
			return err
		}
		next := *a
		if in.Slug != nil {
			next.Slug = *in.Slug
		}
		if in.Name != nil {
			next.Name = *in.Name
		}
		if in.Environment != nil {
			next.Environment = *in.Environment
		}
		if setLabels {
			next.Labels = labels
			if next.Labels == nil {
				next.Labels = []domain.Label{}
			}
		}
		if unchanged(a, &next) {
			out = a
			return nil
		}
		next.UpdatedAt = s.Now()
		if err := tx.UpdateAccount(ctx, &next); err != nil {
			return slugTaken(err, next.Slug, " by another account of the organization", "input", "slug")
		}
		var rechecked changeLog
		if next.Environment != a.Environment || !slices.Equal(next.Labels, a.Labels) {
			why := cause{"mutation": "updateAccount", "accountId": next.ID}
			if err := s.recheckAccount(ctx, tx, &next, &rechecked, why); err != nil {
				return err
			}
		}
		out = &next
		// The account's event first, then what its change did.
		if err := s.audit(ctx, tx, pr, "updateAccount", a.OrganizationID, domain.KindAccount, a.ID, a, &next); err != nil {
			return err
		}
		return rechecked.write(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteAccount deletes an account without integrations, and its tokens.
func (s *Service) DeleteAccount(ctx context.Context, in DeleteInput) (string, error) {
	return deleteTarget(s, ctx, in.ID, domain.KindAccount, "delete accounts",
		func(tx *store.Tx) (*domain.Account, error) {
			// Tokens before the account, as in every mutation (see inTx).
			if err := tx.LockAccountTokens(ctx, in.ID); err != nil {
				return nil, err
			}
			return tx.LockAccount(ctx, in.ID)
		},
		func(pr *policy.Principal, a *domain.Account) (policy.Decision, string) {
			return pr.ManageOrganization(a.OrganizationID), a.OrganizationID
		},
		func(tx *store.Tx) error { return tx.DeleteAccount(ctx, in.ID) })
}
