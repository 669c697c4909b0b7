-- Config keys that hold secrets (writeOnly in the provider's schema) leave
-- config and live here, sealed with AES-256-GCM: {"keyId","nonce","ciphertext"}.
ALTER TABLE integrations ADD COLUMN secrets text;
