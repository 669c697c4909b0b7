package store

import (
	"context"
	"time"

	"github.com/pointguard/pointguard/policy"
)

// pruneBatch is how many rows one pruning transaction deletes: short
// transactions, so that pruning a large backlog holds no lock for long.
const pruneBatch = 1000

// PruneEvents deletes the webhook deliveries created before cutoff (their
// attempts go with them), then the events that occurred before it and
// have no delivery left (a recent redelivery keeps its event), in
// transactions of pruneBatch rows, until none is left or ctx ends. It
// returns how many of each it deleted.
func (s *Store) PruneEvents(ctx context.Context, cutoff time.Time) (events, deliveries int, err error) {
	cutoff = cutoff.UTC()
	deliveries, err = s.pruneBatches(ctx, "DELETE FROM webhook_deliveries WHERE id IN "+
		"(SELECT id FROM webhook_deliveries WHERE created_at < ? LIMIT ?)", cutoff)
	if err != nil {
		return 0, deliveries, err
	}
	events, err = s.pruneBatches(ctx, "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE occurred_at < ? "+
		"AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = events.id) LIMIT ?)", cutoff)
	return events, deliveries, err
}

func (s *Store) pruneBatches(ctx context.Context, statement string, cutoff time.Time) (int, error) {
	total := 0
	for {
		var n int64
		err := s.InTx(ctx, policy.Scope{All: true}, func(tx *Tx) error {
			res, err := tx.exec(ctx, statement, cutoff, pruneBatch)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		total += int(n)
		if err != nil || n < pruneBatch {
			return total, err
		}
	}
}
