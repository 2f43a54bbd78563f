-- Schema version 1 of the customs vulnerability DB.
-- A DB file is written once by a Writer and never modified afterwards.

-- meta holds key/value facts about the file: schema_version, built (RFC 3339).
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

-- sources lists the feeds the DB was built from, in import order.
CREATE TABLE sources (
	kind       TEXT NOT NULL,
	path       TEXT NOT NULL,
	advisories INTEGER NOT NULL,
	affected   INTEGER NOT NULL,
	imported   TEXT NOT NULL
);

-- advisories holds one row per (id, source); json is the vulndb.Advisory
-- with Affected left out.
CREATE TABLE advisories (
	rowid  INTEGER PRIMARY KEY,
	id     TEXT NOT NULL,
	source TEXT NOT NULL,
	json   BLOB NOT NULL
);
CREATE UNIQUE INDEX advisories_id_source ON advisories (id, source);

-- affected holds one row per vulndb.Affected; json is the whole record.
CREATE TABLE affected (
	advisory  INTEGER NOT NULL REFERENCES advisories (rowid),
	ecosystem TEXT NOT NULL,
	package   TEXT NOT NULL,
	json      BLOB NOT NULL
);
CREATE INDEX affected_package ON affected (ecosystem, package);
