package store

import (
	"context"
	"time"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/pagination"
)

// snapshot is the JSON of integration_point_versions.snapshot.
type snapshot struct {
	Category                  domain.Category         `json:"category"`
	AllowedProviders          domain.AllowedProviders `json:"allowedProviders"`
	RequiredConfig            []string                `json:"requiredConfig"`
	MaxIntegrationsPerAccount *int                    `json:"maxIntegrationsPerAccount"`
	Rules                     []domain.Rule           `json:"rules"`
	AccountSelector           domain.AccountSelector  `json:"accountSelector"`
	// ConfigDefaults are the plain ones: a version keeps no secret.
	ConfigDefaults []domain.ConfigDefault `json:"configDefaults,omitempty"`
}

type versionRow struct {
	PointID   string    `db:"integration_point_id"`
	Version   int       `db:"version"`
	Snapshot  string    `db:"snapshot"`
	CreatedAt time.Time `db:"created_at"`
}

// CreateIntegrationPointVersion records the point's rules as its current
// version. Versions are never changed afterwards.
func (tx *Tx) CreateIntegrationPointVersion(ctx context.Context, p *domain.IntegrationPoint) error {
	snap, err := toJSON(snapshot{
		Category: p.Category, AllowedProviders: p.AllowedProviders, RequiredConfig: p.RequiredConfig,
		MaxIntegrationsPerAccount: p.MaxIntegrationsPerAccount, Rules: p.Rules, AccountSelector: p.AccountSelector,
		ConfigDefaults: p.ConfigDefaults,
	})
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, "INSERT INTO integration_point_versions (integration_point_id, version, snapshot, created_at) VALUES (?, ?, ?, ?)",
		p.ID, p.Version, snap, p.UpdatedAt)
	return err
}

// FindIntegrationPointVersionPages returns, for each point, its page of
// versions, oldest first, in one statement.
func (q *queries) FindIntegrationPointVersionPages(ctx context.Context, pointIDs []string, page pagination.Page) ([]*domain.IntegrationPointVersion, error) {
	// A version belongs to its point's organization.
	w := q.scoped(where{}, "(SELECT organization_id FROM integration_points p WHERE p.id = integration_point_versions.integration_point_id)", "")
	if page.After != "" {
		_, v, _ := domain.ParseVersionID(page.After)
		w.add("version > ?", v)
	}
	var rows []versionRow
	err := q.pagesByParentOrdered(ctx, &rows, "integration_point_versions", "integration_point_id, version, snapshot, created_at",
		"integration_point_id", "version", pointIDs, w, page.Limit())
	if err != nil {
		return nil, err
	}
	out := make([]*domain.IntegrationPointVersion, len(rows))
	for i, r := range rows {
		var s snapshot
		if err := fromJSON(r.Snapshot, &s); err != nil {
			return nil, err
		}
		out[i] = &domain.IntegrationPointVersion{
			ID: domain.VersionID(r.PointID, r.Version), IntegrationPointID: r.PointID, Version: r.Version,
			Category: s.Category, AllowedProviders: s.AllowedProviders, RequiredConfig: domain.OrEmpty(s.RequiredConfig),
			MaxIntegrationsPerAccount: s.MaxIntegrationsPerAccount, Rules: domain.OrEmpty(s.Rules),
			AccountSelector: s.AccountSelector, ConfigDefaults: orEmpty(s.ConfigDefaults), CreatedAt: r.CreatedAt.UTC(),
		}
	}
	return out, nil
}
