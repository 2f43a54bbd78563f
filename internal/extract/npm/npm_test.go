package npm

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/golden"
	"github.com/customs-scanner/customs/internal/inventory"
)

// lockfiles are the real lockfiles in testdata (see README.md), each
// offered under the path the walker would give it.
var lockfiles = []struct {
	file, path string
	count      int
}{
	{"trivy_package-lock_v1.json", "app/package-lock.json", 31},
	{"trivy_package-lock_v2.json", "app/package-lock.json", 31},
	{"trivy_package-lock_v3.json", "app/package-lock.json", 31},
	{"trivy_package-lock_v3_with_workspace.json", "app/package-lock.json", 5},
	{"trivy-repo_package-lock.json", "npm-shrinkwrap.json", 13},
	{"vuln-sample.package-lock.json", "srv/package-lock.json", 65},
	{"trivy-repo_yarn.lock", "app/yarn.lock", 3},
	{"trivy_yarn_v2_happy.lock", "app/yarn.lock", 17},
	{"trivy_yarn_with_aliases.lock", "yarn.lock", 4},
	{"trivy_pnpm-lock_v5.yaml", "pnpm-lock.yaml", 3},
	{"trivy-repo_pnpm-lock_v6.yaml", "pnpm-lock.yaml", 2},
	{"trivy_pnpm-lock_v9.yaml", "app/pnpm-lock.yaml", 21},
}

func extractFile(t testing.TB, file, path string) ([]inventory.Package, error) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	return New().Extract(t.Context(), extract.Input{Path: path, Content: b})
}

