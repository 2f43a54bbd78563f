package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/google/go-cmp/cmp"
)

var built = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// fixture is a small set of advisories shaped like the real feeds' output.
func fixture() []*vulndb.Advisory {
	return []*vulndb.Advisory{
		{
			ID: "CVE-2019-1547", Source: "alpine-secdb",
			Affected: []vulndb.Affected{{Ecosystem: "alpine:3.10", Package: "openssl", Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Fixed: "1.1.1d-r0"}}}},
		},
		{
			ID: "CVE-2018-0734", Source: "alpine-secdb",
			Affected: []vulndb.Affected{{Ecosystem: "alpine:3.10", Package: "openssl", Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Fixed: "1.1.1a-r0"}}}},
		},
		// Same key again from another file: its affected record joins the first.
		{
			ID: "CVE-2018-0734", Source: "alpine-secdb", Summary: "ignored: first one wins", Aliases: []string{"TALOS-1"},
			Affected: []vulndb.Affected{{Ecosystem: "alpine:3.10", Package: "libressl", Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Fixed: "2.7.5-r0"}}}},
		},
		// Same ID, other source: a separate advisory.
		{
			ID: "CVE-2018-0734", Source: "osv", Summary: "OpenSSL timing side channel",
			Affected: []vulndb.Affected{{Ecosystem: "alpine:3.10", Package: "openssl", Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Introduced: "0", Fixed: "1.1.1a-r0"}}}},
		},
		{
			ID: "GO-2022-0191", Source: "osv", Aliases: []string{"CVE-2018-16875"},
			Summary:    "Denial of service in chain verification in crypto/x509",
			Published:  time.Date(2022, 7, 15, 23, 3, 26, 0, time.UTC),
			References: []vulndb.Reference{{Type: "FIX", URL: "https://go.dev/cl/154105"}},
			Affected: []vulndb.Affected{
				{Ecosystem: "Go", Package: "stdlib", Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Introduced: "0", Fixed: "1.10.6"}}},
				// A second record for the same package merges into one Match.
				{Ecosystem: "Go", Package: "stdlib", Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Introduced: "1.11.0-0", Fixed: "1.11.3"}}},
				{Ecosystem: "Go", Package: "toolchain", Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Introduced: "0", Fixed: "1.10.6"}}},
			},
		},
		{
			ID: "CVE-2016-0682", Source: "alpine-secdb",
			Affected: []vulndb.Affected{{Ecosystem: "alpine:3.10", Package: "db", Status: vulndb.StatusNotAffected}},
		},
	}
}

