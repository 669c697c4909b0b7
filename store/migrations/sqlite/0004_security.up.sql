-- SQLite twin of postgres/0004_security.up.sql.
CREATE TABLE api_tokens (
    id              text PRIMARY KEY,
    role            text NOT NULL CHECK (role IN ('PLATFORM_ADMIN', 'ORG_ADMIN', 'ORG_VIEWER', 'ACCOUNT_ADMIN', 'ACCOUNT_VIEWER')),
    organization_id text REFERENCES organizations (id),
    account_id      text,
    name            text NOT NULL,
    prefix          text NOT NULL,
    hash            text NOT NULL UNIQUE,
    bootstrap       boolean NOT NULL DEFAULT false,
    created_at      timestamp NOT NULL,
    expires_at      timestamp,
    last_used_at    timestamp,
    revoked_at      timestamp,
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

CREATE TABLE audit_events (
    id              text PRIMARY KEY,
    organization_id text,
    at              timestamp NOT NULL,
    actor_token_id  text,
    actor_name      text NOT NULL,
    actor_role      text NOT NULL,
    action          text NOT NULL,
    target_id       text NOT NULL,
    target_type     text NOT NULL,
    changes         text NOT NULL,
    request_id      text NOT NULL
);
CREATE INDEX audit_events_organization_id ON audit_events (organization_id, id);
CREATE INDEX audit_events_target_id ON audit_events (target_id, id);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
