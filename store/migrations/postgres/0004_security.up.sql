-- API tokens: only a SHA-256 hash of the secret is kept. prefix is the
-- token's first characters, not secret, to look a token up and show it.
CREATE TABLE api_tokens (
    id              text PRIMARY KEY,
    role            text NOT NULL CHECK (role IN ('PLATFORM_ADMIN', 'ORG_ADMIN', 'ORG_VIEWER', 'ACCOUNT_ADMIN', 'ACCOUNT_VIEWER')),
    organization_id text REFERENCES organizations (id) ON DELETE RESTRICT,
    account_id      text,
    name            text NOT NULL,
    prefix          text NOT NULL,
    hash            text NOT NULL UNIQUE,
    -- the token set by POINTGUARD_ADMIN_TOKEN or the admin token file
    bootstrap       boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz,
    last_used_at    timestamptz,
    revoked_at      timestamptz,
    -- an account token's account is in its organization; it goes with the account
    FOREIGN KEY (account_id, organization_id) REFERENCES accounts (id, organization_id) ON DELETE CASCADE,
    CHECK (CASE
        WHEN role = 'PLATFORM_ADMIN' THEN organization_id IS NULL AND account_id IS NULL
        WHEN role IN ('ORG_ADMIN', 'ORG_VIEWER') THEN organization_id IS NOT NULL AND account_id IS NULL
        ELSE organization_id IS NOT NULL AND account_id IS NOT NULL
    END)
);
CREATE INDEX api_tokens_prefix ON api_tokens (prefix);
CREATE INDEX api_tokens_organization_id ON api_tokens (organization_id, id);
CREATE INDEX api_tokens_account_id ON api_tokens (account_id, id);

-- The audit log. No foreign keys: an event outlives what it names.
CREATE TABLE audit_events (
    id              text PRIMARY KEY,
    organization_id text,
    at              timestamptz NOT NULL,
    actor_token_id  text,
    actor_name      text NOT NULL,
    actor_role      text NOT NULL,
    action          text NOT NULL,
    target_id       text NOT NULL,
    target_type     text NOT NULL,
    changes         jsonb NOT NULL,
    request_id      text NOT NULL
);
CREATE INDEX audit_events_organization_id ON audit_events (organization_id, id);
CREATE INDEX audit_events_target_id ON audit_events (target_id, id);

-- Append-only, whoever asks: the database itself refuses to change or
-- remove an event.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
