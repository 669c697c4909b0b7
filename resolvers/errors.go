package resolvers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/pointguard/pointguard/apierror"
	"github.com/pointguard/pointguard/domain"
)

// PresentError shows the client only what is safe: errors it caused, with
// a code, and for anything else "internal error" while the full error goes
// to the log.
func PresentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := gqlerror.WrapPath(graphql.GetPath(ctx), err)
		if errors.As(err, &gqlErr) {
			if _, ok := gqlErr.Extensions["code"]; ok {
				return gqlErr // gqlgen's own parse and validation errors
			}
		}
		var (
			inputErr     *domain.InputError
			forbiddenErr *domain.ForbiddenError
			unauthErr    *domain.UnauthenticatedError
		)
		switch {
		case errors.As(err, &inputErr):
			return withCode(gqlErr, inputErr.Message, apierror.CodeBadUserInput)
		case errors.As(err, &forbiddenErr):
			return withCode(gqlErr, forbiddenErr.Message, apierror.CodeForbidden)
		case errors.As(err, &unauthErr):
			return withCode(gqlErr, unauthErr.Message, apierror.CodeUnauthenticated)
		case gqlErr.Err == nil:
			// Raised by gqlgen itself while reading arguments (a null
			// where a value is required, say): about the request.
			return withCode(gqlErr, gqlErr.Message, apierror.CodeBadUserInput)
		}
		if !errors.Is(err, context.Canceled) {
			log.ErrorContext(ctx, "graphql internal error", "path", gqlErr.Path.String(), "error", err)
		}
		return withCode(gqlErr, "internal error", apierror.CodeInternal)
	}
}

func withCode(e *gqlerror.Error, message, code string) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    message,
		Path:       e.Path,
		Locations:  e.Locations,
		Extensions: map[string]any{"code": code},
	}
}

// Recover turns a panic in a resolver into an internal error, logging the stack.
func Recover(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "graphql panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return errors.New("panic in resolver")
	}
}
