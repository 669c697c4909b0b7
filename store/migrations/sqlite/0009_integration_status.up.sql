-- SQLite twin of postgres/0009_integration_status.up.sql. SQLite adds a
-- NOT NULL column only with a default: status_changed_at gets the epoch,
-- then every row its created_at.
ALTER TABLE integrations ADD COLUMN status text NOT NULL DEFAULT 'ACTIVE'
    CHECK (status IN ('ACTIVE', 'DISABLED', 'SUSPENDED'));
ALTER TABLE integrations ADD COLUMN status_reason text
    CHECK ((status = 'ACTIVE') = (status_reason IS NULL));
ALTER TABLE integrations ADD COLUMN status_changed_at timestamp NOT NULL DEFAULT '1970-01-01 00:00:00+00:00';
UPDATE integrations SET status_changed_at = created_at;

ALTER TABLE integration_points ADD COLUMN on_violation text NOT NULL DEFAULT 'KEEP'
    CHECK (on_violation IN ('KEEP', 'SUSPEND'));
