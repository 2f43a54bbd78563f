package rpm

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/extract/osrelease"
	"github.com/customs-scanner/customs/internal/extract/rpm/rpmdb"
	"github.com/customs-scanner/customs/internal/inventory"
)

func readGz(t testing.TB, name string) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// expectedRows reads an expected package list and returns sorted
// "name epoch version release arch sourcerpm modularitylabel" rows. The
// columns are named by the header line (the one starting with "name" or
// "epoch", possibly after "# ").
func expectedRows(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var cols map[string]int
	var rows []string
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		l := strings.TrimPrefix(line, "# ")
		if cols == nil && (strings.HasPrefix(l, "name\t") || strings.HasPrefix(l, "epoch\t")) {
			cols = map[string]int{}
			for i, c := range strings.Split(l, "\t") {
				cols[strings.Fields(c)[0]] = i
			}
			continue
		}
		if strings.HasPrefix(line, "#") || cols == nil {
			continue
		}
		f := strings.Split(line, "\t")
		get := func(c string) string {
			i, ok := cols[c]
			if !ok || i >= len(f) {
				return ""
			}
			return f[i]
		}
		rows = append(rows, strings.Join([]string{get("name"), get("epoch"), get("version"), get("release"), get("arch"), get("sourcerpm"), get("modularitylabel")}, "\t"))
	}
	if cols == nil {
		t.Fatalf("%s: no header line", name)
	}
	sort.Strings(rows)
	return rows
}

func gotRows(pr prepared) []string {
	var rows []string
	for _, p := range pr.Packages {
		ep := ""
		if p.Epoch != nil {
			ep = strconv.Itoa(*p.Epoch)
		}
		rows = append(rows, strings.Join([]string{p.Name, ep, p.Version, p.Release, p.Arch, p.SourceRPM, p.ModularityLabel}, "\t"))
	}
	sort.Strings(rows)
	return rows
}

// fileRows reads an "rpm -qa --qf '[%{=NAME}\t%{FILENAMES}\n]'" listing,
// gzipped when name.gz exists.
func fileRows(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if os.IsNotExist(err) {
		b = readGz(t, name)
	} else if err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	sort.Strings(rows)
	return rows
}

