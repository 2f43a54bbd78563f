package sqlite

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/vulndb"
)

// TestManyRuns builds a DB large enough for several chunks and blocks, with
// IDs and packages straddling run boundaries, and finds every one of them
// through the sparse indexes.
func TestManyRuns(t *testing.T) {
	sources := []string{"a", "b", "c"}
	const n = 1300 // 3 chunks of 512; IDs 170 and 341 straddle chunk boundaries
	var advs []*vulndb.Advisory
	for i := range n {
		id, pkg := fmt.Sprintf("ID-%04d", i/3), fmt.Sprintf("pkg-%04d", i/3)
		advs = append(advs, &vulndb.Advisory{
			ID: id, Source: sources[i%3], Summary: strings.Repeat("summary of "+id+" ", 4),
			Affected: []vulndb.Affected{
				{Ecosystem: "eco", Package: pkg, Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Introduced: fmt.Sprint(i), Fixed: fmt.Sprintf("%d.%d", i, i*7919%1000)}}},
				{Ecosystem: "eco2", Package: pkg, Status: vulndb.StatusAffected, StatusDetail: strings.Repeat("x", 60+i%50)},
			},
		})
	}
	path := filepath.Join(t.TempDir(), "vuln.db")
	buildDB(t, path, advs)
	db := openDB(t, path)
	defer db.Close()
	if len(db.chunkKeys) != 3 || len(db.blockKeys) < 3 {
		t.Fatalf("%d chunks and %d blocks: the test needs 3 chunks and several blocks", len(db.chunkKeys), len(db.blockKeys))
	}
	ctx := t.Context()
	for i := 0; i < n; i += 3 {
		id := fmt.Sprintf("ID-%04d", i/3)
		got, err := db.ByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want := min(3, n-i)
		if len(got) != want {
			t.Fatalf("ByID(%s): %d advisories, want %d", id, len(got), want)
		}
		for j, a := range got {
			if a.ID != id || a.Source != sources[j] || !strings.HasPrefix(a.Summary, "summary of "+id) {
				t.Fatalf("ByID(%s)[%d] = %s/%s %q", id, j, a.ID, a.Source, a.Summary)
			}
		}
		pkg := fmt.Sprintf("pkg-%04d", i/3)
		for _, eco := range []string{"eco", "eco2"} {
			ms, err := db.ByPackage(ctx, eco, pkg)
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) != want {
				t.Fatalf("ByPackage(%s, %s): %d matches, want %d", eco, pkg, len(ms), want)
			}
			for j, m := range ms {
				if m.Advisory.ID != id || m.Advisory.Source != sources[j] || m.Affected.Package != pkg || m.Affected.Ecosystem != eco {
					t.Fatalf("ByPackage(%s, %s)[%d] = %s/%s %s/%s", eco, pkg, j, m.Advisory.ID, m.Advisory.Source, m.Affected.Ecosystem, m.Affected.Package)
				}
			}
		}
	}
	// Misses before, between and after the keys of the indexes.
	for _, id := range []string{"", "A", "ID-0170x", "ID-0341 ", "ID-9999", "ZZZ"} {
		if got, err := db.ByID(ctx, id); err != nil || len(got) != 0 {
			t.Errorf("ByID(%q) = %d advisories, %v; want none", id, len(got), err)
		}
	}
	for _, k := range [][2]string{{"eco", ""}, {"eco", "a"}, {"eco1", "pkg-0170"}, {"eco", "pkg-0170x"}, {"eco3", "pkg-0433"}, {"eco", "zzz"}} {
		if ms, err := db.ByPackage(ctx, k[0], k[1]); err != nil || len(ms) != 0 {
			t.Errorf("ByPackage(%q, %q) = %d matches, %v; want none", k[0], k[1], len(ms), err)
		}
	}
}

