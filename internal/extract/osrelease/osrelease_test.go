package osrelease

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/inventory"
)

func fixture(t testing.TB, name string) *fstest.MapFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return &fstest.MapFile{Data: b, Mode: 0o644}
}

// detectCase is one image: its release files, the OS Detect finds and
// the advisory namespace that OS names.
type detectCase struct {
	name    string
	fsys    fstest.MapFS
	want    inventory.OS
	wantEco string
}

func runDetect(t *testing.T, tests []detectCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Detect(tt.fsys)
			if err != nil {
				t.Fatalf("Detect: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Detect (-want +got):\n%s", diff)
			}
			if eco := Ecosystem(got); eco != tt.wantEco {
				t.Errorf("Ecosystem = %q, want %q", eco, tt.wantEco)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	runDetect(t, []detectCase{
		{
			name: "alpine 3.10 image",
			fsys: fstest.MapFS{
				"etc/os-release":     fixture(t, "alpine-3.10.os-release"),
				"etc/alpine-release": fixture(t, "alpine-3.10.alpine-release"),
			},
			want:    inventory.OS{Family: "alpine", Version: "3.10.4", Name: "Alpine Linux v3.10"},
			wantEco: "alpine:3.10",
		},
		{
			name: "alpine-release only",
			fsys: fstest.MapFS{"etc/alpine-release": fixture(t, "alpine-3.10.alpine-release")},
			want: inventory.OS{Family: "alpine", Version: "3.10.4"}, wantEco: "alpine:3.10",
		},
		{
			name: "debian 12 via symlink to usr/lib",
			fsys: fstest.MapFS{
				"usr/lib/os-release": fixture(t, "debian-12.os-release"),
				"etc/os-release":     &fstest.MapFile{Data: []byte("../usr/lib/os-release"), Mode: fs.ModeSymlink | 0o777},
				"etc/debian_version": fixture(t, "debian-12.debian_version"),
			},
			want:    inventory.OS{Family: "debian", Version: "12", Codename: "bookworm", Name: "Debian GNU/Linux 12 (bookworm)"},
			wantEco: "debian:12",
		},
		{
			name: "debian 12 usr/lib only",
			fsys: fstest.MapFS{"usr/lib/os-release": fixture(t, "debian-12.os-release")},
			want: inventory.OS{Family: "debian", Version: "12", Codename: "bookworm", Name: "Debian GNU/Linux 12 (bookworm)"}, wantEco: "debian:12",
		},
		{
			name: "debian codename from VERSION",
			fsys: fstest.MapFS{"etc/os-release": {Data: []byte("ID=debian\nVERSION_ID=\"11\"\nVERSION=\"11 (bullseye)\"\n")}},
			want: inventory.OS{Family: "debian", Version: "11", Codename: "bullseye"}, wantEco: "debian:11",
		},
		{
			name: "debian_version only, point release",
			fsys: fstest.MapFS{"etc/debian_version": {Data: []byte("12.5\n")}},
			want: inventory.OS{Family: "debian", Version: "12", Codename: "bookworm"}, wantEco: "debian:12",
		},
		{
			name: "debian testing",
			fsys: fstest.MapFS{
				"etc/os-release":     fixture(t, "debian-testing.os-release"),
				"etc/debian_version": {Data: []byte("trixie/sid\n")},
			},
			want:    inventory.OS{Family: "debian", Codename: "trixie", Name: "Debian GNU/Linux trixie/sid"},
			wantEco: "debian:13",
		},
		{
			name: "debian_version only, unknown codename",
			fsys: fstest.MapFS{"etc/debian_version": {Data: []byte("sid\n")}},
			want: inventory.OS{Family: "debian", Codename: "sid"}, wantEco: "debian:unstable",
		},
		{
			name: "ubuntu ignores debian_version",
			fsys: fstest.MapFS{
				"etc/os-release":     fixture(t, "ubuntu-22.04.os-release"),
				"etc/debian_version": {Data: []byte("bookworm/sid\n")},
			},
			want:    inventory.OS{Family: "ubuntu", Version: "22.04", Codename: "jammy", Name: "Ubuntu 22.04.5 LTS"},
			wantEco: "ubuntu:22.04",
		},
		{
			name: "rhel, quoted values",
			fsys: fstest.MapFS{"etc/os-release": {Data: []byte("ID=\"rhel\"\nVERSION_ID=\"9.4\"\nPRETTY_NAME='Red Hat Enterprise Linux 9.4 (Plow)'\n")}},
			want: inventory.OS{Family: "rhel", Version: "9.4", Name: "Red Hat Enterprise Linux 9.4 (Plow)"}, wantEco: "redhat:9",
		},
		{
			name: "other family",
			fsys: fstest.MapFS{"etc/os-release": {Data: []byte("ID=wolfi\nVERSION_ID=\"20230201\"\n")}},
			want: inventory.OS{Family: "wolfi", Version: "20230201"}, wantEco: "wolfi:20230201",
		},
		{
			name: "nothing",
			fsys: fstest.MapFS{"bin/sh": {Data: []byte("x")}},
			want: inventory.OS{}, wantEco: "",
		},
	})
}

func TestDetectReadError(t *testing.T) {
	// etc/os-release is a directory: a real read error, not "absent".
	fsys := fstest.MapFS{"etc/os-release/x": {Data: []byte("ID=debian")}}
	_, err := Detect(fsys)
	if err == nil || !strings.Contains(err.Error(), "etc/os-release") {
		t.Errorf("Detect error = %v, want one naming etc/os-release", err)
	}
}

func TestEcosystem(t *testing.T) {
	tests := []struct {
		os   inventory.OS
		want string
	}{
		{inventory.OS{Family: "debian", Version: "12.5"}, "debian:12"},
		{inventory.OS{Family: "debian"}, ""},
		{inventory.OS{Family: "ubuntu", Version: "22"}, ""},
		{inventory.OS{Family: "alpine", Version: "3.19.1"}, "alpine:3.19"},
		{inventory.OS{Family: "alpine", Version: "edge"}, ""},
		{inventory.OS{Family: "wolfi"}, ""},
		{inventory.OS{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.os.Family+"/"+tt.os.Version, func(t *testing.T) {
			if got := Ecosystem(tt.os); got != tt.want {
				t.Errorf("Ecosystem(%+v) = %q, want %q", tt.os, got, tt.want)
			}
		})
	}
}

func TestWants(t *testing.T) {
	for p, want := range map[string]bool{
		"etc/os-release": true, "usr/lib/os-release": true, "etc/alpine-release": true,
		"etc/debian_version": true, "/etc/os-release": false, "etc/lsb-release": false,
	} {
		if got := Wants(p); got != want {
			t.Errorf("Wants(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	in := "# comment\nA=plain\nB=\"dq \\\"x\\\" \\$y \\\\ z\"\nC='sq \\n'\n bad line\nD =x\n=x\nE=\n"
	want := map[string]string{"A": "plain", "B": `dq "x" $y \ z`, "C": `sq \n`, "E": ""}
	if diff := cmp.Diff(want, Parse([]byte(in))); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
}

func FuzzDetect(f *testing.F) {
	for _, name := range []string{"alpine-3.10.os-release", "debian-12.os-release", "ubuntu-22.04.os-release", "debian-testing.os-release"} {
		f.Add(fixture(f, name).Data, []byte("12.5\n"), []byte("3.10.4\n"))
	}
	f.Add([]byte("ID=debian\n"), []byte("bookworm/sid"), []byte(""))
	f.Fuzz(func(t *testing.T, osr, debv, alp []byte) {
		fsys := fstest.MapFS{
			"etc/os-release":     {Data: osr},
			"etc/debian_version": {Data: debv},
			"etc/alpine-release": {Data: alp},
		}
		o, err := Detect(fsys)
		if err != nil {
			t.Fatal(err)
		}
		_ = Ecosystem(o)
	})
}
