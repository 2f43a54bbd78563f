-- Schema versions 3 and 4: the read side is packed when the build commits.
-- advisories and affected (0001) and kev and epss (0002) are the build's staging
-- tables; Commit packs them into the tables below and drops them.
--
-- Records are stored in zstd-compressed runs ("blocks" of package records,
-- "chunks" of advisories) found through sparse indexes: one key per run, not
-- one per row, read into memory when a DB is opened, with a Bloom filter
-- per index for the keys the DB does not hold. Each run, uncompressed, is a
-- directory of keys followed by the records (see frame.go). Version 4
-- replaced version 3's per-row indexes with the sparse ones, added the
-- dictionary and the Bloom filters, and packed KEV and EPSS: on the
-- shared-data build the file went from 14.2 MB to 7.8 MB, and a feed's
-- worth of EPSS scores (300k) from 14.7 MB to 2.1 MB.

-- blocks: consecutive packages' records, in (package, ecosystem) order; an
-- entry is (package, ecosystem, JSON array of packedRecord).
CREATE TABLE blocks (
	block INTEGER PRIMARY KEY,
	data  BLOB NOT NULL
);

-- block_keys: the first (package, ecosystem) of each block.
CREATE TABLE block_keys (
	block     INTEGER PRIMARY KEY,
	package   TEXT NOT NULL,
	ecosystem TEXT NOT NULL
);

-- chunks: every advisory (one per ID and source), in (id, source) order; an
-- entry is (id, source, the vulndb.Advisory's JSON with Affected left out).
-- Compressed with the dictionary 'dict/chunks'.
CREATE TABLE chunks (
	chunk INTEGER PRIMARY KEY,
	data  BLOB NOT NULL
);

-- chunk_keys: the first (id, source) of each chunk.
CREATE TABLE chunk_keys (
	chunk  INTEGER PRIMARY KEY,
	id     TEXT NOT NULL,
	source TEXT NOT NULL
);

-- epss_runs: EPSS scores in CVE order, 4096 per run; an entry is (CVE,
-- score date, "score,percentile"). Compressed without a dictionary.
CREATE TABLE epss_runs (
	run  INTEGER PRIMARY KEY,
	data BLOB NOT NULL
);

-- epss_keys: the first CVE of each EPSS run (read on the first EPSS lookup).
CREATE TABLE epss_keys (
	run INTEGER PRIMARY KEY,
	cve TEXT NOT NULL
);

-- blobs: named zstd-compressed values read whole: 'dict/chunks' (a raw
-- zstd dictionary: advisories sampled from the data, which the chunks are
-- compressed against), 'bloom/packages' and 'bloom/ids' (see bloom.go),
-- and 'kev' (the KEV catalog, a JSON array of vulndb.KEV sorted by CVE).
CREATE TABLE blobs (
	name TEXT NOT NULL UNIQUE,
	data BLOB NOT NULL
);
