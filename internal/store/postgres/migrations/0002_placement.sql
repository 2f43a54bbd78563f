-- Where images run: one container of a workload, as customs audit read it
-- (a Kubernetes pod template, a Compose service, a Docker container). An
-- audit of a source replaces what the store held for that source.
CREATE TABLE placement (
  runtime    TEXT NOT NULL,  -- k8s | compose | inspect | oci-config | docker
  source     TEXT NOT NULL,  -- the file read, or docker:
  namespace  TEXT NOT NULL,
  kind       TEXT NOT NULL,
  name       TEXT NOT NULL,
  container  TEXT NOT NULL,
  image      TEXT NOT NULL,  -- the reference as the workload names it
  digest     TEXT NOT NULL,  -- the manifest digest, '' when the input gives none
  first_seen TIMESTAMPTZ NOT NULL,
  last_seen  TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (runtime, source, namespace, kind, name, container)
);
CREATE INDEX placement_digest ON placement (digest);
CREATE INDEX placement_image ON placement (image);
