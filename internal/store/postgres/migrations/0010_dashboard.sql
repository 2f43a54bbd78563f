-- The dashboard's notifications page lists the outbox newest first
-- (docs/dashboard.md).
CREATE INDEX outbox_created ON outbox (created_at, id);
