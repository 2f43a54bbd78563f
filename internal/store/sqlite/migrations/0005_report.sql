-- What a snapshot's report carries besides its packages (kept in the
-- inventories): the target with its labels, the OS, the findings in full,
-- secrets, misconfigurations, relationships, coverage. The report as JSON
-- without packages, gzip-compressed; Store.Report puts them together again.
CREATE TABLE snapshot_report (
  snapshot INTEGER PRIMARY KEY REFERENCES snapshot (id),
  data     BLOB NOT NULL
);

-- A placement's image reference normalised as the subjects' references are
-- (store.NormalizeRef: "nginx" is "nginx:latest", so is
-- "docker.io/library/nginx:latest"); rows from before keep it as written.
ALTER TABLE placement ADD COLUMN ref TEXT NOT NULL DEFAULT '';
UPDATE placement SET ref = image;
CREATE INDEX placement_ref ON placement (ref);
