package table

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/golden"
	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/report/reporttest"
)

// TestPackagesGolden lists the packages of the shared sample report (a
// real scan of the alpine 3.10 image): every apk package and the binaries
// inside them, with path and layer.
func TestPackagesGolden(t *testing.T) {
	var b bytes.Buffer
	if err := (Packages{}).Encode(&b, reporttest.Sample(t)); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "packages.txt"), b.Bytes())
}

func TestPackages(t *testing.T) {
	for _, tc := range []struct {
		name    string
		r       *report.Report
		want    []string
		wantNot []string
	}{
		{"empty", &report.Report{Target: report.Target{Ref: "dir:/tmp/x", Kind: "rootfs"}},
			[]string{"dir:/tmp/x (rootfs)\n0 packages\n", "no packages found"}, []string{"NAME", "LAYERS"}},
		{"control characters and long paths", &report.Report{Target: report.Target{Ref: "x"}, Packages: []inventory.Package{
			{ID: "a", Name: "evil\x1b[2Jname", Version: "1\t2", Type: "npm", Locations: []inventory.Location{{Path: "app/" + strings.Repeat("node_modules/deep/", 6) + "package.json"}, {Path: "b"}}},
		}}, []string{"evil?[2Jname", "1?2", "...", "/package.json (+1)", "1 package: 1 npm"}, []string{"\x1b", "PART OF"}},
		{"a Go binary an OS package installed", &report.Report{Target: report.Target{Ref: "x"}, Packages: []inventory.Package{
			{ID: "d", Name: "age", Version: "1.1.1-1+b3", Type: "deb", Locations: []inventory.Location{{Path: "var/lib/dpkg/status"}}},
			{ID: "g", Name: "stdlib", Version: "go1.19.8", Type: "golang", Locations: []inventory.Location{{Path: "usr/bin/age"}},
				OwnedBy: &inventory.Owner{ID: "d", Name: "age", Version: "1.1.1-1+b3", Type: "deb"}},
		}}, []string{"2 packages: 1 deb, 1 golang (1 inside OS packages", "PART OF\n", "stdlib  go1.19.8    golang  /usr/bin/age          -      age\n"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := (Packages{}).Encode(&b, tc.r); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, b.String())
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(b.String(), w) {
					t.Errorf("output has %q:\n%s", w, b.String())
				}
			}
		})
	}
}
