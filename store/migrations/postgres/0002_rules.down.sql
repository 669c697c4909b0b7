CREATE INDEX integrations_organization_status ON integrations (organization_id, compliance_status, id);
ALTER TABLE integrations RESET (fillfactor);
DROP TABLE integration_point_versions;
ALTER TABLE integration_points DROP COLUMN account_selector;
ALTER TABLE integration_points DROP COLUMN rules;
