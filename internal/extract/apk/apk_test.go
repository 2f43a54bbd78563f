package apk

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/inventory"
)

var alpine310 = inventory.OS{Family: "alpine", Version: "3.10.4", Name: "Alpine Linux v3.10"}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func run(t *testing.T, content []byte, o inventory.OS) ([]inventory.Package, error) {
	t.Helper()
	return Extractor{}.Extract(context.Background(), extract.Input{Path: InstalledDB, Content: content, OS: o})
}

func TestInstalledFiles(t *testing.T) {
	tests := []struct {
		file  string
		os    inventory.OS
		want  int // grep -c '^P:'
		check []inventory.Package
	}{
		{
			file: "trivy-image_alpine-310_installed", os: alpine310, want: 14,
			check: []inventory.Package{
				{
					Name: "libssl1.1", Version: "1.1.1d-r2", Type: "apk", Arch: "x86_64",
					SourceName: "openssl", SourceVersion: "1.1.1d-r2",
					PURL:      "pkg:apk/alpine/libssl1.1@1.1.1d-r2?arch=x86_64&distro=alpine-3.10.4&upstream=openssl",
					Ecosystem: "alpine:3.10",
					Files:     []string{"lib/libssl.so.1.1", "usr/lib/libssl.so.1.1"},
					Licenses:  []string{"OpenSSL"},
					Metadata: Metadata{
						Maintainer: "Timo Teras <timo.teras@iki.fi>", BuildTime: 1577370113,
						Commit: "a27739f065dcbb1cbd3d59a5afff5656ca312abc",
					},
				},
				{
					Name: "musl", Version: "1.1.22-r3", Type: "apk", Arch: "x86_64",
					SourceName: "musl", SourceVersion: "1.1.22-r3",
					PURL:      "pkg:apk/alpine/musl@1.1.22-r3?arch=x86_64&distro=alpine-3.10.4",
					Ecosystem: "alpine:3.10",
					Files:     []string{"lib/libc.musl-x86_64.so.1", "lib/ld-musl-x86_64.so.1"},
					Licenses:  []string{"MIT"},
					Metadata: Metadata{
						Maintainer: "Timo Teräs <timo.teras@iki.fi>", BuildTime: 1565162130,
						Commit: "0c777cf840e82cdc528651e3f3f8f9dda6b1b028",
					},
				},
			},
		},
		{file: "trivy-image_alpine-311_installed", os: inventory.OS{Family: "alpine", Version: "3.11.5"}, want: 14},
		{
			file: "osv-scalibr_installed", want: 15,
			check: []inventory.Package{{
				Name: "ca-certificates-bundle", Version: "20230506-r0", Type: "apk", Arch: "x86_64",
				SourceName: "ca-certificates", SourceVersion: "20230506-r0",
				// Unknown OS: namespace alpine, no distro, no ecosystem.
				PURL:     "pkg:apk/alpine/ca-certificates-bundle@20230506-r0?arch=x86_64&upstream=ca-certificates",
				Licenses: []string{"MPL-2.0 AND MIT"},
			}},
		},
		{file: "syft_multiple-2_installed", want: 14},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			pkgs, err := run(t, readTestdata(t, tt.file), tt.os)
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if len(pkgs) != tt.want {
				t.Errorf("got %d packages, want %d", len(pkgs), tt.want)
			}
			got := map[string]inventory.Package{}
			for _, p := range pkgs {
				got[p.Name] = p
			}
			for _, want := range tt.check {
				g := got[want.Name]
				if want.Files == nil {
					g.Files = nil
				}
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

func TestFileCount(t *testing.T) {
	// Every R: line becomes one file.
	b := readTestdata(t, "trivy-image_alpine-310_installed")
	pkgs, err := run(t, b, alpine310)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range pkgs {
		n += len(p.Files)
	}
	if want := strings.Count(string(b), "\nR:"); n != want {
		t.Errorf("got %d files, want %d", n, want)
	}
}

func TestMalformed(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{
			name: "crlf and trailing garbage",
			in:   "P:a\r\nV:1-r0\r\nF:usr/bin\r\nR:a\r\n\r\nP:b\nV:2-r0\n\n\x00garbage",
			want: []string{"a@1-r0", "b@2-r0"}, wantErr: "line 9",
		},
		{name: "no version", in: "P:a\n\nP:b\nV:1\n", want: []string{"b@1"}, wantErr: "package a: no V:"},
		{name: "no name", in: "V:1\n", wantErr: "no P:"},
		{name: "bad build time", in: "P:a\nV:1\nt:soon\n", wantErr: "build time"},
		{name: "file with slash", in: "P:a\nV:1\nR:../etc/passwd\n", wantErr: "bad file name"},
		{name: "empty", in: ""},
		{name: "blank lines only", in: "\n\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := run(t, []byte(tt.in), inventory.OS{})
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

func TestManyBadRecordsBounded(t *testing.T) {
	_, err := run(t, []byte(strings.Repeat("garbage\n\n", 100)), inventory.OS{})
	if err == nil || !strings.Contains(err.Error(), "90 more bad packages") {
		t.Errorf("error = %v, want 10 errors and a count of the rest", err)
	}
}

func TestWants(t *testing.T) {
	e := New()
	for _, tt := range []struct {
		path string
		mode fs.FileMode
		want bool
	}{
		{"lib/apk/db/installed", 0o644, true},
		{"lib/apk/db/installed", fs.ModeDir, false},
		{"/lib/apk/db/installed", 0o644, false},
		{"lib/apk/db/triggers", 0o644, false},
	} {
		if got := e.Wants(tt.path, tt.mode); got != tt.want {
			t.Errorf("Wants(%q, %v) = %v, want %v", tt.path, tt.mode, got, tt.want)
		}
	}
	if e.Name() != "os/apk" || e.Version() != 1 {
		t.Errorf("Name, Version = %q, %d", e.Name(), e.Version())
	}
	if pkgs, err := e.Extract(context.Background(), extract.Input{Path: "etc/x", Content: []byte("P:a\nV:1\n")}); pkgs != nil || err != nil {
		t.Errorf("Extract(other path) = %v, %v; want nil, nil", pkgs, err)
	}
}

func FuzzExtract(f *testing.F) {
	f.Add(readTestdata(f, "trivy-image_alpine-310_installed"))
	f.Add(readTestdata(f, "syft_multiple-2_installed"))
	f.Add([]byte("P:a\r\nV:1\nF:\nR:x\n\nC\n:\nt:99999999999999999999\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pkgs, _ := Extractor{}.Extract(context.Background(), extract.Input{Path: InstalledDB, Content: b, OS: alpine310})
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" || p.PURL == "" {
				t.Errorf("package with empty identity: %+v", p)
			}
		}
	})
}
