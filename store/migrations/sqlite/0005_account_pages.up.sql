-- An account's page of integrations is ordered by id: the index of the
-- account's limit (account, point, id) would need a sort of all its rows,
-- and SQLite would rather scan the organization's.
CREATE INDEX integrations_account_page ON integrations (account_id, id);
