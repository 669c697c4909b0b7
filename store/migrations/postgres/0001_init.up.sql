-- IDs are "<kind>_<uuidv7 hex>": text that sorts by creation time, so
-- ORDER BY id is keyset pagination. Deletes are refused by foreign keys: an account or
-- point with integrations cannot go (HAS_INTEGRATIONS).
CREATE TABLE organizations (
    id         text PRIMARY KEY,
    slug       text NOT NULL UNIQUE,
    name       text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE accounts (
    id              text PRIMARY KEY,
    organization_id text NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
    slug            text NOT NULL,
    name            text NOT NULL,
    environment     text NOT NULL CHECK (environment IN ('TEST', 'PROD')),
    labels          jsonb NOT NULL DEFAULT '[]',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    UNIQUE (organization_id, slug),
    -- target of integrations' composite key: an integration's account is in its organization
    UNIQUE (id, organization_id)
);
CREATE INDEX accounts_organization_id ON accounts (organization_id, id);

CREATE TABLE integration_points (
    id                           text PRIMARY KEY,
    organization_id              text NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
    slug                         text NOT NULL,
    name                         text NOT NULL,
    description                  text NOT NULL DEFAULT '',
    category                     text NOT NULL,
    version                      integer NOT NULL CHECK (version >= 1),
    allowed_providers            jsonb NOT NULL,
    required_config              jsonb NOT NULL DEFAULT '[]',
    max_integrations_per_account integer CHECK (max_integrations_per_account >= 1),
    created_at                   timestamptz NOT NULL,
    updated_at                   timestamptz NOT NULL,
    UNIQUE (organization_id, slug),
    UNIQUE (id, organization_id)
);
CREATE INDEX integration_points_organization_id ON integration_points (organization_id, id);

CREATE TABLE integrations (
    id                       text PRIMARY KEY,
    organization_id          text NOT NULL,
    account_id               text NOT NULL,
    integration_point_id     text NOT NULL,
    provider_key             text NOT NULL,
    name                     text NOT NULL,
    config                   jsonb NOT NULL,
    compliance_status        text NOT NULL CHECK (compliance_status IN ('COMPLIANT', 'WARNING', 'NON_COMPLIANT')),
    compliance_point_version integer NOT NULL,
    compliance_checked_at    timestamptz NOT NULL,
    compliance_violations    jsonb NOT NULL DEFAULT '[]',
    created_at               timestamptz NOT NULL,
    updated_at               timestamptz NOT NULL,
    FOREIGN KEY (account_id, organization_id) REFERENCES accounts (id, organization_id) ON DELETE RESTRICT,
    FOREIGN KEY (integration_point_id, organization_id) REFERENCES integration_points (id, organization_id) ON DELETE RESTRICT
);
CREATE INDEX integrations_organization_id ON integrations (organization_id, id);
CREATE INDEX integrations_account_id ON integrations (account_id, integration_point_id, id);
CREATE INDEX integrations_integration_point_id ON integrations (integration_point_id, id);
CREATE INDEX integrations_organization_status ON integrations (organization_id, compliance_status, id);
