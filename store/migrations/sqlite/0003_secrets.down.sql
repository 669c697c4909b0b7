ALTER TABLE integrations DROP COLUMN secrets;
