package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/pagination"
	"github.com/pointguard/pointguard/secrets"
)

const integrationColumns = "id, organization_id, account_id, integration_point_id, provider_key, name, config, secrets, " +
	"compliance_status, compliance_point_version, compliance_checked_at, compliance_violations, created_at, updated_at, " +
	"status, status_reason, status_changed_at"

// integrationSelect reads an integration with its point's current version:
// a stored result holds for every later version (rule changes re-check in
// the same transaction), so the API shows the current one.
const integrationSelect = integrationColumns + ", (SELECT version FROM integration_points " +
	"WHERE integration_points.id = integrations.integration_point_id) AS current_point_version"

type integrationRow struct {
	CurrentPointVersion    sql.NullInt64  `db:"current_point_version"`
	ID                     string         `db:"id"`
	OrganizationID         string         `db:"organization_id"`
	AccountID              string         `db:"account_id"`
	IntegrationPointID     string         `db:"integration_point_id"`
	ProviderKey            string         `db:"provider_key"`
	Name                   string         `db:"name"`
	Config                 string         `db:"config"`
	Secrets                sql.NullString `db:"secrets"`
	ComplianceStatus       string         `db:"compliance_status"`
	CompliancePointVersion int            `db:"compliance_point_version"`
	ComplianceCheckedAt    time.Time      `db:"compliance_checked_at"`
	ComplianceViolations   string         `db:"compliance_violations"`
	CreatedAt              time.Time      `db:"created_at"`
	UpdatedAt              time.Time      `db:"updated_at"`
	Status                 string         `db:"status"`
	StatusReason           sql.NullString `db:"status_reason"`
	StatusChangedAt        sql.NullTime   `db:"status_changed_at"`
}

// integrationColumnList is every column an integration read may select.
var integrationColumnList = []column[integrationRow]{
	{IntegrationID, "id", func(r *integrationRow) any { return &r.ID }},
	{IntegrationOrganization, "organization_id", func(r *integrationRow) any { return &r.OrganizationID }},
	{IntegrationAccount, "account_id", func(r *integrationRow) any { return &r.AccountID }},
	{IntegrationPoint, "integration_point_id", func(r *integrationRow) any { return &r.IntegrationPointID }},
	{IntegrationProvider, "provider_key", func(r *integrationRow) any { return &r.ProviderKey }},
	{IntegrationName, "name", func(r *integrationRow) any { return &r.Name }},
	{IntegrationConfig, "config", func(r *integrationRow) any { return &r.Config }},
	{IntegrationSecrets, "secrets", func(r *integrationRow) any { return &r.Secrets }},
	{IntegrationStatus, "compliance_status", func(r *integrationRow) any { return &r.ComplianceStatus }},
	{IntegrationPointVersion, "compliance_point_version", func(r *integrationRow) any { return &r.CompliancePointVersion }},
	{IntegrationPointVersion, "(SELECT version FROM integration_points WHERE integration_points.id = integrations.integration_point_id) AS current_point_version",
		func(r *integrationRow) any { return &r.CurrentPointVersion }},
	{IntegrationCheckedAt, "compliance_checked_at", func(r *integrationRow) any { return &r.ComplianceCheckedAt }},
	{IntegrationViolations, "compliance_violations", func(r *integrationRow) any { return &r.ComplianceViolations }},
	{IntegrationCreatedAt, "created_at", func(r *integrationRow) any { return &r.CreatedAt }},
	{IntegrationUpdatedAt, "updated_at", func(r *integrationRow) any { return &r.UpdatedAt }},
	{IntegrationLifecycle, "status", func(r *integrationRow) any { return &r.Status }},
	{IntegrationLifecycle, "status_reason", func(r *integrationRow) any { return &r.StatusReason }},
	{IntegrationLifecycle, "status_changed_at", func(r *integrationRow) any { return &r.StatusChangedAt }},
}

// withDependencies is what a read of cols must select: secrets are
// sealed with their integration's ID as associated data, so opening them
// takes the ID; and status_changed_at is NULL until the status first
// changes (rows loaded from outside carry none), when it is the creation
// (fill).
func withDependencies(cols Columns) Columns {
	if cols&IntegrationSecrets != 0 {
		cols |= IntegrationID | IntegrationConfig
	}
	if cols&IntegrationLifecycle != 0 {
		cols |= IntegrationCreatedAt
	}
	return cols
}

