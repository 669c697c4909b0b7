-- The answers to mutations sent with an Idempotency-Key, kept 24 hours so
-- that a retry is answered again instead of run again. A row commits in
-- the transaction of the mutation's writes: both or neither.
--
-- token_id is the api_tokens ID the request authenticated with, without a
-- foreign key: a token deleted with its account must neither wait on its
-- keys nor take them along mid-request; they expire on their own.
-- status, content_type and body are NULL only inside the transaction that
-- claimed the key. body is sealed (secrets.Keyring: sealed_by names the
-- key, nonce is its nonce): an answer may hold a new token's secret.
CREATE TABLE idempotency_keys (
    token_id     text NOT NULL,
    key          text NOT NULL,
    -- SHA-256, in hex, of the canonical request (query, operationName, variables)
    request_hash text NOT NULL,
    status       integer,
    content_type text,
    body         bytea,
    nonce        bytea,
    sealed_by    text,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (token_id, key)
);
-- Expiry deletes by age.
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
