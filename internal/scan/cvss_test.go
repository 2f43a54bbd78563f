package scan

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/shareddata"
	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/build"
	"github.com/customs-scanner/customs/internal/vulndb/cvss"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/osv"
	"github.com/customs-scanner/customs/internal/vulndb/sqlite"
)

// osvVector is one CVSS vector of one OSV record, as the record has it.
type osvVector struct {
	root, id, typ, vector string
}

// TestOSVVectorsReachFindings reads every OSV record in the shared data
// (the directories customs imports as they are, and the records embedded in
// osv-scanner's result files) with a reader of its own, builds a DB from
// them, makes one package inside each record's affected range, matches,
// and requires every CVSS vector of every record on the finding of that
// record, scored as FIRST's formulas give: the published score where the
// shared NVD data has the same vector (internal/vulndb/cvss/testdata/
// nvd-scores.tsv), else package cvss's, which is checked against those
// elsewhere.
func TestOSVVectorsReachFindings(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a DB from 8,000 real records")
	}
	// Directories imported as they are; osv-scanner's result files embed
	// records, which are written out one per file first.
	direct := map[string]string{
		"ghsa-sample":            "advisories/ghsa-sample",
		"rustsec-osv":            "advisories/rustsec-osv/crates",
		"pypa-advisory-database": "advisories/pypa-advisory-database/vulns",
		"golang-vulndb":          "advisories/golang-vulndb/data/osv",
	}
	embedded := map[string]string{
		"osv-scanner-testdata":       "advisories/osv-scanner-testdata",
		"osv.dev-vulnfeeds-testdata": "advisories/osv.dev-vulnfeeds-testdata",
	}
	var want []osvVector
	records := map[string]map[string]any{} // id -> record, the first seen
	var sources []build.Source
	for root, rel := range direct {
		dir := shareddata.Path(t, rel)
		sources = append(sources, build.Source{Kind: "osv", Path: dir})
		want = append(want, readRecords(t, root, dir, records)...)
	}
	out := t.TempDir()
	for root, rel := range embedded {
		found := map[string]map[string]any{}
		vs := readRecords(t, root, shareddata.Path(t, rel), found)
		// A record the directories above hold too (osv-scanner embeds
		// older copies of RUSTSEC records) is in the DB once, as they have it.
		for _, v := range vs {
			if _, dup := records[v.id]; dup {
				t.Logf("%s: %s %s is also in the directories imported as they are; checked as they have it", root, v.id, v.typ)
				continue
			}
			want = append(want, v)
		}
		for id, rec := range found {
			if _, dup := records[id]; dup {
				continue
			}
			b, err := json.Marshal(rec)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(out, root+"-"+id+".json"), b, 0o644); err != nil {
				t.Fatal(err)
			}
			records[id] = rec
		}
	}
	slices.SortFunc(sources, func(a, b build.Source) int { return strings.Compare(a.Path, b.Path) })
	sources = append(sources, build.Source{Kind: "osv", Path: out})

	counts := map[string]int{}
	for _, v := range want {
		counts[v.root+" "+v.typ]++
	}
	t.Logf("CVSS vectors in the shared OSV records: %d %v", len(want), counts)
	if len(want) < 500 {
		t.Fatalf("found %d vectors; the shared data has over 600", len(want))
	}

	dbPath := filepath.Join(t.TempDir(), "osv.db")
	if _, err := build.Build(t.Context(), dbPath, sources, nil); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(t.Context(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// One package per (record, affected package), at a version the record
	// says is affected.
	types := map[string]string{"crates.io": "cargo", "PyPI": "pypi", "Go": "golang", "npm": "npm", "Maven": "maven"}
	var pkgs []inventory.Package
	pkgOf := map[string][]string{} // record id -> package IDs
	ids := map[string]bool{}
	withdrawn := 0
	for _, v := range want {
		if ids[v.id] {
			continue
		}
		ids[v.id] = true
		if records[v.id]["withdrawn"] != nil {
			withdrawn++ // matches nothing, by design
			continue
		}
		advs, err := db.ByID(t.Context(), v.id)
		if err != nil || len(advs) == 0 {
			t.Errorf("%s (%s): not in the DB (%v)", v.id, v.root, err)
			continue
		}
		// The store keeps affected packages apart from the record: take
		// them from the record itself.
		b, err := json.Marshal(records[v.id])
		if err != nil {
			t.Fatal(err)
		}
		adv, err := osv.Parse(b)
		if adv == nil {
			t.Fatalf("%s: %v", v.id, err)
		}
		for _, af := range adv.Affected {
			typ, ok := types[af.Ecosystem]
			if !ok {
				t.Errorf("%s: ecosystem %q has no package type in this test", v.id, af.Ecosystem)
				continue
			}
			p := inventory.Package{
				ID:   fmt.Sprintf("%s/%s/%d", v.id, af.Package, len(pkgs)),
				Name: af.Package, Version: affectedVersion(af), Type: typ, Ecosystem: af.Ecosystem,
			}
			pkgs = append(pkgs, p)
			pkgOf[v.id] = append(pkgOf[v.id], p.ID)
		}
	}
	r := &report.Report{Packages: pkgs}
	if err := matchReport(t.Context(), r, Options{DBPath: dbPath}); err != nil {
		t.Fatal(err)
	}

	published := nvdScores(t)
	checked, fromNVD := 0, 0
	for _, v := range want {
		x, err := cvss.Parse(v.vector)
		if err != nil {
			t.Errorf("%s %s: %v", v.root, v.id, err)
			continue
		}
		score, ok := published[v.vector]
		if ok {
			fromNVD++
		} else {
			score = x.BaseScore()
		}
		if records[v.id]["withdrawn"] != nil {
			continue
		}
		wantCVSS := report.CVSS{Source: strings.ToLower(strings.SplitN(v.id, "-", 2)[0]), Version: x.Version(), Vector: v.vector, Score: score}
		for _, pid := range pkgOf[v.id] {
			f := findingOf(r.Findings, pid, v.id)
			if f == nil {
				t.Errorf("%s (%s): no finding on package %s", v.id, v.root, pid)
				continue
			}
			if !slices.Contains(f.CVSS, wantCVSS) {
				t.Errorf("%s (%s) on %s: %+v not in the finding's cvss %+v", v.id, v.root, pid, wantCVSS, f.CVSS)
				continue
			}
			if f.Severity == vulndb.SeverityUnknown {
				t.Errorf("%s (%s) on %s: severity UNKNOWN despite its vector", v.id, v.root, pid)
			}
			checked++
		}
	}
	bySource := map[string]int{}
	for _, f := range r.Findings {
		bySource[f.Severity+" from "+cmp.Or(f.SeveritySource, "nothing")]++
	}
	t.Logf("%d findings, severities: %v", len(r.Findings), bySource)
	t.Logf("%d vectors checked on findings (%d records withdrawn), %d of them against a score NVD published for the same vector", checked, withdrawn, fromNVD)
}

// readRecords walks dir for JSON and YAML files and returns the CVSS vectors
// of every OSV record in them (an object with an id, affected packages and
// severity[]), at any depth; it adds the records to recs.
func readRecords(t *testing.T, root, dir string, recs map[string]map[string]any) []osvVector {
	t.Helper()
	var out []osvVector
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && path != dir {
				return filepath.SkipDir
			}
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var doc any
		switch strings.ToLower(filepath.Ext(path)) {
		case ".json":
			if json.Unmarshal(b, &doc) != nil {
				return nil // a fixture of broken input
			}
		case ".yaml", ".yml":
			if yaml.Unmarshal(b, &doc) != nil {
				return nil
			}
		default:
			return nil
		}
		walkRecords(doc, func(rec map[string]any) {
			id, _ := rec["id"].(string)
			sev, _ := rec["severity"].([]any)
			for _, s := range sev {
				m, _ := s.(map[string]any)
				typ, _ := m["type"].(string)
				score, _ := m["score"].(string)
				if strings.HasPrefix(typ, "CVSS_") {
					v := osvVector{root: root, id: id, typ: typ, vector: strings.TrimSpace(score)}
					if !slices.Contains(out, v) {
						out = append(out, v)
					}
				}
			}
			if _, ok := recs[id]; !ok {
				recs[id] = rec
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func walkRecords(v any, emit func(map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		_, hasID := v["id"].(string)
		_, hasAffected := v["affected"].([]any)
		if hasID && hasAffected {
			emit(v)
		}
		for _, c := range v {
			walkRecords(c, emit)
		}
	case []any:
		for _, c := range v {
			walkRecords(c, emit)
		}
	}
}

// affectedVersion picks a version the record says is affected.
func affectedVersion(af vulndb.Affected) string {
	if len(af.Versions) > 0 {
		return af.Versions[0]
	}
	for _, r := range af.Ranges {
		switch {
		case r.LastAffected != "":
			return r.LastAffected
		case r.Introduced != "" && r.Introduced != "0":
			return r.Introduced
		}
	}
	return "0.0.0"
}

// findingOf is the finding for package pid that reports record id (as its
// ID or an alias, when another record of the same problem took its place).
func findingOf(fs []report.Finding, pid, id string) *report.Finding {
	for i, f := range fs {
		if f.PackageID == pid && (f.VulnerabilityID == id || slices.Contains(f.Aliases, id)) {
			return &fs[i]
		}
	}
	return nil
}

// nvdScores reads the (vector, score) pairs NVD published in the shared
// data, as package cvss's tests keep them.
func nvdScores(t *testing.T) map[string]float64 {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "vulndb", "cvss", "testdata", "nvd-scores.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 2 {
			continue
		}
		s, err := strconv.ParseFloat(cols[1], 64)
		if err != nil {
			t.Fatalf("nvd-scores.tsv: %q: %v", sc.Text(), err)
		}
		out[cols[0]] = s
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