// domain is the row's integration; columns the read left out stay zero.
func (r *integrationRow) domain(ring *secrets.Keyring) (*domain.Integration, error) {
	i := new(domain.Integration)
	return i, r.fill(i, ring)
}

// fill makes i the row's integration.
func (r *integrationRow) fill(i *domain.Integration, ring *secrets.Keyring) error {
	*i = domain.Integration{
		ID: r.ID, OrganizationID: r.OrganizationID, AccountID: r.AccountID, IntegrationPointID: r.IntegrationPointID,
		ProviderKey: r.ProviderKey, Name: r.Name,
		Compliance: domain.Compliance{
			Status:       domain.ComplianceStatus(r.ComplianceStatus),
			PointVersion: r.CompliancePointVersion,
			CheckedAt:    r.ComplianceCheckedAt.UTC(),
		},
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		Status: domain.IntegrationStatus(r.Status), StatusChangedAt: r.StatusChangedAt.Time.UTC(),
	}
	if !r.StatusChangedAt.Valid {
		i.StatusChangedAt = i.CreatedAt // never changed
	}
	if r.StatusReason.Valid {
		reason := r.StatusReason.String
		i.StatusReason = &reason
	}
	if r.Config != "" {
		if err := fromJSON(r.Config, &i.Config); err != nil {
			return err
		}
	}
	if r.Secrets.Valid {
		if err := openSecrets(ring, r.ID, r.Secrets.String, i.Config); err != nil {
			return err
		}
	}
	if r.ComplianceViolations != "" {
		if err := fromJSON(r.ComplianceViolations, &i.Compliance.Violations); err != nil {
			return err
		}
	}
	for n := range i.Compliance.Violations {
		// Results stored before enforcement modes existed were all DENY.
		if i.Compliance.Violations[n].Enforcement == "" {
			i.Compliance.Violations[n].Enforcement = domain.EnforcementDeny
		}
	}
	if r.CurrentPointVersion.Valid {
		i.Compliance.PointVersion = max(i.Compliance.PointVersion, int(r.CurrentPointVersion.Int64))
	}
	return nil
}

func (q *queries) integrations(rows []integrationRow, err error) ([]*domain.Integration, error) {
	if err != nil {
		return nil, err
	}
	defer release(rows)
	out := make([]*domain.Integration, len(rows))
	slab := make([]domain.Integration, len(rows)) // one allocation for them all
	for i := range rows {
		if err := rows[i].fill(&slab[i], q.secrets); err != nil {
			return nil, err
		}
		out[i] = &slab[i]
	}
	return out, nil
}

// IntegrationParent is what a list of integrations hangs off.
type IntegrationParent string

const (
	ByOrganization     IntegrationParent = "organization_id"
	ByAccount          IntegrationParent = "account_id"
	ByIntegrationPoint IntegrationParent = "integration_point_id"
)

func integrationWhere(f domain.IntegrationFilter) where {
	var w where
	if f.OrganizationID != "" {
		w.add("organization_id = ?", f.OrganizationID)
	}
	if f.AccountID != "" {
		w.add("account_id = ?", f.AccountID)
	}
	if f.IntegrationPointID != "" {
		w.add("integration_point_id = ?", f.IntegrationPointID)
	}
	if f.ProviderKey != "" {
		w.add("provider_key = ?", f.ProviderKey)
	}
	if f.ComplianceStatus != "" {
		w.add("compliance_status = ?", string(f.ComplianceStatus))
	}
	if f.Status != "" {
		w.add("status = ?", string(f.Status))
	}
	return w
}

// FindIntegrationsByIDs returns the integrations with the given IDs, in no
// particular order, with the columns cols; unknown IDs are left out.
func (q *queries) FindIntegrationsByIDs(ctx context.Context, ids []string, cols Columns) ([]*domain.Integration, error) {
	sel := selectColumns(integrationColumnList, withDependencies(cols), "")
	w := q.withAnyOf(q.scoped(where{}, "organization_id", "account_id"), "id", ids)
	rows, err := scanAll(ctx, q, sel, len(ids), "SELECT "+sel.list+" FROM integrations"+w.sql(), w.args...)
	return q.integrations(rows, err)
}