// TestSamples reads real rpm databases of each format and checks that they
// list exactly the packages rpm -qa lists.
func TestSamples(t *testing.T) {
	tests := []struct {
		file, path string
		n          int
		// files is the rpm -qa FILENAMES listing ("" where rpm 4.18 cannot
		// read the format).
		files string
	}{
		{"go-rpmdb_cbl-mariner-2.0_rpmdb.sqlite", SQLiteDB, 129, "go-rpmdb_cbl-mariner-2.0_rpmdb.sqlite.files"},
		{"go-rpmdb_sle15-bci_Packages.db", NDBUsr, 35, ""},
		{"go-rpmdb_libuuid_Packages", BerkeleyDB, 1, "go-rpmdb_libuuid_Packages.files"},
		{"osv-scalibr_Packages_epoch", BerkeleyDB, 1, "osv-scalibr_Packages_epoch.files"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			db := readGz(t, tt.file)
			e := New()
			if !e.Wants(tt.path, 0o644) {
				t.Fatalf("Wants(%q) = false", tt.path)
			}
			b, err := e.Prepare(tt.path, db)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) >= len(db) {
				t.Errorf("prepared %d bytes from a %d-byte database, want fewer", len(b), len(db))
			}
			pr := readDB(t.Context(), db)
			if len(pr.Errors) > 0 {
				t.Errorf("errors: %v", pr.Errors)
			}
			want := expectedRows(t, tt.file+".expected.tsv")
			if len(want) != tt.n {
				t.Errorf("expected file has %d rows, want %d", len(want), tt.n)
			}
			if diff := cmp.Diff(want, gotRows(pr)); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
			pkgs, err := e.Extract(t.Context(), extract.Input{Path: tt.path, Content: b, OS: inventory.OS{Family: "rhel", Version: "9.4"}})
			if err != nil {
				t.Fatal(err)
			}
			if len(pkgs) != tt.n {
				t.Errorf("Extract gave %d packages, want %d", len(pkgs), tt.n)
			}
			var files []string
			for _, p := range pkgs {
				for _, f := range p.Files {
					files = append(files, p.Name+"\t/"+f)
				}
			}
			if tt.files == "" {
				if len(files) == 0 {
					t.Error("no files")
				}
				return
			}
			sort.Strings(files)
			if diff := cmp.Diff(fileRows(t, tt.files), files); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExtractLibuuid(t *testing.T) {
	db := readGz(t, "go-rpmdb_libuuid_Packages")
	fsys := fstest.MapFS{
		osrelease.ContentManifestDir + "/ubi8-minimal-container-8.8-1072.json": {Data: []byte(contentManifest)},
	}
	e := New()
	b, err := e.Prepare(BerkeleyDB, db)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.Extract(t.Context(), extract.Input{Path: BerkeleyDB, Content: b, FS: fsys,
		OS: inventory.OS{Family: "rhel", Version: "8.8"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []inventory.Package{{
		Name:          "libuuid",
		Version:       "2.32.1-42.el8_8",
		Type:          "rpm",
		Arch:          "x86_64",
		SourceName:    "util-linux",
		SourceVersion: "2.32.1-42.el8_8",
		AlsoMatch:     []string{"libuuid"},
		PURL:          "pkg:rpm/redhat/libuuid@2.32.1-42.el8_8?arch=x86_64&distro=rhel-8.8",
		Ecosystem:     "redhat:8",
		Licenses:      []string{"BSD"},
		Files: []string{
			"usr/lib/.build-id",
			"usr/lib/.build-id/df/ef6a880adac817216ab9866779a0725e017647",
			"usr/lib64/libuuid.so.1", "usr/lib64/libuuid.so.1.3.0",
			"usr/share/licenses/libuuid", "usr/share/licenses/libuuid/COPYING",
			"usr/share/licenses/libuuid/COPYING.BSD-3",
		},
		Metadata: Metadata{
			SourceRPM:   "util-linux-2.32.1-42.el8_8.src.rpm",
			Vendor:      "Red Hat, Inc.",
			ContentSets: []string{"rhel-8-for-x86_64-appstream-rpms", "rhel-8-for-x86_64-baseos-rpms"},
		},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Extract (-want +got):\n%s", diff)
	}
}

// contentManifest has the shape of a Red Hat image content manifest
// (see osrelease.ContentSets).
const contentManifest = `{"metadata":{"icm_version":1,"image_layer_index":1},` +
	`"content_sets":["rhel-8-for-x86_64-baseos-rpms","rhel-8-for-x86_64-appstream-rpms"],"image_contents":[]}`

func TestExtractEpoch(t *testing.T) {
	db := readGz(t, "osv-scalibr_Packages_epoch")
	got, err := New().Extract(t.Context(), extract.Input{Path: BerkeleyDB, Content: db,
		OS: inventory.OS{Family: "rocky", Version: "9.3"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d packages, want 1", len(got))
	}
	p := got[0]
	type view struct{ Name, Version, SourceName, SourceVersion, PURL, Ecosystem string }
	want := view{"hello", "1:0.0.1-rls", "hello", "1:0.0.1-rls",
		"pkg:rpm/rocky/hello@0.0.1-rls?arch=x86_64&distro=rocky-9.3&epoch=1", "rocky:9"}
	if diff := cmp.Diff(want, view{p.Name, p.Version, p.SourceName, p.SourceVersion, p.PURL, p.Ecosystem}); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestModular(t *testing.T) {
	ep := 1
	info := rpmdb.Package{Name: "nodejs-docs", Epoch: &ep, Version: "18.16.1", Release: "1.module+el8.8.0+19325+6e2b1f73",
		Arch: "noarch", SourceRPM: "nodejs-18.16.1-1.module+el8.8.0+19325+6e2b1f73.src.rpm",
		ModularityLabel: "nodejs:18:8080020230719050526:ad008a3a"}
	p := toPackage(info, inventory.OS{Family: "rhel", Version: "8.8"}, nil)
	type view struct {
		SourceName, SourceVersion string
		AlsoMatch                 []string
		Module                    string
	}
	want := view{"nodejs:18::nodejs", "1:18.16.1-1.module+el8.8.0+19325+6e2b1f73", []string{"nodejs:18::nodejs-docs"}, "nodejs:18"}
	if diff := cmp.Diff(want, view{p.SourceName, p.SourceVersion, p.AlsoMatch, p.Metadata.(Metadata).Module}); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseSourceRPM(t *testing.T) {
	tests := []struct{ in, name, vr string }{
		{"util-linux-2.32.1-42.el8_8.src.rpm", "util-linux", "2.32.1-42.el8_8"},
		{"ca-certificates-2.0.0-1.cm2.src.rpm", "ca-certificates", "2.0.0-1.cm2"},
		{"foo-1-2.nosrc.rpm", "foo", "1-2"},
		{"(none)", "", ""},
		{"foo-1.src.rpm", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		n, vr, ok := ParseSourceRPM(tt.in)
		if n != tt.name || vr != tt.vr || ok != (tt.name != "") {
			t.Errorf("ParseSourceRPM(%q) = %q, %q, %v; want %q, %q", tt.in, n, vr, ok, tt.name, tt.vr)
		}
	}
}

func TestWants(t *testing.T) {
	e := New()
	for p, want := range map[string]bool{
		SQLiteDB: true, SQLiteDBUsr: true, BerkeleyDB: true, NDB: true, NDBUsr: true,
		"root/buildinfo/content_manifests/ubi9.json": false,
		"root/buildinfo/Dockerfile-ubi9":             false,
		"var/lib/rpm/Basenames":                      false,
		"/var/lib/rpm/Packages":                      false,
	} {
		if got := e.Wants(p, 0); got != want {
			t.Errorf("Wants(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestBadDatabases(t *testing.T) {
	bdb := readGz(t, "go-rpmdb_libuuid_Packages")
	ndb := readGz(t, "go-rpmdb_sle15-bci_Packages.db")
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"garbage", bytes.Repeat([]byte{0xAB}, 4096)},
		{"truncated bdb", bdb[:len(bdb)/2]},
		{"truncated ndb", ndb[:8192]},
		{"sqlite header only", []byte(sqliteMagic + strings.Repeat("\x00", 100))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := New().Prepare(BerkeleyDB, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			_, err = New().Extract(t.Context(), extract.Input{Path: BerkeleyDB, Content: b})
			if err == nil {
				t.Error("Extract of a bad database gave no error")
			}
		})
	}
}

func TestNamespace(t *testing.T) {
	for fam, want := range map[string]string{
		"rhel": "redhat", "centos": "centos", "rocky": "rocky", "almalinux": "almalinux", "fedora": "fedora",
		"amzn": "amazon", "opensuse-leap": "opensuse", "opensuse-tumbleweed": "opensuse", "sles": "suse",
		"ol": "oracle", "mariner": "mariner", "azurelinux": "mariner", "photon": "photon", "": "",
	} {
		if got := Namespace(inventory.OS{Family: fam}); got != want {
			t.Errorf("Namespace(%q) = %q, want %q", fam, got, want)
		}
	}
}

// TestReadFileDigests: each package of a Berkeley DB and of an SQLite
// rpmdb comes with one digest per file ("" for directories and links),
// in the header's algorithm.
func TestReadFileDigests(t *testing.T) {
	for _, tc := range []struct{ file, algo string }{
		{"go-rpmdb_libuuid_Packages", "sha256"},
		{"go-rpmdb_cbl-mariner-2.0_rpmdb.sqlite", "sha256"},
	} {
		n, withDigest := 0, 0
		err := ReadFileDigests(t.Context(), readGz(t, tc.file), func(d rpmdb.FileDigests) {
			n++
			if d.Algorithm != tc.algo || len(d.Digests) != len(d.Files) {
				t.Errorf("%s: %s: algorithm %s, %d digests for %d files", tc.file, d.Name, d.Algorithm, len(d.Digests), len(d.Files))
			}
			for _, dg := range d.Digests {
				if dg != "" {
					withDigest++
					if len(dg) != 64 {
						t.Errorf("%s: %s: digest %q", tc.file, d.Name, dg)
					}
				}
			}
		})
		if err != nil || n == 0 || withDigest == 0 {
			t.Errorf("%s: %d packages, %d digests, %v", tc.file, n, withDigest, err)
		}
	}
}
