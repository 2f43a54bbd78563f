-- The dashboard (docs/dashboard.md): its overview counts the current
-- snapshots' KEV-listed findings, and its notifications page lists the
-- outbox newest first.
CREATE INDEX finding_kev ON finding (snapshot) WHERE kev;
CREATE INDEX outbox_created ON outbox (created_at, id);
