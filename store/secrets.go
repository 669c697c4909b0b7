package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/pointguard/pointguard/configsecrets"
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/secrets"
)

// sealSecrets splits an integration's config: the JSON of its plain keys,
// and its secret keys (configsecrets.IsSecret, at any depth) sealed under the keyring with the
// integration's ID as associated data; nil when it has none. The database
// never sees a secret in clear.
func sealSecrets(ring *secrets.Keyring, i *domain.Integration) (config string, sealed *string, err error) {
	plain, hidden := configsecrets.Split(i.Config)
	if config, err = toJSON(plain); err != nil {
		return "", nil, err
	}
	if len(hidden) == 0 {
		return config, nil, nil
	}
	b, err := json.Marshal(hidden)
	if err != nil {
		return "", nil, err
	}
	s, err := ring.Seal(b, []byte(i.ID))
	if err != nil {
		return "", nil, err
	}
	out, err := toJSON(s)
	return config, &out, err
}

// openSecrets decrypts a row's sealed secrets into its config.
func openSecrets(ring *secrets.Keyring, id, sealed string, config map[string]any) error {
	var s secrets.Sealed
	if err := json.Unmarshal([]byte(sealed), &s); err != nil {
		return fmt.Errorf("integration %s: malformed secrets: %w", id, err)
	}
	b, err := ring.Open(s, []byte(id))
	if err != nil {
		return fmt.Errorf("integration %s: %w", id, err)
	}
	var hidden map[string]any
	if err := fromJSON(string(b), &hidden); err != nil {
		return err
	}
	configsecrets.Merge(config, hidden)
	return nil
}

// RotateSecrets re-seals, under the keyring's current key, every secret
// sealed by another key (integrations' secrets, points' secret config
// defaults and webhook endpoints' signing secrets), in batches of one transaction each, and returns how many it
// re-sealed. The old keys must still be in the ring.
func (s *Store) RotateSecrets(ctx context.Context) (int, error) {
	total := 0
	for _, c := range []struct{ table, column string }{{"integrations", "secrets"}, {"integration_points", "secret_defaults"}, {"webhook_endpoints", "secret"}} {
		n, err := s.rotate(ctx, c.table, c.column)
		if total += n; err != nil {
			return total, err
		}
	}
	return total, nil
}

// rotate re-seals the column of table (a sealed value bound to its row's ID).
func (s *Store) rotate(ctx context.Context, table, column string) (int, error) {
	const batch = 500
	total := 0
	for {
		var rows []struct {
			ID      string `db:"id"`
			Secrets string `db:"secrets"`
		}
		n := 0
		err := s.InTx(ctx, policy.Scope{All: true}, func(tx *Tx) error {
			rows = rows[:0]
			if err := tx.selectAll(ctx, &rows, "SELECT id, "+column+" AS secrets FROM "+table+" WHERE "+column+" IS NOT NULL AND "+column+" NOT LIKE ? ORDER BY id LIMIT ?"+tx.lock(Exclusive),
				`%"keyId":"`+s.base.secrets.CurrentKeyID()+`"%`, batch); err != nil {
				return err
			}
			for _, r := range rows {
				var sealed secrets.Sealed
				if err := json.Unmarshal([]byte(r.Secrets), &sealed); err != nil {
					return fmt.Errorf("%s %s: malformed secrets: %w", table, r.ID, err)
				}
				plain, err := s.base.secrets.Open(sealed, []byte(r.ID))
				if err != nil {
					return fmt.Errorf("%s %s: %w", table, r.ID, err)
				}
				resealed, err := s.base.secrets.Seal(plain, []byte(r.ID))
				if err != nil {
					return err
				}
				out, err := toJSON(resealed)
				if err != nil {
					return err
				}
				if _, err := tx.exec(ctx, "UPDATE "+table+" SET "+column+" = ? WHERE id = ?", out, r.ID); err != nil {
					return err
				}
			}
			n = len(rows)
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < batch {
			return total, nil
		}
	}
}
