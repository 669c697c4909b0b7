package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/store"
)

// errNoPrincipal is a wiring bug: every request is authenticated before it
// reaches the service, and internal callers use policy.System.
var errNoPrincipal = errors.New("service: no principal in context")

// principal is the caller; every mutation starts here.
func principal(ctx context.Context) (*policy.Principal, error) {
	p := policy.From(ctx)
	if p == nil {
		return nil, errNoPrincipal
	}
	return p, nil
}

// inTx runs fn in a transaction limited to what pr may read, after
// checking, under a lock that revocation waits for, that pr's token is
// still live: a token revoked while its request runs writes nothing.
func (s *Service) inTx(ctx context.Context, pr *policy.Principal, fn func(tx *store.Tx) error) error {
	return s.store.InTx(ctx, pr.Scope(), func(tx *store.Tx) error {
		if pr.TokenID != "" {
			if err := tx.LockLiveApiToken(ctx, pr.TokenID, s.Now()); err != nil {
				if errors.Is(err, domain.ErrNotFound) {
					return &domain.UnauthenticatedError{Message: "the token was revoked or expired"}
				}
				return err
			}
		}
		return fn(tx)
	})
}

// allow turns a policy decision into what the API answers: nothing when
// allowed, NOT_FOUND when the caller may not know the target exists (so an
// object of another tenant looks like no object), FORBIDDEN when it sees
// the target but its role may not do what it asked.
func allow(p *policy.Principal, d policy.Decision, what string, kind domain.Kind, id string, field ...string) error {
	switch d {
	case policy.Allowed:
		return nil
	case policy.Hidden:
		return notFound(domain.ErrNotFound, kind, id, field...)
	default:
		return domain.NewUserError(domain.CodeForbidden, fmt.Sprintf("A %s token may not %s", p.Role, what), field...)
	}
}
