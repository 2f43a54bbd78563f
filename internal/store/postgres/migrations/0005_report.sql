-- What a snapshot's report carries besides its packages (kept in the
-- inventories) and findings (finding_detail, below): the target with its
-- labels, the OS, secrets, misconfigurations, relationships, coverage. The
-- report as JSON without them, gzip-compressed; Store.Report puts them
-- together again.
CREATE TABLE snapshot_report (
  snapshot BIGINT PRIMARY KEY REFERENCES snapshot (id),
  data     BYTEA NOT NULL
);

-- A placement's image reference normalised as the subjects' references are
-- (store.NormalizeRef: "nginx" is "nginx:latest", so is
-- "docker.io/library/nginx:latest"); rows from before keep it as written.
ALTER TABLE placement ADD COLUMN ref TEXT NOT NULL DEFAULT '';
UPDATE placement SET ref = image;
CREATE INDEX placement_ref ON placement (ref);

-- The names advisories are looked up by besides the package's own (source)
-- name: its AlsoMatch names (an rpm's binary name, a binary's other CPE
-- products), space-separated. With ecosystem, name and source_name they are
-- a package's keys, which incremental re-evaluation compares.
ALTER TABLE package ADD COLUMN also_match TEXT NOT NULL DEFAULT '';
CREATE INDEX package_also_match ON package (also_match) WHERE also_match <> '';

-- Per DB build, a digest of everything matching reads for one package key
-- (ecosystem, name): its records, their advisories, KEV listings and EPSS
-- scores on either side of store.EPSSJump. Re-evaluation against a new build
-- re-matches only the subjects holding a key whose digest differs from the
-- build they were matched against (docs/store.md, "Which subjects").
CREATE TABLE advisory_digest (
  built     TIMESTAMPTZ NOT NULL,
  ecosystem TEXT NOT NULL,
  package   TEXT NOT NULL,
  digest    TEXT NOT NULL,
  PRIMARY KEY (built, ecosystem, package)
);
-- Re-evaluation reads the current snapshots by the build they were matched against.
CREATE INDEX snapshot_db_built ON snapshot (db_built);

-- A finding as the report had it (title, aliases, CVSS, evidence,
-- locations), addressed by its content: stored once however many
-- snapshots have it (images on one base layer matched against one build
-- share their base's). A finding row names its detail; rows recorded
-- before this migration have none.
CREATE TABLE finding_detail (
  id   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  data TEXT NOT NULL
);
ALTER TABLE finding ADD COLUMN detail BIGINT;
