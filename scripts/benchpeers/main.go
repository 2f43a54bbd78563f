// Command benchpeers prepares the peer scanner that scripts/bench.sh --peers
// times customs against: a Trivy cache directory whose vulnerability DB and
// Java index DB are empty but of the schemas Trivy expects, so that Trivy
// runs offline (--skip-db-update --skip-java-db-update --offline-scan) and
// matching costs it nothing.
//
//	benchpeers trivy-cache DIR
//
// It writes, as Trivy v0.74 reads them:
//
//	DIR/db/trivy.db            BoltDB without buckets (trivy-db schema 2)
//	DIR/db/metadata.json       {"Version": 2, ...}
//	DIR/java-db/trivy-java.db  SQLite with the empty artifacts and indices tables (trivy-java-db schema 1)
//	DIR/java-db/metadata.json  {"Version": 1, ...}
//
// It is a module of its own, so the customs module does not depend on BoltDB.
package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	_ "modernc.org/sqlite"
)

// The schema versions Trivy v0.74 accepts with --skip-db-update and
// --skip-java-db-update: trivy-db's db.SchemaVersion and trivy-java-db's.
const (
	vulnSchema = 2
	javaSchema = 1
)

// javaTables is the trivy-java-db schema: Trivy looks jars up by SHA-1 in
// indices and by group and artifact ID in artifacts.
var javaTables = []string{
	`CREATE TABLE artifacts(id INTEGER PRIMARY KEY, group_id TEXT, artifact_id TEXT)`,
	`CREATE TABLE indices(artifact_id INTEGER, version TEXT, sha1 BLOB, archive_type TEXT, FOREIGN KEY (artifact_id) REFERENCES artifacts(id))`,
	`CREATE UNIQUE INDEX artifacts_idx ON artifacts(artifact_id, group_id)`,
	`CREATE INDEX indices_artifact_idx ON indices(artifact_id)`,
	`CREATE UNIQUE INDEX indices_sha1_idx ON indices(sha1)`,
}

// metadata is the metadata.json beside each DB (the same shape for both).
type metadata struct {
	Version      int
	NextUpdate   time.Time
	UpdatedAt    time.Time
	DownloadedAt time.Time
}

func main() {
	if err := run(os.Args[1:], os.Stdout, time.Now()); err != nil {
		fmt.Fprintln(os.Stderr, "benchpeers:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer, now time.Time) error {
	if len(args) != 2 || args[0] != "trivy-cache" {
		return fmt.Errorf("usage: benchpeers trivy-cache DIR")
	}
	dir := args[1]
	if err := writeVulnDB(filepath.Join(dir, "db"), now); err != nil {
		return err
	}
	if err := writeJavaDB(filepath.Join(dir, "java-db"), now); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "empty Trivy DBs (schema %d, Java schema %d) in %s\n", vulnSchema, javaSchema, dir)
	return nil
}

func writeVulnDB(dir string, now time.Time) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, "trivy.db")
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return err
	}
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return writeMetadata(dir, vulnSchema, now)
}

func writeJavaDB(dir string, now time.Time) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, "trivy-java.db")
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return err
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	for _, stmt := range javaTables {
		if _, err := db.Exec(stmt); err != nil {
			db.Close()
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return writeMetadata(dir, javaSchema, now)
}

func writeMetadata(dir string, version int, now time.Time) error {
	now = now.UTC()
	b, err := json.Marshal(metadata{Version: version, NextUpdate: now.AddDate(1, 0, 0), UpdatedAt: now, DownloadedAt: now})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "metadata.json"), append(b, '\n'), 0o644)
}
