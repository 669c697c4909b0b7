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

// accountColumnList is every column an account read may select.
var accountColumnList = []column[accountRow]{
	{0, "id", func(r *accountRow) any { return &r.ID }},
	{AccountOrganization, "organization_id", func(r *accountRow) any { return &r.OrganizationID }},
	{AccountSlug, "slug", func(r *accountRow) any { return &r.Slug }},
	{AccountName, "name", func(r *accountRow) any { return &r.Name }},
	{AccountEnvironment, "environment", func(r *accountRow) any { return &r.Environment }},
	{AccountLabels, "labels", func(r *accountRow) any { return &r.Labels }},
	{AccountCreatedAt, "created_at", func(r *accountRow) any { return &r.CreatedAt }},
	{AccountUpdatedAt, "updated_at", func(r *accountRow) any { return &r.UpdatedAt }},
}

// domain is the row's account; columns the read left out stay zero.
func (r *accountRow) domain() (*domain.Account, error) {
	a := new(domain.Account)
	return a, r.fill(a)
}

// fill makes a the row's account.
func (r *accountRow) fill(a *domain.Account) error {
	*a = domain.Account{
		ID: r.ID, OrganizationID: r.OrganizationID, Slug: r.Slug, Name: r.Name,
		Environment: domain.Environment(r.Environment), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.Labels != "" {
		if err := fromJSON(r.Labels, &a.Labels); err != nil {
			return err
		}
	}
	if a.Labels == nil {
		a.Labels = []domain.Label{}
	}
	return nil
}

func accounts(rows []accountRow, err error) ([]*domain.Account, error) {
	if err != nil {
		return nil, err
	}
	defer release(rows)
	out := make([]*domain.Account, len(rows))
	slab := make([]domain.Account, len(rows)) // one allocation for them all
	for i := range rows {
		if err := rows[i].fill(&slab[i]); err != nil {
			return nil, err
		}
		out[i] = &slab[i]
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

// FindAccountBySlug returns domain.ErrNotFound when the organization has
// no account of that slug.
func (q *queries) FindAccountBySlug(ctx context.Context, organizationID, slug string) (*domain.Account, error) {
	w := q.scoped(where{}, "organization_id", "id").with("organization_id = ?", organizationID).with("slug = ?", slug)
	var row accountRow
	if err := q.get(ctx, &row, "SELECT "+accountColumns+" FROM accounts"+w.sql(), w.args...); err != nil {
		return nil, err
	}
	return row.domain()
}

// FindAccountsByIDs returns the accounts with the given IDs, in no
// particular order, with the columns cols; unknown IDs are left out.
func (q *queries) FindAccountsByIDs(ctx context.Context, ids []string, cols Columns) ([]*domain.Account, error) {
	sel := selectColumns(accountColumnList, cols, "")
	w := q.withAnyOf(q.scoped(where{}, "organization_id", "id"), "id", ids)
	rows, err := scanAll(ctx, q, sel, len(ids), "SELECT "+sel.list+" FROM accounts"+w.sql(), w.args...)
	return accounts(rows, err)
}

// FindAccountPages returns, for each organization, its page of accounts
// matching the filter, with the columns cols, in one statement.
func (q *queries) FindAccountPages(ctx context.Context, organizationIDs []string, f domain.AccountFilter, page pagination.Page, cols Columns) ([]*domain.Account, error) {
	if len(organizationIDs) == 0 {
		return nil, nil
	}
	sel := selectColumns(accountColumnList, cols, "organization_id")
	return findPages(ctx, q, sel, "accounts", "organization_id", organizationIDs, q.scoped(accountWhere(f), "organization_id", "id"), page, accounts)
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
