package ubuntu

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/customs-scanner/customs/internal/vulndb"
)

// checkAdvisory holds for whatever Parse returns.
func checkAdvisory(t *testing.T, a *vulndb.Advisory) {
	t.Helper()
	if a == nil {
		return
	}
	if a.ID == "" || a.Source != Source || len(a.Affected) == 0 {
		t.Fatalf("advisory without ID, source or Affected: %+v", a)
	}
	for _, af := range a.Affected {
		if af.Ecosystem == "" || af.Package == "" || af.Status == "" {
			t.Fatalf("%s: incomplete Affected %+v", a.ID, af)
		}
		if (af.Status == vulndb.StatusRanges) != (len(af.Ranges) == 1 && af.Ranges[0].Fixed != "") {
			t.Fatalf("%s: status %s with ranges %+v", a.ID, af.Status, af.Ranges)
		}
		if _, ok := vulndb.SeverityRank(af.Severity); af.Severity != "" && !ok {
			t.Fatalf("%s: severity %q is not a vulndb severity", a.ID, af.Severity)
		}
	}
}

func FuzzParse(f *testing.F) {
	paths, err := filepath.Glob("testdata/*/*")
	if err != nil {
		f.Fatal(err)
	}
	paths2, _ := filepath.Glob("testdata/tracker/*/CVE-*")
	for _, p := range append(paths, paths2...) {
		if filepath.Ext(p) != "" {
			continue // README.md, retired.tar.gz
		}
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, _ := Parse(data)
		checkAdvisory(t, a)
	})
}

func FuzzTarStream(f *testing.F) {
	gz, err := os.ReadFile("testdata/tracker/retired.tar.gz")
	if err != nil {
		f.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		f.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		f.Fatal(err)
	}
	// Without the trailing zero blocks: the fuzzer is slow on large seeds,
	// and a tar that just ends is read the same.
	f.Add(bytes.TrimRight(raw, "\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var c collector
		imp := &importer{sink: &c}
		_ = imp.tarStream(t.Context(), "fuzz.tar", bytes.NewReader(data))
		if imp.added != len(c.advs) {
			t.Fatalf("count %d, sink got %d", imp.added, len(c.advs))
		}
		for _, a := range c.advs {
			checkAdvisory(t, a)
		}
	})
}
