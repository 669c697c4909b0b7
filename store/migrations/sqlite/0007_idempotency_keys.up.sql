-- SQLite twin of postgres/0007_idempotency_keys.up.sql.
CREATE TABLE idempotency_keys (
    token_id     text NOT NULL,
    key          text NOT NULL,
    request_hash text NOT NULL,
    status       integer,
    content_type text,
    body         blob,
    nonce        blob,
    sealed_by    text,
    created_at   timestamp NOT NULL,
    PRIMARY KEY (token_id, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
