-- Pruning (POINTGUARD_EVENT_RETENTION) finds old events and deliveries by
-- age, and an event's deliveries by its ID (also what deleting an event
-- checks, for the foreign key).
CREATE INDEX events_occurred ON events (occurred_at);
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
