package auth

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/pointguard/pointguard/apierror"
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/store"
)

// touchEvery is how stale lastUsedAt may get: recording every use would
// write on every request.
const touchEvery = time.Minute

// recentTokens and recentFor bound the memory of tokens verified lately.
const (
	recentTokens = 10_000
	recentFor    = 10 * time.Minute
)

// Throttle limits failed attempts per client (limits.FailureLimit):
// Refused answers a client out of attempts, Failed counts one.
type Throttle interface {
	Refused(http.ResponseWriter, *http.Request) bool
	Failed(*http.Request)
}

type tokenKey struct{}
type failureKey struct{}

// TokenFrom is the token that authenticated the request, or nil.
func TokenFrom(ctx context.Context) *domain.ApiToken {
	t, _ := ctx.Value(tokenKey{}).(*domain.ApiToken)
	return t
}

// Authenticate checks the request's Bearer token and, when it is valid,
// puts its token and policy.Principal in the context. It refuses only a
// client out of failed attempts (429, before any lookup), unless its token
// was valid a moment ago: one bad client behind a shared address must not
// lock out the good ones. Require refuses the rest, after the rate limiter
// has counted them.
func Authenticate(st *store.Store, failures Throttle, log *slog.Logger, now func() time.Time, next http.Handler) http.Handler {
	// Hashes of tokens verified lately. Being here spares a token the
	// failure limit, nothing else: it is verified again all the same.
	recent := expirable.NewLRU[string, struct{}](recentTokens, nil, recentFor)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		header := r.Header.Get("Authorization")
		seen := Hash(header)
		if !recent.Contains(seen) && failures.Refused(w, r) {
			return
		}
		at := now().UTC().Truncate(time.Microsecond) // what both engines keep
		var (
			t       *domain.ApiToken
			failure string
			err     error
		)
		if n := len(r.Header.Values("Authorization")); n > 1 {
			// Which one counts would be a guess; proxies and servers disagree.
			failure = fmt.Sprintf("send one Authorization header, not %d", n)
		} else {
			t, failure, err = verify(ctx, st, header, at)
		}
		switch {
		case err != nil:
			log.ErrorContext(ctx, "authenticate", "error", err)
			apierror.Write(w, http.StatusServiceUnavailable, apierror.CodeInternal, "internal error")
			return
		case t != nil:
			if t.LastUsedAt == nil || at.Sub(*t.LastUsedAt) >= touchEvery {
				if err := st.TouchApiToken(ctx, t.ID, at); err != nil {
					log.WarnContext(ctx, "record token use", "token", t.ID, "error", err)
				} else {
					t.LastUsedAt = &at // viewer shows this use
				}
			}
			recent.Add(seen, struct{}{})
			ctx = context.WithValue(policy.With(ctx, policy.PrincipalOf(t)), tokenKey{}, t)
		default:
			failures.Failed(r)
			ctx = context.WithValue(ctx, failureKey{}, failure)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// verify finds the token a header carries. A token that does not
// authenticate gives the reason, for the 401.
func verify(ctx context.Context, st *store.Store, header string, now time.Time) (*domain.ApiToken, string, error) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	switch {
	case header == "":
		return nil, "missing Authorization header: send Authorization: Bearer <token>", nil
	case !ok || !strings.EqualFold(scheme, "Bearer"):
		return nil, "the Authorization header must be Bearer <token>", nil
	}
	return Lookup(ctx, st, strings.TrimSpace(token), now)
}

// Lookup finds the token that authenticates at now, or gives the reason
// it does not: unknown, revoked or expired.
func Lookup(ctx context.Context, st *store.Store, token string, now time.Time) (*domain.ApiToken, string, error) {
	prefix := Prefix(token)
	if prefix == "" {
		return nil, "invalid token", nil
	}
	candidates, err := st.FindCredentials(ctx, prefix)
	if err != nil {
		return nil, "", err
	}
	var found *domain.ApiToken
	for _, c := range candidates {
		if Matches(token, c.Hash) {
			found = c.Token
		}
	}
	switch {
	case found == nil:
		return nil, "invalid token", nil
	case found.RevokedAt != nil:
		return nil, "the token was revoked", nil
	case !found.Active(now):
		return nil, "the token expired", nil
	}
	return found, "", nil
}

// Require answers 401 to a request Authenticate found no valid token in.
func Require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if TokenFrom(r.Context()) == nil {
			failure, _ := r.Context().Value(failureKey{}).(string)
			if failure == "" {
				failure = "authentication required"
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="pointguard"`)
			apierror.Write(w, http.StatusUnauthorized, apierror.CodeUnauthenticated, failure)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ClientKey names a request's client for the rate limiter: its token once
// verified (so a client cannot escape its limit with made-up tokens), else
// its address.
func ClientKey(addr func(*http.Request) string) func(*http.Request) string {
	return func(r *http.Request) string {
		if t := TokenFrom(r.Context()); t != nil {
			return "token:" + t.ID
		}
		return "ip:" + addr(r)
	}
}
