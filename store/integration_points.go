package store

import (
	"context"
	"database/sql"
	"slices"
	"sync"
	"time"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/pagination"
	"github.com/pointguard/pointguard/secrets"
)

const integrationPointColumns = "id, organization_id, slug, name, description, category, version, config_defaults, secret_defaults, " +
	"allowed_providers, required_config, max_integrations_per_account, rules, account_selector, created_at, updated_at, on_violation"

type integrationPointRow struct {
	ID                        string         `db:"id"`
	OrganizationID            string         `db:"organization_id"`
	Slug                      string         `db:"slug"`
	Name                      string         `db:"name"`
	Description               string         `db:"description"`
	Category                  string         `db:"category"`
	Version                   int            `db:"version"`
	AllowedProviders          string         `db:"allowed_providers"`
	RequiredConfig            string         `db:"required_config"`
	MaxIntegrationsPerAccount sql.NullInt64  `db:"max_integrations_per_account"`
	Rules                     string         `db:"rules"`
	AccountSelector           string         `db:"account_selector"`
	ConfigDefaults            string         `db:"config_defaults"`
	SecretDefaults            sql.NullString `db:"secret_defaults"`
	CreatedAt                 time.Time      `db:"created_at"`
	UpdatedAt                 time.Time      `db:"updated_at"`
	OnViolation               string         `db:"on_violation"`
}

// integrationPointColumnList is every column a point read may select.
var integrationPointColumnList = []column[integrationPointRow]{
	{0, "id", func(r *integrationPointRow) any { return &r.ID }},
	{0, "organization_id", func(r *integrationPointRow) any { return &r.OrganizationID }},
	{PointSlug, "slug", func(r *integrationPointRow) any { return &r.Slug }},
	{PointName, "name", func(r *integrationPointRow) any { return &r.Name }},
	{PointDescription, "description", func(r *integrationPointRow) any { return &r.Description }},
	{PointCategory, "category", func(r *integrationPointRow) any { return &r.Category }},
	{PointVersion, "version", func(r *integrationPointRow) any { return &r.Version }},
	{PointAllowedProviders, "allowed_providers", func(r *integrationPointRow) any { return &r.AllowedProviders }},
	{PointRequiredConfig, "required_config", func(r *integrationPointRow) any { return &r.RequiredConfig }},
	{PointMaxIntegrations, "max_integrations_per_account", func(r *integrationPointRow) any { return &r.MaxIntegrationsPerAccount }},
	{PointRules, "rules", func(r *integrationPointRow) any { return &r.Rules }},
	{PointAccountSelector, "account_selector", func(r *integrationPointRow) any { return &r.AccountSelector }},
	{PointConfigDefaults, "config_defaults", func(r *integrationPointRow) any { return &r.ConfigDefaults }},
	{PointConfigDefaults, "secret_defaults", func(r *integrationPointRow) any { return &r.SecretDefaults }},
	{PointCreatedAt, "created_at", func(r *integrationPointRow) any { return &r.CreatedAt }},
	{PointUpdatedAt, "updated_at", func(r *integrationPointRow) any { return &r.UpdatedAt }},
	{PointOnViolation, "on_violation", func(r *integrationPointRow) any { return &r.OnViolation }},
}

