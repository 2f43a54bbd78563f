package dpkg

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/version/versiontest"
)

func TestCompareVectors(t *testing.T) {
	versiontest.CheckFiles(t, Scheme{}, map[string]int{
		"dpkg.tsv":                      55,
		"debian-versions.txt":           30,
		"debian-versions-generated.txt": 14442,
	})
}

func TestParseVectors(t *testing.T) {
	type row struct {
		Input    string `json:"input"`
		Expect   string `json:"expect"`
		Epoch    int    `json:"epoch"`
		Upstream string `json:"upstream"`
		Revision string `json:"revision"`
		Source   string `json:"source"`
	}
	var rows []row
	versiontest.EachLine(t, filepath.Join("testdata", "dpkg-parse.jsonl"), func(where, line string) {
		var r row
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		rows = append(rows, r)
	})
	if len(rows) != 80 {
		t.Fatalf("read %d rows, want 80", len(rows))
	}
	for _, r := range rows {
		t.Run(r.Source+" "+r.Input, func(t *testing.T) {
			v, err := Parse(r.Input)
			switch r.Expect {
			case "error":
				if err == nil {
					t.Fatalf("Parse(%q) = %+v, want error", r.Input, v)
				}
			case "warn":
				if err != nil {
					t.Fatalf("Parse(%q): %v, want a warning only", r.Input, err)
				}
				if v.Warning() == "" {
					t.Errorf("Parse(%q).Warning() = \"\", want a warning", r.Input)
				}
			case "ok":
				if err != nil {
					t.Fatalf("Parse(%q): %v", r.Input, err)
				}
				want := [3]any{r.Epoch, r.Upstream, r.Revision}
				got := [3]any{v.Epoch, v.Upstream, v.Revision}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Parse(%q) (-want +got):\n%s", r.Input, diff)
				}
				if v.Warning() != "" {
					t.Errorf("Parse(%q).Warning() = %q, want none", r.Input, v.Warning())
				}
			default:
				t.Fatalf("unknown expect %q", r.Expect)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string
	}{
		{"", "version string is empty"},
		{"1 2", "embedded spaces"},
		{"1x:1", "epoch in version is not number"},
		{"x:1", "epoch in version is empty"}, // strtol converts nothing
		{":1", "epoch in version is empty"},
		{"-1:1", "epoch in version is negative"},
		{"2147483648:1", "epoch in version is too big"},
		{"1:", "nothing after colon"},
		{"1-", "revision number is empty"},
		{"-1", "upstream version is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

func TestParseEdges(t *testing.T) {
	tests := []struct {
		in   string
		want Version
	}{
		// strtol accepts a sign: dpkg does too.
		{"+1:2", Version{Epoch: 1, Upstream: "2", str: "+1:2"}},
		{"-0:2", Version{Epoch: 0, Upstream: "2", str: "-0:2"}},
		{"2147483647:1-2", Version{Epoch: 2147483647, Upstream: "1", Revision: "2", str: "2147483647:1-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(Version{})); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestSchemeName(t *testing.T) {
	if got := (Scheme{}).Name(); got != "dpkg" {
		t.Errorf("Name() = %q, want dpkg", got)
	}
}

func TestCompareStrings(t *testing.T) {
	got, err := Compare("1.0~rc1-1", "1.0-1")
	if err != nil || got != -1 {
		t.Errorf("Compare = %d, %v; want -1, nil", got, err)
	}
	if _, err := Compare("1.0", ""); err == nil {
		t.Error("Compare with empty version: want error")
	}
}

func FuzzParseCompare(f *testing.F) {
	vs := append(versiontest.ReadTSV(f, filepath.Join("testdata", "dpkg.tsv")),
		versiontest.ReadSpaced(f, filepath.Join("testdata", "debian-versions.txt"))...)
	for _, v := range vs {
		f.Add(v.Left, v.Right)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, erra := Parse(a)
		vb, errb := Parse(b)
		if erra != nil || errb != nil {
			return
		}
		ab, ba := va.CompareVersion(vb), vb.CompareVersion(va)
		if ab != -ba {
			t.Errorf("Compare(%q,%q)=%d but reverse=%d", a, b, ab, ba)
		}
		if va.CompareVersion(va) != 0 {
			t.Errorf("Compare(%q,itself) != 0", a)
		}
		// Re-parsing the canonical string gives an equal version.
		again, err := Parse(va.String())
		if err != nil || again.CompareVersion(va) != 0 {
			t.Errorf("reparse of %q: %v", va.String(), err)
		}
	})
}
