package auth

import (
	"context"
	"time"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/store"
)

// Check finds the token an Authorization value ("Bearer <token>") carries,
// as Authenticate does for a request's header, for a connection that
// sends it otherwise (a websocket's connection_init). A value that does
// not authenticate gives the reason.
func Check(ctx context.Context, st *store.Store, authorization string, now time.Time) (*domain.ApiToken, string, error) {
	return verify(ctx, st, authorization, now.UTC().Truncate(time.Microsecond))
}

// WithToken is ctx carrying t and its principal, as Authenticate leaves a
// request's: TokenFrom and policy.From find them.
func WithToken(ctx context.Context, t *domain.ApiToken) context.Context {
	return context.WithValue(policy.With(ctx, policy.PrincipalOf(t)), tokenKey{}, t)
}
