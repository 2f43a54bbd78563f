package drift

import (
	"archive/tar"
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/inventory"
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
