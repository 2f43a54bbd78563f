-- Schema version 2: exploitation signals keyed on CVE.

-- kev is the build's staging table for CISA's Known Exploited
-- Vulnerabilities catalog (json is the vulndb.KEV); Commit packs it into the
-- blob named 'kev' (0003) and drops it.
CREATE TABLE kev (
	cve  TEXT PRIMARY KEY,
	json BLOB NOT NULL
) WITHOUT ROWID;

-- epss is the build's staging table for EPSS scores, one per CVE (the
-- newest imported wins); Commit packs it into epss_runs (0003) and drops it.
CREATE TABLE epss (
	cve        TEXT PRIMARY KEY,
	score      REAL NOT NULL,
	percentile REAL NOT NULL,
	date       TEXT NOT NULL
) WITHOUT ROWID;
