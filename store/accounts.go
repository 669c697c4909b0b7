package store

import (
	"context"
	"time"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/pagination"
)

const accountColumns = "id, organization_id, slug, name, environment, labels, created_at, updated_at"

type accountRow struct {
	ID             string    `db:"id"`
	OrganizationID string    `db:"organization_id"`
	Slug           string    `db:"slug"`
	Name           string    `db:"name"`
	Environment    string    `db:"environment"`
	Labels         string    `db:"labels"`
	CreatedAt      time.Time `db:"created_at"`
	UpdatedAt      time.Time `db:"updated_at"`
}

func (r *accountRow) domain() (*domain.Account, error) {
	a := &domain.Account{
		ID: r.ID, OrganizationID: r.OrganizationID, Slug: r.Slug, Name: r.Name,
		Environment: domain.Environment(r.Environment), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if err := fromJSON(r.Labels, &a.Labels); err != nil {
		return nil, err
	}
	if a.Labels == nil {
		a.Labels = []domain.Label{}
	}
	return a, nil
}

func accounts(rows []accountRow, err error) ([]*domain.Account, error) {
	if err != nil {
		return nil, err
	}
	out := make([]*domain.Account, len(rows))
	for i := range rows {
		if out[i], err = rows[i].domain(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func accountWhere(f domain.AccountFilter) where {
	var w where
	if f.OrganizationID != "" {
		w.add("organization_id = ?", f.OrganizationID)
	}
	if f.Environment != "" {
		w.add("environment = ?", string(f.Environment))
	}
	return w
}

// FindAccountsByIDs returns the accounts with the given IDs, in no
// particular order; unknown IDs are left out.
func (q *queries) FindAccountsByIDs(ctx context.Context, ids []string) ([]*domain.Account, error) {
	w := q.scoped(where{}, "organization_id", "id").with("id IN (?)", ids)
	var rows []accountRow
	err := q.selectAll(ctx, &rows, "SELECT "+accountColumns+" FROM accounts"+w.sql(), w.args...)
	return accounts(rows, err)
}

// FindAccountPages returns, for each organization, its page of accounts
// matching the filter, in one statement.
func (q *queries) FindAccountPages(ctx context.Context, organizationIDs []string, f domain.AccountFilter, page pagination.Page) ([]*domain.Account, error) {
	var rows []accountRow
	err := q.pagesByParent(ctx, &rows, "accounts", accountColumns, "organization_id", organizationIDs, q.scoped(accountWhere(f), "organization_id", "id"), page)
	return accounts(rows, err)
}

// CountAccounts counts, for each organization, its accounts matching the filter.
func (q *queries) CountAccounts(ctx context.Context, organizationIDs []string, f domain.AccountFilter) (map[string]int, error) {
	return q.countsByParent(ctx, "accounts", "organization_id", organizationIDs, q.scoped(accountWhere(f), "organization_id", "id"))
}

// LockAccount reads an account and locks it until the transaction ends, so
// that concurrent writes to its integrations queue. It returns
// domain.ErrNotFound when there is none.
func (tx *Tx) LockAccount(ctx context.Context, id string) (*domain.Account, error) {
	w := tx.scoped(where{}, "organization_id", "id").with("id = ?", id)
	var row accountRow
	if err := tx.get(ctx, &row, "SELECT "+accountColumns+" FROM accounts"+w.sql()+tx.lock(Exclusive), w.args...); err != nil {
		return nil, err
	}
	return row.domain()
}

// CreateAccount returns domain.ErrSlugTaken when the slug is used in the
// organization, domain.ErrNotFound when the organization is gone.
func (tx *Tx) CreateAccount(ctx context.Context, a *domain.Account) error {
	labels, err := toJSON(a.Labels)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, "INSERT INTO accounts ("+accountColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		a.ID, a.OrganizationID, a.Slug, a.Name, string(a.Environment), labels, a.CreatedAt, a.UpdatedAt)
	return mapConstraint(err, domain.ErrSlugTaken, domain.ErrNotFound)
}

// UpdateAccount writes every field but the ID, organization and creation time.
func (tx *Tx) UpdateAccount(ctx context.Context, a *domain.Account) error {
	labels, err := toJSON(a.Labels)
	if err != nil {
		return err
	}
	cond, args := tx.scopedID(a.ID, "organization_id", "id")
	err = tx.execOne(ctx, "UPDATE accounts SET slug = ?, name = ?, environment = ?, labels = ?, updated_at = ?"+cond,
		append([]any{a.Slug, a.Name, string(a.Environment), labels, a.UpdatedAt}, args...)...)
	return mapConstraint(err, domain.ErrSlugTaken, nil)
}

// DeleteAccount returns domain.ErrHasIntegrations while the account has
// integrations, domain.ErrNotFound when there is no such account.
func (tx *Tx) DeleteAccount(ctx context.Context, id string) error {
	cond, args := tx.scopedID(id, "organization_id", "id")
	err := tx.execOne(ctx, "DELETE FROM accounts"+cond, args...)
	return mapConstraint(err, nil, domain.ErrHasIntegrations)
}
