-- Schema version 2: exploitation signals keyed on CVE.

-- kev is the build's staging table for CISA's Known Exploited
-- Vulnerabilities catalog (json is the vulndb.KEV); Commit packs it into the
-- blob named 'kev' (0003) and drops it.
CREATE TABLE kev (
	cve  TEXT PRIMARY KEY,
	json BLOB NOT NULL
) WITHOUT ROWID;

-- epss holds one EPSS score per CVE (the newest imported wins).
CREATE TABLE epss (
	cve        TEXT PRIMARY KEY,
	score      REAL NOT NULL,
	percentile REAL NOT NULL,
	date       TEXT NOT NULL
) WITHOUT ROWID;
