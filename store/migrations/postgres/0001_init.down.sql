DROP TABLE integrations;
DROP TABLE integration_points;
DROP TABLE accounts;
DROP TABLE organizations;
