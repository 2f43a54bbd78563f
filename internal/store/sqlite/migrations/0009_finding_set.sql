-- Finding sets (docs/store.md, "Finding sets"): the findings of one layer
-- inventory's packages, as the snapshots holding that layer have them,
-- addressed by their content and stored once however many snapshots have
-- them. Images on one base layer matched against one build share their
-- base's set, so each further image adds the findings of its own layers
-- only; a re-evaluation that changes the findings of one package makes
-- one new set per layer inventory holding it, shared by every subject on
-- that layer, instead of a copy of each subject's findings.
CREATE TABLE finding_set (
  id        INTEGER PRIMARY KEY,
  hash      TEXT NOT NULL UNIQUE,
  inventory INTEGER NOT NULL REFERENCES inventory (id),
  findings  INTEGER NOT NULL,
  kev       INTEGER NOT NULL,  -- findings listed in CISA's KEV catalog
  fixable   INTEGER NOT NULL,  -- findings with a fixed version
  summary   TEXT NOT NULL      -- findings by severity (JSON)
);

-- A snapshot's layer names the set of its inventory's findings; NULL when
-- it has none.
ALTER TABLE snapshot_layer ADD COLUMN findings INTEGER REFERENCES finding_set (id);

-- Findings belong to a set, no longer to a snapshot. The findings kept
-- before are put into one set per snapshot and layer inventory, named by
-- them (not by their content: those sets are not shared).
INSERT INTO finding_set (hash, inventory, findings, kev, fixable, summary)
SELECT 'snapshot ' || snapshot || ' inventory ' || inventory, inventory, SUM(n), SUM(k), SUM(fx), json_group_object(severity, n)
FROM (SELECT f.snapshot, p.inventory, f.severity, COUNT(*) AS n, SUM(f.kev <> 0) AS k, SUM(f.fixed_version <> '') AS fx
      FROM finding f JOIN package p ON p.id = f.package
      GROUP BY f.snapshot, p.inventory, f.severity)
GROUP BY snapshot, inventory
ORDER BY snapshot, inventory;

UPDATE snapshot_layer SET findings = (SELECT fs.id FROM finding_set fs WHERE fs.hash = 'snapshot ' || snapshot_layer.snapshot || ' inventory ' || snapshot_layer.inventory)
WHERE idx = (SELECT MIN(x.idx) FROM snapshot_layer x WHERE x.snapshot = snapshot_layer.snapshot AND x.inventory = snapshot_layer.inventory);

CREATE TABLE finding_new (
  finding_set      INTEGER NOT NULL REFERENCES finding_set (id),
  package          INTEGER NOT NULL REFERENCES package (id),
  vulnerability_id TEXT NOT NULL,
  status           TEXT NOT NULL,
  fixed_version    TEXT NOT NULL,
  severity         TEXT NOT NULL,
  kev              INTEGER NOT NULL,
  epss             REAL NOT NULL,
  detail           INTEGER
);
INSERT INTO finding_new (finding_set, package, vulnerability_id, status, fixed_version, severity, kev, epss, detail)
SELECT fs.id, f.package, f.vulnerability_id, f.status, f.fixed_version, f.severity, f.kev, f.epss, f.detail
FROM finding f JOIN package p ON p.id = f.package JOIN finding_set fs ON fs.hash = 'snapshot ' || f.snapshot || ' inventory ' || p.inventory
ORDER BY fs.id, f.package;
DROP TABLE finding;
ALTER TABLE finding_new RENAME TO finding;
CREATE INDEX finding_set_package ON finding (finding_set, package);
CREATE INDEX finding_vulnerability ON finding (vulnerability_id);
CREATE INDEX snapshot_layer_findings ON snapshot_layer (findings);
