package rpm_test

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/extract/osrelease"
	"github.com/customs-scanner/customs/internal/extract/rpm"
	"github.com/customs-scanner/customs/internal/layerfs"
)

// TestWalk runs the extractor through the walker the way a scan does: the
// layer keeps the prepared form of the database, OS detection reads
// os-release, and the content manifest is read through the image view.
func TestWalk(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "go-rpmdb_libuuid_Packages.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	db, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	exts := []extract.Extractor{rpm.New()}
	prepare := extract.Prepare(exts)
	files := map[string][]byte{
		"etc/os-release": []byte("ID=\"rhel\"\nVERSION_ID=\"8.8\"\n"),
		rpm.BerkeleyDB:   db,
		osrelease.ContentManifestDir + "/ubi8.json": []byte(`{"content_sets":["rhel-8-for-x86_64-baseos-rpms"]}`),
	}
	l := &layerfs.Layer{Files: map[string][]byte{}}
	for p, b := range files {
		l.Entries = append(l.Entries, layerfs.Entry{Path: p, Mode: 0o644, Size: int64(len(b))})
		if !extract.Wants(exts)(p, 0o644) {
			t.Fatalf("walker does not want %s", p)
		}
		if b, err = prepare(p, 0o644, b); err != nil {
			t.Fatal(err)
		}
		l.Files[p] = b
	}
	if len(l.Files[rpm.BerkeleyDB]) >= len(db) {
		t.Errorf("prepared database is %d bytes, the file %d", len(l.Files[rpm.BerkeleyDB]), len(db))
	}
	res, err := extract.Run(t.Context(), []*layerfs.Layer{l}, []extract.LayerInfo{{DiffID: "sha256:a"}}, exts, extract.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Errorf("errors: %v", res.Errors)
	}
	if len(res.Packages) != 1 {
		t.Fatalf("got %d packages, want 1", len(res.Packages))
	}
	p := res.Packages[0]
	got := []string{p.Name, p.Version, p.Ecosystem, p.PURL, p.Locations[0].Path, p.FoundBy}
	want := []string{"libuuid", "2.32.1-42.el8_8", "redhat:8", "pkg:rpm/redhat/libuuid@2.32.1-42.el8_8?arch=x86_64&distro=rhel-8.8", rpm.BerkeleyDB, "os/rpm"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"rhel-8-for-x86_64-baseos-rpms"}, p.Metadata.(rpm.Metadata).ContentSets); diff != "" {
		t.Errorf("content sets (-want +got):\n%s", diff)
	}
}
