package domain

import (
	"errors"
	"strings"
)

// ErrorCode is the closed set of codes a caller can act on. Their messages
// are safe to show; any other error is internal and is never shown.
type ErrorCode string

const (
	CodeInvalidInput    ErrorCode = "INVALID_INPUT"
	CodeNotFound        ErrorCode = "NOT_FOUND"
	CodeSlugTaken       ErrorCode = "SLUG_TAKEN"
	CodeVersionConflict ErrorCode = "VERSION_CONFLICT"
	CodeHasIntegrations ErrorCode = "HAS_INTEGRATIONS"
	CodeRulesViolated   ErrorCode = "RULES_VIOLATED"
	CodeInvalidRule     ErrorCode = "INVALID_RULE"
	CodeForbidden       ErrorCode = "FORBIDDEN"
)

func (c ErrorCode) IsValid() bool {
	switch c {
	case CodeInvalidInput, CodeNotFound, CodeSlugTaken, CodeVersionConflict, CodeHasIntegrations, CodeRulesViolated, CodeInvalidRule,
		CodeForbidden:
		return true
	}
	return false
}

// UserError is one problem with an input; Field is the path to the input
// field it concerns (e.g. ["input", "labels", "3", "key"]).
type UserError struct {
	Code    ErrorCode
	Field   []string
	Message string
}

// UserErrors is the error returned when input is refused: every problem
// found, and nothing written.
type UserErrors []UserError

func (e UserErrors) Error() string {
	msgs := make([]string, len(e))
	for i, u := range e {
		msgs[i] = u.Message
	}
	return strings.Join(msgs, "; ")
}

// AsUserErrors returns the user errors in err's chain, or nil.
func AsUserErrors(err error) UserErrors {
	var ue UserErrors
	if errors.As(err, &ue) {
		return ue
	}
	return nil
}

// NewUserError is a single-problem UserErrors, for use as an error.
func NewUserError(code ErrorCode, message string, field ...string) UserErrors {
	return UserErrors{{Code: code, Field: field, Message: message}}
}

// Sentinel errors returned by the store; the service turns them into
// UserErrors with the field they concern.
var (
	ErrNotFound        = errors.New("not found")
	ErrSlugTaken       = errors.New("slug taken")
	ErrHasIntegrations = errors.New("has integrations")
)

// InputError is a malformed query argument (a page size over the maximum,
// a bad cursor, an unknown enum value). Its message is safe to show.
type InputError struct{ Message string }

func (e *InputError) Error() string { return e.Message }

// UnauthenticatedError is a token that stopped being valid while its
// request ran (revoked, expired). Its message is safe to show.
type UnauthenticatedError struct{ Message string }

func (e *UnauthenticatedError) Error() string { return e.Message }

// ForbiddenError is a read the caller's role does not allow, of an object
// it may see (a viewer asking for a token list, say). Its message is safe
// to show.
type ForbiddenError struct{ Message string }

func (e *ForbiddenError) Error() string { return e.Message }
