-- SQLite twin of postgres/0010_webhooks.up.sql: seq is the rowid.
CREATE TABLE events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              text NOT NULL UNIQUE,
    organization_id text NOT NULL,
    account_id      text,
    subject_id      text NOT NULL,
    type            text NOT NULL,
    occurred_at     timestamp NOT NULL,
    data            text NOT NULL
);
CREATE INDEX events_organization ON events (organization_id, seq);

-- An endpoint of an organization, or of one of its accounts (account_id:
-- it gets only that account's events). event_types empty is every type;
-- account_selector (environments, labels) narrows the accounts whose
-- events it gets. The secret is sealed (secrets.Keyring, bound to the
-- endpoint's ID), never returned after creation. failing_since is when
-- the first of the failures since its last success was; a day of them
-- disables it (enabled false, disabled_reason).
CREATE TABLE webhook_endpoints (
    id               text PRIMARY KEY,
    organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    account_id       text REFERENCES accounts (id) ON DELETE CASCADE,
    url              text NOT NULL,
    description      text NOT NULL DEFAULT '',
    event_types      text NOT NULL DEFAULT '[]',
    account_selector text,
    enabled          boolean NOT NULL DEFAULT 1,
    disabled_reason  text,
    secret           text NOT NULL,
    failing_since    timestamp,
    created_at       timestamp NOT NULL,
    updated_at       timestamp NOT NULL
);
CREATE INDEX webhook_endpoints_organization ON webhook_endpoints (organization_id, id);

-- One event to one endpoint: PENDING until a 2xx (SUCCEEDED), or until the
-- retry horizon is over (FAILED). The queue's job (River) carries its ID.
CREATE TABLE webhook_deliveries (
    id               text PRIMARY KEY,
    endpoint_id      text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id         text NOT NULL REFERENCES events (id),
    event_type       text NOT NULL,
    status           text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
    attempts         integer NOT NULL DEFAULT 0,
    last_http_status integer,
    last_duration_ms integer,
    last_response    text,
    last_error       text,
    created_at       timestamp NOT NULL,
    updated_at       timestamp NOT NULL
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);

-- Every attempt of a delivery, for the delivery log.
CREATE TABLE webhook_attempts (
    id               text PRIMARY KEY,
    delivery_id      text NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at     timestamp NOT NULL,
    http_status      integer,
    duration_ms      integer NOT NULL,
    response_snippet text NOT NULL DEFAULT '',
    error            text
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
