// Package service is where every mutation happens: it validates the input,
// then in one transaction loads what the change depends on, asks the rule
// checker (package rules) and writes. A refused change writes nothing.
//
// Errors: domain.UserErrors for anything the caller can fix; any other
// error is internal.
package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/rules"
	"github.com/pointguard/pointguard/store"
)

// Service runs the mutations against a store.
type Service struct {
	store *store.Store
	// now is the clock; tests may replace it.
	now func() time.Time
	// programs caches compiled custom rules by point and version: a version
	// never changes, so neither does its program.
	programs *lru.Cache[programKey, *rules.Program]
}

type programKey struct {
	pointID string
	version int
}

// New returns a service writing to s.
func New(s *store.Store) *Service {
	programs, _ := lru.New[programKey, *rules.Program](4096)
	return &Service{store: s, programs: programs, now: func() time.Time {
		// Microseconds: what PostgreSQL keeps, so a value reads back as written.
		return time.Now().UTC().Truncate(time.Microsecond)
	}}
}

// Program returns the point's compiled custom rules, compiling them at most
// once per version. Only for committed points: a version being created in
// a transaction that may roll back must not fill the cache (see recheckPoint).
func (s *Service) Program(p *domain.IntegrationPoint) (*rules.Program, error) {
	key := programKey{p.ID, p.Version}
	if prg, ok := s.programs.Get(key); ok {
		return prg, nil
	}
	prg, errs := rules.Compile(p.Rules)
	if len(errs) > 0 {
		// Rules are compiled before they are saved, so a stored rule that
		// does not compile is a broken invariant.
		return nil, fmt.Errorf("point %s version %d: stored rule does not compile: %s", p.ID, p.Version, errs[0].Message)
	}
	s.programs.Add(key, prg)
	return prg, nil
}

// notFound turns the store's ErrNotFound into a user error on field; other
// errors pass through.
func notFound(err error, kind domain.Kind, id string, field ...string) error {
	if errors.Is(err, domain.ErrNotFound) {
		return domain.NewUserError(domain.CodeNotFound, fmt.Sprintf("No %s has the ID %q", kind.Name(), id), field...)
	}
	return err
}

func slugTaken(err error, slug, parent string, field ...string) error {
	if errors.Is(err, domain.ErrSlugTaken) {
		return domain.NewUserError(domain.CodeSlugTaken, fmt.Sprintf("The slug %q is already used%s", slug, parent), field...)
	}
	return err
}

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
	now := s.now()
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
	now := s.now()
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
		next.UpdatedAt = s.now()
		if err := tx.UpdateAccount(ctx, &next); err != nil {
			return slugTaken(err, next.Slug, " by another account of the organization", "input", "slug")
		}
		if next.Environment != a.Environment || !slices.Equal(next.Labels, a.Labels) {
			if err := s.recheckAccount(ctx, tx, &next); err != nil {
				return err
			}
		}
		out = &next
		return s.audit(ctx, tx, pr, "updateAccount", a.OrganizationID, domain.KindAccount, a.ID, a, &next)
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

// DeleteIntegration deletes an integration.
func (s *Service) DeleteIntegration(ctx context.Context, in DeleteInput) (string, error) {
	return deleteTarget(s, ctx, in.ID, domain.KindIntegration, "delete integrations",
		func(tx *store.Tx) (*domain.Integration, error) { return tx.LockIntegration(ctx, in.ID) },
		func(pr *policy.Principal, i *domain.Integration) (policy.Decision, string) {
			return pr.ManageIntegrations(i.OrganizationID, i.AccountID), i.OrganizationID
		},
		func(tx *store.Tx) error { return tx.DeleteIntegration(ctx, in.ID) })
}

// deleteTarget reads the target as the caller sees it, asks the policy
// (decide also names the target's organization, for the audit log),
// deletes and records the deletion.
func deleteTarget[T any](s *Service, ctx context.Context, id string, kind domain.Kind, what string,
	find func(*store.Tx) (T, error), decide func(*policy.Principal, T) (policy.Decision, string), del func(*store.Tx) error) (string, error) {
	var p problems
	p.id(id, kind, "input", "id")
	if err := p.err(); err != nil {
		return "", err
	}
	pr, err := principal(ctx)
	if err != nil {
		return "", err
	}
	err = s.inTx(ctx, pr, func(tx *store.Tx) error {
		target, err := find(tx)
		if err != nil {
			return notFound(err, kind, id, "input", "id")
		}
		decision, organizationID := decide(pr, target)
		if err := allow(pr, decision, what, kind, id, "input", "id"); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, pr, "delete"+typeNames[kind], organizationID, kind, id, target, nil); err != nil {
			return err
		}
		err = del(tx)
		if errors.Is(err, domain.ErrHasIntegrations) {
			return domain.NewUserError(domain.CodeHasIntegrations,
				fmt.Sprintf("The %s %s still has integrations; delete them first", kind.Name(), id), "input", "id")
		}
		return notFound(err, kind, id, "input", "id")
	})
	if err != nil {
		return "", err
	}
	return id, nil
}
