-- SQLite twin of postgres/0002_rules.up.sql.
ALTER TABLE integration_points ADD COLUMN rules text NOT NULL DEFAULT '[]';
ALTER TABLE integration_points ADD COLUMN account_selector text NOT NULL DEFAULT '{"environments":[],"matchLabels":[]}';

CREATE TABLE integration_point_versions (
    integration_point_id text NOT NULL REFERENCES integration_points (id) ON DELETE CASCADE,
    version              integer NOT NULL,
    snapshot             text NOT NULL,
    created_at           timestamp NOT NULL,
    PRIMARY KEY (integration_point_id, version)
);

INSERT INTO integration_point_versions (integration_point_id, version, snapshot, created_at)
SELECT id, version, json_object(
    'category', category, 'allowedProviders', json(allowed_providers), 'requiredConfig', json(required_config),
    'maxIntegrationsPerAccount', max_integrations_per_account, 'rules', json(rules), 'accountSelector', json(account_selector)),
    updated_at
FROM integration_points;

-- As on PostgreSQL: no index on compliance_status, so a re-check's
-- updates touch only the table.
DROP INDEX integrations_organization_status;
