-- Custom rules, account scope, and an immutable snapshot of every version
-- of a point's rules.
ALTER TABLE integration_points ADD COLUMN rules jsonb NOT NULL DEFAULT '[]';
ALTER TABLE integration_points ADD COLUMN account_selector jsonb NOT NULL DEFAULT '{"environments":[],"matchLabels":[]}';

CREATE TABLE integration_point_versions (
    integration_point_id text NOT NULL REFERENCES integration_points (id) ON DELETE CASCADE,
    version              integer NOT NULL,
    -- the rules as they were: category, allowedProviders, requiredConfig,
    -- maxIntegrationsPerAccount, rules, accountSelector
    snapshot             jsonb NOT NULL,
    created_at           timestamptz NOT NULL,
    PRIMARY KEY (integration_point_id, version)
);

INSERT INTO integration_point_versions (integration_point_id, version, snapshot, created_at)
SELECT id, version, jsonb_build_object(
    'category', category, 'allowedProviders', allowed_providers, 'requiredConfig', required_config,
    'maxIntegrationsPerAccount', max_integrations_per_account, 'rules', rules, 'accountSelector', account_selector),
    updated_at
FROM integration_points;

-- A re-check rewrites the compliance of many rows. With no index on
-- compliance_status and room left on each page, PostgreSQL updates them in
-- place (HOT) without touching any index; status filters and summaries
-- scan the parent's index instead, which is cheap at a parent's size.
DROP INDEX integrations_organization_status;
ALTER TABLE integrations SET (fillfactor = 70);
