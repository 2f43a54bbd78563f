-- Schema version 3: the read side is packed when the build commits.
-- advisories and affected (0001) are the build's staging tables; Commit packs
-- them into the tables below and drops them, so a finished DB holds only:

-- packages: one row per (ecosystem, package) with every record a lookup
-- needs, as a zstd-compressed JSON array (see packedRecord).
CREATE TABLE packages (
	ecosystem TEXT NOT NULL,
	package   TEXT NOT NULL,
	data      BLOB NOT NULL,
	PRIMARY KEY (ecosystem, package)
) WITHOUT ROWID;

-- adv: every advisory (one per ID and source); its full record is element
-- (seq % chunkSize) of chunk (seq / chunkSize).
CREATE TABLE adv (
	seq    INTEGER PRIMARY KEY,
	id     TEXT NOT NULL,
	source TEXT NOT NULL
);

-- chunks: zstd-compressed JSON arrays of chunkSize advisories (Affected left
-- out), in seq order; compressing many records together is what keeps the
-- file smaller than the same data as gzipped JSON.
CREATE TABLE chunks (
	chunk INTEGER PRIMARY KEY,
	data  BLOB NOT NULL
);
CREATE INDEX adv_id ON adv (id);
