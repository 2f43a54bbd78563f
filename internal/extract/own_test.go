package extract_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/extract/apk"
	"github.com/customs-scanner/customs/internal/extract/binary"
	"github.com/customs-scanner/customs/internal/extract/dpkg"
	"github.com/customs-scanner/customs/internal/extract/gobinary"
	"github.com/customs-scanner/customs/internal/extract/gobinary/gobinarytest"
	"github.com/customs-scanner/customs/internal/extract/java"
	"github.com/customs-scanner/customs/internal/extract/python"
	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/layerfs"
)

func readTD(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestOwnership: Debian's python3-requests installs requests' egg-info, so
// requests is reported once, as part of the dpkg package, unless both views
// are asked for; with merged /usr the dpkg list may name the file through a
// symlinked directory.
func TestOwnership(t *testing.T) {
	const egg = "usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO"
	list := readTD(t, "python3-requests.list")
	for _, tc := range []struct {
		name   string
		list   string
		linked bool
	}{
		{"paths as installed", list, false},
		{"merged /usr", strings.ReplaceAll(list, "/usr/lib/python3", "/lib/python3"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &layerfs.Layer{Files: map[string][]byte{
				"var/lib/dpkg/status":                     []byte(readTD(t, "python3-requests.status")),
				"var/lib/dpkg/info/python3-requests.list": []byte(tc.list),
				egg: []byte(readTD(t, "requests-2.28.1.PKG-INFO")),
			}}
			for p, b := range l.Files {
				l.Entries = append(l.Entries, layerfs.Entry{Path: p, Mode: 0o644, Size: int64(len(b))})
			}
			if tc.linked {
				l.Entries = append(l.Entries, layerfs.Entry{Path: "lib", Mode: 0o777 | 1<<27, Linkname: "usr/lib"})
			}
			exts := []extract.Extractor{dpkg.New(), python.New()}
			infos := []extract.LayerInfo{{DiffID: "sha256:aa"}}
			for _, keep := range []bool{false, true} {
				res, err := extract.Run(t.Context(), []*layerfs.Layer{l}, infos, exts, extract.Options{KeepOwned: keep})
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, p := range res.Packages {
					names = append(names, p.Type+":"+p.Name)
				}
				want := []string{"deb:python3-requests"}
				if keep {
					want = []string{"deb:python3-requests", "pypi:requests"}
				}
				if diff := cmp.Diff(want, names); diff != "" {
					t.Errorf("keep=%v packages (-want +got):\n%s", keep, diff)
				}
				if len(res.Owned) != 1 || res.Owned[0].Name != "requests" || res.Owned[0].Version != "2.28.1" {
					t.Fatalf("owned = %+v", res.Owned)
				}
				var deb inventory.Package
				for _, p := range res.Packages {
					if p.Type == "deb" {
						deb = p
					}
				}
				want2 := []inventory.Relationship{{From: deb.ID, To: res.Owned[0].ID, Type: inventory.Contains}}
				if diff := cmp.Diff(want2, res.Relationships); diff != "" {
					t.Errorf("relationships (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// stanza is a dpkg status entry.
func stanza(name, source, version string) string {
	s := "Package: " + name + "\nStatus: install ok installed\nArchitecture: amd64\n"
	if source != "" {
		s += "Source: " + source + "\n"
	}
	return s + "Version: " + version + "\nDescription: test package\n"
}

// opensslELF is ELF-like content holding OpenSSL 3.0.20's version text, as
// libcrypto.so.3 and programs linking libcrypto.a statically do (see
// extract/binary/testdata/README.md).
var opensslELF = "\x7fELF\x02\x01\x01\x00OpenSSL 3.0.20 7 Apr 2026\x00OPENSSLDIR: \"/usr/lib/ssl\"\x00"

// log4jJar is a jar with log4j-core's Maven coordinates, as Debian's
// liblog4j2-java installs it.
func log4jJar(t *testing.T) string {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create("META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("artifactId=log4j-core\ngroupId=org.apache.logging.log4j\nversion=2.19.0\n")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestOwnedCompiled: what is compiled into a binary an OS package
// installed (a Go binary's modules and standard library, a static OpenSSL)
// is reported on its own by default, naming the owner, as it is for an
// unowned copy; an interpreted package the distribution ships (requests,
// log4j's jar) and the owner's own software (OpenSSL in libssl3, the go command's
// standard library in golang-1.19-go) stay folded into the owner.
func TestOwnedCompiled(t *testing.T) {
	bin := gobinarytest.Build(t)
	root := t.TempDir()
	status := strings.Join([]string{
		readTD(t, "python3-requests.status"),
		stanza("hello", "", "1.0-1"),
		stanza("golang-1.19-go", "golang-1.19", "1.19.8-2"),
		stanza("libssl3", "openssl", "3.0.20-1~deb12u1"),
		stanza("liblog4j2-java", "apache-log4j2", "2.19.0-2"),
	}, "\n")
	files := map[string]struct {
		body string
		mode os.FileMode
	}{
		"usr/lib/os-release":                                              {"ID=debian\nVERSION_ID=\"12\"\n", 0o644},
		"var/lib/dpkg/status":                                             {status, 0o644},
		"var/lib/dpkg/info/python3-requests.list":                         {readTD(t, "python3-requests.list"), 0o644},
		"var/lib/dpkg/info/hello.list":                                    {"/.\n/usr\n/usr/bin\n/usr/bin/hello\n/usr/bin/hello-tls\n", 0o644},
		"var/lib/dpkg/info/golang-1.19-go.list":                           {"/usr/lib/go-1.19/bin/go\n", 0o644},
		"var/lib/dpkg/info/libssl3.list":                                  {"/usr/lib/x86_64-linux-gnu/libcrypto.so.3\n", 0o644},
		"var/lib/dpkg/info/liblog4j2-java.list":                           {"/usr/share/java/log4j-core-2.19.0.jar\n", 0o644},
		"usr/share/java/log4j-core-2.19.0.jar":                            {log4jJar(t), 0o644},
		"usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO": {readTD(t, "requests-2.28.1.PKG-INFO"), 0o644},
		"usr/bin/hello":                                                   {string(bin), 0o755},
		"usr/local/bin/hello":                                             {string(bin), 0o755}, // a copy no package owns
		"usr/lib/go-1.19/bin/go":                                          {string(bin), 0o755},
		"usr/bin/hello-tls":                                               {opensslELF, 0o755}, // OpenSSL linked in statically
		"usr/lib/x86_64-linux-gnu/libcrypto.so.3":                         {opensslELF, 0o644},
	}
	for p, f := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(f.body), f.mode); err != nil {
			t.Fatal(err)
		}
	}
	exts := []extract.Extractor{dpkg.New(), python.New(), java.New(), gobinary.New(), binary.New()}
	l, err := layerfs.AnalyzeDir(t.Context(), root, layerfs.Options{Wants: extract.Wants(exts), Prepare: extract.Prepare(exts)})
	if err != nil {
		t.Fatal(err)
	}
	l.DiffID = "sha256:aa"
	// One line per non-OS package: where it was found, and the OS package
	// owning that file; "folded" when it is in Owned and not in Packages.
	summary := func(pkgs []inventory.Package, how string) []string {
		var out []string
		for _, p := range pkgs {
			if p.Type == "deb" {
				continue
			}
			s := fmt.Sprintf("%s %s %s %s", how, p.Locations[0].Path, p.Type, p.Name)
			if p.OwnedBy != nil {
				s += " owned by " + p.OwnedBy.Type + " " + p.OwnedBy.Name + " " + p.OwnedBy.Version
			}
			out = append(out, s)
		}
		return out
	}
	const egg = "usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO"
	compiled := []string{
		"kept usr/bin/hello golang example.com/hello owned by deb hello 1.0-1",
		"kept usr/bin/hello golang golang.org/x/text owned by deb hello 1.0-1",
		"kept usr/bin/hello golang stdlib owned by deb hello 1.0-1",
		"kept usr/bin/hello-tls generic openssl owned by deb hello 1.0-1",
		"kept usr/lib/go-1.19/bin/go golang example.com/hello owned by deb golang-1.19-go 1.19.8-2",
		"kept usr/lib/go-1.19/bin/go golang golang.org/x/text owned by deb golang-1.19-go 1.19.8-2",
		"kept usr/local/bin/hello golang example.com/hello",
		"kept usr/local/bin/hello golang golang.org/x/text",
		"kept usr/local/bin/hello golang stdlib",
	}
	folded := []string{
		"folded usr/lib/go-1.19/bin/go golang stdlib owned by deb golang-1.19-go 1.19.8-2",
		"folded usr/lib/x86_64-linux-gnu/libcrypto.so.3 generic openssl owned by deb libssl3 3.0.20-1~deb12u1",
		"folded " + egg + " pypi requests owned by deb python3-requests 2.28.1+dfsg-1",
		"folded usr/share/java/log4j-core-2.19.0.jar maven org.apache.logging.log4j:log4j-core owned by deb liblog4j2-java 2.19.0-2",
	}
	for _, keep := range []bool{false, true} {
		res, err := extract.Run(t.Context(), []*layerfs.Layer{l}, []extract.LayerInfo{{DiffID: l.DiffID}}, exts, extract.Options{KeepOwned: keep})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Errors) > 0 {
			t.Errorf("errors: %v", res.Errors)
		}
		got := append(summary(res.Packages, "kept"), summary(res.Owned, "folded")...)
		slices.Sort(got)
		want := slices.Clone(compiled)
		if keep {
			// --show-owned: the folded ones are in Packages too.
			for _, f := range folded {
				want = append(want, "kept"+strings.TrimPrefix(f, "folded"))
			}
		}
		want = append(want, folded...)
		slices.Sort(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("keep=%v packages (-want +got):\n%s", keep, diff)
		}
		// Every package found in an owned file, kept or folded, is linked
		// to its owner by a contains relationship.
		contains := map[string]string{}
		for _, r := range res.Relationships {
			if r.Type == inventory.Contains {
				contains[r.To] = r.From
			}
		}
		for _, p := range slices.Concat(res.Packages, res.Owned) {
			if p.OwnedBy != nil && contains[p.ID] != p.OwnedBy.ID {
				t.Errorf("%s in %s: contained by %q, owner ID %q", p.Name, p.Locations[0].Path, contains[p.ID], p.OwnedBy.ID)
			}
		}
	}
}

// TestOwnedCompiledAPK: on Alpine the owner is the apk package whose R:
// lines list the binary; Alpine's go package is the toolchain.
func TestOwnedCompiledAPK(t *testing.T) {
	bin := string(gobinarytest.Build(t))
	installed := "P:hello\nV:1.0-r0\nA:x86_64\no:hello\nF:usr/bin\nR:hello\n\n" +
		"P:go\nV:1.22.3-r0\nA:x86_64\no:go\nF:usr/lib/go/bin\nR:go\n\n"
	l := &layerfs.Layer{DiffID: "sha256:aa", Files: map[string][]byte{
		"etc/os-release":        []byte("ID=alpine\nVERSION_ID=3.20.0\n"),
		"lib/apk/db/installed":  []byte(installed),
		"usr/bin/hello":         []byte(bin),
		"usr/lib/go/bin/go":     []byte(bin),
		"usr/local/bin/unowned": []byte(bin),
	}}
	for p, b := range l.Files {
		mode := fs.FileMode(0o644)
		if strings.Contains(p, "bin/") {
			mode = 0o755
		}
		l.Entries = append(l.Entries, layerfs.Entry{Path: p, Mode: mode, Size: int64(len(b))})
	}
	exts := []extract.Extractor{apk.New(), gobinary.New()}
	res, err := extract.Run(t.Context(), []*layerfs.Layer{l}, []extract.LayerInfo{{DiffID: l.DiffID}}, exts, extract.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, set := range []struct {
		how  string
		pkgs []inventory.Package
	}{{"kept", res.Packages}, {"folded", res.Owned}} {
		for _, p := range set.pkgs {
			if p.Type != "golang" || p.Name == gobinarytest.Main {
				continue
			}
			s := set.how + " " + p.Locations[0].Path + " " + p.Name
			if p.OwnedBy != nil {
				s += " owned by " + p.OwnedBy.Type + " " + p.OwnedBy.Name + " " + p.OwnedBy.Version
			}
			got = append(got, s)
		}
	}
	slices.Sort(got)
	want := []string{
		"folded usr/lib/go/bin/go stdlib owned by apk go 1.22.3-r0",
		"kept usr/bin/hello golang.org/x/text owned by apk hello 1.0-r0",
		"kept usr/bin/hello stdlib owned by apk hello 1.0-r0",
		"kept usr/lib/go/bin/go golang.org/x/text owned by apk go 1.22.3-r0",
		"kept usr/local/bin/unowned golang.org/x/text",
		"kept usr/local/bin/unowned stdlib",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
}
