package limits

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/pointguard/pointguard/apierror"
)

// MaxErrors is the most errors a response lists.
const MaxErrors = 50

// ErrorCap is a gqlgen handler extension that cuts the errors of every
// response (validation's and execution's alike) to the first MaxErrors,
// followed by one TOO_MANY_ERRORS error saying how many were left out.
// Without it, one small document can ask for an answer of megabytes:
// validation reports every pair of conflicting fields, so 300 aliases
// `x: name x: slug …` (2.6 KB) made 22,500 errors, 5.67 MB.
//
// It leaves the HTTP status alone: gqlgen chooses it from the errors
// before any response middleware runs.
type ErrorCap struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = ErrorCap{}

// ExtensionName implements graphql.HandlerExtension.
func (ErrorCap) ExtensionName() string { return "ErrorCap" }

// Validate implements graphql.HandlerExtension.
func (ErrorCap) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse implements graphql.ResponseInterceptor.
func (ErrorCap) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp != nil && len(resp.Errors) > MaxErrors {
		resp.Errors = CapErrors(resp.Errors)
	}
	return resp
}

// CapErrors is errs cut to MaxErrors, the last one saying how many more
// there were; errs itself when it has no more than MaxErrors. The errors
// kept are the first by path (errors without one, as validation's, first,
// in their order): gqlgen resolves root fields concurrently, and records
// their errors as they come, so that the same request keeps the same
// errors.
func CapErrors(errs gqlerror.List) gqlerror.List {
	if len(errs) <= MaxErrors {
		return errs
	}
	left := len(errs) - MaxErrors
	sorted := slices.Clone(errs)
	slices.SortStableFunc(sorted, func(a, b *gqlerror.Error) int { return comparePaths(a.Path, b.Path) })
	capped := make(gqlerror.List, MaxErrors, MaxErrors+1)
	copy(capped, sorted)
	return append(capped, &gqlerror.Error{
		Message:    fmt.Sprintf("%d more errors left out: a response lists at most %d", left, MaxErrors),
		Extensions: map[string]any{"code": apierror.CodeTooManyErrors},
	})
}

// comparePaths orders paths element by element, a prefix first; an index
// comes before a name (they never meet at one place of a response).
func comparePaths(a, b ast.Path) int {
	for i := range min(len(a), len(b)) {
		if c := comparePathElements(a[i], b[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

func comparePathElements(a, b ast.PathElement) int {
	switch a := a.(type) {
	case ast.PathIndex:
		if b, ok := b.(ast.PathIndex); ok {
			return cmp.Compare(a, b)
		}
		return -1
	case ast.PathName:
		if b, ok := b.(ast.PathName); ok {
			return cmp.Compare(a, b)
		}
		return 1
	}
	return 0
}