// FindIntegrationPages returns, for each parent, its page of integrations
// matching the filter, with the columns cols, in one statement.
func (q *queries) FindIntegrationPages(ctx context.Context, parent IntegrationParent, parentIDs []string, f domain.IntegrationFilter, page pagination.Page, cols Columns) ([]*domain.Integration, error) {
	if len(parentIDs) == 0 {
		return nil, nil
	}
	sel := selectColumns(integrationColumnList, withDependencies(cols), string(parent))
	return findPages(ctx, q, sel, "integrations", string(parent), parentIDs, q.scoped(integrationWhere(f), "organization_id", "account_id"), page, q.integrations)
}

// CountIntegrations counts, for each parent, its integrations matching the filter.
func (q *queries) CountIntegrations(ctx context.Context, parent IntegrationParent, parentIDs []string, f domain.IntegrationFilter) (map[string]int, error) {
	return q.countsByParent(ctx, "integrations", string(parent), parentIDs, q.scoped(integrationWhere(f), "organization_id", "account_id"))
}

// recheckColumns are every column but the point's current version: a
// re-check compares new results with the stored ones.
var recheckColumns = slices.DeleteFunc(slices.Clone(integrationColumnList), func(c column[integrationRow]) bool {
	return strings.Contains(c.sql, "current_point_version")
})

// FindIntegrationsToRecheck returns every integration on a point, or of an
// account, oldest first (the order in which rules.Facts counts Earlier),
// with its result as stored. Both orders are an index's, so the database
// sorts nothing.
func (q *queries) FindIntegrationsToRecheck(ctx context.Context, parent IntegrationParent, parentID string) ([]*domain.Integration, error) {
	w := q.scoped(where{}, "organization_id", "account_id").with(string(parent)+" = ?", parentID)
	var n int
	if err := q.get(ctx, &n, "SELECT count(*) FROM integrations"+w.sql(), w.args...); err != nil {
		return nil, err
	}
	sel := selectColumns(recheckColumns, AllColumns, "")
	rows, err := scanAll(ctx, q, sel, n, "SELECT "+sel.list+" FROM integrations"+w.sql()+" ORDER BY "+string(parent)+", id", w.args...)
	return q.integrations(rows, err)
}

// LockIntegration reads an integration and locks it until the transaction
// ends. It returns domain.ErrNotFound when there is none.
func (tx *Tx) LockIntegration(ctx context.Context, id string) (*domain.Integration, error) {
	w := tx.scoped(where{}, "organization_id", "account_id").with("id = ?", id)
	var row integrationRow
	if err := tx.get(ctx, &row, "SELECT "+integrationSelect+" FROM integrations"+w.sql()+tx.lock(Exclusive), w.args...); err != nil {
		return nil, err
	}
	return row.domain(tx.secrets)
}

// CountEarlierIntegrations counts the account's integrations on the point
// created before the one with ID before; with before "", all of them.
func (tx *Tx) CountEarlierIntegrations(ctx context.Context, accountID, pointID, before string) (int, error) {
	w := tx.scoped(where{}, "organization_id", "account_id")
	w.add("account_id = ?", accountID)
	w.add("integration_point_id = ?", pointID)
	if before != "" {
		w.add("id < ?", before)
	}
	var n int
	err := tx.get(ctx, &n, "SELECT count(*) FROM integrations"+w.sql(), w.args...)
	return n, err
}

// CreateIntegration returns domain.ErrNotFound when its account or point is gone.
func (tx *Tx) CreateIntegration(ctx context.Context, i *domain.Integration) error {
	config, sealed, err := sealSecrets(tx.secrets, i)
	if err != nil {
		return err
	}
	violations, err := toJSON(i.Compliance.Violations)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, "INSERT INTO integrations ("+integrationColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		i.ID, i.OrganizationID, i.AccountID, i.IntegrationPointID, i.ProviderKey, i.Name, config, sealed,
		string(i.Compliance.Status), i.Compliance.PointVersion, i.Compliance.CheckedAt, violations, i.CreatedAt, i.UpdatedAt,
		string(orActive(i.Status)), nullReason(i.StatusReason), statusChangedAt(i))
	return mapConstraint(err, nil, domain.ErrNotFound)
}

func orActive(s domain.IntegrationStatus) domain.IntegrationStatus {
	if s == "" {
		return domain.IntegrationActive
	}
	return s
}

