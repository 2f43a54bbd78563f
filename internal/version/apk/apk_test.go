package apk

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/version/versiontest"
)

// TestCompareUpstream runs every row of apk-tools' test/unit/version.data
// comparison section, in both directions. Rows include invalid versions,
// which apk still orders (the invalid tail ranks last).
func TestCompareUpstream(t *testing.T) {
	vs := versiontest.ReadTSV(t, filepath.Join("testdata", "apk.tsv"))
	if len(vs) != 738 {
		t.Errorf("read %d vectors, want 738", len(vs))
	}
	for _, v := range vs {
		want := v.Want
		if got := Compare(v.Left, v.Right); got != want {
			t.Errorf("%s: Compare(%q, %q) = %d, want %d", v.Where, v.Left, v.Right, got, want)
		}
		if got := Compare(v.Right, v.Left); got != -want {
			t.Errorf("%s: Compare(%q, %q) = %d, want %d (reverse)", v.Where, v.Right, v.Left, got, -want)
		}
		// Through the Scheme when both sides are valid.
		a, erra := Scheme{}.Parse(v.Left)
		b, errb := Scheme{}.Parse(v.Right)
		if erra == nil && errb == nil {
			if got := a.Compare(b); got != want {
				t.Errorf("%s: Version.Compare(%q, %q) = %d, want %d", v.Where, v.Left, v.Right, got, want)
			}
		}
	}
}

// TestFuzzyUpstream runs version.data's fuzzy-match rows: "~" fuzzy match,
// "<~"/">~" less/greater or fuzzy match, "!" prefix inverts.
func TestFuzzyUpstream(t *testing.T) {
	n := 0
	versiontest.EachLine(t, filepath.Join("testdata", "apk-fuzzy.tsv"), func(where, line string) {
		n++
		f := strings.Split(line, "\t")
		if len(f) < 3 {
			t.Fatalf("%s: want 3 tab-separated fields, got %q", where, line)
		}
		left, op, right := f[0], f[1], f[2]
		invert := strings.HasPrefix(op, "!")
		base := strings.TrimPrefix(op, "!")
		var ok bool
		r := compare(left, right, true)
		switch base {
		case "~":
			ok = r == 0
		case "<~":
			ok = r <= 0
		case ">~":
			ok = r >= 0
		default:
			t.Fatalf("%s: unknown op %q", where, op)
		}
		if base == "~" && FuzzyMatch(left, right) != ok {
			t.Errorf("%s: FuzzyMatch disagrees with compare", where)
		}
		if ok == invert {
			t.Errorf("%s: %q %s %q does not hold", where, left, op, right)
		}
	})
	if n != 16 {
		t.Errorf("read %d vectors, want 16", n)
	}
}

func TestValidUpstream(t *testing.T) {
	n := 0
	versiontest.EachLine(t, filepath.Join("testdata", "apk-validity.tsv"), func(where, line string) {
		n++
		f := strings.Split(line, "\t")
		if len(f) < 2 {
			t.Fatalf("%s: short row %q", where, line)
		}
		want := f[1] == "valid"
		if got := Valid(f[0]); got != want {
			t.Errorf("%s: Valid(%q) = %v, want %v", where, f[0], got, want)
		}
		_, err := Parse(f[0])
		if (err == nil) != want {
			t.Errorf("%s: Parse(%q) error = %v, want valid=%v", where, f[0], err, want)
		}
	})
	if n != 31 {
		t.Errorf("read %d rows, want 31", n)
	}
}

// TestCompareOSVScalibr runs osv-scalibr's alpine vectors (its own tests
// plus versions from the OSV Alpine feed). Rows where both sides are valid
// apk versions must agree in both directions. Rows with an invalid side
// (e.g. "5.7.1p1-r0": a digit after a letter, or "1-r") encode apk 2.x
// behaviour; apk-tools v3, which this package follows, stops at the invalid
// token, so those rows are only counted: a change in the count means the
// handling of invalid versions changed.
func TestCompareOSVScalibr(t *testing.T) {
	tests := []struct {
		file                    string
		rows, invalid, disagree int
	}{
		{"alpine-versions.txt", 778, 37, 12},
		{"alpine-versions-generated.txt", 13979, 58, 32},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rows, invalid, disagree := 0, 0, 0
			for _, v := range versiontest.ReadSpaced(t, filepath.Join("testdata", tt.file)) {
				rows++
				want := v.Want
				got, rev := Compare(v.Left, v.Right), Compare(v.Right, v.Left)
				if !Valid(v.Left) || !Valid(v.Right) {
					invalid++
					if got != want {
						disagree++
					}
					continue
				}
				if got != want || rev != -want {
					t.Errorf("%s: Compare(%q, %q) = %d (reverse %d), want %d", v.Where, v.Left, v.Right, got, rev, want)
				}
			}
			if rows != tt.rows || invalid != tt.invalid || disagree != tt.disagree {
				t.Errorf("rows, invalid-side rows, disagreeing invalid rows = %d, %d, %d; want %d, %d, %d",
					rows, invalid, disagree, tt.rows, tt.invalid, tt.disagree)
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "1.2.3-r4", want: "1.2.3-r4"},
		{in: "0.1_pre2~1234abcd", want: "0.1_pre2~1234abcd"},
		{in: "", wantErr: true},
		{in: "1.2-1", wantErr: true},
		{in: "1.2.3-r4 ", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v, err := Scheme{}.Parse(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Parse(%q) = %v, want error", tt.in, v)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, v.String()); diff != "" {
				t.Errorf("String() (-want +got):\n%s", diff)
			}
		})
	}
	if got := (Scheme{}).Name(); got != "apk" {
		t.Errorf("Name() = %q, want apk", got)
	}
}

func FuzzCompare(f *testing.F) {
	for _, v := range versiontest.ReadTSV(f, filepath.Join("testdata", "apk.tsv")) {
		f.Add(v.Left, v.Right)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ab := Compare(a, b)
		if ab < -1 || ab > 1 {
			t.Fatalf("Compare(%q, %q) = %d", a, b, ab)
		}
		if Compare(a, a) != 0 {
			t.Errorf("Compare(%q, itself) != 0", a)
		}
		if Valid(a) && Valid(b) {
			if ba := Compare(b, a); ab != -ba {
				t.Errorf("valid versions: Compare(%q,%q)=%d, reverse %d", a, b, ab, ba)
			}
		}
		_ = FuzzyMatch(a, b)
	})
}
