package main

import (
	"database/sql"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestTrivyCache opens what trivy-cache writes the way Trivy does: the
// BoltDB read-only, the Java DB's tables queried, both metadata files at the
// schema versions Trivy accepts offline.
func TestTrivyCache(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	if err := run([]string{"trivy-cache", dir}, io.Discard, now); err != nil {
		t.Fatal(err)
	}
	// A second run over the same directory replaces both DBs.
	if err := run([]string{"trivy-cache", dir}, io.Discard, now); err != nil {
		t.Fatal(err)
	}

	db, err := bolt.Open(filepath.Join(dir, "db", "trivy.db"), 0o644, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket([]byte("debian 12")); b != nil {
			t.Errorf("bucket %q exists in an empty DB", "debian 12")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	jdb, err := sql.Open("sqlite", filepath.Join(dir, "java-db", "trivy-java.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer jdb.Close()
	var n int
	if err := jdb.QueryRow(`SELECT count(*) FROM indices JOIN artifacts ON indices.artifact_id = artifacts.id WHERE indices.sha1 = ?`, []byte{1}).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("empty Java DB has %d rows", n)
	}

	for sub, want := range map[string]int{"db": 2, "java-db": 1} {
		b, err := os.ReadFile(filepath.Join(dir, sub, "metadata.json"))
		if err != nil {
			t.Fatal(err)
		}
		var m metadata
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if m.Version != want || !m.DownloadedAt.Equal(now) || !m.NextUpdate.After(now) {
			t.Errorf("%s/metadata.json = %s, want Version %d, DownloadedAt %s and a later NextUpdate", sub, b, want, now)
		}
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"trivy-cache"}, {"other", "dir"}} {
		if err := run(args, io.Discard, time.Now()); err == nil {
			t.Errorf("run(%q) = nil error, want a usage error", args)
		}
	}
}
