package build

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/sqlite"
)

const pypiData = "../../../testdata/feeds/osv-pypi"

// TestKeptSourceFillsIn: a kept source (an older copy of a feed) adds only
// what the fresh sources of its kind lack; it never contradicts them. The
// older copy here is the real PYSEC-2023-74 with its fix moved to 2.30.0,
// beside the real PYSEC-2018-28, which the fresh copy does not have.
func TestKeptSourceFillsIn(t *testing.T) {
	dir := t.TempDir()
	fresh, stale := filepath.Join(dir, "fresh"), filepath.Join(dir, "stale")
	for _, d := range []string{fresh, stale} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(t, filepath.Join(pypiData, "PYSEC-2023-74.yaml"), filepath.Join(fresh, "PYSEC-2023-74.yaml"), nil)
	copyFile(t, filepath.Join(pypiData, "PYSEC-2023-74.yaml"), filepath.Join(stale, "PYSEC-2023-74.yaml"),
		strings.NewReplacer("fixed: 2.31.0", "fixed: 2.30.0"))
	copyFile(t, filepath.Join(pypiData, "PYSEC-2018-28.yaml"), filepath.Join(stale, "PYSEC-2018-28.yaml"), nil)

	for _, keep := range []bool{true, false} {
		db := filepath.Join(dir, "keep.db")
		// The kept source comes first on purpose: Rebuild imports it last.
		if _, err := Build(t.Context(), db, []Source{{Kind: "osv", Path: stale, Keep: keep}, {Kind: "osv", Path: fresh}}, nil); err != nil {
			t.Fatal(err)
		}
		fixes := fixesOf(t, db, "PYSEC-2023-74")
		other := fixesOf(t, db, "PYSEC-2018-28")
		if keep && (!slices.Equal(fixes, []string{"2.31.0"}) || len(other) == 0) {
			t.Errorf("kept: PYSEC-2023-74 fixed in %v, want the fresh 2.31.0 alone; PYSEC-2018-28 fixed in %v, want it filled in", fixes, other)
		}
		if !keep && len(fixes) != 2 {
			// Without Keep both copies go in: the check can tell them apart.
			t.Errorf("not kept: PYSEC-2023-74 fixed in %v, want both copies' fixes", fixes)
		}
	}
}

// TestCopiedSource: a source whose path is gone is copied whole from the
// previous DB, with its import time, records, KEV and EPSS entries.
func TestCopiedSource(t *testing.T) {
	dir := t.TempDir()
	prev, next := filepath.Join(dir, "prev.db"), filepath.Join(dir, "next.db")
	pypi := filepath.Join(dir, "pypi")
	if err := os.CopyFS(pypi, os.DirFS(pypiData)); err != nil {
		t.Fatal(err)
	}
	kevFile := filepath.Join(dir, "kev.json")
	copyFile(t, "../../../testdata/feeds/kev/known_exploited_vulnerabilities.json", kevFile, nil)
	epssFile := filepath.Join(dir, "epss.csv")
	copyFile(t, "../feeds/epss/testdata/example-1.csv", epssFile, nil)
	sources := []Source{{Kind: "osv", Path: pypi}, {Kind: "kev", Path: kevFile}, {Kind: "epss", Path: epssFile}}
	before, err := Build(t.Context(), prev, sources, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{pypi, kevFile, epssFile} { // every copy is gone
		if err := os.RemoveAll(p); err != nil {
			t.Fatal(err)
		}
	}
	for i := range sources {
		sources[i].From = prev
	}
	sources[0].Keep = true
	r, err := Rebuild(t.Context(), next, sources, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Copied) != 3 {
		t.Errorf("copied %v, want every source", r.Copied)
	}
	for i, s := range before.Sources {
		got := r.Info.Sources[slices.IndexFunc(r.Info.Sources, func(n vulndb.SourceInfo) bool { return n.Kind == s.Kind })]
		if got.Advisories != s.Advisories || got.Affected != s.Affected {
			t.Errorf("source %d %s: %d advisories, %d affected after the copy; %d, %d before", i, s.Kind, got.Advisories, got.Affected, s.Advisories, s.Affected)
		}
		if s.Kind == "osv" && !got.Imported.Equal(s.Imported) {
			t.Errorf("copied source imported %v, want its first import time %v", got.Imported, s.Imported)
		}
	}
	if fixes := fixesOf(t, next, "PYSEC-2023-74"); !slices.Equal(fixes, []string{"2.31.0"}) {
		t.Errorf("copied PYSEC-2023-74 fixed in %v, want 2.31.0", fixes)
	}
	db, err := sqlite.Open(t.Context(), next)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if k, err := db.KEV(t.Context(), "CVE-2022-33891"); err != nil || k == nil {
		t.Errorf("KEV entry not copied: %v %v", k, err)
	}
	if e, err := db.EPSS(t.Context(), "CVE-1999-0002"); err != nil || e == nil || e.Score != 0.01328 || e.Date != "2025-02-20" {
		t.Errorf("EPSS score not copied: %+v %v", e, err)
	}
}

// fixesOf returns the fixed versions of advisory id's records for requests.
func fixesOf(t *testing.T, dbPath, id string) []string {
	t.Helper()
	db, err := sqlite.Open(t.Context(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms, err := db.ByPackage(t.Context(), "PyPI", "requests")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		if m.Advisory.ID != id {
			continue
		}
		for _, r := range m.Affected.Ranges {
			if r.Fixed != "" && len(r.Fixed) < 12 { // not a git commit
				out = append(out, r.Fixed)
			}
		}
	}
	slices.Sort(out)
	return out
}

func copyFile(t *testing.T, from, to string, r *strings.Replacer) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if r != nil {
		s = r.Replace(s)
	}
	if err := os.WriteFile(to, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
