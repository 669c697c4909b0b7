ALTER TABLE integration_points DROP COLUMN secret_defaults;
ALTER TABLE integration_points DROP COLUMN config_defaults;
