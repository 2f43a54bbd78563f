-- Additive to schema version 4 (no version bump: a reader falls back to the
-- blocks when a DB built before it lacks the table).

-- ecosystems: every ecosystem the package records are keyed on ("debian:12",
-- "alpine:3.10", "Go", "cpe") and how many packages it holds records for,
-- so a scan can say cheaply which parts of an inventory the DB covers.
CREATE TABLE ecosystems (
	ecosystem TEXT PRIMARY KEY,
	packages  INTEGER NOT NULL
) WITHOUT ROWID;
