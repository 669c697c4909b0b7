package store

import (
	"context"
	"errors"

	"github.com/pointguard/pointguard/domain"
)

// errNotSystem refuses a settings statement outside the system's scope:
// settings belong to the installation, not to any tenant.
var errNotSystem = errors.New("store: settings are the system's alone")

// Setting is the value of the installation's setting name, and whether it
// is set.
func (q *queries) Setting(ctx context.Context, name string) (string, bool, error) {
	if !q.scope.All {
		return "", false, errNotSystem
	}
	var value string
	err := q.get(ctx, &value, "SELECT value FROM settings WHERE name = ?", name)
	if errors.Is(err, domain.ErrNotFound) {
		return "", false, nil
	}
	return value, err == nil, err
}

// SetSetting sets the installation's setting name to value.
func (tx *Tx) SetSetting(ctx context.Context, name, value string) error {
	if !tx.scope.All {
		return errNotSystem
	}
	_, err := tx.exec(ctx, "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
		name, value)
	return err
}
