package store

import (
	"errors"

	"github.com/lib/pq"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// constraint is the kind of integrity constraint a statement broke.
type constraint int

const (
	noConstraint constraint = iota
	uniqueViolation
	foreignKeyViolation
)

// violated reads the driver's error code, never its text.
func violated(err error) constraint {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code {
		case "23505":
			return uniqueViolation
		case "23503":
			return foreignKeyViolation
		}
		return noConstraint
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return uniqueViolation
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return foreignKeyViolation
		}
	}
	return noConstraint
}

// mapConstraint turns a broken constraint into the domain error the caller
// chose for it, and passes any other error through.
func mapConstraint(err error, onUnique, onForeignKey error) error {
	switch violated(err) {
	case uniqueViolation:
		if onUnique != nil {
			return onUnique
		}
	case foreignKeyViolation:
		if onForeignKey != nil {
			return onForeignKey
		}
	}
	return err
}

// isRetryable is true for errors that mean "lost a race, try again".
func isRetryable(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Code == "40001" || pqErr.Code == "40P01"
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		return liteErr.Code()&0xff == sqlite3.SQLITE_BUSY
	}
	return false
}
