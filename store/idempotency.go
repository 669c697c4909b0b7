package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/secrets"
)

// Idempotency keys are the stored answers of mutations sent with an
// Idempotency-Key (package api). They are outside every tenant's scope,
// like settings: a row is found by the ID of the token its request
// authenticated with, which the caller takes from the request's
// policy.Principal (set by auth from a verified token, never by the
// client), so a token reads back only what it was answered itself.

// IdempotentResponse is the answer stored under a key.
type IdempotentResponse struct {
	// RequestHash names the request it answered.
	RequestHash string
	Status      int
	ContentType string
	Body        []byte
	CreatedAt   time.Time
}

// errNoToken refuses a key without a token: the system makes no requests.
var errNoToken = errors.New("store: an idempotency key belongs to a token")

type idempotencyRow struct {
	RequestHash string         `db:"request_hash"`
	Status      sql.NullInt64  `db:"status"`
	ContentType sql.NullString `db:"content_type"`
	Body        []byte         `db:"body"`
	Nonce       []byte         `db:"nonce"`
	SealedBy    sql.NullString `db:"sealed_by"`
	CreatedAt   time.Time      `db:"created_at"`
}

// idempotencyBound is the associated data of a sealed answer: moved to
// another token's key, or another request's, it does not open.
func idempotencyBound(tokenID, key, requestHash string) []byte {
	return []byte(tokenID + "\x00" + key + "\x00" + requestHash)
}

// IdempotentResponse is the answer stored under tokenID's key, expired or
// not (the caller judges its age), or nil when there is none. It reads
// what is committed, without locking: a fast path for retries.
func (s *Store) IdempotentResponse(ctx context.Context, tokenID, key string) (*IdempotentResponse, error) {
	return s.base.idempotentResponse(ctx, tokenID, key)
}

func (q *queries) idempotentResponse(ctx context.Context, tokenID, key string) (*IdempotentResponse, error) {
	if tokenID == "" {
		return nil, errNoToken
	}
	var row idempotencyRow
	err := q.get(ctx, &row, "SELECT request_hash, status, content_type, body, nonce, sealed_by, created_at FROM idempotency_keys WHERE token_id = ? AND key = ?",
		tokenID, key)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !row.Status.Valid {
		// Only the transaction that claimed a key sees it unanswered.
		return nil, fmt.Errorf("idempotency key %q of token %s: claimed, with no answer", key, tokenID)
	}
	body, err := q.secrets.Open(secrets.Sealed{KeyID: row.SealedBy.String, Nonce: row.Nonce, Ciphertext: row.Body},
		idempotencyBound(tokenID, key, row.RequestHash))
	if err != nil {
		return nil, fmt.Errorf("idempotency key %q of token %s: %w", key, tokenID, err)
	}
	return &IdempotentResponse{RequestHash: row.RequestHash, Status: int(row.Status.Int64), ContentType: row.ContentType.String,
		Body: body, CreatedAt: row.CreatedAt.UTC()}, nil
}

// ClaimIdempotencyKey claims tokenID's key for the request requestHash
// names, at now, until the transaction ends: it returns nil when the key
// is new, or its answer was stored at or before expired (the row is then
// replaced), and the stored answer otherwise, to replay or refuse.
//
// The claim is a row inserted first, without an answer (SaveIdempotentResponse
// adds it): on PostgreSQL, a transaction claiming the same key waits on the
// primary key until this one ends, then finds its answer (or, if it rolled
// back, claims the key itself); on SQLite, transactions already take turns.
// So claim before anything else, holding no other lock.
func (tx *Tx) ClaimIdempotencyKey(ctx context.Context, tokenID, key, requestHash string, now, expired time.Time) (*IdempotentResponse, error) {
	if tokenID == "" {
		return nil, errNoToken
	}
	res, err := tx.exec(ctx, `INSERT INTO idempotency_keys (token_id, key, request_hash, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (token_id, key) DO UPDATE SET request_hash = excluded.request_hash, status = NULL, content_type = NULL,
			body = NULL, nonce = NULL, sealed_by = NULL, created_at = excluded.created_at
		WHERE idempotency_keys.created_at <= ?`,
		tokenID, key, requestHash, now.UTC(), expired.UTC())
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return nil, err
	}
	found, err := tx.idempotentResponse(ctx, tokenID, key)
	if err == nil && found == nil {
		err = fmt.Errorf("idempotency key %q of token %s: neither claimed nor found", key, tokenID)
	}
	return found, err
}

// SaveIdempotentResponse stores the answer of the key this transaction
// claimed, sealed: it commits with the writes that made it, or not at all.
func (tx *Tx) SaveIdempotentResponse(ctx context.Context, tokenID, key string, r *IdempotentResponse) error {
	sealed, err := tx.secrets.Seal(r.Body, idempotencyBound(tokenID, key, r.RequestHash))
	if err != nil {
		return err
	}
	err = tx.execOne(ctx, `UPDATE idempotency_keys SET status = ?, content_type = ?, body = ?, nonce = ?, sealed_by = ?
		WHERE token_id = ? AND key = ? AND request_hash = ? AND status IS NULL`,
		r.Status, r.ContentType, sealed.Ciphertext, sealed.Nonce, sealed.KeyID, tokenID, key, r.RequestHash)
	if errors.Is(err, domain.ErrNotFound) {
		return fmt.Errorf("idempotency key %q of token %s: saved without a claim", key, tokenID)
	}
	return err
}

// DeleteIdempotencyKeys deletes the keys stored at or before expired and
// returns how many. A key being claimed again is left alone: its claim
// made it new.
func (s *Store) DeleteIdempotencyKeys(ctx context.Context, expired time.Time) (int64, error) {
	res, err := s.base.exec(ctx, "DELETE FROM idempotency_keys WHERE created_at <= ?", expired.UTC())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
