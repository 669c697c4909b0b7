package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/secrets"
)

// A point's config defaults live in two columns (migration 0008):
// config_defaults, the plain ones as JSON, and secret_defaults, the ones
// at secret paths, sealed together as one JSON array under the keyring
// with the point's ID as associated data (as an integration's secrets are
// with its ID), so that a sealed value moved to another point does not
// open.

// fillDefaults decodes the row's defaults into p, opening the secret ones.
func (r *integrationPointRow) fillDefaults(ring *secrets.Keyring, p *domain.IntegrationPoint) error {
	if r.ConfigDefaults != "" {
		if err := fromJSON(r.ConfigDefaults, &p.ConfigDefaults); err != nil {
			return fmt.Errorf("point %s: config defaults: %w", r.ID, err)
		}
	}
	if !r.SecretDefaults.Valid {
		return nil
	}
	var s secrets.Sealed
	if err := json.Unmarshal([]byte(r.SecretDefaults.String), &s); err != nil {
		return fmt.Errorf("point %s: malformed secret defaults: %w", r.ID, err)
	}
	b, err := ring.Open(s, []byte(r.ID))
	if err != nil {
		return fmt.Errorf("point %s: %w", r.ID, err)
	}
	return fromJSON(string(b), &p.SecretDefaults)
}

// sealDefaults is the two columns of p's defaults.
func sealDefaults(ring *secrets.Keyring, p *domain.IntegrationPoint) (plain string, sealed sql.NullString, err error) {
	if plain, err = toJSON(orEmpty(p.ConfigDefaults)); err != nil || len(p.SecretDefaults) == 0 {
		return plain, sealed, err
	}
	b, err := json.Marshal(p.SecretDefaults)
	if err != nil {
		return "", sealed, err
	}
	s, err := ring.Seal(b, []byte(p.ID))
	if err != nil {
		return "", sealed, err
	}
	out, err := toJSON(s)
	return plain, sql.NullString{String: out, Valid: true}, err
}

func orEmpty(d []domain.ConfigDefault) []domain.ConfigDefault {
	if d == nil {
		return []domain.ConfigDefault{}
	}
	return d
}

// SetPointConfigDefaults writes a point's config defaults, secret ones
// sealed. The point's other columns are written by CreateIntegrationPoint
// and UpdateIntegrationPoint, in the same transaction.
func (tx *Tx) SetPointConfigDefaults(ctx context.Context, p *domain.IntegrationPoint) error {
	plain, sealed, err := sealDefaults(tx.secrets, p)
	if err != nil {
		return err
	}
	cond, args := tx.scopedID(p.ID, "organization_id", "")
	return tx.execOne(ctx, "UPDATE integration_points SET config_defaults = ?, secret_defaults = ?"+cond,
		append([]any{plain, sealed}, args...)...)
}
