-- Notifications waiting to be delivered (docs/store.md, "Re-evaluation and
-- notifications"). A row is written in the transaction that records the
-- snapshot it announces, so a snapshot is never kept without its
-- notifications nor a notification sent for a snapshot not kept.
CREATE TABLE outbox (
  id           TEXT PRIMARY KEY,  -- the event's ID, the same on every attempt
  subject      BIGINT NOT NULL REFERENCES subject (id),
  snapshot     BIGINT NOT NULL,
  target       TEXT NOT NULL,     -- the webhook URL
  body         TEXT NOT NULL,     -- the event as sent, byte for byte
  created_at   TIMESTAMPTZ NOT NULL,
  attempts     INTEGER NOT NULL DEFAULT 0,
  next_attempt TIMESTAMPTZ NOT NULL,
  last_error   TEXT NOT NULL DEFAULT '',
  state        TEXT NOT NULL DEFAULT 'pending', -- pending | delivered | failed
  delivered_at TIMESTAMPTZ
);
CREATE INDEX outbox_due ON outbox (state, next_attempt);