func nullReason(s *string) sql.NullString {
	if s == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *s, Valid: true}
}

// statusChangedAt is i's, or its creation for one that never changed.
func statusChangedAt(i *domain.Integration) time.Time {
	if i.StatusChangedAt.IsZero() {
		return i.CreatedAt
	}
	return i.StatusChangedAt
}

// UpdateIntegration writes the provider, name, config, compliance, status and update time.
func (tx *Tx) UpdateIntegration(ctx context.Context, i *domain.Integration) error {
	config, sealed, err := sealSecrets(tx.secrets, i)
	if err != nil {
		return err
	}
	violations, err := toJSON(i.Compliance.Violations)
	if err != nil {
		return err
	}
	cond, args := tx.scopedID(i.ID, "organization_id", "account_id")
	return tx.execOne(ctx, "UPDATE integrations SET provider_key = ?, name = ?, config = ?, secrets = ?, compliance_status = ?, "+
		"compliance_point_version = ?, compliance_checked_at = ?, compliance_violations = ?, updated_at = ?, "+
		"status = ?, status_reason = ?, status_changed_at = ?"+cond,
		append([]any{i.ProviderKey, i.Name, config, sealed, string(i.Compliance.Status), i.Compliance.PointVersion, i.Compliance.CheckedAt,
			violations, i.UpdatedAt, string(orActive(i.Status)), nullReason(i.StatusReason), statusChangedAt(i)}, args...)...)
}

// UpdateCompliance stores the compliance of many integrations. A rule
// change usually gives many of them the same result, so rows sharing a
// result are written with one statement per updateChunk IDs; the rest go
// as arrays in one statement per chunk on PostgreSQL, and as one prepared
// statement per row on SQLite, which runs in process.
func (tx *Tx) UpdateCompliance(ctx context.Context, changed []*domain.Integration) error {
	type result struct {
		status     domain.ComplianceStatus
		version    int
		checkedAt  time.Time
		violations string
	}
	groups := map[result][]string{}
	var order []result
	for _, i := range changed {
		v, err := toJSON(i.Compliance.Violations)
		if err != nil {
			return err
		}
		r := result{i.Compliance.Status, i.Compliance.PointVersion, i.Compliance.CheckedAt, v}
		if _, ok := groups[r]; !ok {
			order = append(order, r)
		}
		groups[r] = append(groups[r], i.ID)
	}
	var singles []*domain.Integration
	byID := make(map[string]*domain.Integration, len(changed))
	for _, i := range changed {
		byID[i.ID] = i
	}
	for _, r := range order {
		ids := groups[r]
		if len(ids) < minGroup {
			for _, id := range ids {
				singles = append(singles, byID[id])
			}
			continue
		}
		for start := 0; start < len(ids); start += updateChunk {
			_, err := tx.exec(ctx, "UPDATE integrations SET compliance_status = ?, compliance_point_version = ?, "+
				"compliance_checked_at = ?, compliance_violations = ? WHERE id IN (?)",
				string(r.status), r.version, r.checkedAt, r.violations, ids[start:min(start+updateChunk, len(ids))])
			if err != nil {
				return err
			}
		}
	}
	if len(singles) == 0 {
		return nil
	}
	if tx.engine == Postgres {
		return tx.updateCompliancePostgres(ctx, singles)
	}
	stmt, err := tx.tx.PreparexContext(ctx, tx.tx.Rebind("UPDATE integrations SET compliance_status = ?, "+
		"compliance_point_version = ?, compliance_checked_at = ?, compliance_violations = ? WHERE id = ?"))
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, i := range singles {
		violations, err := toJSON(i.Compliance.Violations)
		if err != nil {
			return err
		}
		if _, err := stmt.ExecContext(ctx, string(i.Compliance.Status), i.Compliance.PointVersion,
			i.Compliance.CheckedAt, violations, i.ID); err != nil {
			return err
		}
	}
	return nil
}

// minGroup is the smallest group of equal results written by ID list.
const minGroup = 8

const updateChunk = 5000