func TestWalkRunRejectsDamage(t *testing.T) {
	var rb runBuilder
	rb.add("a", "b", []byte("rec1"))
	rb.add("c", "d", []byte("rec2"))
	long := strings.Repeat("x", 300) // lengths of two varint bytes
	rb.add(long, "f", []byte(long))
	run := rb.bytes()
	var got []string
	if err := walkRun(run, func(a, b, rec []byte) bool {
		got = append(got, string(a)+"/"+string(b)+"/"+string(rec))
		return true
	}); err != nil || strings.Join(got, ",") != "a/b/rec1,c/d/rec2,"+long+"/f/"+long {
		t.Fatalf("walkRun = %v, %v", got, err)
	}
	for cut := range len(run) {
		if err := walkRun(run[:cut], func(_, _, _ []byte) bool { return true }); err == nil {
			t.Errorf("walkRun of the first %d bytes: no error", cut)
		}
	}
	if err := walkRun(append(run, 'x'), func(_, _, _ []byte) bool { return true }); err == nil {
		t.Error("walkRun with a trailing byte: no error")
	}
	if err := walkRun([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, func(_, _, _ []byte) bool { return true }); err == nil {
		t.Error("walkRun of a huge count: no error")
	}
}

func TestBloom(t *testing.T) {
	var hs []uint64
	for i := range 10000 {
		hs = append(hs, keyHash(fmt.Sprintf("pkg-%d", i), "debian:12"))
	}
	b, err := unmarshalBloom(newBloom(hs).marshal())
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range hs {
		if !b.has(h) {
			t.Fatalf("key %d missing", i)
		}
	}
	fp := 0
	for i := range 10000 {
		if b.has(keyHash(fmt.Sprintf("pkg-%d", i), "debian:11")) || b.has(keyHash(fmt.Sprintf("other-%d", i), "debian:12")) {
			fp++
		}
	}
	// Two lookups per i at ~1% each.
	if fp > 400 {
		t.Errorf("%d false positives in 20000 lookups, want about 200", fp)
	}
	for _, bad := range [][]byte{nil, {7}, {0, 1, 2, 3, 4, 5, 6, 7, 8}, {7, 1, 2, 3}} {
		if _, err := unmarshalBloom(bad); err == nil {
			t.Errorf("unmarshalBloom(%v): no error", bad)
		}
	}
}

// TestEPSSRuns stores more scores than one run holds and reads each back.
func TestEPSSRuns(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "vuln.db")
	w, err := Create(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	const n = 2*epssRunSize + 100
	score := func(i int) float64 { return float64(i%997) / 1000 }
	for i := range n {
		if err := w.AddEPSS(ctx, vulndb.EPSS{CVE: fmt.Sprintf("CVE-2024-%05d", 2*i), Score: score(i), Percentile: 1 - score(i), Date: "2026-11-26"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	db := openDB(t, path)
	defer db.Close()
	for i := range n {
		cve := fmt.Sprintf("CVE-2024-%05d", 2*i)
		e, err := db.EPSS(ctx, cve)
		if err != nil || e == nil || e.CVE != cve || e.Score != score(i) || e.Percentile != 1-score(i) || e.Date != "2026-11-26" {
			t.Fatalf("EPSS(%s) = %+v, %v", cve, e, err)
		}
		if e, err := db.EPSS(ctx, fmt.Sprintf("CVE-2024-%05d", 2*i+1)); e != nil || err != nil {
			t.Fatalf("EPSS of an unscored CVE = %+v, %v", e, err)
		}
	}
	if len(db.epssKeys) != 3 {
		t.Errorf("%d EPSS runs, want 3", len(db.epssKeys))
	}
	if e, err := db.EPSS(ctx, "CVE-1999-0001"); e != nil || err != nil {
		t.Errorf("EPSS before the first key = %+v, %v", e, err)
	}
}

// FuzzWalkRun checks that walkRun never panics and hands out only slices
// inside the run.
func FuzzWalkRun(f *testing.F) {
	var rb runBuilder
	rb.add("openssl", "debian:12", []byte(`[{"i":"CVE-1"}]`))
	rb.add("openssl", "ubuntu:22.04", []byte(`[]`))
	f.Add(rb.bytes())
	f.Add([]byte{1, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, run []byte) {
		total := 0
		walkRun(run, func(a, b, rec []byte) bool {
			total += len(rec)
			if total > len(run) {
				t.Fatalf("records add up to %d bytes of a %d-byte run", total, len(run))
			}
			return true
		})
	})
}
