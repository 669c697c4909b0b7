DROP INDEX integrations_point_status;
DROP TABLE integration_point_versions;
ALTER TABLE integration_points DROP COLUMN account_selector;
ALTER TABLE integration_points DROP COLUMN rules;
