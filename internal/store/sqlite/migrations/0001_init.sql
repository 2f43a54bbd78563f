-- The store's first schema (docs/store.md). Times are UTC text in the
-- fixed-width form 2006-01-02T15:04:05.000000000Z, so text order is time order.

-- An image by manifest digest, or a host by machine-id.
CREATE TABLE subject (
  id               INTEGER PRIMARY KEY,
  kind             TEXT NOT NULL,            -- image | host
  key              TEXT NOT NULL,            -- manifest digest | machine-id
  name             TEXT NOT NULL,            -- first reference | host name
  config_digest    TEXT NOT NULL DEFAULT '',
  platform         TEXT NOT NULL DEFAULT '',
  labels           TEXT NOT NULL DEFAULT '{}',
  first_seen       TEXT NOT NULL,
  last_seen        TEXT NOT NULL,
  current_snapshot INTEGER,
  UNIQUE (kind, key)
);

-- The references (registry/repository:tag, @digest) an image was seen under.
CREATE TABLE subject_ref (
  subject    INTEGER NOT NULL REFERENCES subject (id),
  ref        TEXT NOT NULL,
  first_seen TEXT NOT NULL,
  last_seen  TEXT NOT NULL,
  PRIMARY KEY (subject, ref)
);
CREATE INDEX subject_ref_ref ON subject_ref (ref);

-- A layer's inventory, addressed by its content (DiffID and packages):
-- stored once however many images share the layer.
CREATE TABLE inventory (
  id       INTEGER PRIMARY KEY,
  hash     TEXT NOT NULL UNIQUE,
  diff_id  TEXT NOT NULL,
  packages INTEGER NOT NULL
);

CREATE TABLE package (
  id             INTEGER PRIMARY KEY,
  inventory      INTEGER NOT NULL REFERENCES inventory (id),
  idx            INTEGER NOT NULL,
  key            TEXT NOT NULL,  -- the report's package ID
  type           TEXT NOT NULL,
  name           TEXT NOT NULL,
  version        TEXT NOT NULL,
  purl           TEXT NOT NULL,
  purl_base      TEXT NOT NULL,  -- the PURL without version and qualifiers
  ecosystem      TEXT NOT NULL,
  source_name    TEXT NOT NULL,
  source_version TEXT NOT NULL,
  owned          INTEGER NOT NULL, -- 1: reported as part of the OS package that owns its file
  data           TEXT NOT NULL,    -- the package as the report has it (JSON)
  UNIQUE (inventory, idx)
);
CREATE INDEX package_name ON package (name);
CREATE INDEX package_source ON package (source_name);
CREATE INDEX package_purl_base ON package (purl_base);

-- One recorded state of a subject: its layers' inventories and findings.
CREATE TABLE snapshot (
  id           INTEGER PRIMARY KEY,
  subject      INTEGER NOT NULL REFERENCES subject (id),
  content_hash TEXT NOT NULL,
  scanned_at   TEXT NOT NULL,
  recorded_at  TEXT NOT NULL,
  tool         TEXT NOT NULL,
  db           TEXT NOT NULL,  -- the report's DB block (JSON), '' when none
  db_built     TEXT,           -- NULL when no DB
  packages     INTEGER NOT NULL,
  summary      TEXT NOT NULL   -- findings by severity (JSON)
);
CREATE INDEX snapshot_subject ON snapshot (subject, id);

CREATE TABLE snapshot_layer (
  snapshot   INTEGER NOT NULL REFERENCES snapshot (id),
  idx        INTEGER NOT NULL,
  inventory  INTEGER NOT NULL REFERENCES inventory (id),
  created_by TEXT NOT NULL,
  PRIMARY KEY (snapshot, idx)
);
CREATE INDEX snapshot_layer_inventory ON snapshot_layer (inventory);

CREATE TABLE finding (
  snapshot         INTEGER NOT NULL REFERENCES snapshot (id),
  package          INTEGER NOT NULL REFERENCES package (id),
  vulnerability_id TEXT NOT NULL,
  status           TEXT NOT NULL,
  fixed_version    TEXT NOT NULL,
  severity         TEXT NOT NULL,
  kev              INTEGER NOT NULL,
  epss             REAL NOT NULL
);
CREATE INDEX finding_snapshot ON finding (snapshot, package);
CREATE INDEX finding_vulnerability ON finding (vulnerability_id);

-- Aliases the findings named (CVE <-> GHSA, GO-, ...), for alias-aware queries.
CREATE TABLE vulnerability_alias (
  id    TEXT NOT NULL,
  alias TEXT NOT NULL,
  PRIMARY KEY (id, alias)
);
CREATE INDEX vulnerability_alias_alias ON vulnerability_alias (alias);
