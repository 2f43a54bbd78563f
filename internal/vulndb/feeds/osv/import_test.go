package osv

import (
	"archive/zip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/shareddata"
	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/google/go-cmp/cmp"
)

// collect is an in-memory vulndb.Sink.
type collect []*vulndb.Advisory

func (c *collect) Add(_ context.Context, a *vulndb.Advisory) error {
	*c = append(*c, a)
	return nil
}

func (c collect) ids() []string {
	var ids []string
	for _, a := range c {
		ids = append(ids, a.ID)
	}
	sort.Strings(ids)
	return ids
}

// fileIDs lists the ids of the testdata records under dir, from their names.
func fileIDs(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("glob %s: %v %v", pattern, files, err)
	}
	var ids []string
	for _, f := range files {
		id := strings.TrimSuffix(filepath.Base(f), ".json")
		if strings.HasPrefix(id, "RLSA-") { // RLSA-2023:3220 is stored as RLSA-2023_3220.json
			id = strings.Replace(id, "_", ":", 1)
		}
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func TestImportTestdata(t *testing.T) {
	tests := []struct {
		path string
		want []string
	}{
		{"testdata/go", fileIDs(t, "testdata/go/*.json")},
		{"testdata/rust", fileIDs(t, "testdata/rust/*.json")},
		{"testdata/alma", fileIDs(t, "testdata/alma/*.json")},
		{"testdata/rocky", fileIDs(t, "testdata/rocky/*.json")},
		{"testdata/ghsa/GHSA-23rx-79r7-6cpx.json", []string{"GHSA-23rx-79r7-6cpx"}},
		// Every record of the slice has something to match on (checked with
		// a Python count over the files: 22+11+5+3+1+2 usable).
		{"testdata", append(append(append(append(append(fileIDs(t, "testdata/go/*.json"), fileIDs(t, "testdata/rust/*.json")...),
			fileIDs(t, "testdata/alma/*.json")...), fileIDs(t, "testdata/rocky/*.json")...), "GHSA-23rx-79r7-6cpx"),
			"UBUNTU-CVE-2013-2208", "USN-5614-1", "PYSEC-2019-213", "PYSEC-2020-342")},
		{"testdata/pypa", []string{"PYSEC-2019-213", "PYSEC-2020-342"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			var got collect
			n, err := Import(t.Context(), tt.path, &got)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(got) {
				t.Errorf("Import returned %d, sink got %d", n, len(got))
			}
			sort.Strings(tt.want)
			if diff := cmp.Diff(tt.want, got.ids()); diff != "" {
				t.Errorf("imported IDs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestImportWithdrawn(t *testing.T) {
	var got collect
	if _, err := Import(t.Context(), "testdata/go/GO-2024-2730.json", &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Withdrawn.IsZero() {
		t.Fatalf("got %+v, want GO-2024-2730 with Withdrawn set", got)
	}
}

// writeZip builds a zip like osv.dev's all.zip from testdata files plus
// extra named entries.
func writeZip(t *testing.T, files []string, extra map[string]string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "all.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(filepath.Base(name))
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	names := make([]string, 0, len(extra))
	for name := range extra {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(extra[name]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestImportZip(t *testing.T) {
	files, _ := filepath.Glob("testdata/go/*.json")
	path := writeZip(t, files, map[string]string{
		"subdir/":          "",
		"README.md":        "not a record",
		"zz-broken.json":   `{"id": "GO-BROKEN", "affected": [`,
		"zz-no-id.json":    `{"affected": []}`,
		"zz-git-only.json": `{"id":"OSV-GIT","affected":[{"ranges":[{"type":"GIT","repo":"r","events":[{"introduced":"0"}]}]}]}`,
	})
	var got collect
	n, err := Import(t.Context(), path, &got)
	if n != len(files) {
		t.Errorf("Import = %d, want the %d good records", n, len(files))
	}
	if diff := cmp.Diff(fileIDs(t, "testdata/go/*.json"), got.ids()); diff != "" {
		t.Errorf("imported IDs (-want +got):\n%s", diff)
	}
	// Two record errors, each naming its entry.
	var errs []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var re *RecordError
		if !errors.As(e, &re) {
			t.Errorf("error %v is not a *RecordError", e)
			continue
		}
		errs = append(errs, strings.TrimPrefix(re.Path, path+":"))
	}
	if diff := cmp.Diff([]string{"zz-broken.json", "zz-no-id.json"}, errs); diff != "" {
		t.Errorf("record errors (-want +got):\n%s", diff)
	}
	t.Log(err)
}

func TestImportZipEntryLimit(t *testing.T) {
	big := `{"id":"GO-BIG","summary":"` + strings.Repeat("a", 4096) + `","affected":[{"package":{"ecosystem":"Go","name":"x"},"versions":["1"]}]}`
	path := writeZip(t, []string{"testdata/go/GO-2022-0191.json"}, map[string]string{"big.json": big})
	var got collect
	im := &importer{sink: &got, limit: 4096}
	if err := im.zip(t.Context(), path); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"GO-2022-0191"}, got.ids()); diff != "" {
		t.Errorf("imported IDs (-want +got):\n%s", diff)
	}
	if err := im.err(); err == nil || !strings.Contains(err.Error(), "larger than 4096 bytes") {
		t.Errorf("error = %v, want a size error", err)
	}
}

func TestImportMalformed(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile("testdata/go/GO-2022-0191.json")
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string]string{
		"GO-2022-0191.json": string(good),
		"bad.json":          `{"id": "X", `,
		"empty.json":        "",
		"array.json":        `[` + string(good[:len(good)-1]) + `, "id": "GO-COPY"}, {"id": 7}, {"id":"OSV-1","affected":[{"package":{"ecosystem":"Debian:12","name":"p"},"versions":["1"]}]}]`,
		"notes.txt":         "ignored",
		// A vector that does not parse is a warning; the record stays.
		"badvector.json": `{"id":"GHSA-1","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:X"}],"affected":[{"package":{"ecosystem":"npm","name":"p"},"versions":["1"]}]}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var got collect
	n, err := Import(t.Context(), dir, &got)
	if diff := cmp.Diff([]string{"GHSA-1", "GO-2022-0191", "GO-COPY", "OSV-1"}, got.ids()); diff != "" {
		t.Errorf("imported IDs (-want +got):\n%s", diff)
	}
	if n != 4 {
		t.Errorf("Import = %d, want 4", n)
	}
	var paths []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		paths = append(paths, filepath.Base(e.(*RecordError).Path))
	}
	if diff := cmp.Diff([]string{"array.json[1]", "bad.json", "badvector.json", "empty.json"}, paths); diff != "" {
		t.Errorf("record errors (-want +got):\n%s", diff)
	}
}

func TestImportStops(t *testing.T) {
	if _, err := Import(t.Context(), "testdata/missing", new(collect)); err == nil {
		t.Error("Import of a missing path succeeded")
	}
	notZip := filepath.Join(t.TempDir(), "all.zip")
	os.WriteFile(notZip, []byte("PK not really"), 0o644)
	if n, err := Import(t.Context(), notZip, new(collect)); err == nil || n != 0 {
		t.Errorf("Import of a broken zip = %d, %v; want an error", n, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Import(ctx, "testdata", new(collect)); !errors.Is(err, context.Canceled) {
		t.Errorf("Import with cancelled ctx = %v, want context.Canceled", err)
	}
	sinkErr := errors.New("disk full")
	if _, err := Import(t.Context(), "testdata/go", failSink{sinkErr}); !errors.Is(err, sinkErr) {
		t.Errorf("Import with failing sink = %v, want %v", err, sinkErr)
	}
}

type failSink struct{ err error }

func (f failSink) Add(context.Context, *vulndb.Advisory) error { return f.err }

func TestImportSharedData(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 8,000 records")
	}
	for rel, want := range map[string]int{
		// Every record has a usable affected package (Python count).
		"advisories/golang-vulndb/data/osv": 4291,
		"advisories/rustsec-osv/crates":     1206,
		// 2,661 YAML files; PYSEC-2022-15 names a package without ranges or versions.
		"advisories/pypa-advisory-database/vulns": 2660,
	} {
		t.Run(strings.Split(rel, "/")[1], func(t *testing.T) {
			path := shareddata.Path(t, rel)
			var got collect
			n, err := Import(t.Context(), path, &got)
			if err != nil {
				t.Fatal(err)
			}
			if n != want {
				t.Errorf("Import = %d, want %d", n, want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.json")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := Parse(b)
		if a == nil {
			return
		}
		for _, e := range leaves(err) {
			var ve *VectorError
			if !errors.As(e, &ve) {
				t.Fatalf("advisory returned with error %v, want only *VectorError", e)
			}
		}
		if a.ID == "" || a.Source != Source || len(a.Affected) == 0 {
			t.Fatalf("bad advisory %+v", a)
		}
		for _, af := range a.Affected {
			if af.Ecosystem == "" || af.Package == "" || (len(af.Ranges) == 0 && len(af.Versions) == 0) {
				t.Fatalf("bad affected %+v", af)
			}
		}
	})
}

func FuzzImportFile(f *testing.F) {
	f.Add([]byte(`[{"id":"A","affected":[{"package":{"ecosystem":"Go","name":"x"},"versions":["1"]}]}, {"id":5}]`))
	f.Add([]byte("\xef\xbb\xbf {}"))
	b, _ := os.ReadFile("testdata/go/GO-2022-0191.json")
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "r.json")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		var got collect
		n, _ := Import(context.Background(), path, &got)
		if n != len(got) {
			t.Fatalf("Import = %d, sink got %d", n, len(got))
		}
	})
}

func FuzzParseYAML(f *testing.F) {
	files, _ := filepath.Glob("testdata/pypa/*.yaml")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("a: &x [*x]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseYAML(b)
		if err != nil || a == nil {
			return
		}
		if a.ID == "" || len(a.Affected) == 0 {
			t.Fatalf("bad advisory %+v", a)
		}
	})
}
