// Package scalars reads and writes the schema's custom scalars, strictly:
// a value that is not one is the caller's mistake (BAD_USER_INPUT, naming
// what was expected), never an internal error.
package scalars

import (
	"fmt"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/pointguard/pointguard/domain"
)

// MarshalTime writes a Time as gqlgen does: RFC 3339, nanoseconds kept.
func MarshalTime(t time.Time) graphql.Marshaler { return graphql.MarshalTime(t) }

// UnmarshalTime reads a Time: an RFC 3339 date and time with its offset.
func UnmarshalTime(v any) (time.Time, error) {
	t, err := graphql.UnmarshalTime(v)
	if err != nil {
		shown := fmt.Sprintf("%v", v)
		if s, ok := v.(string); ok {
			shown = fmt.Sprintf("%q", s)
		}
		if r := []rune(shown); len(r) > 64 {
			shown = string(r[:64]) + "…"
		}
		return time.Time{}, &domain.InputError{Message: "a Time is an RFC 3339 date and time with its offset, such as 2026-12-01T09:30:00Z; got " + shown}
	}
	return t, nil
}
