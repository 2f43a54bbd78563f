package dist

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/sqlite"
)

var update = flag.Bool("update", false, "rewrite testdata/tiny-*.bundle and testdata/tiny.pub")

// TestFixtures checks the committed bundles still import, and rewrites them
// with -update (a DB with one advisory, signed with a throwaway key whose
// public half is testdata/tiny.pub).
func TestFixtures(t *testing.T) {
	if *update {
		writeFixtures(t)
	}
	pub, err := LoadPublicKey(filepath.Join("testdata", "tiny.pub"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		file string
		pub  bool
	}{{"tiny-signed.bundle", true}, {"tiny-unsigned.bundle", false}} {
		t.Run(tt.file, func(t *testing.T) {
			var key = pub
			if !tt.pub {
				key = nil
			}
			dst := filepath.Join(t.TempDir(), "customs.db")
			res, err := Import(t.Context(), filepath.Join("testdata", tt.file), dst, key)
			if err != nil {
				t.Fatalf("Import: %v (rewrite the fixtures with go test -run TestFixtures -update after a schema change)", err)
			}
			if res.Verified != tt.pub {
				t.Errorf("Verified = %v, want %v", res.Verified, tt.pub)
			}
		})
	}
}

func writeFixtures(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	db := filepath.Join(dir, "tiny.db")
	w, err := sqlite.Create(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	w.SetBuilt(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	err = w.Add(ctx, &vulndb.Advisory{
		ID: "CVE-2019-1547", Source: "alpine-secdb",
		Affected: []vulndb.Affected{{
			Ecosystem: "alpine:3.10", Package: "openssl",
			Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Fixed: "1.1.1d-r0"}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	keyPath, pubPath, err := GenerateKey(filepath.Join(dir, "tiny"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := LoadPrivateKey(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, _ := os.ReadFile(pubPath)
	if err := os.WriteFile(filepath.Join("testdata", "tiny.pub"), pubPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(filepath.Join("testdata", "tiny-signed.bundle"))
	if _, err := Export(ctx, db, abs, key); err != nil {
		t.Fatal(err)
	}
	abs, _ = filepath.Abs(filepath.Join("testdata", "tiny-unsigned.bundle"))
	if _, err := Export(ctx, db, abs, nil); err != nil {
		t.Fatal(err)
	}
}

// FuzzImport feeds arbitrary bytes to the bundle reader, with and without a
// public key: it must fail with an error or install a DB, never panic.
func FuzzImport(f *testing.F) {
	for _, name := range []string{"tiny-signed.bundle", "tiny-unsigned.bundle"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, true)
		f.Add(b, false)
	}
	pub, err := LoadPublicKey(filepath.Join("testdata", "tiny.pub"))
	if err != nil {
		f.Fatal(err)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, withKey bool) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		key := pub
		if !withKey {
			key = nil
		}
		importBundle(ctx, bytes.NewReader(data), filepath.Join(dir, "customs.db"), key)
	})
}
