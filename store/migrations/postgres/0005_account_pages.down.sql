DROP INDEX integrations_account_page;
