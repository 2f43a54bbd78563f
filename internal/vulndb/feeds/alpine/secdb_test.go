package alpine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/customs-scanner/customs/internal/shareddata"
	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/errlist"
	"github.com/google/go-cmp/cmp"
)

// collect is an in-memory vulndb.Sink.
type collect []*vulndb.Advisory

func (c *collect) Add(_ context.Context, a *vulndb.Advisory) error {
	*c = append(*c, a)
	return nil
}

func ranges(fixed ...string) []vulndb.Range {
	var rs []vulndb.Range
	for _, f := range fixed {
		rs = append(rs, vulndb.Range{Fixed: f})
	}
	return rs
}

func TestParseEdgeCases(t *testing.T) {
	b, err := os.ReadFile("testdata/edge-cases.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	fixed := func(id, pkg string, versions ...string) *vulndb.Advisory {
		return &vulndb.Advisory{ID: id, Source: Source, Affected: []vulndb.Affected{
			{Ecosystem: "alpine:3.8", Package: pkg, Status: vulndb.StatusRanges, Ranges: ranges(versions...)}}}
	}
	notAffected := func(id string) *vulndb.Advisory {
		return &vulndb.Advisory{ID: id, Source: Source, Affected: []vulndb.Affected{
			{Ecosystem: "alpine:3.8", Package: "db", Status: vulndb.StatusNotAffected}}}
	}
	withAliases := func(a *vulndb.Advisory, aliases ...string) *vulndb.Advisory {
		a.Aliases = aliases
		return a
	}
	want := []*vulndb.Advisory{
		fixed("CVE-2016-6263", "multi", "1.0-r1"),
		notAffected("CVE-2016-0682"),
		notAffected("CVE-2016-0689"),
		fixed("CVE-2017-15191", "wireshark", "2.2.10-r0", "2.4.2-r0"),
		fixed("CVE-2019-1234", "multi", "1.0-r1"),
		fixed("CVE-2019-5678", "multi", "1.0-r1"),
		withAliases(fixed("CVE-2019-9999", "multi", "1.0-r1"), "XSA-207"),
		fixed("CVE-2020-0001", "multi", "1.0-r1"),
		fixed("CVE-2020-0002", "multi", "1.0-r1"),
		fixed("ZBX-11023", "multi", "1.10"),
	}
	// Parse sorts by ID; keep want in the same order.
	want[0], want[1], want[2] = want[1], want[2], want[0]
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
}

func TestIDs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"CVE-2019-1547", []string{"CVE-2019-1547"}},
		{" CVE-2016-6263", []string{"CVE-2016-6263"}},
		{"CVE-2019-1234 CVE-2019-5678", []string{"CVE-2019-1234", "CVE-2019-5678"}},
		{"CVE-2019-1234,CVE-2019-5678", []string{"CVE-2019-1234", "CVE-2019-5678"}},
		{"CVE-2020-0001 (fixed upstream)", []string{"CVE-2020-0001"}},
		{"CVE-2020-0002 # CVE-2020-0003 in a comment", []string{"CVE-2020-0002"}},
		{"wnpa-sec-2017-21", []string{"wnpa-sec-2017-21"}},
		{"cve-2019-9999", []string{"CVE-2019-9999"}},
		{"use-after-free", nil},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, IDs(tt.in)); diff != "" {
				t.Errorf("IDs(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestImportTestdata(t *testing.T) {
	var got collect
	n, err := Import(t.Context(), "testdata", &got)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(got) {
		t.Errorf("Import returned %d, sink got %d", n, len(got))
	}
	// Distinct advisory IDs per file, counted with PyYAML and the same
	// splitting rule: v3.10/main.yaml 1,111 (12 entries pair a CVE with a
	// TALOS ID), v3.11/main.json 72, edge-cases.yaml 10.
	if want := 1111 + 72 + 10; n != want {
		t.Errorf("Import = %d advisories, want %d", n, want)
	}

	// The openssl records of v3.10, as in main.yaml lines 1272-1282.
	fixedIn := map[string]string{}
	var other int
	for _, a := range got {
		if a.ID == "CVE-2019-5060" {
			if diff := cmp.Diff([]string{"TALOS-2019-0844"}, a.Aliases); diff != "" {
				t.Errorf("CVE-2019-5060 aliases (-want +got):\n%s", diff)
			}
		}
		for _, af := range a.Affected {
			if af.Ecosystem == "alpine:3.10" && af.Package == "openssl" {
				fixedIn[a.ID] = af.Ranges[0].Fixed
			}
			if af.Ecosystem == "alpine:3.11" && af.Package == "openssl" {
				other++
			}
		}
	}
	want := map[string]string{
		"CVE-2019-1547": "1.1.1d-r0", "CVE-2019-1549": "1.1.1d-r0", "CVE-2019-1563": "1.1.1d-r0",
		"CVE-2019-1543": "1.1.1b-r1", "CVE-2018-0734": "1.1.1a-r0", "CVE-2018-0735": "1.1.1a-r0",
	}
	if diff := cmp.Diff(want, fixedIn); diff != "" {
		t.Errorf("alpine:3.10 openssl (-want +got):\n%s", diff)
	}
	if other != 7 {
		t.Errorf("alpine:3.11 openssl (JSON input) has %d advisories, want 7", other)
	}
}

func TestImportSharedData(t *testing.T) {
	dir := shareddata.Path(t, "advisories/alpine-secdb-legacy")
	var got collect
	n, err := Import(t.Context(), dir, &got)
	if err != nil {
		t.Fatal(err)
	}
	// 12,028 (package, version, entry) triples in 1,652 packages over the
	// 19 files; distinct advisory IDs summed per file, counted with PyYAML:
	if want := 11456; n != want {
		t.Errorf("Import = %d advisories, want %d", n, want)
	}
}

func TestImportErrors(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile("testdata/v3.11/main.json")
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string]string{
		"a-good.json":      string(good),
		"b-broken.yaml":    "packages: [",
		"c-noversion.yaml": "packages: []\n",
		"d-ignored.txt":    "not read",
		".gitlab-ci.yml":   "stages: [build]",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var got collect
	n, err := Import(t.Context(), dir, &got)
	if n != 72 {
		t.Errorf("Import = %d, want the 72 of the good file", n)
	}
	var fe *errlist.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("Import error = %v, want a *errlist.FileError", err)
	}
	if len(err.(interface{ Unwrap() []error }).Unwrap()) != 2 {
		t.Errorf("Import error = %v, want 2 file errors", err)
	}
	t.Log(err)

	if _, err := Import(t.Context(), filepath.Join(dir, "missing"), &got); err == nil {
		t.Error("Import of a missing path succeeded")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Import(ctx, dir, &got); !errors.Is(err, context.Canceled) {
		t.Errorf("Import with cancelled ctx = %v, want context.Canceled", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/v3.10/main.yaml", "testdata/v3.11/main.json", "testdata/edge-cases.yaml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		// Small seeds keep the fuzzer fast: the first packages of each file.
		if len(b) > 2000 {
			b = b[:2000]
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		advs, err := Parse(b)
		if err != nil {
			return
		}
		for _, a := range advs {
			if a.ID == "" || len(a.Affected) == 0 {
				t.Fatalf("advisory without ID or affected: %+v", a)
			}
			for _, af := range a.Affected {
				if af.Package == "" || af.Ecosystem == "" {
					t.Fatalf("affected without package or ecosystem: %+v", af)
				}
			}
		}
	})
}
