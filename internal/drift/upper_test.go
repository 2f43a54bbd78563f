package drift

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/layerfs"
)

type entry struct {
	name, body, link string
	mode             int64
	typ              byte
}

func exportTar(t *testing.T, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Typeflag: e.typ, Linkname: e.link}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestUpper filters an export into the changes' layer: only changed paths,
// whiteouts for deleted ones, digests, executables, and the dpkg records
// of changed files found through a merged /usr's symlink.
func TestUpper(t *testing.T) {
	export := exportTar(t, []entry{
		{name: "bin", typ: tar.TypeSymlink, link: "usr/bin"},
		{name: "etc/", typ: tar.TypeDir, mode: 0o755},
		{name: "etc/motd", body: "hello", mode: 0o644},
		{name: "usr/bin/ls", body: "\x7fELF tampered", mode: 0o755},
		{name: "usr/bin/cat", body: "\x7fELF cat", mode: 0o755},
		{name: "usr/local/bin/run.sh", body: "#!/bin/sh\n", mode: 0o644},
		{name: "var/lib/dpkg/info/coreutils.md5sums", mode: 0o644,
			body: md5hex("\x7fELF ls") + "  bin/ls\n" + md5hex("\x7fELF cat") + "  usr/bin/cat\n" + md5hex("x") + "  usr/bin/tail\n"},
	})
	changes := map[string]string{
		"etc/motd": Changed, "usr/bin/ls": Changed, "usr/bin/cat": Changed, "usr/bin/tail": Deleted,
		"usr/local/bin/run.sh": Added,
	}
	up := newUpper(changes)
	var layer bytes.Buffer
	if err := up.run(t.Context(), bytes.NewReader(export), &layer); err != nil {
		t.Fatal(err)
	}
	var names []string
	tr := tar.NewReader(&layer)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
	if diff := cmp.Diff([]string{"etc/motd", "usr/bin/ls", "usr/bin/cat", "usr/local/bin/run.sh", "usr/bin/.wh.tail"}, names); diff != "" {
		t.Errorf("layer entries (-want +got):\n%s", diff)
	}
	if got := up.owners["usr/bin/ls"]; got.Package != "coreutils" || got.matches(up.files["usr/bin/ls"]) {
		t.Errorf("usr/bin/ls owner %+v, want coreutils and a mismatch", got)
	}
	if got := up.owners["usr/bin/cat"]; !got.matches(up.files["usr/bin/cat"]) {
		t.Errorf("usr/bin/cat owner %+v, want a match", got)
	}
	if _, ok := up.owners["usr/bin/tail"]; !ok {
		t.Errorf("no record of the deleted usr/bin/tail")
	}
	for p, want := range map[string]string{"usr/bin/ls": "elf", "usr/local/bin/run.sh": "script", "etc/motd": ""} {
		if got := up.files[p].Exec; got != want {
			t.Errorf("%s: Exec %q, want %q", p, got, want)
		}
	}
}

// TestUpperTruncated: an export cut short (a container removed while it
// is read) is an error that says so, not a panic or a partial layer.
func TestUpperTruncated(t *testing.T) {
	export := exportTar(t, []entry{
		{name: "etc/motd", body: strings.Repeat("x", 4096), mode: 0o644},
		{name: "etc/passwd", body: strings.Repeat("y", 4096), mode: 0o644},
	})
	for _, cut := range []int{100, 600, 5000, len(export) - 1100} {
		up := newUpper(map[string]string{"etc/motd": Changed, "etc/passwd": Changed})
		err := up.run(t.Context(), bytes.NewReader(export[:cut]), io.Discard)
		if err == nil || !strings.Contains(err.Error(), "ended early") {
			t.Errorf("cut at %d: err = %v, want the export ended early", cut, err)
		}
	}
}