// domain is the row's point; columns the read left out stay zero.
func (r *integrationPointRow) domain(ring *secrets.Keyring) (*domain.IntegrationPoint, error) {
	p := &domain.IntegrationPoint{
		ID: r.ID, OrganizationID: r.OrganizationID, Slug: r.Slug, Name: r.Name, Description: r.Description,
		Category: domain.Category(r.Category), Version: r.Version, OnViolation: domain.OnViolation(r.OnViolation),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.AllowedProviders != "" {
		if err := fromJSON(r.AllowedProviders, &p.AllowedProviders); err != nil {
			return nil, err
		}
	}
	if r.RequiredConfig != "" {
		if err := fromJSON(r.RequiredConfig, &p.RequiredConfig); err != nil {
			return nil, err
		}
	}
	if r.MaxIntegrationsPerAccount.Valid {
		n := int(r.MaxIntegrationsPerAccount.Int64)
		p.MaxIntegrationsPerAccount = &n
	}
	if r.Rules != "" {
		if err := fromJSON(r.Rules, &p.Rules); err != nil {
			return nil, err
		}
	}
	if r.AccountSelector != "" {
		if err := fromJSON(r.AccountSelector, &p.AccountSelector); err != nil {
			return nil, err
		}
	}
	if err := r.fillDefaults(ring, p); err != nil {
		return nil, err
	}
	return p, nil
}

// points is integrationPoints with the reader's keyring.
func (q *queries) points(rows []integrationPointRow, err error) ([]*domain.IntegrationPoint, error) {
	return integrationPoints(q.secrets, rows, err)
}

func integrationPoints(ring *secrets.Keyring, rows []integrationPointRow, err error) ([]*domain.IntegrationPoint, error) {
	if err != nil {
		return nil, err
	}
	out := make([]*domain.IntegrationPoint, len(rows))
	for i := range rows {
		if out[i], err = rows[i].domain(ring); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// pointValues are the columns after id, organization_id and created_at, in the order of the UPDATE below.
func pointValues(p *domain.IntegrationPoint) ([]any, error) {
	allowed, err := toJSON(p.AllowedProviders)
	if err != nil {
		return nil, err
	}
	required, err := toJSON(p.RequiredConfig)
	if err != nil {
		return nil, err
	}
	rules, err := toJSON(p.Rules)
	if err != nil {
		return nil, err
	}
	selector, err := toJSON(p.AccountSelector)
	if err != nil {
		return nil, err
	}
	var limit sql.NullInt64
	if p.MaxIntegrationsPerAccount != nil {
		limit = sql.NullInt64{Int64: int64(*p.MaxIntegrationsPerAccount), Valid: true}
	}
	return []any{p.Slug, p.Name, p.Description, string(p.Category), p.Version, allowed, required, limit, rules, selector, p.UpdatedAt}, nil
}

// Which points an account scope sees is policy.Scope.SeesPoint: those
// whose selector selects its account. Every read and lock of points below
// applies it, so that no caller can forget it; the one way past it is the
// point an integration the caller sees is on (FindPointsOfIntegrations,
// LockPointsOfIntegrations).

// ownAccount is an account scope's own account, read once per reader or
// transaction, for the selectors of the points it reads.
type ownAccount struct {
	once    sync.Once
	account *domain.Account
	err     error
}

// visiblePoints keeps the points the scope sees.
func (q *queries) visiblePoints(ctx context.Context, points []*domain.IntegrationPoint, err error) ([]*domain.IntegrationPoint, error) {
	if err != nil || q.scope.AccountID == "" {
		return points, err
	}
	q.own.once.Do(func() {
		var found []*domain.Account
		found, q.own.err = q.FindAccountsByIDs(ctx, []string{q.scope.AccountID}, AccountEnvironment|AccountLabels)
		if len(found) == 1 {
			q.own.account = found[0]
		}
	})
	if q.own.err != nil {
		return nil, q.own.err
	}
	out := points[:0]
	for _, p := range points {
		if q.scope.SeesPoint(p, q.own.account) {
			out = append(out, p)
		}
	}
	return out, nil
}

// pointColumns adds to cols what visiblePoints reads.
func (q *queries) pointColumns(cols Columns) Columns {
	if q.scope.AccountID != "" {
		cols |= PointAccountSelector
	}
	return cols
}

// FindIntegrationPointsByIDs returns the points with the given IDs, in no
// particular order, with the columns cols; unknown IDs are left out.
func (q *queries) FindIntegrationPointsByIDs(ctx context.Context, ids []string, cols Columns) ([]*domain.IntegrationPoint, error) {
	points, err := q.findPointsByIDs(ctx, ids, q.pointColumns(cols), where{})
	return q.visiblePoints(ctx, points, err)
}

// FindPointsOfIntegrations is FindIntegrationPointsByIDs for the points
// integrations are on: an account scope sees the point of each of its
// integrations, whether or not the point's selector still selects its
// account, and no other.
func (q *queries) FindPointsOfIntegrations(ctx context.Context, ids []string, cols Columns) ([]*domain.IntegrationPoint, error) {
	return q.findPointsByIDs(ctx, ids, cols, q.withIntegrations(where{}))
}

// withIntegrations limits w, under an account scope, to the points the
// account has integrations on.
func (q *queries) withIntegrations(w where) where {
	if q.scope.AccountID == "" {
		return w
	}
	in := q.scoped(where{}, "organization_id", "account_id")
	return w.with("id IN (SELECT integration_point_id FROM integrations"+in.sql()+")", in.args...)
}

func (q *queries) findPointsByIDs(ctx context.Context, ids []string, cols Columns, w where) ([]*domain.IntegrationPoint, error) {
	sel := selectColumns(integrationPointColumnList, cols, "")
	w = q.withAnyOf(q.scoped(w, "organization_id", ""), "id", ids)
	rows, err := scanAll(ctx, q, sel, len(ids), "SELECT "+sel.list+" FROM integration_points"+w.sql(), w.args...)
	return integrationPoints(q.secrets, rows, err)
}

// FindIntegrationPointPages returns, for each organization, its page of
// points, with the columns cols, in one statement.
func (q *queries) FindIntegrationPointPages(ctx context.Context, organizationIDs []string, page pagination.Page, cols Columns) ([]*domain.IntegrationPoint, error) {
	if len(organizationIDs) == 0 {
		return nil, nil
	}
	if q.scope.AccountID != "" {
		// The selector is not SQL: read the organization's points (tens,
		// not millions), keep those the account sees, and page in memory.
		all, err := q.allPoints(ctx, organizationIDs, q.pointColumns(cols))
		if all, err = q.visiblePoints(ctx, all, err); err != nil {
			return nil, err
		}
		var out []*domain.IntegrationPoint
		for _, points := range byOrganization(all) {
			out = append(out, pagination.Window(points, page)...)
		}
		return out, nil
	}
	sel := selectColumns(integrationPointColumnList, cols, "")
	return findPages(ctx, q, sel, "integration_points", "organization_id", organizationIDs, q.scoped(where{}, "organization_id", ""), page, q.points)
}

// allPoints reads every point of the organizations, ordered by
// organization and ID, in one statement.
func (q *queries) allPoints(ctx context.Context, organizationIDs []string, cols Columns) ([]*domain.IntegrationPoint, error) {
	sel := selectColumns(integrationPointColumnList, cols, "")
	w := q.withAnyOf(q.scoped(where{}, "organization_id", ""), "organization_id", organizationIDs)
	rows, err := scanAll(ctx, q, sel, 0, "SELECT "+sel.list+" FROM integration_points"+w.sql()+" ORDER BY organization_id, id", w.args...)
	return integrationPoints(q.secrets, rows, err)
}

// byOrganization splits points ordered by organization into one list per organization.
func byOrganization(points []*domain.IntegrationPoint) [][]*domain.IntegrationPoint {
	var out [][]*domain.IntegrationPoint
	for i := 0; i < len(points); {
		j := i + 1
		for j < len(points) && points[j].OrganizationID == points[i].OrganizationID {
			j++
		}
		out = append(out, points[i:j])
		i = j
	}
	return out
}

// FindPointsSelecting returns, for each account (with its environment and
// labels read), the points of its organization whose selector selects it,
// ordered by ID, with the columns cols: Account.integrationPoints.
func (q *queries) FindPointsSelecting(ctx context.Context, accounts []*domain.Account, cols Columns) (map[string][]*domain.IntegrationPoint, error) {
	orgs := make([]string, 0, len(accounts))
	for _, a := range accounts {
		orgs = append(orgs, a.OrganizationID)
	}
	slices.Sort(orgs)
	all, err := q.allPoints(ctx, slices.Compact(orgs), cols|PointAccountSelector)
	if all, err = q.visiblePoints(ctx, all, err); err != nil {
		return nil, err
	}
	out := make(map[string][]*domain.IntegrationPoint, len(accounts))
	for _, a := range accounts {
		if _, done := out[a.ID]; done {
			continue // the same account under two parents
		}
		out[a.ID] = []*domain.IntegrationPoint{}
		for _, p := range all {
			if p.OrganizationID == a.OrganizationID && p.AccountSelector.Matches(a) {
				out[a.ID] = append(out[a.ID], p)
			}
		}
	}
	return out, nil
}

// CountIntegrationPoints counts, for each organization, its points.
func (q *queries) CountIntegrationPoints(ctx context.Context, organizationIDs []string) (map[string]int, error) {
	if q.scope.AccountID != "" {
		all, err := q.allPoints(ctx, organizationIDs, PointAccountSelector)
		if all, err = q.visiblePoints(ctx, all, err); err != nil {
			return nil, err
		}
		counts := map[string]int{}
		for _, p := range all {
			counts[p.OrganizationID]++
		}
		return counts, nil
	}
	return q.countsByParent(ctx, "integration_points", "organization_id", organizationIDs, q.scoped(where{}, "organization_id", ""))
}

// LockIntegrationPoints reads points and locks them until the transaction
// ends: a rule change (Exclusive) and the integration writes checked against
// the rules (Shared) queue behind each other, so no write is checked against
// rules that are being replaced. Unknown IDs are left out.
func (tx *Tx) LockIntegrationPoints(ctx context.Context, ids []string, mode LockMode) ([]*domain.IntegrationPoint, error) {
	points, err := tx.lockPoints(ctx, ids, mode, where{})
	return tx.visiblePoints(ctx, points, err)
}

// LockPointsOfIntegrations is LockIntegrationPoints for the points
// integrations are on (see FindPointsOfIntegrations).
func (tx *Tx) LockPointsOfIntegrations(ctx context.Context, ids []string, mode LockMode) ([]*domain.IntegrationPoint, error) {
	return tx.lockPoints(ctx, ids, mode, tx.withIntegrations(where{}))
}

func (tx *Tx) lockPoints(ctx context.Context, ids []string, mode LockMode, w where) ([]*domain.IntegrationPoint, error) {
	w = tx.withAnyOf(tx.scoped(w, "organization_id", ""), "id", ids)
	var rows []integrationPointRow
	err := tx.selectAll(ctx, &rows, "SELECT "+integrationPointColumns+" FROM integration_points"+w.sql()+" ORDER BY id"+tx.lock(mode), w.args...)
	return integrationPoints(tx.secrets, rows, err)
}

// LockIntegrationPoint is LockIntegrationPoints for one point; it returns
// domain.ErrNotFound when there is none the caller sees.
func (tx *Tx) LockIntegrationPoint(ctx context.Context, id string, mode LockMode) (*domain.IntegrationPoint, error) {
	return one(tx.LockIntegrationPoints(ctx, []string{id}, mode))
}

// LockPointOfIntegration is LockPointsOfIntegrations for one point.
func (tx *Tx) LockPointOfIntegration(ctx context.Context, id string, mode LockMode) (*domain.IntegrationPoint, error) {
	return one(tx.LockPointsOfIntegrations(ctx, []string{id}, mode))
}

func one(points []*domain.IntegrationPoint, err error) (*domain.IntegrationPoint, error) {
	if err != nil {
		return nil, err
	}
	if len(points) == 0 {
		return nil, domain.ErrNotFound
	}
	return points[0], nil
}

// CreateIntegrationPoint returns domain.ErrSlugTaken when the slug is used
// in the organization, domain.ErrNotFound when the organization is gone.
func (tx *Tx) CreateIntegrationPoint(ctx context.Context, p *domain.IntegrationPoint) error {
	values, err := pointValues(p)
	if err != nil {
		return err
	}
	args := append([]any{p.ID, p.OrganizationID}, values...)
	args = append(args, p.CreatedAt, string(orKeep(p.OnViolation)))
	_, err = tx.exec(ctx, "INSERT INTO integration_points (id, organization_id, slug, name, description, category, version, "+
		"allowed_providers, required_config, max_integrations_per_account, rules, account_selector, updated_at, created_at, on_violation) "+
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", args...)
	return mapConstraint(err, domain.ErrSlugTaken, domain.ErrNotFound)
}

func orKeep(o domain.OnViolation) domain.OnViolation {
	if o == "" {
		return domain.OnViolationKeep
	}
	return o
}

// UpdateIntegrationPoint writes every field but the ID, organization and creation time.
func (tx *Tx) UpdateIntegrationPoint(ctx context.Context, p *domain.IntegrationPoint) error {
	values, err := pointValues(p)
	if err != nil {
		return err
	}
	cond, args := tx.scopedID(p.ID, "organization_id", "")
	err = tx.execOne(ctx, "UPDATE integration_points SET slug = ?, name = ?, description = ?, category = ?, version = ?, "+
		"allowed_providers = ?, required_config = ?, max_integrations_per_account = ?, rules = ?, account_selector = ?, "+
		"updated_at = ?, on_violation = ?"+cond,
		append(append(values, string(orKeep(p.OnViolation))), args...)...)
	return mapConstraint(err, domain.ErrSlugTaken, nil)
}

// DeleteIntegrationPoint returns domain.ErrHasIntegrations while the point
// has integrations, domain.ErrNotFound when there is no such point.
func (tx *Tx) DeleteIntegrationPoint(ctx context.Context, id string) error {
	cond, args := tx.scopedID(id, "organization_id", "")
	err := tx.execOne(ctx, "DELETE FROM integration_points"+cond, args...)
	return mapConstraint(err, nil, domain.ErrHasIntegrations)
}
