-- A point's config defaults (issue 11): config_defaults holds the plain
-- ones, [{"provider","path","value","mode"}]; secret_defaults the ones at
-- secret paths (the providers' writeOnly keys), as one JSON array sealed
-- with AES-256-GCM and bound to the point's ID: {"keyId","nonce","ciphertext"},
-- null when there are none. The database never sees a secret in clear.
ALTER TABLE integration_points ADD COLUMN config_defaults jsonb NOT NULL DEFAULT '[]';
ALTER TABLE integration_points ADD COLUMN secret_defaults text;
