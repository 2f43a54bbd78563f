package debian

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/errlist"
)

// listSeeds are the list files of testdata.
func listSeeds(f *testing.F) []string {
	f.Helper()
	paths, err := filepath.Glob("testdata/lists/*/*/list")
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seed lists: %v", err)
	}
	return paths
}

// checkAdvisories holds for whatever an importer adds.
func checkAdvisories(t *testing.T, n int, advs []*vulndb.Advisory) {
	t.Helper()
	if n != len(advs) {
		t.Fatalf("count %d, sink got %d", n, len(advs))
	}
	for _, a := range advs {
		if a.ID == "" || len(a.Affected) == 0 {
			t.Fatalf("advisory without ID or Affected: %+v", a)
		}
		for _, aff := range a.Affected {
			if aff.Ecosystem == "" || aff.Package == "" || aff.Status == "" {
				t.Fatalf("%s: incomplete Affected %+v", a.ID, aff)
			}
			if _, ok := vulndb.SeverityRank(aff.Severity); aff.Severity != "" && !ok {
				t.Fatalf("%s: severity %q is not a vulndb severity", a.ID, aff.Severity)
			}
		}
	}
}

func FuzzParseLine(f *testing.F) {
	for _, p := range listSeeds(f) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, l := range strings.Split(string(data), "\n") {
			f.Add(l)
		}
	}
	f.Fuzz(func(t *testing.T, line string) {
		l, err := parseLine(line)
		if err != nil || l.kind != linePackage {
			return
		}
		if l.note.pkg == "" || (l.note.version == "") == (l.note.status == "") {
			t.Fatalf("package line %q: note %+v", line, l.note)
		}
		aff, ok, err := noteAffected(l.note)
		if err == nil && ok && (aff.Ecosystem == "" || aff.Status == "") {
			t.Fatalf("package line %q: Affected %+v", line, aff)
		}
	})
}

// The Go fuzzer minimises each new interesting input, which takes up to a
// minute on a seed of tens of KB and stalls the run: seeds are small slices
// of the testdata files (a few entries, one record).

// listChunks splits a list into pieces of a few entries each.
func listChunks(data []byte) [][]byte {
	var chunks [][]byte
	lines := bytes.SplitAfter(data, []byte("\n"))
	start, entries := 0, 0
	for i, l := range lines {
		if len(l) > 0 && l[0] != ' ' && l[0] != '\t' {
			entries++
			if entries > 3 {
				chunks = append(chunks, bytes.Join(lines[start:i], nil))
				start, entries = i, 1
			}
		}
	}
	return append(chunks, bytes.Join(lines[start:], nil))
}

func FuzzImportList(f *testing.F) {
	for _, p := range listSeeds(f) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		cve := strings.HasPrefix(filepath.Base(filepath.Dir(p)), "CVE")
		for i, c := range listChunks(data) {
			if i%4 == 0 { // a sample is enough
				f.Add(c, cve)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, cve bool) {
		header := lineAdvHeader
		if cve {
			header = lineCVEHeader
		}
		var c collector
		warn := newWarnings()
		n, _ := importList(t.Context(), bytes.NewReader(data), "list", header, &c, warn)
		checkAdvisories(t, n, c.advs)
		if j, ok := warn.Err().(interface{ Unwrap() []error }); ok && len(j.Unwrap()) > errlist.DefaultMax+1 {
			t.Fatalf("%d warnings kept, want at most %d and a count of the rest", len(j.Unwrap()), errlist.DefaultMax)
		}
	})
}

func FuzzImportTracker(f *testing.F) {
	paths, err := filepath.Glob("testdata/tracker/*.json")
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seed documents: %v", err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		var doc map[string]map[string]json.RawMessage
		if err := json.Unmarshal(data, &doc); err != nil {
			f.Fatal(err)
		}
		// One seed per package, holding its first record.
		for pkg, recs := range doc {
			for id, rec := range recs {
				seed, err := json.Marshal(map[string]map[string]json.RawMessage{pkg: {id: rec}})
				if err != nil {
					f.Fatal(err)
				}
				f.Add(seed)
				break
			}
		}
	}
	f.Add([]byte(`{"openssl":{"CVE-2024-4741":{"releases":{"trixie":{"status":"open","urgency":"low","nodsa":"Minor issue","nodsa_reason":"postponed"},"bullseye":{"status":"undetermined"},"sid":{"status":"resolved","fixed_version":"0"}}}},"x":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var c collector
		n, _ := importTracker(t.Context(), bytes.NewReader(data), &c)
		checkAdvisories(t, n, c.advs)
	})
}
