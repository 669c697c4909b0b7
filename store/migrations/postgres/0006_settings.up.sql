-- Facts about the installation as a whole, not of any tenant: read and
-- written by the system alone. demo_offered is set once the demo
-- organization has been loaded, so that a start never loads it twice and
-- one killed while loading it loads it again.
CREATE TABLE settings (
    name  text PRIMARY KEY,
    value text NOT NULL
);
-- A database made before this table had its demo, if any.
INSERT INTO settings (name, value) SELECT 'demo_offered', 'true' WHERE EXISTS (SELECT 1 FROM organizations);
