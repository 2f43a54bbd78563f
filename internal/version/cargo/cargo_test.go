package cargo

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/version/versiontest"
)

func TestCompareVectors(t *testing.T) {
	versiontest.CheckFiles(t, Scheme{}, map[string]int{
		"masterminds-semver.tsv": 19,
		"semver-versions.txt":    86,
	})
}

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		core    [3]string
		pre     []string
		wantErr string
	}{
		{in: "1.2.3", core: [3]string{"1", "2", "3"}},
		{in: "v0.10.0-rc.01+build.5", core: [3]string{"0", "10", "0"}, pre: []string{"rc", "01"}},
		{in: "1.3", core: [3]string{"1", "3", "0"}},
		{in: "0.3.0-alpha-1", core: [3]string{"0", "3", "0"}, pre: []string{"alpha-1"}},
		{in: "1.1.3.4.5", core: [3]string{"1", "1", "3"}},
		{in: "", wantErr: "empty"},
		{in: "1.x.3", wantErr: `component 2 "x" is not a number`},
		{in: "1..3", wantErr: `component 2 "" is not a number`},
		{in: "1.2.3-", wantErr: "empty prerelease identifier"},
		{in: "1.2.3-a..b", wantErr: "empty prerelease identifier"},
		{in: "1.2.3-a_b", wantErr: "character '_' in prerelease"},
		{in: "*", wantErr: "not a number"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v, err := Parse(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := struct {
				Core [3]string
				Pre  []string
			}{v.core, v.pre}
			want := struct {
				Core [3]string
				Pre  []string
			}{tt.core, tt.pre}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
			}
			if v.String() != tt.in {
				t.Errorf("String() = %q", v.String())
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	versiontest.Fuzz(f, Scheme{}, "1.0.0-alpha", "1.2.3", "1.0.0-beta.-2", "v1.2.3-rc.1+b", "1.3", "1.1.3.4.5", "bad")
}
