-- An integration's lifecycle: whether it may be used. ACTIVE; DISABLED by a
-- person (disableIntegration), whom only a person undoes; or SUSPENDED by
-- its point (on_violation SUSPEND) while it is NON_COMPLIANT, and ACTIVE
-- again by itself once it complies. status_reason says why it is out of
-- use, and is there exactly then. status_changed_at is NULL until the
-- status first changes (read as created_at), so that rows inserted by
-- others, a bulk load, need not name it.
--
-- No index on status, as on compliance_status (0002): a re-check that
-- suspends or resumes rows then updates them in place (HOT); the filter
-- and the summary scan the parent's index.
ALTER TABLE integrations ADD COLUMN status text NOT NULL DEFAULT 'ACTIVE'
    CHECK (status IN ('ACTIVE', 'DISABLED', 'SUSPENDED'));
ALTER TABLE integrations ADD COLUMN status_reason text
    CHECK ((status = 'ACTIVE') = (status_reason IS NULL));
ALTER TABLE integrations ADD COLUMN status_changed_at timestamptz;

-- What a point does to its integrations that are NON_COMPLIANT.
ALTER TABLE integration_points ADD COLUMN on_violation text NOT NULL DEFAULT 'KEEP'
    CHECK (on_violation IN ('KEEP', 'SUSPEND'));
