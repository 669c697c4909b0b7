-- SQLite twin of postgres/0009_integration_status.up.sql: status_changed_at
-- is NULL until the status first changes (read as created_at).
ALTER TABLE integrations ADD COLUMN status text NOT NULL DEFAULT 'ACTIVE'
    CHECK (status IN ('ACTIVE', 'DISABLED', 'SUSPENDED'));
ALTER TABLE integrations ADD COLUMN status_reason text
    CHECK ((status = 'ACTIVE') = (status_reason IS NULL));
ALTER TABLE integrations ADD COLUMN status_changed_at timestamp;

ALTER TABLE integration_points ADD COLUMN on_violation text NOT NULL DEFAULT 'KEEP'
    CHECK (on_violation IN ('KEEP', 'SUSPEND'));
