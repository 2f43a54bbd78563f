package dpkg

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/inventory"
)

var bookworm = inventory.OS{Family: "debian", Version: "12", Codename: "bookworm", Name: "Debian GNU/Linux 12 (bookworm)"}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// image builds an image filesystem holding the dpkg status file (if status
// is not empty) and the real info/*.list fixtures.
func image(t testing.TB, status string) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{
		InfoDir + "/dash.list":        {Data: readTestdata(t, "info/dash.list")},
		InfoDir + "/libc6:amd64.list": {Data: readTestdata(t, "info/libc6_amd64.list")},
	}
	if status != "" {
		m[StatusFile] = &fstest.MapFile{Data: readTestdata(t, status)}
	}
	return m
}

func extractFile(t *testing.T, fsys fstest.MapFS, p string, o inventory.OS) ([]inventory.Package, error) {
	t.Helper()
	return Extractor{}.Extract(context.Background(), extract.Input{Path: p, Content: fsys[p].Data, FS: fsys, OS: o})
}

func byName(pkgs []inventory.Package) map[string]inventory.Package {
	m := map[string]inventory.Package{}
	for _, p := range pkgs {
		m[p.Name] = p
	}
	return m
}

func TestStatusFiles(t *testing.T) {
	tests := []struct {
		file string
		os   inventory.OS
		// want is the number of installed packages (grep -c '^Status: install ok installed').
		want int
		// check are exact expectations for a few packages, Files excluded
		// unless set.
		check []inventory.Package
	}{
		{
			file: "debootstrap-bookworm.status", os: bookworm, want: 88,
			check: []inventory.Package{
				{
					Name: "libcap2", Version: "1:2.66-4+deb12u3+b1", Type: "deb", Arch: "amd64",
					SourceName: "libcap2", SourceVersion: "1:2.66-4+deb12u3",
					PURL:      "pkg:deb/debian/libcap2@1:2.66-4%2Bdeb12u3%2Bb1?arch=amd64&distro=debian-12&upstream=libcap2%401:2.66-4%2Bdeb12u3",
					Ecosystem: "debian:12",
					Metadata:  Metadata{Maintainer: "Christian Kastner <ckk@debian.org>", InstalledSize: 95, Status: "install ok installed"},
				},
				{
					Name: "libc6", Version: "2.36-9+deb12u14", Type: "deb", Arch: "amd64",
					SourceName: "glibc", SourceVersion: "2.36-9+deb12u14",
					PURL:      "pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12&upstream=glibc",
					Ecosystem: "debian:12",
					Metadata:  Metadata{Maintainer: "GNU Libc Maintainers <debian-glibc@lists.debian.org>", InstalledSize: 13001, Status: "install ok installed"},
				},
				{
					Name: "dash", Version: "0.5.12-2", Type: "deb", Arch: "amd64",
					SourceName: "dash", SourceVersion: "0.5.12-2",
					PURL:      "pkg:deb/debian/dash@0.5.12-2?arch=amd64&distro=debian-12",
					Ecosystem: "debian:12",
					Metadata:  Metadata{Maintainer: "Andrej Shadura <andrewsh@debian.org>", InstalledSize: 191, Status: "install ok installed"},
				},
			},
		},
		{
			// Debian 10 with one "deinstall ok config-files" package.
			file: "trivy_valid.status", os: inventory.OS{Family: "debian", Version: "10"}, want: 90,
		},
		{file: "osv-scalibr_valid.status", want: 7},
		{
			file: "claircore_postgresql.status", os: inventory.OS{Family: "debian", Version: "10"}, want: 3,
			check: []inventory.Package{{
				Name: "postgresql-client", Version: "11+200+deb10u5", Type: "deb", Arch: "all",
				SourceName: "postgresql-common", SourceVersion: "200+deb10u5",
				PURL:      "pkg:deb/debian/postgresql-client@11%2B200%2Bdeb10u5?arch=all&distro=debian-10&upstream=postgresql-common%40200%2Bdeb10u5",
				Ecosystem: "debian:10",
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			fsys := image(t, tt.file)
			pkgs, err := extractFile(t, fsys, StatusFile, tt.os)
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if len(pkgs) != tt.want {
				t.Errorf("got %d packages, want %d", len(pkgs), tt.want)
			}
			got := byName(pkgs)
			for _, want := range tt.check {
				g, ok := got[want.Name]
				if !ok {
					t.Errorf("package %s missing", want.Name)
					continue
				}
				g.Files = nil
				if want.Metadata == nil {
					g.Metadata = nil
				}
				if diff := cmp.Diff(want, g); diff != "" {
					t.Errorf("package %s (-want +got):\n%s", want.Name, diff)
				}
			}
		})
	}
}

func TestFiles(t *testing.T) {
	fsys := image(t, "debootstrap-bookworm.status")
	pkgs, err := extractFile(t, fsys, StatusFile, bookworm)
	if err != nil {
		t.Fatal(err)
	}
	got := byName(pkgs)
	dash := got["dash"].Files
	wantDash := []string{"bin", "bin/dash", "usr", "usr/share"}
	if len(dash) < len(wantDash) {
		t.Fatalf("dash files = %q", dash)
	}
	if diff := cmp.Diff(wantDash, dash[:4]); diff != "" {
		t.Errorf("dash files (-want +got):\n%s", diff)
	}
	// Multi-Arch: same packages use NAME:ARCH.list.
	libc := got["libc6"].Files
	if !contains(libc, "etc/ld.so.conf.d/x86_64-linux-gnu.conf") {
		t.Errorf("libc6 files lack etc/ld.so.conf.d/x86_64-linux-gnu.conf: %d files", len(libc))
	}
	wantLines := strings.Count(string(readTestdata(t, "info/libc6_amd64.list")), "\n") - 1 // minus "/."
	if len(libc) != wantLines {
		t.Errorf("libc6 has %d files, want %d", len(libc), wantLines)
	}
	// No list: no files, no error.
	if f := got["adduser"].Files; f != nil {
		t.Errorf("adduser files = %q, want none", f)
	}
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func TestDistroless(t *testing.T) {
	fsys := fstest.MapFS{}
	entries, err := os.ReadDir(filepath.Join("testdata", "status.d"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		fsys[StatusDir+"/"+e.Name()] = &fstest.MapFile{Data: readTestdata(t, "status.d/"+e.Name())}
	}
	tests := []struct {
		file    string
		want    []string // name@version of the packages
		wantErr string   // substring of the error; "" for none
	}{
		{file: "single", want: []string{"apt@1.8.2"}},
		{file: "multiple", want: []string{"tzdata@2020a-0+deb10u1", "util-linux@2.33.1-0.1"}, wantErr: "no Version field"},
		{file: "corrupt", wantErr: "want \"Field: value\""},
		{file: "empty", wantErr: "no Package field"},
		{file: "deinstall", want: []string{"linux-image-6.14.0-1012-aws@6.14.0-1012.12~24.04.1"}},
		{file: "installed-size-4KB", want: []string{"apt@1.8.2"}},
		{file: "libsqlite3-0", want: []string{"libsqlite3-0@3.34.1-3"}},
		{file: "libsqlite3-0.md5sums"},
		{file: "libsqlite3-0.preinst"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p := StatusDir + "/" + tt.file
			if !(Extractor{}).Wants(p, 0o644) {
				t.Fatalf("Wants(%q) = false", p)
			}
			pkgs, err := extractFile(t, fsys, p, inventory.OS{})
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Extract: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Extract error = %v, want it to contain %q", err, tt.wantErr)
			}
			var got []string
			for _, p := range pkgs {
				got = append(got, p.Name+"@"+p.Version)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("libsqlite3-0 fields", func(t *testing.T) {
		pkgs, err := extractFile(t, fsys, StatusDir+"/libsqlite3-0", inventory.OS{})
		if err != nil || len(pkgs) != 1 {
			t.Fatalf("Extract = %d packages, %v", len(pkgs), err)
		}
		want := inventory.Package{
			Name: "libsqlite3-0", Version: "3.34.1-3", Type: "deb", Arch: "arm64",
			SourceName: "sqlite3", SourceVersion: "3.34.1-3",
			// Unknown OS: namespace debian, no distro qualifier, no ecosystem.
			PURL: "pkg:deb/debian/libsqlite3-0@3.34.1-3?arch=arm64&upstream=sqlite3",
			Files: []string{
				"usr/lib/aarch64-linux-gnu/libsqlite3.so.0.8.6",
				"usr/share/doc/libsqlite3-0/README.Debian",
				"usr/share/doc/libsqlite3-0/changelog.Debian.gz",
				"usr/share/doc/libsqlite3-0/changelog.gz",
				"usr/share/doc/libsqlite3-0/changelog.html.gz",
				"usr/share/doc/libsqlite3-0/copyright",
			},
			Metadata: Metadata{Maintainer: "Laszlo Boszormenyi (GCS) <gcs@debian.org>", InstalledSize: 1490},
		}
		if diff := cmp.Diff(want, pkgs[0]); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})

	t.Run("installed-size-4KB", func(t *testing.T) {
		pkgs, _ := extractFile(t, fsys, StatusDir+"/installed-size-4KB", inventory.OS{})
		if len(pkgs) != 1 || pkgs[0].Metadata.(Metadata).InstalledSize != 4 {
			t.Errorf("got %+v, want one package with InstalledSize 4", pkgs)
		}
	})
}

func TestSyntheticStatus(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{
			name: "crlf",
			in:   "Package: a\r\nStatus: install ok installed\r\nVersion: 1.0-1\r\nDescription: x\r\n more\r\n\r\nPackage: b\r\nStatus: install ok installed\r\nVersion: 2\r\n",
			want: []string{"a@1.0-1", "b@2"},
		},
		{
			name:    "trailing garbage",
			in:      "Package: a\nStatus: install ok installed\nVersion: 1\n\n\x00\x01garbage",
			want:    []string{"a@1"},
			wantErr: "line 5",
		},
		{
			name: "not installed states",
			in: "Package: a\nStatus: deinstall ok config-files\nVersion: 1\n\n" +
				"Package: b\nStatus: install reinstreq half-installed\nVersion: 1\n\n" +
				"Package: c\nStatus: hold ok installed\nVersion: 1\n\n" +
				"Package: d\nVersion: 1\n",
			want: []string{"c@1"},
		},
		{
			name:    "continuation first",
			in:      " orphan\nPackage: a\n\nPackage: b\nStatus: install ok installed\nVersion: 1\n",
			want:    []string{"b@1"},
			wantErr: "continuation line without a field",
		},
		{
			name:    "duplicate field",
			in:      "Package: a\nPackage: a2\nStatus: install ok installed\nVersion: 1\n",
			wantErr: "duplicate field",
		},
		{name: "empty file", in: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{StatusFile: {Data: []byte(tt.in)}}
			pkgs, err := extractFile(t, fsys, StatusFile, inventory.OS{})
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Extract: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Extract error = %v, want it to contain %q", err, tt.wantErr)
			}
			var got []string
			for _, p := range pkgs {
				got = append(got, p.Name+"@"+p.Version)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestManyBadStanzasBounded(t *testing.T) {
	in := strings.Repeat("garbage\n\n", 1000)
	_, err := extractFile(t, fstest.MapFS{StatusFile: {Data: []byte(in)}}, StatusFile, inventory.OS{})
	if err == nil || !strings.Contains(err.Error(), "990 more bad stanzas") {
		t.Errorf("error = %v, want 10 errors and a count of the rest", err)
	}
}

func TestUbuntuPURL(t *testing.T) {
	in := "Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 3.0.2-0ubuntu1.15\n"
	o := inventory.OS{Family: "ubuntu", Version: "22.04", Codename: "jammy"}
	pkgs, err := extractFile(t, fstest.MapFS{StatusFile: {Data: []byte(in)}}, StatusFile, o)
	if err != nil || len(pkgs) != 1 {
		t.Fatalf("Extract = %v, %v", pkgs, err)
	}
	want := "pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.15?arch=amd64&distro=ubuntu-22.04&upstream=openssl"
	if pkgs[0].PURL != want || pkgs[0].Ecosystem != "ubuntu:22.04" {
		t.Errorf("PURL, Ecosystem = %q, %q; want %q, ubuntu:22.04", pkgs[0].PURL, pkgs[0].Ecosystem, want)
	}
}

func TestWants(t *testing.T) {
	tests := []struct {
		path string
		mode fs.FileMode
		want bool
	}{
		{"var/lib/dpkg/status", 0o644, true},
		{"var/lib/dpkg/status-old", 0o644, false},
		{"var/lib/dpkg/status.d/base-files", 0o644, true},
		{"var/lib/dpkg/status.d/base-files.md5sums", 0o644, true},
		{"var/lib/dpkg/status.d", fs.ModeDir | 0o755, false},
		{"var/lib/dpkg/status.d/sub/x", 0o644, false},
		{"var/lib/dpkg/info/dash.list", 0o644, true},
		{"var/lib/dpkg/info/libc6:amd64.list", 0o644, true},
		{"var/lib/dpkg/info/dash.md5sums", 0o644, false},
		{"usr/var/lib/dpkg/status", 0o644, false},
	}
	for _, tt := range tests {
		if got := (Extractor{}).Wants(tt.path, tt.mode); got != tt.want {
			t.Errorf("Wants(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
	e := New()
	if e.Name() != "os/dpkg" || e.Version() != 1 {
		t.Errorf("Name, Version = %q, %d", e.Name(), e.Version())
	}
}

func TestListFileGivesNothing(t *testing.T) {
	fsys := image(t, "")
	pkgs, err := extractFile(t, fsys, InfoDir+"/dash.list", bookworm)
	if pkgs != nil || err != nil {
		t.Errorf("Extract(.list) = %v, %v; want nil, nil", pkgs, err)
	}
}

func TestContextCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := readTestdata(t, "osv-scalibr_valid.status")
	_, err := Extractor{}.Extract(ctx, extract.Input{Path: StatusFile, Content: b})
	if err == nil {
		t.Error("Extract with canceled context: want error")
	}
}

func FuzzExtract(f *testing.F) {
	for _, name := range []string{"osv-scalibr_valid.status", "claircore_postgresql.status", "status.d/multiple", "status.d/corrupt", "status.d/single"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte("Package: a\r\nVersion: 1\r\n \r\n\tx\n\n\n:\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fsys := fstest.MapFS{StatusFile: {Data: b}}
		pkgs, _ := Extractor{}.Extract(context.Background(), extract.Input{Path: StatusFile, Content: b, FS: fsys})
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" || p.PURL == "" {
				t.Errorf("package with empty identity: %+v", p)
			}
		}
	})
}
