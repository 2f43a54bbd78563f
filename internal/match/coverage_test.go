package match

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/version"
	apkver "github.com/customs-scanner/customs/internal/version/apk"
	dpkgver "github.com/customs-scanner/customs/internal/version/dpkg"
	genericver "github.com/customs-scanner/customs/internal/version/generic"
	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/sqlite"
)

func TestCoverage(t *testing.T) {
	// The fixtures (debian:12, debian:11, alpine:3.10) and a Go module's
	// record as GitHub's advisories have it (GHSA-xh3g-9gmw-2rxc for
	// mcuboot): Go modules, but not the standard library.
	advs := append(slices.Clone(fixtures), log4shell...)
	advs = append(advs, &vulndb.Advisory{ID: "GHSA-xh3g-9gmw-2rxc", Source: "osv", Affected: []vulndb.Affected{
		{Ecosystem: "Go", Package: "github.com/mcu-tools/mcuboot", Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Introduced: "0"}}},
	}})
	path := filepath.Join(t.TempDir(), "test.db")
	w, err := sqlite.Create(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range advs {
		if err := w.Add(t.Context(), a); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	opts := Options{Schemes: map[string]version.Scheme{"deb": dpkgver.Scheme{}, "apk": apkver.Scheme{}, "golang": genericver.Scheme{}, "generic": genericver.Scheme{}},
		Apart: map[string][]string{"Go": {"stdlib"}}}
	pkg := func(typ, eco, name string) inventory.Package {
		return inventory.Package{Type: typ, Ecosystem: eco, Name: name, Version: "1"}
	}
	bookworm := &inventory.OS{Family: "debian", Version: "12"}
	tests := []struct {
		name string
		pkgs []inventory.Package
		os   *inventory.OS
		want *report.Coverage
	}{
		{
			name: "covered and not",
			pkgs: []inventory.Package{
				pkg("deb", "debian:12", "openssl"), pkg("deb", "debian:12", "bash"),
				pkg("deb", "debian:13", "openssl"),
				pkg("apk", "alpine:3.11", "musl"),
				pkg("golang", "Go", "stdlib"), pkg("golang", "Go", "github.com/mcu-tools/mcuboot"), pkg("golang", "Go", "golang.org/x/text"),
				pkg("golang", "", "example.com/app"), // main module built from a work tree
				pkg("generic", "cpe", "openssl"),
				pkg("swift", "SwiftURL", "Alamofire"), // no scheme: looked up all the same
			},
			os: bookworm,
			want: &report.Coverage{
				Ecosystems: []report.EcosystemCoverage{
					{Ecosystem: "Go", Packages: 2, Covered: true, DBPackages: 1},
					{Ecosystem: "Go", Package: "stdlib", Packages: 1},
					{Ecosystem: "SwiftURL", Packages: 1},
					{Ecosystem: "alpine:3.11", Packages: 1, OtherReleases: []string{"alpine:3.10"}},
					{Ecosystem: "cpe", Packages: 1},
					{Ecosystem: "debian:12", Packages: 2, Covered: true, DBPackages: 2},
					{Ecosystem: "debian:13", Packages: 1, OtherReleases: []string{"debian:11", "debian:12"}},
				},
				Unmatchable: map[string]int{"golang": 1},
			},
		},
		{
			name: "nothing found",
			want: &report.Coverage{Ecosystems: []report.EcosystemCoverage{}, Note: report.NoInventoryNote},
		},
		{
			name: "an OS without packages",
			os:   bookworm,
			want: &report.Coverage{Ecosystems: []report.EcosystemCoverage{},
				Note: "the operating system (debian 12) lists no packages: nothing was checked for vulnerabilities"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Coverage(t.Context(), db, tc.pkgs, tc.os, opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Coverage (-want +got):\n%s", diff)
			}
		})
	}
}
