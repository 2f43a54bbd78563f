package npm

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/version/versiontest"
)

// jsOptions turns the options column of the node-semver vectors (a JS
// literal: "", "true", an object, a regular expression) into Options the way
// node-semver's parseOptions does: a non-object truthy value means loose,
// an object's loose and includePrerelease are tested for truthiness.
func jsOptions(t *testing.T, where, lit string) Options {
	t.Helper()
	switch {
	case lit == "" || lit == "false" || lit == "null":
		return Options{}
	case strings.HasPrefix(lit, "/"): // a RegExp is an object without the fields
		return Options{}
	case strings.HasPrefix(lit, "{"):
		var m map[string]any
		if err := json.Unmarshal([]byte(lit), &m); err != nil {
			t.Fatalf("%s: options %q: %v", where, lit, err)
		}
		return Options{Loose: truthy(m["loose"]), IncludePrerelease: truthy(m["includePrerelease"])}
	}
	return Options{Loose: true}
}

func truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case float64:
		return v != 0
	case string:
		return v != ""
	}
	return true
}

// TestVectors runs every row of npm-semver.tsv (node-semver's
// comparisons.js and equality.js fixtures) in both directions.
func TestVectors(t *testing.T) {
	rows := 0
	versiontest.EachLine(t, filepath.Join("testdata", "npm-semver.tsv"), func(where, line string) {
		f := strings.Split(line, "\t")
		if len(f) < 5 {
			t.Fatalf("%s: want 5 fields, got %q", where, line)
		}
		want := map[string]int{"<": -1, "=": 0, ">": 1}[f[1]]
		opts := jsOptions(t, where, f[3])
		rows++
		t.Run(where, func(t *testing.T) {
			a, err := Parse(f[0], opts)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Parse(f[2], opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Compare(b); got != want {
				t.Errorf("Compare(%q, %q) = %d, want %d", f[0], f[2], got, want)
			}
			if got := b.Compare(a); got != -want {
				t.Errorf("Compare(%q, %q) = %d, want %d", f[2], f[0], got, -want)
			}
		})
	})
	if rows != 68 {
		t.Errorf("ran %d rows, want 68", rows)
	}
}

// TestRangeVectors runs every row of npm-semver-ranges.jsonl (node-semver's
// range-include.js and range-exclude.js). node-semver's satisfies returns
// false for an invalid version or range; SatisfiesOptions returns an error,
// which an "exclude" row accepts.
func TestRangeVectors(t *testing.T) {
	rows := 0
	versiontest.EachLine(t, filepath.Join("testdata", "npm-semver-ranges.jsonl"), func(where, line string) {
		var row struct {
			Range, Expected, Options, Source string
			// Version is a string except in one row (false), which
			// node-semver excludes because it is not a version at all.
			Version any
		}
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		opts := jsOptions(t, where, row.Options)
		rows++
		t.Run(where, func(t *testing.T) {
			ver, ok := row.Version.(string)
			if !ok {
				if row.Expected != "exclude" {
					t.Fatalf("non-string version %v must be excluded", row.Version)
				}
				return
			}
			got, err := SatisfiesOptions(ver, row.Range, opts)
			switch row.Expected {
			case "include":
				if err != nil || !got {
					t.Errorf("SatisfiesOptions(%q, %q, %+v) = %v, %v; want true (%s)", ver, row.Range, opts, got, err, row.Source)
				}
			case "exclude":
				if got {
					t.Errorf("SatisfiesOptions(%q, %q, %+v) = true; want false (%s)", ver, row.Range, opts, row.Source)
				}
			default:
				t.Fatalf("expected %q", row.Expected)
			}
		})
	})
	if rows != 217 {
		t.Errorf("ran %d rows, want 217", rows)
	}
}

func TestSchemeParse(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "1.2.3", want: "1.2.3"},
		{in: " v1.2.3-beta.1+exp ", want: "1.2.3-beta.1"},
		{in: "=1.2.3", wantErr: true},
		{in: "1.2", wantErr: true},
		{in: "01.2.3", wantErr: true},
		{in: "1.2.3-01", wantErr: true},
		{in: "9007199254740992.0.0", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v, err := Scheme{}.Parse(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Parse(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if err == nil {
				if diff := cmp.Diff(tt.want, v.String()); diff != "" {
					t.Errorf("String() (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestSatisfies(t *testing.T) {
	tests := []struct {
		v, r string
		want bool
	}{
		{"1.5.0", ">=1.0.0 <2.0.0 || 3.x", true},
		{"3.9.1", ">=1.0.0 <2.0.0 || 3.x", true},
		{"2.0.0", ">=1.0.0 <2.0.0 || 3.x", false},
		{"1.2.9", "~1.2", true},
		{"1.3.0", "~1.2", false},
		{"1.9.9", "^1.2.3", true},
		{"2.0.0-rc.1", "^1.2.3", false},
		{"1.2.4-rc.1", "^1.2.4-rc.0", true},
		{"1.2.5-rc.1", "^1.2.4-rc.0", false},
		{"2.3.0", "1.2.3 - 2.3", true},
		{"2.4.0", "1.2.3 - 2.3", false},
	}
	for _, tt := range tests {
		t.Run(tt.v+" "+tt.r, func(t *testing.T) {
			got, err := Satisfies(tt.v, tt.r)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Satisfies(%q, %q) = %v, want %v", tt.v, tt.r, got, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1.2.3", "v1.2.3-beta.1+b", "=1.2.3", "1.2.3-a.10"} {
		f.Add(s, ">=1.0.0 <2 || ^3.1.x || 1 - 2.3")
	}
	f.Fuzz(func(t *testing.T, v, r string) {
		for _, opts := range []Options{{}, {Loose: true}, {IncludePrerelease: true}} {
			a, err := Parse(v, opts)
			if err == nil {
				if a.Compare(a) != 0 {
					t.Fatalf("%q != itself", v)
				}
				b, err := Parse(a.String(), Options{})
				if err != nil || b.Cmp(a) != 0 {
					t.Fatalf("round trip of %q: %v", v, err)
				}
			}
			_, _ = SatisfiesOptions(v, r, opts)
		}
	})
}
