DROP INDEX webhook_deliveries_event;
DROP INDEX webhook_deliveries_created;
DROP INDEX events_occurred;
