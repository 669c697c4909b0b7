ALTER TABLE integration_points DROP COLUMN on_violation;
ALTER TABLE integrations DROP COLUMN status_changed_at;
ALTER TABLE integrations DROP COLUMN status_reason;
ALTER TABLE integrations DROP COLUMN status;