func (tx *Tx) updateCompliancePostgres(ctx context.Context, changed []*domain.Integration) error {
	for start := 0; start < len(changed); start += updateChunk {
		chunk := changed[start:min(start+updateChunk, len(changed))]
		ids := make([]string, len(chunk))
		statuses := make([]string, len(chunk))
		versions := make([]int64, len(chunk))
		checked := make([]string, len(chunk))
		violations := make([]string, len(chunk))
		for n, i := range chunk {
			v, err := toJSON(i.Compliance.Violations)
			if err != nil {
				return err
			}
			ids[n], statuses[n], versions[n], violations[n] = i.ID, string(i.Compliance.Status), int64(i.Compliance.PointVersion), v
			checked[n] = i.Compliance.CheckedAt.Format(time.RFC3339Nano)
		}
		_, err := tx.ext.ExecContext(ctx, `UPDATE integrations AS i SET compliance_status = v.status,
			compliance_point_version = v.version, compliance_checked_at = v.checked_at::timestamptz,
			compliance_violations = v.violations::jsonb
			FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[]) AS v(id, status, version, checked_at, violations)
			WHERE i.id = v.id`,
			pq.Array(ids), pq.Array(statuses), pq.Array(versions), pq.Array(checked), pq.Array(violations))
		if err != nil {
			return err
		}
	}
	return nil
}

// UpdateStatuses stores the lifecycle status of many integrations (and
// nothing else): a re-check writes only those whose status changes, and
// gives those of one point the same status, reason and time, so they go
// as one statement per group of equal ones and updateChunk IDs.
func (tx *Tx) UpdateStatuses(ctx context.Context, changed []*domain.Integration) error {
	type status struct {
		status    domain.IntegrationStatus
		reason    string
		hasReason bool
		at        time.Time
	}
	groups := map[status][]string{}
	var order []status
	for _, i := range changed {
		s := status{status: i.Status, at: i.StatusChangedAt}
		if i.StatusReason != nil {
			s.reason, s.hasReason = *i.StatusReason, true
		}
		if _, ok := groups[s]; !ok {
			order = append(order, s)
		}
		groups[s] = append(groups[s], i.ID)
	}
	for _, s := range order {
		ids := groups[s]
		reason := sql.NullString{String: s.reason, Valid: s.hasReason}
		for start := 0; start < len(ids); start += updateChunk {
			_, err := tx.exec(ctx, "UPDATE integrations SET status = ?, status_reason = ?, status_changed_at = ? WHERE id IN (?)",
				string(s.status), reason, s.at, ids[start:min(start+updateChunk, len(ids))])
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// DeleteIntegration returns domain.ErrNotFound when there is none.
func (tx *Tx) DeleteIntegration(ctx context.Context, id string) error {
	cond, args := tx.scopedID(id, "organization_id", "account_id")
	return tx.execOne(ctx, "DELETE FROM integrations"+cond, args...)
}

// SummarizeCompliance counts, for each parent, its integrations by status,
// in one grouped statement. Parents with none get a zero summary.
func (q *queries) SummarizeCompliance(ctx context.Context, parent IntegrationParent, parentIDs []string) (map[string]domain.ComplianceSummary, error) {
	out := make(map[string]domain.ComplianceSummary, len(parentIDs))
	if len(parentIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		Parent    string `db:"parent"`
		Status    string `db:"status"`
		Lifecycle string `db:"lifecycle"`
		N         int    `db:"n"`
	}
	w := q.withAnyOf(q.scoped(where{}, "organization_id", "account_id"), string(parent), parentIDs)
	query := fmt.Sprintf("SELECT %s AS parent, compliance_status AS status, status AS lifecycle, count(*) AS n "+
		"FROM integrations%s GROUP BY %s, compliance_status, status", parent, w.sql(), parent)
	if err := q.selectAll(ctx, &rows, query, w.args...); err != nil {
		return nil, err
	}
	for _, id := range parentIDs {
		out[id] = domain.ComplianceSummary{}
	}
	for _, r := range rows {
		s := out[r.Parent]
		s.Total += r.N
		switch domain.ComplianceStatus(r.Status) {
		case domain.StatusCompliant:
			s.Compliant += r.N
		case domain.StatusWarning:
			s.Warning += r.N
		case domain.StatusNonCompliant:
			s.NonCompliant += r.N
		}
		switch domain.IntegrationStatus(r.Lifecycle) {
		case domain.IntegrationActive:
			s.Active += r.N
		case domain.IntegrationDisabled:
			s.Disabled += r.N
		case domain.IntegrationSuspended:
			s.Suspended += r.N
		}
		out[r.Parent] = s
	}
	return out, nil
}
