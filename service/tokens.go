package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pointguard/pointguard/auth"
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/store"
)

// CreateApiToken mints a token and returns its secret, which is not kept
// and cannot be read again, with its record.
func (s *Service) CreateApiToken(ctx context.Context, in CreateApiTokenInput) (string, *domain.ApiToken, error) {
	organizationID, accountID := deref(in.OrganizationID), deref(in.AccountID)
	var p problems
	p.name(in.Name, "input", "name")
	if msg := policy.Owner(in.Role, organizationID, accountID); msg != "" {
		p.invalid("input.role: "+msg, "input", "role")
	}
	if in.OrganizationID != nil {
		p.id(organizationID, domain.KindOrganization, "input", "organizationId")
	}
	if in.AccountID != nil {
		p.id(accountID, domain.KindAccount, "input", "accountId")
	}
	now := s.Now()
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
		p.invalid(fmt.Sprintf("input.expiresAt must be in the future, got %s", in.ExpiresAt.UTC().Format(time.RFC3339)), "input", "expiresAt")
	}
	pr, err := principal(ctx)
	if err != nil {
		return "", nil, err
	}
	// A token outlives none of the tokens that minted it: expiry cannot be
	// escaped by minting.
	expiresAt := in.ExpiresAt
	if pr.ExpiresAt != nil {
		if expiresAt == nil {
			expiresAt = pr.ExpiresAt
		} else if expiresAt.After(*pr.ExpiresAt) {
			p.invalid(fmt.Sprintf("input.expiresAt must be at or before %s, when the token minting it expires",
				pr.ExpiresAt.UTC().Format(time.RFC3339)), "input", "expiresAt")
		}
	}
	if err := p.err(); err != nil {
		return "", nil, err
	}
	secret := auth.NewToken()
	t := &domain.ApiToken{
		ID: domain.NewID(domain.KindApiToken), Name: in.Name, Role: in.Role,
		OrganizationID: organizationID, AccountID: accountID, Prefix: auth.Prefix(secret), CreatedAt: now,
	}
	if expiresAt != nil {
		at := expiresAt.UTC().Truncate(time.Microsecond) // as stored
		t.ExpiresAt = &at
	}
	err = s.inTx(ctx, pr, func(tx *store.Tx) error {
		if err := s.findOwner(ctx, tx, t); err != nil {
			return err
		}
		kind, id, field := owner(t)
		if err := allow(pr, pr.ManageApiToken(t.Role, t.OrganizationID, t.AccountID), "mint "+string(t.Role)+" tokens here",
			kind, id, "input", "role"); err != nil {
			return err
		}
		if err := tx.CreateApiToken(ctx, t, auth.Hash(secret), false); err != nil {
			return notFound(err, kind, id, "input", field)
		}
		return s.audit(ctx, tx, pr, "createApiToken", t.OrganizationID, domain.KindApiToken, t.ID, nil, t)
	})
	if err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// findOwner checks that the caller sees the token's organization or
// account, and fills in an account token's organization.
func (s *Service) findOwner(ctx context.Context, tx *store.Tx, t *domain.ApiToken) error {
	switch {
	case t.AccountID != "":
		a, err := tx.LockAccount(ctx, t.AccountID)
		if err != nil {
			return notFound(err, domain.KindAccount, t.AccountID, "input", "accountId")
		}
		t.OrganizationID = a.OrganizationID
	case t.OrganizationID != "":
		found, err := tx.FindOrganizationsByIDs(ctx, []string{t.OrganizationID})
		if err != nil {
			return err
		}
		if len(found) == 0 {
			return notFound(domain.ErrNotFound, domain.KindOrganization, t.OrganizationID, "input", "organizationId")
		}
	}
	return nil
}

// RevokeApiToken revokes a token: its next request is refused. Revoking a
// revoked token changes nothing and is not an error.
func (s *Service) RevokeApiToken(ctx context.Context, in RevokeApiTokenInput) (*domain.ApiToken, error) {
	var p problems
	p.id(in.ID, domain.KindApiToken, "input", "id")
	if err := p.err(); err != nil {
		return nil, err
	}
	pr, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	var out *domain.ApiToken
	err = s.inTx(ctx, pr, func(tx *store.Tx) error {
		t, err := tx.LockApiToken(ctx, in.ID)
		if err != nil {
			return notFound(err, domain.KindApiToken, in.ID, "input", "id")
		}
		if err := allow(pr, pr.RevokeApiToken(t), "revoke "+string(t.Role)+" tokens here",
			domain.KindApiToken, in.ID, "input", "id"); err != nil {
			return err
		}
		out = t
		if t.RevokedAt != nil {
			return nil
		}
		out, err = s.revoke(ctx, tx, pr, t)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ErrTokenUsed refuses a bootstrap token that was revoked before (a
// revoked token never comes back) or that is another token's.
var ErrTokenUsed = errors.New("this token was revoked before, or is another token's; use a new one")

// SetBootstrapToken makes token the platform admin token the server's
// configuration sets, revoking the one it replaces. It is true when the
// token is new (the first start, or a changed configuration).
func (s *Service) SetBootstrapToken(ctx context.Context, token string) (bool, error) {
	created, err := s.setBootstrapToken(ctx, token)
	if errors.Is(err, ErrTokenUsed) {
		// Another instance starting with the same configuration may have
		// stored it first: then it is live now, and the second look says so.
		created, err = s.setBootstrapToken(ctx, token)
	}
	return created, err
}

func (s *Service) setBootstrapToken(ctx context.Context, token string) (bool, error) {
	ctx = policy.With(ctx, policy.System)
	created := false
	err := s.store.InTx(ctx, policy.System.Scope(), func(tx *store.Tx) error {
		created = false
		live, err := tx.FindBootstrapTokens(ctx)
		if err != nil {
			return err
		}
		for _, c := range live {
			if auth.Matches(token, c.Hash) {
				return nil
			}
		}
		for _, c := range live {
			if _, err := s.revoke(ctx, tx, policy.System, c.Token); err != nil {
				return err
			}
		}
		now := s.Now()
		t := &domain.ApiToken{ID: domain.NewID(domain.KindApiToken), Name: "bootstrap platform admin",
			Role: domain.RolePlatformAdmin, Prefix: auth.Prefix(token), CreatedAt: now}
		if err := tx.CreateApiToken(ctx, t, auth.Hash(token), true); err != nil {
			if errors.Is(err, store.ErrTokenUsed) {
				return ErrTokenUsed
			}
			return err
		}
		created = true
		return s.audit(ctx, tx, policy.System, "createApiToken", "", domain.KindApiToken, t.ID, nil, t)
	})
	return created, err
}

// revoke revokes t now and records it; it returns t as revoked.
func (s *Service) revoke(ctx context.Context, tx *store.Tx, pr *policy.Principal, t *domain.ApiToken) (*domain.ApiToken, error) {
	next := *t
	now := s.Now()
	next.RevokedAt = &now
	if err := tx.RevokeApiToken(ctx, t.ID, now); err != nil {
		return nil, err
	}
	return &next, s.audit(ctx, tx, pr, "revokeApiToken", t.OrganizationID, domain.KindApiToken, t.ID, t, &next)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// owner is what a token belongs to, for NOT_FOUND: an account, else an
// organization, and the input field that names it.
func owner(t *domain.ApiToken) (kind domain.Kind, id, field string) {
	if t.AccountID != "" {
		return domain.KindAccount, t.AccountID, "accountId"
	}
	return domain.KindOrganization, t.OrganizationID, "organizationId"
}
