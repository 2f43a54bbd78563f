-- Drift reports (customs drift --store, docs/drift.md): what changed in a
-- container or a host since its image or its last snapshot. One row per
-- report; the report itself is its JSON document, gzip-compressed.
CREATE TABLE drift (
  id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  subject          BIGINT REFERENCES subject (id), -- the stored image or host it concerns, when the store holds it
  target_kind      TEXT NOT NULL,  -- container | host
  target_ref       TEXT NOT NULL,  -- docker:web, dir:/
  target_id        TEXT NOT NULL,  -- a container's ID, a host's machine-id ('' when unknown)
  target_name      TEXT NOT NULL,  -- a container's name, a host's name
  against_ref      TEXT NOT NULL,
  against_kind     TEXT NOT NULL,  -- image | snapshot
  against_image_id TEXT NOT NULL,
  against_snapshot BIGINT,         -- the snapshot compared with (no reference: snapshots are pruned)
  created_at       TIMESTAMPTZ NOT NULL,
  recorded_at      TIMESTAMPTZ NOT NULL,
  tool             TEXT NOT NULL,
  items            INTEGER NOT NULL,
  summary          JSONB NOT NULL, -- {"bySeverity": {...}, "byKind": {...}}
  data             BYTEA NOT NULL
);
CREATE INDEX drift_subject ON drift (subject, id);
CREATE INDEX drift_target_name ON drift (target_name);
CREATE INDEX drift_target_id ON drift (target_id);
