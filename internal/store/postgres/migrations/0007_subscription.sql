-- Notification webhooks managed through customs serve's API
-- (/v1/subscriptions), notified besides the config's notify.webhooks[].
-- The secret signs the events (HMAC), so it is kept, not a hash of it; the
-- API never shows it.
CREATE TABLE subscription (
  id         TEXT PRIMARY KEY,
  url        TEXT NOT NULL UNIQUE,
  secret     TEXT NOT NULL,
  filter     TEXT NOT NULL,  -- JSON: minSeverity, kevOnly, fixableOnly, refs
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