// summary is one line per package: PURL, flags, licenses and dependencies,
// the form the golden files keep.
func summary(pkgs []inventory.Package) string {
	var b strings.Builder
	for _, p := range pkgs {
		fmt.Fprintf(&b, "%s", p.PURL)
		if m, ok := p.Metadata.(Metadata); ok {
			for _, f := range []struct {
				on   bool
				name string
			}{{m.Dev, "dev"}, {m.Optional, "optional"}, {m.Workspace, "workspace"}} {
				if f.on {
					fmt.Fprintf(&b, " [%s]", f.name)
				}
			}
			if m.Author != "" {
				fmt.Fprintf(&b, " author=%q", m.Author)
			}
		}
		if len(p.Licenses) > 0 {
			fmt.Fprintf(&b, " licenses=%s", strings.Join(p.Licenses, ","))
		}
		for _, d := range p.DependsOn {
			fmt.Fprintf(&b, "\n\t-> %s", d)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", "golden", name+".txt"), []byte(got))
}

func TestLockfilesGolden(t *testing.T) {
	for _, tc := range lockfiles {
		t.Run(tc.file, func(t *testing.T) {
			pkgs, err := extractFile(t, tc.file, tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if len(pkgs) != tc.count {
				t.Errorf("got %d packages, want %d", len(pkgs), tc.count)
			}
			for _, p := range pkgs {
				if p.Type != "npm" || p.Ecosystem != "npm" || p.Name == "" || p.Version == "" {
					t.Errorf("incomplete package %+v", p)
				}
			}
			checkGolden(t, tc.file, summary(pkgs))
		})
	}
}

// TestLockfilePackages pins a few packages of each format exactly,
// independently of the golden files.
func TestLockfilePackages(t *testing.T) {
	tests := []struct {
		file, path string
		want       inventory.Package
	}{
		{
			// lockfile v1: "requires" resolved to the nested copy.
			file: "trivy_package-lock_v1.json", path: "package-lock.json",
			want: inventory.Package{
				Name: "debug", Version: "2.5.2", Type: "npm", Ecosystem: "npm", PURL: "pkg:npm/debug@2.5.2",
				DependsOn: []string{"pkg:npm/ms@0.7.2"},
				Metadata: Metadata{Dev: true, Resolved: "https://npm-registry.invalid/debug/-/debug-2.5.2.tgz",
					Integrity: "sha512-iHrIBaTK1JzBz5WvitFmZGaTCO/mHiU3NKi8UKjh7rU2JboIbVMZU7pFSCpvc2NxfkrvyaQ5zfdNRJnft/TcoQ=="},
			},
		},
		{
			// lockfile v3: nested node_modules path resolution.
			file: "trivy_package-lock_v3.json", path: "package-lock.json",
			want: inventory.Package{
				Name: "debug", Version: "2.5.2", Type: "npm", Ecosystem: "npm", PURL: "pkg:npm/debug@2.5.2",
				DependsOn: []string{"pkg:npm/ms@0.7.2"},
				Metadata: Metadata{Dev: true, Resolved: "https://npm-registry.invalid/debug/-/debug-2.5.2.tgz",
					Integrity: "sha512-iHrIBaTK1JzBz5WvitFmZGaTCO/mHiU3NKi8UKjh7rU2JboIbVMZU7pFSCpvc2NxfkrvyaQ5zfdNRJnft/TcoQ=="},
			},
		},
		{
			// a workspace member, named by the link that points at it; its
			// own node_modules wins over the root's.
			file: "trivy_package-lock_v3_with_workspace.json", path: "package-lock.json",
			want: inventory.Package{
				Name: "nested_func", Version: "1.0.0", Type: "npm", Ecosystem: "npm", PURL: "pkg:npm/nested_func@1.0.0",
				Licenses: []string{"ISC"}, DependsOn: []string{"pkg:npm/debug@2.6.9"},
				Metadata: Metadata{Workspace: true},
			},
		},
		{
			file: "trivy_yarn_v2_happy.lock", path: "yarn.lock",
			want: inventory.Package{
				Name: "ansi-styles", Version: "4.2.1", Type: "npm", Ecosystem: "npm", PURL: "pkg:npm/ansi-styles@4.2.1",
				DependsOn: []string{"pkg:npm/%40types/color-name@1.1.1", "pkg:npm/color-convert@2.0.1"},
			},
		},
		{
			file: "trivy-repo_yarn.lock", path: "yarn.lock",
			want: inventory.Package{
				Name: "promise", Version: "8.0.3", Type: "npm", Ecosystem: "npm", PURL: "pkg:npm/promise@8.0.3",
				DependsOn: []string{"pkg:npm/asap@2.0.6"},
				Metadata: Metadata{Resolved: "https://yarn-registry.invalid/promise/-/promise-8.0.3.tgz#f592e099c6cddc000d538ee7283bb190452b0bf6",
					Integrity: "sha512-HeRDUL1RJiLhyA0/grn+PTShlBAcLuh/1BJGtrvjwbvRDCTLLMEz9rOGCV+R3vHY4MixIuoMEd9Yq/XvsTPcjw=="},
			},
		},
		{
			// an alias installs the package it names.
			file: "trivy_yarn_with_aliases.lock", path: "yarn.lock",
			want: inventory.Package{
				Name: "@rootio/braces", Version: "3.0.2-root.io.1", Type: "npm", Ecosystem: "npm",
				PURL: "pkg:npm/%40rootio/braces@3.0.2-root.io.1", DependsOn: []string{"pkg:npm/fill-range@7.0.1"},
				Metadata: Metadata{Resolved: "https://pkg.root.io/npm/@rootio/braces/-/braces-3.0.2-root.io.1.tgz#a74cd5712414f374d0bde3eba741a8e98063aea6",
					Integrity: "sha512-WnnAm4Y1VcaZdioQuQCruhvn6kd52e2pntzi1b+nUHTqntS4W73oWrwZ+8HtM7MerqR5S/ZZ5r8tDbY3r53shA=="},
			},
		},
		{
			file: "trivy_pnpm-lock_v5.yaml", path: "pnpm-lock.yaml",
			want: inventory.Package{
				Name: "promise", Version: "8.1.0", Type: "npm", Ecosystem: "npm", PURL: "pkg:npm/promise@8.1.0",
				DependsOn: []string{"pkg:npm/asap@2.0.6"},
				Metadata:  Metadata{Integrity: "sha512-W04AqnILOL/sPRXziNicCjSNRruLAuIHEOVBazepu0545DDNGYHz7ar9ZgZ1fMU8/MA4mVxp5rkBWRi6OXIy3Q=="},
			},
		},
		{
			// 9.x: dependencies from snapshots (peer suffix dropped, the
			// uninstalled peer skipped), dev from reachability.
			file: "trivy_pnpm-lock_v9.yaml", path: "pnpm-lock.yaml",
			want: inventory.Package{
				Name: "debug", Version: "4.3.4", Type: "npm", Ecosystem: "npm", PURL: "pkg:npm/debug@4.3.4",
				DependsOn: []string{"pkg:npm/ms@2.0.0"},
				Metadata:  Metadata{Integrity: "sha512-PRWFHuSU3eDtQJPvnNY7Jcket1j0t5OuOsFzPPzsekD52Zl8qUfFIPEiswXqIvHWGVHOgX+7G/vCNNhehwxfkQ=="},
			},
		},
		{
			file: "trivy_pnpm-lock_v9.yaml", path: "pnpm-lock.yaml",
			want: inventory.Package{
				Name: "jquery", Version: "3.6.0", Type: "npm", Ecosystem: "npm", PURL: "pkg:npm/jquery@3.6.0",
				Metadata: Metadata{Dev: true, Integrity: "sha512-JVzAR/AjBvVt2BmYhxRCSYysDsPcssdmTFnzyLEts9qNwmjmu4JTAMYubEfwVOSwpQ1I1sKKFcxhZCI2buerfw=="},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.want.Name, func(t *testing.T) {
			pkgs, err := extractFile(t, tt.file, tt.path)
			if err != nil {
				t.Fatal(err)
			}
			var got *inventory.Package
			for i := range pkgs {
				if pkgs[i].PURL == tt.want.PURL {
					got = &pkgs[i]
				}
			}
			if got == nil {
				t.Fatalf("%s not found", tt.want.PURL)
			}
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestLockfileVersionsAgree checks that the v1, v2 and v3 lockfiles of the
// same project give the same packages and dependencies.
func TestLockfileVersionsAgree(t *testing.T) {
	ignore := cmpopts.IgnoreFields(inventory.Package{}, "Metadata", "Licenses")
	v1, err := extractFile(t, "trivy_package-lock_v1.json", "package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"trivy_package-lock_v2.json", "trivy_package-lock_v3.json"} {
		got, err := extractFile(t, f, "package-lock.json")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(v1, got, ignore); diff != "" {
			t.Errorf("%s differs from v1 (-v1 +got):\n%s", f, diff)
		}
	}
}

func TestWants(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"app/package-lock.json", true},
		{"package-lock.json", true},
		{"srv/npm-shrinkwrap.json", true},
		{"app/yarn.lock", true},
		{"app/pnpm-lock.yaml", true},
		{"app/node_modules/foo/package-lock.json", false},
		{"app/node_modules/foo/yarn.lock", false},
		{"app/package.json", false},
		{"app/node_modules/foo/package.json", true},
		{"node_modules/foo/package.json", true},
		{"app/node_modules/@scope/foo/package.json", true},
		{"app/node_modules/a/node_modules/b/package.json", true},
		{"app/node_modules/.pnpm/lodash@4.17.4/node_modules/lodash/package.json", true},
		{"app/node_modules/foo/test/fixtures/package.json", false},
		{"app/node_modules/resolve/test/resolver/node_modules/foo/package.json", false},
		{"app/node_modules/@s/a/node_modules/@t/b/package.json", true},
		{"usr/share/nodejs/undici/node_modules/busboy/package.json", true},
		{"app/node_modules/foo/dist/package.json", false},
		{"app/node_modules/@scope/package.json", false},
		{"app/node_modules/.bin/package.json", false},
		{"usr/local/lib/node_modules/npm/package.json", true},
		{"usr/lib/node_modules/corepack/package.json", true},
		{"usr/share/nodejs/acorn/package.json", true},
		{"usr/share/nodejs/@types/node/package.json", true},
		{"usr/lib/nodejs/foo/package.json", true},
		{"usr/lib/x86_64-linux-gnu/nodejs/foo/package.json", true},
		{"usr/share/nodejs/acorn/dist/package.json", false},
		{"usr/share/doc/foo/package.json", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if got := New().Wants(tt.path, 0o644); got != tt.want {
				t.Errorf("Wants(%q) = %v, want %v", tt.path, got, tt.want)
			}
		})
	}
}

// TestInstalledRootfs runs over the package.json files of Debian
// bookworm's usr/share/nodejs (testdata/rootfs), as the walker would.
func TestInstalledRootfs(t *testing.T) {
	root := os.DirFS(filepath.Join("testdata", "rootfs"))
	e := New()
	var pkgs []inventory.Package
	err := fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !e.Wants(p, d.Type()) {
			return err
		}
		b, err := fs.ReadFile(root, p)
		if err != nil {
			return err
		}
		got, err := e.Extract(t.Context(), extract.Input{Path: p, Content: b})
		if err != nil {
			t.Errorf("%s: %v", p, err)
		}
		// The prepared (compact) form gives the same packages.
		prep, err := e.Prepare(p, b)
		if err != nil {
			t.Errorf("Prepare(%s): %v", p, err)
		}
		viaPrep, err := e.Extract(t.Context(), extract.Input{Path: p, Content: prep})
		if err != nil {
			t.Errorf("%s prepared: %v", p, err)
		}
		if diff := cmp.Diff(got, viaPrep); diff != "" {
			t.Errorf("%s: prepared differs (-raw +prepared):\n%s", p, diff)
		}
		pkgs = append(pkgs, got...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 25 {
		t.Errorf("got %d packages, want 25", len(pkgs))
	}
	checkGolden(t, "rootfs-usr-share-nodejs", summary(pkgs))
}

func TestManifest(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []inventory.Package
		wantErr bool
	}{
		{
			name: "license object, author object",
			in:   `{"name":"@scope/x","version":"1.0.0","license":{"type":"MIT","url":"u"},"author":{"name":"A","email":"a@b"}}`,
			want: []inventory.Package{{Name: "@scope/x", Version: "1.0.0", Type: "npm", Ecosystem: "npm",
				PURL: "pkg:npm/%40scope/x@1.0.0", Licenses: []string{"MIT"}, Metadata: Metadata{Author: "A <a@b>"}}},
		},
		{
			name: "licenses array of strings and objects",
			in:   `{"name":"x","version":"2.0.0","licenses":["MIT",{"type":"Apache-2.0"}]}`,
			want: []inventory.Package{{Name: "x", Version: "2.0.0", Type: "npm", Ecosystem: "npm",
				PURL: "pkg:npm/x@2.0.0", Licenses: []string{"MIT", "Apache-2.0"}}},
		},
		{name: "no version", in: `{"name":"x"}`},
		{name: "no name", in: `{"version":"1.0.0","type":"module"}`},
		{name: "bad name", in: `{"name":"a/b/c","version":"1.0.0"}`, wantErr: true},
		{name: "not json", in: `{"name":`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := New().Extract(t.Context(), extract.Input{Path: "node_modules/x/package.json", Content: []byte(tt.in)})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestLockfileV1Versions covers the non-registry versions of lockfile v1:
// aliases install the real package, git URLs and local paths name no
// release and are left out.
func TestLockfileV1Versions(t *testing.T) {
	in := `{"lockfileVersion": 1, "dependencies": {
		"sw": {"version": "npm:string-width@4.2.3", "requires": {"ar": "npm:ansi-regex@5.0.1"}},
		"ar": {"version": "npm:ansi-regex@5.0.1"},
		"g": {"version": "git+https://github.com/a/g.git#0123abc"},
		"local": {"version": "file:../local", "requires": {"ar": "*"}}
	}}`
	got, err := New().Extract(t.Context(), extract.Input{Path: "package-lock.json", Content: []byte(in)})
	if err != nil {
		t.Fatal(err)
	}
	want := []inventory.Package{
		{Name: "ansi-regex", Version: "5.0.1", Type: "npm", Ecosystem: "npm", PURL: "pkg:npm/ansi-regex@5.0.1"},
		{Name: "string-width", Version: "4.2.3", Type: "npm", Ecosystem: "npm", PURL: "pkg:npm/string-width@4.2.3",
			DependsOn: []string{"pkg:npm/ansi-regex@5.0.1"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestBadLockfiles(t *testing.T) {
	tests := []struct {
		name, path, in string
		wantPkgs       int
	}{
		{"truncated json", "package-lock.json", `{"lockfileVersion": 3, "packages": {`, 0},
		{"bad yaml", "pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages: [", 0},
		{"no pnpm version", "pnpm-lock.yaml", "packages: {}\n", 0},
		{"bad berry", "yarn.lock", "__metadata:\n  version: 6\n\"a@npm:1\": [1, 2\n", 0},
		{"yarn v1 bad entry kept going", "yarn.lock", "a@^1:\n  version \"1.0.0\"\nnot an entry\n  version \"x\"\nb@^2:\n  version \"2.0.0\"\n  dependencies:\n    a \"^1\"\n", 2},
		{"deep v1 nesting", "package-lock.json", `{"lockfileVersion":1,"dependencies":` + strings.Repeat(`{"a":{"version":"1.0.0","dependencies":`, 300) + `{}` + strings.Repeat(`}}`, 300) + `}`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := New().Extract(t.Context(), extract.Input{Path: tt.path, Content: []byte(tt.in)})
			if err == nil {
				t.Error("no error")
			}
			if len(got) != tt.wantPkgs {
				t.Errorf("got %d packages, want %d: %+v", len(got), tt.wantPkgs, got)
			}
		})
	}
}

// TestLockfileSameOutputEveryTime: a package a lockfile lists twice, once
// with its tarball and once without (a shrinkwrap's nested copy), gets
// the metadata of its first entry in key order, not of whichever entry a
// map gave first.
func TestLockfileSameOutputEveryTime(t *testing.T) {
	for _, in := range []string{
		`{"lockfileVersion": 1, "dependencies": {
			"a": {"version": "1.0.0", "dev": true, "dependencies": {"x": {"version": "2.0.0", "dev": true}}},
			"b": {"version": "1.0.0", "dependencies": {"x": {"version": "2.0.0", "resolved": "https://example.org/x-2.0.0.tgz", "integrity": "sha1-x"}}},
			"x": {"version": "2.0.0", "integrity": "sha1-y"}
		}}`,
		`{"lockfileVersion": 3, "packages": {
			"node_modules/a": {"version": "1.0.0", "dev": true},
			"node_modules/a/node_modules/x": {"version": "2.0.0", "dev": true},
			"node_modules/b/node_modules/x": {"version": "2.0.0", "resolved": "https://example.org/x-2.0.0.tgz", "integrity": "sha1-x"},
			"node_modules/x": {"version": "2.0.0", "integrity": "sha1-y"}
		}}`,
	} {
		first, err := New().Extract(t.Context(), extract.Input{Path: "package-lock.json", Content: []byte(in)})
		if err != nil {
			t.Fatal(err)
		}
		for range 30 {
			got, err := New().Extract(t.Context(), extract.Input{Path: "package-lock.json", Content: []byte(in)})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(first, got); diff != "" {
				t.Fatalf("a second extraction differs (-first +then):\n%s", diff)
			}
		}
	}
}
