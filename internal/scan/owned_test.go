package scan

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/customs-scanner/customs/internal/extract/gobinary/gobinarytest"
	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/vulndb/build"
)

// helloStatus is the dpkg status of a Debian package "hello" whose
// info/hello.list (helloList) says it installed /usr/bin/hello.
const (
	helloStatus = "Package: hello\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-1\nDescription: a Go program\n"
	helloList   = "/.\n/usr\n/usr/bin\n/usr/bin/hello\n"
)

// goDB builds a DB from testdata/feeds/osv-go-text: every Go advisory for
// golang.org/x/text, the module the test binary links.
func goDB(t *testing.T) string {
	t.Helper()
	dbPath := filepath.Join(t.TempDir(), "db")
	if _, err := build.Build(t.Context(), dbPath, []build.Source{{Kind: "osv", Path: filepath.Join("..", "..", "testdata", "feeds", "osv-go-text")}}, nil); err != nil {
		t.Fatal(err)
	}
	return dbPath
}

// TestScanOwnedGoBinary: a Go binary the dpkg package hello installed is
// matched on its modules by default, as its unowned copy in /usr/local/bin
// is, and the findings' package names its owner; --show-owned changes
// nothing for it.
func TestScanOwnedGoBinary(t *testing.T) {
	bin := string(gobinarytest.Build(t))
	l := layerTar(t, []file{
		{name: "usr/lib/os-release", body: bookwormOSRelease},
		{name: "var/lib/dpkg/status", body: helloStatus},
		{name: "var/lib/dpkg/info/hello.list", body: helloList},
		{name: "usr/bin/hello", body: bin, mode: 0o755},
		{name: "usr/local/bin/hello", body: bin, mode: 0o755},
	})
	img, err := mutate.Append(empty.Image, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: "RUN apt-get install hello"}})
	if err != nil {
		t.Fatal(err)
	}
	archive, dbPath := writeArchive(t, img), goDB(t)
	var want []string
	for _, where := range []string{"usr/bin/hello owned by deb hello 1.0-1", "usr/local/bin/hello"} {
		for _, id := range gobinarytest.Vulns {
			want = append(want, fmt.Sprintf("%s %s@%s in %s", id, gobinarytest.Module, gobinarytest.Version, where))
		}
	}
	slices.Sort(want)
	for _, keep := range []bool{false, true} {
		r, err := Scan(t.Context(), "docker-archive:"+archive, Options{DBPath: dbPath, KeepOwned: keep})
		if err != nil {
			t.Fatal(err)
		}
		pkgs := map[string]inventory.Package{}
		for _, p := range r.Packages {
			pkgs[p.ID] = p
		}
		var got []string
		for _, f := range r.Findings {
			p := pkgs[f.PackageID]
			where := f.Path
			if p.OwnedBy != nil {
				where += fmt.Sprintf(" owned by %s %s %s", p.OwnedBy.Type, p.OwnedBy.Name, p.OwnedBy.Version)
			}
			got = append(got, fmt.Sprintf("%s %s@%s in %s", f.VulnerabilityID, f.PackageName, f.PackageVersion, where))
		}
		slices.Sort(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("keep=%v findings (-want +got):\n%s", keep, diff)
		}
		if len(r.Owned) != 0 {
			t.Errorf("keep=%v: folded %v; compiled-in modules are never folded", keep, r.Owned)
		}
		var deb inventory.Package
		for _, p := range r.Packages {
			if p.Type == "deb" {
				deb = p
			}
		}
		contained := 0
		for _, rel := range r.Relationships {
			if rel.Type == inventory.Contains && rel.From == deb.ID && pkgs[rel.To].Locations[0].Path == "usr/bin/hello" {
				contained++
			}
		}
		// example.com/hello, golang.org/x/text and stdlib.
		if contained != 3 {
			t.Errorf("keep=%v: hello contains %d packages, want 3; relationships %v", keep, contained, r.Relationships)
		}
	}
}
