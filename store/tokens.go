package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/pagination"
)

const apiTokenColumns = "id, role, organization_id, account_id, name, prefix, created_at, expires_at, last_used_at, revoked_at"

type apiTokenRow struct {
	ID             string         `db:"id"`
	Role           string         `db:"role"`
	OrganizationID sql.NullString `db:"organization_id"`
	AccountID      sql.NullString `db:"account_id"`
	Name           string         `db:"name"`
	Prefix         string         `db:"prefix"`
	CreatedAt      time.Time      `db:"created_at"`
	ExpiresAt      sql.NullTime   `db:"expires_at"`
	LastUsedAt     sql.NullTime   `db:"last_used_at"`
	RevokedAt      sql.NullTime   `db:"revoked_at"`
}

func (r *apiTokenRow) domain() *domain.ApiToken {
	return &domain.ApiToken{
		ID: r.ID, Role: domain.Role(r.Role), OrganizationID: r.OrganizationID.String, AccountID: r.AccountID.String,
		Name: r.Name, Prefix: r.Prefix, CreatedAt: r.CreatedAt.UTC(),
		ExpiresAt: timeOrNil(r.ExpiresAt), LastUsedAt: timeOrNil(r.LastUsedAt), RevokedAt: timeOrNil(r.RevokedAt),
	}
}

func apiTokens(rows []apiTokenRow, err error) ([]*domain.ApiToken, error) {
	if err != nil {
		return nil, err
	}
	out := make([]*domain.ApiToken, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

func timeOrNil(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func nullTime(t *time.Time) sql.NullTime {
	if t == nil {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: *t, Valid: true}
}

// Credential is a token's record with the hash of its secret.
type Credential struct {
	Token *domain.ApiToken
	Hash  string
}

// FindCredentials returns the tokens whose prefix is prefix, with their
// hashes, revoked and expired ones included. It is the one read that is
// not scoped: it runs before anyone is known, to find out who.
func (s *Store) FindCredentials(ctx context.Context, prefix string) ([]Credential, error) {
	return s.base.credentials(ctx, where{}.with("prefix = ?", prefix))
}

// credentials reads the tokens w selects with their hashes.
func (q *queries) credentials(ctx context.Context, w where) ([]Credential, error) {
	var rows []struct {
		apiTokenRow
		Hash string `db:"hash"`
	}
	if err := q.selectAll(ctx, &rows, "SELECT "+apiTokenColumns+", hash FROM api_tokens"+w.sql(), w.args...); err != nil {
		return nil, err
	}
	out := make([]Credential, len(rows))
	for i := range rows {
		out[i] = Credential{Token: rows[i].domain(), Hash: rows[i].Hash}
	}
	return out, nil
}

// TouchApiToken records that a token was used at now.
func (s *Store) TouchApiToken(ctx context.Context, id string, now time.Time) error {
	_, err := s.base.exec(ctx, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", now, id)
	return err
}

// TokenOwner is the column a token list is read by.
type TokenOwner string

const (
	// OfOrganization lists an organization's own tokens, not its accounts'.
	OfOrganization TokenOwner = "organization_id"
	OfAccount      TokenOwner = "account_id"
)

// FindApiTokenPages returns, for each owner, its page of tokens (revoked
// and expired ones too), in one statement.
func (q *queries) FindApiTokenPages(ctx context.Context, owner TokenOwner, ownerIDs []string, page pagination.Page) ([]*domain.ApiToken, error) {
	var rows []apiTokenRow
	err := q.pagesByParent(ctx, &rows, "api_tokens", apiTokenColumns, string(owner), ownerIDs, q.tokenWhere(owner), page)
	return apiTokens(rows, err)
}

// CountApiTokens counts, for each owner, its tokens.
func (q *queries) CountApiTokens(ctx context.Context, owner TokenOwner, ownerIDs []string) (map[string]int, error) {
	return q.countsByParent(ctx, "api_tokens", string(owner), ownerIDs, q.tokenWhere(owner))
}

func (q *queries) tokenWhere(owner TokenOwner) where {
	w := q.scoped(where{}, "organization_id", "account_id")
	if owner == OfOrganization {
		w.add("account_id IS NULL")
	}
	return w
}

// LockApiToken reads a token and locks it until the transaction ends; a
// platform token is in no organization's scope. It returns
// domain.ErrNotFound when there is none.
func (tx *Tx) LockApiToken(ctx context.Context, id string) (*domain.ApiToken, error) {
	return tx.lockApiToken(ctx, id, Exclusive)
}

func (tx *Tx) lockApiToken(ctx context.Context, id string, mode LockMode) (*domain.ApiToken, error) {
	w := tx.scoped(where{}, "organization_id", "account_id").with("id = ?", id)
	var row apiTokenRow
	if err := tx.get(ctx, &row, "SELECT "+apiTokenColumns+" FROM api_tokens"+w.sql()+tx.lock(mode), w.args...); err != nil {
		return nil, err
	}
	return row.domain(), nil
}

// ErrTokenUsed is a token whose hash is stored already: revoked, or another's.
var ErrTokenUsed = errors.New("store: token already used")

// LockLiveApiToken locks a token against revocation until the transaction
// ends and checks that it is neither revoked nor expired at now; a token
// that is not live is domain.ErrNotFound.
func (tx *Tx) LockLiveApiToken(ctx context.Context, id string, now time.Time) error {
	t, err := tx.lockApiToken(ctx, id, Shared)
	if err != nil {
		return err
	}
	if !t.Active(now) {
		return domain.ErrNotFound
	}
	return nil
}

// LockAccountTokens locks an account's tokens until the transaction ends.
// Deleting the account deletes them (ON DELETE CASCADE); locking them
// first keeps the order every mutation uses, its token before its account.
func (tx *Tx) LockAccountTokens(ctx context.Context, accountID string) error {
	w := tx.scoped(where{}, "organization_id", "account_id").with("account_id = ?", accountID)
	var ids []string
	return tx.selectAll(ctx, &ids, "SELECT id FROM api_tokens"+w.sql()+" ORDER BY id"+tx.lock(Exclusive), w.args...)
}

// CreateApiToken stores a token with the hash of its secret; a secret seen
// before is ErrTokenUsed. bootstrap marks the platform token the server's
// configuration sets.
func (tx *Tx) CreateApiToken(ctx context.Context, t *domain.ApiToken, hash string, bootstrap bool) error {
	_, err := tx.exec(ctx, "INSERT INTO api_tokens ("+apiTokenColumns+", hash, bootstrap) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		t.ID, string(t.Role), nullString(t.OrganizationID), nullString(t.AccountID), t.Name, t.Prefix, t.CreatedAt,
		nullTime(t.ExpiresAt), nullTime(t.LastUsedAt), nullTime(t.RevokedAt), hash, bootstrap)
	return mapConstraint(err, ErrTokenUsed, domain.ErrNotFound)
}

// RevokeApiToken marks a token revoked at at.
func (tx *Tx) RevokeApiToken(ctx context.Context, id string, at time.Time) error {
	cond, args := tx.scopedID(id, "organization_id", "account_id")
	return tx.execOne(ctx, "UPDATE api_tokens SET revoked_at = ?"+cond, append([]any{at}, args...)...)
}

// FindBootstrapTokens returns the live bootstrap tokens with their hashes.
func (tx *Tx) FindBootstrapTokens(ctx context.Context) ([]Credential, error) {
	return tx.credentials(ctx, tx.scoped(where{}, "organization_id", "account_id").with("bootstrap AND revoked_at IS NULL"))
}