func TestIgnore(t *testing.T) {
	ig := newIgnorer(DefaultIgnore())
	for p, want := range map[string]bool{
		"tmp/x":                          true,
		"var/log/nginx/access.log":       true,
		"run/nginx.pid":                  true,
		"srv/app.pid":                    true,
		"var/lib/apt/lists/deb.debian":   true,
		"var/lib/dpkg/lock-frontend":     true,
		"var/lib/dpkg/info/age.md5sums":  true,
		"etc/passwd":                     false,
		"usr/local/bin/tmp":              false,
		"srv/tmp/x":                      false,
		"app/Cargo.lock":                 false,
		"etc/ld.so.preload":              false,
		"root/.ssh/authorized_keys":      false,
		"var/lib/dpkg/alternatives/java": false,
	} {
		if got := ig.ignored(p); got != want {
			t.Errorf("ignored(%s) = %v, want %v", p, got, want)
		}
	}
}

func TestDiffPackages(t *testing.T) {
	pkg := func(name, version, path string) inventory.Package {
		return inventory.Package{Name: name, Version: version, Type: "deb", PURL: "pkg:deb/" + name + "@" + version, Locations: []inventory.Location{{Path: path}}}
	}
	base := []inventory.Package{pkg("a", "1", "s"), pkg("b", "1", "s"), pkg("c", "1", "s")}
	top := []inventory.Package{pkg("a", "1", "s"), pkg("b", "2", "s"), pkg("d", "1", "s")}
	got := diffPackages(base, top)
	want := PackageDrift{
		Added:   []Package{{Name: "d", Version: "1", Type: "deb", PURL: "pkg:deb/d@1", Path: "s"}},
		Removed: []Package{{Name: "c", Version: "1", Type: "deb", PURL: "pkg:deb/c@1", Path: "s"}},
		Changed: []PackageChange{{Name: "b", Type: "deb", From: "1", To: "2", PURL: "pkg:deb/b@2", Path: "s"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diffPackages (-want +got):\n%s", diff)
	}
}

// TestUpperExport tells the changes from the export and the image: added,
// deleted (a directory with its files, one whiteout), a size change, a
// permission change, a same-size rewrite after the container was created,
// a hard link to a changed file, a retargeted symlink; nothing for entries
// as the image has them, old or with a directory's new time.
func TestUpperExport(t *testing.T) {
	created := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	old, late := created.Add(-24*time.Hour), created.Add(time.Hour)
	image := []entry{
		{name: "bin", typ: tar.TypeSymlink, link: "usr/bin"},
		{name: "etc/", typ: tar.TypeDir, mode: 0o755},
		{name: "etc/motd", body: "hello", mode: 0o644},
		{name: "etc/issue", body: "Debian", mode: 0o644},
		{name: "etc/alternatives/", typ: tar.TypeDir, mode: 0o755},
		{name: "etc/alternatives/pager", typ: tar.TypeSymlink, link: "/bin/more"},
		{name: "usr/bin/ls", body: "\x7fELF ls", mode: 0o755},
		{name: "usr/bin/cat", body: "\x7fELF cat", mode: 0o755},
		{name: "usr/bin/dir", body: "\x7fELF dir", mode: 0o755},
		{name: "usr/bin/vdir", typ: tar.TypeLink, link: "usr/bin/dir", mode: 0o755},
		{name: "usr/bin/perl", body: "\x7fELF perl", mode: 0o755},
		{name: "usr/bin/perl5", typ: tar.TypeLink, link: "usr/bin/perl", mode: 0o755},
		{name: "usr/bin/sed", body: "\x7fELF sed", mode: 0o755},
		{name: "usr/bin/tool", body: "#!/bin/sh\n", mode: 0o644},
		{name: "usr/share/man/ls.1", body: "ls", mode: 0o644},
		{name: "usr/share/doc/", typ: tar.TypeDir, mode: 0o755},
		{name: "usr/share/doc/a", body: "a", mode: 0o644},
		{name: "usr/share/doc/b", body: "b", mode: 0o644},
		{name: "var/lib/dpkg/info/coreutils.md5sums", mode: 0o644,
			body: md5hex("\x7fELF ls") + "  bin/ls\n" + md5hex("\x7fELF cat") + "  bin/cat\n" + md5hex("a") + "  usr/share/doc/a\n" + md5hex("\x7fELF dir") + "  usr/bin/dir\n" + md5hex("\x7fELF sed") + "  usr/bin/sed\n" + md5hex("\x7fELF perl") + "  usr/bin/perl\n"},
	}
	l, err := layerfs.Analyze(t.Context(), bytes.NewReader(exportTar(t, image)), layerfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	base := layerfs.Merge([]*layerfs.Layer{l})
	times := map[string]time.Time{"etc/": late, "usr/bin/cat": late, "usr/bin/dir": late, "usr/local/bin/x": late}
	export := exportTarTimes(t, []entry{
		{name: "bin", typ: tar.TypeSymlink, link: "usr/bin"},
		{name: "etc/", typ: tar.TypeDir, mode: 0o755},
		{name: "etc/motd", body: "hello, world", mode: 0o644},
		{name: "etc/issue", body: "Debian", mode: 0o644},
		{name: "etc/alternatives/", typ: tar.TypeDir, mode: 0o755},
		{name: "etc/alternatives/pager", typ: tar.TypeSymlink, link: "/bin/less"},
		{name: "usr/bin/ls", body: "\x7fELF ls", mode: 0o4755},
		{name: "usr/bin/cat", body: "\x7fELF cat", mode: 0o755}, // written again, same content
		{name: "usr/bin/dir", body: "\x7fELF DIR", mode: 0o755}, // same size, new content
		{name: "usr/bin/vdir", typ: tar.TypeLink, link: "usr/bin/dir", mode: 0o755},
		{name: "usr/bin/perl", body: "\x7fELF perl", mode: 0o755},
		{name: "usr/bin/perl5", typ: tar.TypeLink, link: "usr/bin/perl", mode: 0o755},
		{name: "usr/bin/sed", body: "\x7fELF SED", mode: 0o755}, // same size, time set back
		{name: "usr/bin/tool", body: "#!/bin/sh\n", mode: 0o644},
		{name: "usr/local/bin/x", body: "\x7fELF x", mode: 0o755},
		{name: "usr/share/man/ls.1", body: "ls", mode: 0o644},
		{name: "var/lib/dpkg/info/coreutils.md5sums", mode: 0o644,
			body: md5hex("\x7fELF ls") + "  bin/ls\n" + md5hex("\x7fELF cat") + "  bin/cat\n" + md5hex("a") + "  usr/share/doc/a\n" + md5hex("\x7fELF dir") + "  usr/bin/dir\n" + md5hex("\x7fELF sed") + "  usr/bin/sed\n" + md5hex("\x7fELF perl") + "  usr/bin/perl\n"},
	}, times, old)
	up := newExportUpper(base, created, VerifyExec)
	var layer bytes.Buffer
	if err := up.run(t.Context(), bytes.NewReader(export), &layer); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"etc/motd": Changed, "etc/alternatives/pager": Changed, "usr/bin/ls": Changed, "usr/bin/cat": Changed,
		"usr/bin/dir": Changed, "usr/bin/vdir": Changed, "usr/local/bin/x": Added, // usr/local/bin: implied, not an entry
		"usr/bin/sed":   Changed, // by its package's record
		"usr/share/doc": Deleted, "usr/share/doc/a": Deleted, "usr/share/doc/b": Deleted,
	}
	if diff := cmp.Diff(want, up.changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if !up.byTime["usr/bin/cat"] || !up.byTime["usr/bin/dir"] || up.byTime["etc/motd"] {
		t.Errorf("byTime %v, want usr/bin/cat and usr/bin/dir", up.byTime)
	}
	if o := up.owners["usr/bin/cat"]; !o.matches(up.files["usr/bin/cat"]) {
		t.Errorf("usr/bin/cat: owner %+v does not match; it was written with its package's content", o)
	}
	if o := up.owners["usr/bin/dir"]; o.Package != "coreutils" || o.matches(up.files["usr/bin/dir"]) {
		t.Errorf("usr/bin/dir: owner %+v, want coreutils and a mismatch", o)
	}
	if _, ok := up.owners["usr/share/doc/a"]; !ok {
		t.Error("no record of the deleted usr/share/doc/a")
	}
	if _, ok := up.owners["usr/bin/perl"]; ok {
		t.Error("a record of the unchanged usr/bin/perl is kept")
	}
	if o := up.owners["usr/bin/sed"]; o.Package != "coreutils" || o.matches(up.files["usr/bin/sed"]) || up.files["usr/bin/sed"].Exec != "elf" {
		t.Errorf("usr/bin/sed: owner %+v, file %+v; want coreutils, a mismatch, an ELF", o, up.files["usr/bin/sed"])
	}
	if diff := cmp.Diff([]string{"usr/bin/sed"}, up.unlayered); diff != "" {
		t.Errorf("unlayered (-want +got):\n%s", diff)
	}
	var whiteouts []string
	tr := tar.NewReader(&layer)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(h.Name, ".wh.") {
			whiteouts = append(whiteouts, h.Name)
		}
	}
	if diff := cmp.Diff([]string{"usr/share/.wh.doc"}, whiteouts); diff != "" {
		t.Errorf("whiteouts (-want +got):\n%s", diff)
	}
}

// exportTarTimes is exportTar with modification times: times[name], else
// def.
func exportTarTimes(t *testing.T, entries []entry, times map[string]time.Time, def time.Time) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Typeflag: e.typ, Linkname: e.link, ModTime: def}
		if tm, ok := times[e.name]; ok {
			h.ModTime = tm
		}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestUpperRPM: the file digests of an rpm database (a real Berkeley DB
// of libuuid, SHA-256 digests) are the records of the changed files.
func TestUpperRPM(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "extract", "rpm", "rpmdb", "testdata", "go-rpmdb_libuuid_Packages.gz"))
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
	export := exportTar(t, []entry{
		{name: "usr/lib64/libuuid.so.1.3.0", body: "\x7fELF patched", mode: 0o755},
		{name: "var/lib/rpm/Packages", body: string(db), mode: 0o644},
	})
	up := newUpper(map[string]string{"usr/lib64/libuuid.so.1.3.0": Changed, "usr/share/licenses/libuuid/COPYING": Deleted})
	if err := up.run(t.Context(), bytes.NewReader(export), io.Discard); err != nil {
		t.Fatal(err)
	}
	want := map[string]owned{
		"usr/lib64/libuuid.so.1.3.0":         {Package: "libuuid", Manager: "rpm", Algorithm: "sha256", Digest: "3c8f59a0e39cce53501045859f5c9a86b82fedd558a2f4110ab1823047b43745"},
		"usr/share/licenses/libuuid/COPYING": {Package: "libuuid", Manager: "rpm", Algorithm: "sha256", Digest: "f051c5b2e7ed25acac4b79d22b9e5df80447c16f9ec543d6ed21c213c576f6aa"},
	}
	if diff := cmp.Diff(want, up.owners); diff != "" {
		t.Errorf("owners (-want +got):\n%s", diff)
	}
	lib := up.files["usr/lib64/libuuid.so.1.3.0"]
	if up.owners["usr/lib64/libuuid.so.1.3.0"].matches(lib) {
		t.Error("the patched libuuid matches its record")
	}
	if own := (owned{Algorithm: "sha256", Digest: strings.TrimPrefix(lib.SHA256, "sha256:")}); !own.matches(lib) {
		t.Error("a SHA-256 record of the content does not match it")
	}
}
