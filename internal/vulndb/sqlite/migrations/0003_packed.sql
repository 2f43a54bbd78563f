-- Schema version 3: the read side is packed when the build commits.
-- advisories and affected (0001) are the build's staging tables; Commit packs
-- them into the tables below and drops them, so a finished DB holds only:

-- packages: one row per (ecosystem, package) locating its records, a JSON
-- array (see packedRecord), at bytes [off, off+len) of a block.
CREATE TABLE packages (
	ecosystem TEXT NOT NULL,
	package   TEXT NOT NULL,
	block     INTEGER NOT NULL,
	off       INTEGER NOT NULL,
	len       INTEGER NOT NULL,
	PRIMARY KEY (ecosystem, package)
) WITHOUT ROWID;

-- blocks: zstd-compressed runs of consecutive packages' records.
CREATE TABLE blocks (
	block INTEGER PRIMARY KEY,
	data  BLOB NOT NULL
);

-- adv: every advisory (one per ID and source); its full record is element
-- (seq % chunkSize) of chunk (seq / chunkSize).
CREATE TABLE adv (
	id     TEXT NOT NULL,
	source TEXT NOT NULL,
	seq    INTEGER NOT NULL,
	PRIMARY KEY (id, source)
) WITHOUT ROWID;

-- chunks: zstd-compressed JSON arrays of chunkSize advisories (Affected left
-- out), in seq order; compressing many records together is what keeps the
-- file smaller than the same data as gzipped JSON.
CREATE TABLE chunks (
	chunk INTEGER PRIMARY KEY,
	data  BLOB NOT NULL
);
