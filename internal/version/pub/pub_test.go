package pub

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/version/versiontest"
)

func TestCompareVectors(t *testing.T) {
	versiontest.CheckFiles(t, Scheme{}, map[string]int{"pub-versions.txt": 100})
}

func TestParse(t *testing.T) {
	tests := []struct {
		in         string
		core       [3]string
		pre, build []string
		wantErr    string
	}{
		{in: "0.13.2", core: [3]string{"0", "13", "2"}},
		{in: "v1.0.0-beta.2+build.07", core: [3]string{"1", "0", "0"}, pre: []string{"beta", "2"}, build: []string{"build", "07"}},
		{in: "1.3", core: [3]string{"1", "3", "0"}},
		{in: "1.1.3.4+x", core: [3]string{"1", "1", "3"}, build: []string{"4", "x"}},
		{in: "", wantErr: "empty"},
		{in: "1.x.3", wantErr: `component 2 "x" is not a number`},
		{in: "1.2.3-", wantErr: "empty prerelease identifier"},
		{in: "1.2.3+a..b", wantErr: "empty build identifier"},
		{in: "1.2.3-a_b", wantErr: "character '_' in prerelease"},
		{in: ">=2.18.0 <3.0.0", wantErr: "not a number"},
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
			type parts struct {
				Core       [3]string
				Pre, Build []string
			}
			if diff := cmp.Diff(parts{tt.core, tt.pre, tt.build}, parts{v.core, v.pre, v.build}); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	versiontest.Fuzz(f, Scheme{}, "1.2.3+1", "0.13.2", "1.0.0-pre+build", "1.2.3+a1", "v1.1.3.4.5")
}
