package store

import (
	"context"
	"time"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/pagination"
)

const organizationColumns = "id, slug, name, created_at, updated_at"

type organizationRow struct {
	ID        string    `db:"id"`
	Slug      string    `db:"slug"`
	Name      string    `db:"name"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
}

func (r *organizationRow) domain() *domain.Organization {
	return &domain.Organization{ID: r.ID, Slug: r.Slug, Name: r.Name, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func organizations(rows []organizationRow) []*domain.Organization {
	out := make([]*domain.Organization, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out
}

// FindOrganizationsByIDs returns the organizations with the given IDs, in
// no particular order; unknown IDs are left out.
func (q *queries) FindOrganizationsByIDs(ctx context.Context, ids []string) ([]*domain.Organization, error) {
	w := q.withAnyOf(q.scoped(where{}, "id", ""), "id", ids)
	var rows []organizationRow
	err := q.selectAll(ctx, &rows, "SELECT "+organizationColumns+" FROM organizations"+w.sql(), w.args...)
	return organizations(rows), err
}

// FindOrganizationBySlug returns domain.ErrNotFound when there is none.
func (q *queries) FindOrganizationBySlug(ctx context.Context, slug string) (*domain.Organization, error) {
	w := q.scoped(where{}, "id", "").with("slug = ?", slug)
	var row organizationRow
	if err := q.get(ctx, &row, "SELECT "+organizationColumns+" FROM organizations"+w.sql(), w.args...); err != nil {
		return nil, err
	}
	return row.domain(), nil
}

// FindOrganizations returns up to page.Limit() organizations after the cursor, by ID.
func (q *queries) FindOrganizations(ctx context.Context, page pagination.Page) ([]*domain.Organization, error) {
	w := q.scoped(where{}, "id", "")
	if page.After != "" {
		w.add("id > ?", page.After)
	}
	var rows []organizationRow
	err := q.selectAll(ctx, &rows, "SELECT "+organizationColumns+" FROM organizations"+w.sql()+" ORDER BY id LIMIT ?", append(w.args, page.Limit())...)
	return organizations(rows), err
}

// CountOrganizations counts every organization.
func (q *queries) CountOrganizations(ctx context.Context) (int, error) {
	w := q.scoped(where{}, "id", "")
	var n int
	err := q.get(ctx, &n, "SELECT count(*) FROM organizations"+w.sql(), w.args...)
	return n, err
}

// CreateOrganization returns domain.ErrSlugTaken when the slug is used.
func (tx *Tx) CreateOrganization(ctx context.Context, o *domain.Organization) error {
	_, err := tx.exec(ctx, "INSERT INTO organizations ("+organizationColumns+") VALUES (?, ?, ?, ?, ?)",
		o.ID, o.Slug, o.Name, o.CreatedAt, o.UpdatedAt)
	return mapConstraint(err, domain.ErrSlugTaken, nil)
}