func buildDB(t testing.TB, path string, advs []*vulndb.Advisory) {
	t.Helper()
	ctx := context.Background()
	w, err := Create(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range advs {
		if err := w.Add(ctx, a); err != nil {
			w.Abort()
			t.Fatal(err)
		}
	}
	n, m := w.Counts()
	w.AddSource(vulndb.SourceInfo{Kind: "test", Path: "fixture", Advisories: n, Affected: m, Imported: built})
	w.SetBuilt(built)
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

func openDB(t testing.TB, path string) *DB {
	t.Helper()
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vuln.db")
	buildDB(t, path, fixture())
	db := openDB(t, path)

	opensslALSA := &vulndb.Advisory{ID: "CVE-2018-0734", Source: "alpine-secdb", Aliases: []string{"TALOS-1"},
		Affected: []vulndb.Affected{{Ecosystem: "alpine:3.10", Package: "openssl", Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Fixed: "1.1.1a-r0"}}}}}
	opensslOSV := &vulndb.Advisory{ID: "CVE-2018-0734", Source: "osv", Summary: "OpenSSL timing side channel",
		Affected: []vulndb.Affected{{Ecosystem: "alpine:3.10", Package: "openssl", Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Introduced: "0", Fixed: "1.1.1a-r0"}}}}}
	openssl1547 := &vulndb.Advisory{ID: "CVE-2019-1547", Source: "alpine-secdb",
		Affected: []vulndb.Affected{{Ecosystem: "alpine:3.10", Package: "openssl", Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Fixed: "1.1.1d-r0"}}}}}
	stdlib := vulndb.Affected{Ecosystem: "Go", Package: "stdlib", Status: vulndb.StatusRanges,
		Ranges: []vulndb.Range{{Introduced: "0", Fixed: "1.10.6"}, {Introduced: "1.11.0-0", Fixed: "1.11.3"}}}
	goAdv := &vulndb.Advisory{ID: "GO-2022-0191", Source: "osv", Aliases: []string{"CVE-2018-16875"},
		Summary:    "Denial of service in chain verification in crypto/x509",
		Published:  time.Date(2022, 7, 15, 23, 3, 26, 0, time.UTC),
		References: []vulndb.Reference{{Type: "FIX", URL: "https://go.dev/cl/154105"}},
		Affected:   []vulndb.Affected{stdlib}}

	tests := []struct {
		eco, name string
		want      []vulndb.Match
	}{
		{"alpine:3.10", "openssl", []vulndb.Match{
			{Advisory: opensslALSA, Affected: opensslALSA.Affected[0]},
			{Advisory: &vulndb.Advisory{ID: opensslOSV.ID, Source: opensslOSV.Source, Affected: opensslOSV.Affected}, Affected: opensslOSV.Affected[0]},
			{Advisory: openssl1547, Affected: openssl1547.Affected[0]},
		}},
		{"alpine:3.10", "libressl", []vulndb.Match{{
			Advisory: &vulndb.Advisory{ID: "CVE-2018-0734", Source: "alpine-secdb", Aliases: []string{"TALOS-1"}, Affected: []vulndb.Affected{{Ecosystem: "alpine:3.10", Package: "libressl", Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Fixed: "2.7.5-r0"}}}}},
			Affected: vulndb.Affected{Ecosystem: "alpine:3.10", Package: "libressl", Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Fixed: "2.7.5-r0"}}},
		}}},
		// ByPackage carries the fields matching needs; ByID has the rest.
		{"Go", "stdlib", []vulndb.Match{{Advisory: &vulndb.Advisory{ID: goAdv.ID, Source: goAdv.Source, Aliases: goAdv.Aliases, Affected: goAdv.Affected}, Affected: stdlib}}},
		{"alpine:3.10", "db", []vulndb.Match{{
			Advisory: &vulndb.Advisory{ID: "CVE-2016-0682", Source: "alpine-secdb", Affected: []vulndb.Affected{{Ecosystem: "alpine:3.10", Package: "db", Status: vulndb.StatusNotAffected}}},
			Affected: vulndb.Affected{Ecosystem: "alpine:3.10", Package: "db", Status: vulndb.StatusNotAffected},
		}}},
		{"go", "stdlib", nil},           // ecosystems match exactly
		{"alpine:3.11", "openssl", nil}, // other release
		{"alpine:3.10", "nothing", nil},
	}
	for _, tt := range tests {
		t.Run(tt.eco+"/"+tt.name, func(t *testing.T) {
			got, err := db.ByPackage(t.Context(), tt.eco, tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ByPackage (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("ByID has the whole record", func(t *testing.T) {
		got, err := db.ByID(t.Context(), "GO-2022-0191")
		if err != nil {
			t.Fatal(err)
		}
		want := *goAdv
		want.Affected = nil
		if diff := cmp.Diff([]*vulndb.Advisory{&want}, got); diff != "" {
			t.Errorf("ByID (-want +got):\n%s", diff)
		}
	})

	t.Run("shared advisory", func(t *testing.T) {
		// Two records of one advisory with different statuses stay two
		// matches sharing one *Advisory.
		path := filepath.Join(t.TempDir(), "vuln.db")
		buildDB(t, path, []*vulndb.Advisory{{ID: "DSA-1", Source: "x", Affected: []vulndb.Affected{
			{Ecosystem: "debian:12", Package: "p", Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Fixed: "1"}}},
			{Ecosystem: "debian:12", Package: "p", Status: vulndb.StatusWontFix, StatusDetail: "no-dsa"},
		}}})
		got, err := openDB(t, path).ByPackage(t.Context(), "debian:12", "p")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Advisory != got[1].Advisory || len(got[0].Advisory.Affected) != 2 {
			t.Errorf("got %d matches (%+v), want 2 sharing one advisory with 2 affected", len(got), got)
		}
	})

	info, err := db.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(path)
	wantInfo := vulndb.Info{
		Path: abs, SchemaVersion: vulndb.SchemaVersion, Built: built,
		Sources:    []vulndb.SourceInfo{{Kind: "test", Path: "fixture", Advisories: 5, Affected: 8, Imported: built}},
		Advisories: 5, Affected: 8,
		Ecosystems: map[string]int{"Go": 2, "alpine:3.10": 3},
	}
	if diff := cmp.Diff(wantInfo, info); diff != "" {
		t.Errorf("Info (-want +got):\n%s", diff)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	buildDB(t, good, fixture())
	goodBytes, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}

	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	otherSQLite := filepath.Join(dir, "other.db")
	sqlExec(t, otherSQLite, "CREATE TABLE t (x)", "INSERT INTO t VALUES (1)")
	oldSchema := write("old.db", goodBytes)
	sqlExec(t, oldSchema, "UPDATE meta SET value = '0' WHERE key = 'schema_version'")
	newSchema := write("new.db", goodBytes)
	sqlExec(t, newSchema, fmt.Sprintf("UPDATE meta SET value = '%d' WHERE key = 'schema_version'", vulndb.SchemaVersion+1))

	tests := []struct {
		name string
		path string
		want error
	}{
		{"missing", filepath.Join(dir, "missing.db"), fs.ErrNotExist},
		{"directory", dir, ErrNotDB},
		{"empty", write("empty.db", nil), ErrNotDB},
		{"text", write("text.db", []byte("this is not a database, just some text that is long enough to fill a header of one hundred bytes.....")), ErrNotDB},
		{"truncated", write("trunc.db", goodBytes[:len(goodBytes)/2]), ErrNotDB},
		{"header only", write("header.db", goodBytes[:100]), ErrNotDB},
		{"other sqlite", otherSQLite, ErrNotDB},
		{"old schema", oldSchema, ErrSchemaVersion},
		{"new schema", newSchema, ErrSchemaVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Open(t.Context(), tt.path)
			if err == nil {
				db.Close()
				t.Fatalf("Open(%s) succeeded, want %v", tt.name, tt.want)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("Open(%s) = %v, want an error wrapping %v", tt.name, err, tt.want)
			}
			t.Log(err)
		})
	}
}

// sqlExec runs statements on a SQLite file read-write, outside our API.
func sqlExec(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestConcurrentReadersAndRebuild(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vuln.db")
	buildDB(t, path, fixture())
	r1, r2 := openDB(t, path), openDB(t, path)

	want, err := r1.ByPackage(t.Context(), "alpine:3.10", "openssl")
	if err != nil || len(want) != 3 {
		t.Fatalf("ByPackage = %d matches, %v; want 3", len(want), err)
	}
	check := func(db *DB) error {
		got, err := db.ByPackage(context.Background(), "alpine:3.10", "openssl")
		if err != nil {
			return err
		}
		if diff := cmp.Diff(want, got); diff != "" {
			return fmt.Errorf("ByPackage (-want +got):\n%s", diff)
		}
		return nil
	}

	// Readers query while a new DB with other content is built and renamed
	// over the same path; they keep reading the old file.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	stop := make(chan struct{})
	for _, db := range []*DB{r1, r2, r1, r2} {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := check(db); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	newAdv := []*vulndb.Advisory{{ID: "CVE-2099-0001", Source: "osv",
		Affected: []vulndb.Affected{{Ecosystem: "alpine:3.10", Package: "openssl", Status: vulndb.StatusAffected}}}}
	buildDB(t, path, newAdv)
	time.Sleep(50 * time.Millisecond)
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := check(r1); err != nil {
		t.Errorf("old reader after rebuild: %v", err)
	}

	got, err := openDB(t, path).ByPackage(t.Context(), "alpine:3.10", "openssl")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Advisory.ID != "CVE-2099-0001" {
		t.Errorf("new reader got %+v, want CVE-2099-0001 only", got)
	}
}

func TestAbortLeavesTargetAlone(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vuln.db")
	buildDB(t, path, fixture())
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	w, err := Create(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 * batchSize / 2 { // past one batch commit
		if err := w.Add(t.Context(), &vulndb.Advisory{ID: fmt.Sprint("X-", time.Now().UnixNano()), Source: "x",
			Affected: []vulndb.Affected{{Ecosystem: "e", Package: "p", Status: vulndb.StatusAffected}}}); err != nil {
			t.Fatal(err)
		}
	}
	// A crash at this point leaves only the temporary file; the target is
	// untouched and still opens.
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Error("target changed before Commit")
	}
	openDB(t, path)

	w.Abort()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"vuln.db"}, names); diff != "" {
		t.Errorf("files after Abort (-want +got):\n%s", diff)
	}
	if err := w.Add(t.Context(), fixture()[0]); err == nil {
		t.Error("Add after Abort succeeded")
	}
	if err := w.Commit(t.Context()); err == nil {
		t.Error("Commit after Abort succeeded")
	}
}

func TestAddRejects(t *testing.T) {
	w, err := Create(t.Context(), filepath.Join(t.TempDir(), "vuln.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	for name, a := range map[string]*vulndb.Advisory{
		"nil":          nil,
		"no id":        {Source: "x"},
		"no source":    {ID: "x"},
		"no ecosystem": {ID: "x", Source: "x", Affected: []vulndb.Affected{{Package: "p"}}},
	} {
		if err := w.Add(t.Context(), a); err == nil {
			t.Errorf("Add(%s) succeeded", name)
		}
	}
}

func BenchmarkByPackage(b *testing.B) {
	path := filepath.Join(b.TempDir(), "vuln.db")
	// 20,000 advisories over 2,000 packages: 10 matches per package.
	var advs []*vulndb.Advisory
	for i := range 20000 {
		advs = append(advs, &vulndb.Advisory{
			ID: fmt.Sprintf("CVE-2024-%05d", i), Source: "bench", Summary: "a summary of reasonable length for an advisory",
			References: []vulndb.Reference{{Type: "WEB", URL: "https://example.org/advisory"}},
			Affected: []vulndb.Affected{{Ecosystem: "debian:12", Package: fmt.Sprintf("pkg%d", i%2000),
				Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Fixed: "1.2.3-1"}}}},
		})
	}
	buildDB(b, path, advs)
	db := openDB(b, path)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		m, err := db.ByPackage(b.Context(), "debian:12", fmt.Sprintf("pkg%d", i%2000))
		if err != nil || len(m) != 10 {
			b.Fatalf("ByPackage = %d, %v", len(m), err)
		}
	}
}
