package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/extract/gobinary/gobinarytest"
	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/shareddata"
)

// bookwormOSRelease is Debian 12's /usr/lib/os-release.
const bookwormOSRelease = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
`

// writeTree writes files (path -> content) under root; paths under a bin
// directory are executable.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, body := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.Contains(p, "bin/") {
			mode = 0o755
		}
		if err := os.WriteFile(full, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
	}
}

// scanJSON runs customs with args and -o json and decodes the report.
func scanJSON(t *testing.T, args ...string) *report.Report {
	t.Helper()
	r := run(t, append(args, "-o", "json")...)
	if r.code != 0 {
		t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return &rep
}

// findingsByBinary returns, per file path, the sorted IDs of the findings
// on packages found in it, and the owner named by those packages.
func findingsByBinary(rep *report.Report) (ids map[string][]string, owners map[string]inventory.Owner) {
	pkgs := map[string]inventory.Package{}
	for _, p := range rep.Packages {
		pkgs[p.ID] = p
	}
	ids, owners = map[string][]string{}, map[string]inventory.Owner{}
	for _, f := range rep.Findings {
		ids[f.Path] = append(ids[f.Path], f.VulnerabilityID)
		if o := pkgs[f.PackageID].OwnedBy; o != nil {
			owners[f.Path] = *o
		}
	}
	for _, v := range ids {
		slices.Sort(v)
	}
	return ids, owners
}

// named writes owners as "type name version", or "type name".
func named(owners map[string]inventory.Owner, version bool) map[string]string {
	out := map[string]string{}
	for p, o := range owners {
		out[p] = o.Type + " " + o.Name
		if version {
			out[p] += " " + o.Version
		}
	}
	return out
}

// TestScanOwnedGoBinary: through the CLI, a Go binary the dpkg package
// hello installed is matched on its modules like its unowned copy, in JSON
// (ownedBy) and in the table (owned by ...), with and without --show-owned.
func TestScanOwnedGoBinary(t *testing.T) {
	bin := string(gobinarytest.Build(t))
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"usr/lib/os-release":           bookwormOSRelease,
		"var/lib/dpkg/status":          "Package: hello\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-1\nDescription: a Go program\n",
		"var/lib/dpkg/info/hello.list": "/.\n/usr\n/usr/bin\n/usr/bin/hello\n",
		"usr/bin/hello":                bin,
		"usr/local/bin/hello":          bin,
	})
	db := filepath.Join(t.TempDir(), "go.db")
	if r := run(t, "--db", db, "db", "build", "--source", "osv="+filepath.Join("..", "..", "testdata", "feeds", "osv-go-text")); r.code != 0 {
		t.Fatalf("db build: exit %d: %s", r.code, r.stderr)
	}
	wantIDs := map[string][]string{"usr/bin/hello": gobinarytest.Vulns, "usr/local/bin/hello": gobinarytest.Vulns}
	for _, flags := range [][]string{nil, {"--show-owned"}} {
		args := append([]string{"--db", db, "--cache-dir", t.TempDir(), "scan"}, flags...)
		ids, owners := findingsByBinary(scanJSON(t, append(args, "dir:"+root)...))
		if diff := cmp.Diff(wantIDs, ids); diff != "" {
			t.Errorf("%v: findings by binary (-want +got):\n%s", flags, diff)
		}
		if diff := cmp.Diff(map[string]string{"usr/bin/hello": "deb hello 1.0-1"}, named(owners, true)); diff != "" {
			t.Errorf("%v: owners (-want +got):\n%s", flags, diff)
		}
	}
	r := run(t, "--db", db, "--cache-dir", t.TempDir(), "scan", "dir:"+root)
	if r.code != 0 || !strings.Contains(r.stdout, "\nusr/bin/hello (golang) · owned by deb hello 1.0-1\n  "+gobinarytest.Module+"  "+gobinarytest.Version+"  ") {
		t.Errorf("table (exit %d) does not name the owner:\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// ageDeb is Debian bookworm's age package (see testdata/README.md): two Go
// binaries built with Go 1.19.8 in GOPATH mode, so their build information
// names the standard library and no modules.
var ageDeb = filepath.Join("..", "..", "testdata", "debs", "age_1.1.1-1+b3_amd64.deb")

// ageRoot unpacks ageDeb into a root filesystem as dpkg installs it (the
// files, a status entry, info/age.list and info/age.md5sums), plus a copy
// of /usr/bin/age in /usr/local/bin that no package owns.
func ageRoot(t *testing.T) string {
	t.Helper()
	dpkgDeb, err := exec.LookPath("dpkg-deb")
	switch {
	case err != nil && os.Getenv(shareddata.RequireEnv) != "":
		t.Fatalf("dpkg-deb not on PATH: cannot unpack the age package (%s is set)", shareddata.RequireEnv)
	case err != nil:
		t.Skip("dpkg-deb not on PATH: cannot unpack the age package")
	}
	root, ctrl := t.TempDir(), t.TempDir()
	for _, args := range [][]string{{"-x", ageDeb, root}, {"-e", ageDeb, ctrl}} {
		if out, err := exec.Command(dpkgDeb, args...).CombinedOutput(); err != nil {
			t.Fatalf("dpkg-deb %v: %v\n%s", args, err, out)
		}
	}
	control, err := os.ReadFile(filepath.Join(ctrl, "control"))
	if err != nil {
		t.Fatal(err)
	}
	md5sums, err := os.ReadFile(filepath.Join(ctrl, "md5sums"))
	if err != nil {
		t.Fatal(err)
	}
	list := []string{"/."}
	err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, err := filepath.Rel(root, p)
		list = append(list, "/"+filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	age, err := os.ReadFile(filepath.Join(root, "usr", "bin", "age"))
	if err != nil {
		t.Fatal(err)
	}
	pkg, rest, _ := strings.Cut(string(control), "\n")
	writeTree(t, root, map[string]string{
		"usr/lib/os-release":            bookwormOSRelease,
		"var/lib/dpkg/status":           pkg + "\nStatus: install ok installed\n" + rest,
		"var/lib/dpkg/info/age.list":    strings.Join(list, "\n") + "\n",
		"var/lib/dpkg/info/age.md5sums": string(md5sums),
		"usr/local/bin/age":             string(age),
	})
	return root
}

// TestScanDebianAge is the acceptance check of components compiled into
// OS-owned binaries: on a Debian root with the age package installed and a
// copy of its binary in /usr/local/bin, all three binaries carry the Go
// vulnerability database's findings on Go 1.19.8's standard library, 80
// each in the shared data's snapshot (240 in all, as a scanner that reports
// such binaries finds; one that hides the two dpkg installed finds 80).
func TestScanDebianAge(t *testing.T) {
	vulndb := shareddata.Path(t, "advisories/golang-vulndb/data/osv")
	root := ageRoot(t)
	db := filepath.Join(t.TempDir(), "go.db")
	if r := run(t, "--db", db, "db", "build", "--source", "osv="+vulndb); r.code != 0 {
		t.Fatalf("db build: exit %d: %s", r.code, r.stderr)
	}
	ids, owners := findingsByBinary(scanJSON(t, "--db", db, "--cache-dir", t.TempDir(), "scan", "dir:"+root))
	for _, p := range []string{"usr/bin/age", "usr/bin/age-keygen", "usr/local/bin/age"} {
		if len(ids[p]) != 80 {
			t.Errorf("%s: %d findings, want 80", p, len(ids[p]))
		}
		if diff := cmp.Diff(ids["usr/local/bin/age"], ids[p]); diff != "" {
			t.Errorf("%s: findings differ from the unowned copy's (-copy +got):\n%s", p, diff)
		}
	}
	if len(ids) != 3 {
		t.Errorf("findings in %d files, want the 3 binaries: %v", len(ids), ids)
	}
	want := map[string]string{"usr/bin/age": "deb age 1.1.1-1+b3", "usr/bin/age-keygen": "deb age 1.1.1-1+b3"}
	if diff := cmp.Diff(want, named(owners, true)); diff != "" {
		t.Errorf("owners (-want +got):\n%s", diff)
	}
	total := 0
	for _, v := range ids {
		total += len(v)
	}
	t.Logf("age: %d findings in %d binaries", total, len(ids))
}

// TestScanBenchRootfsOwned scans the benchmark's Debian root filesystem
// (bench/rootfs/full: bookworm with age, restic, python3-requests,
// liblog4j2-java, nodejs, openjdk-17 and more installed by apt-get, and
// age copied to /usr/local/bin): the Go binaries dpkg installed carry
// their standard library's findings like the copy; what the distribution
// ships and tracks (requests, log4j's jars, OpenSSL in libssl3, Python in
// python3.11-minimal) stays folded into its package.
func TestScanBenchRootfsOwned(t *testing.T) {
	shareddata.Rootfs(t, "usr/local/bin/age") // built by a bench script that copies age there
	root := shareddata.Rootfs(t, "")
	vulndb := shareddata.Path(t, "advisories/golang-vulndb/data/osv")
	db := filepath.Join(t.TempDir(), "go.db")
	if r := run(t, "--db", db, "db", "build", "--source", "osv="+vulndb); r.code != 0 {
		t.Fatalf("db build: exit %d: %s", r.code, r.stderr)
	}
	rep := scanJSON(t, "--db", db, "--cache-dir", t.TempDir(), "scan", "dir:"+root)
	ids, owners := findingsByBinary(rep)
	for _, p := range []string{"usr/bin/age", "usr/bin/age-keygen", "usr/bin/restic", "usr/local/bin/age"} {
		if len(ids[p]) == 0 {
			t.Errorf("%s: no findings", p)
		}
	}
	if diff := cmp.Diff(ids["usr/local/bin/age"], ids["usr/bin/age"]); diff != "" {
		t.Errorf("usr/bin/age: findings differ from its unowned copy's (-copy +got):\n%s", diff)
	}
	// Owners without versions: those are whatever the archive had.
	want := map[string]string{"usr/bin/age": "deb age", "usr/bin/age-keygen": "deb age", "usr/bin/restic": "deb restic"}
	if diff := cmp.Diff(want, named(owners, false)); diff != "" {
		t.Errorf("owners (-want +got):\n%s", diff)
	}
	folded := map[string]string{}
	for _, p := range rep.Owned {
		folded[p.Type+" "+p.Name] = p.OwnedBy.Name
	}
	for pkg, owner := range map[string]string{
		"pypi requests": "python3-requests", "maven org.apache.logging.log4j:log4j-core": "liblog4j2-java",
		"generic openssl": "libssl3", "generic python": "python3.11-minimal", "generic node": "libnode108",
	} {
		if folded[pkg] != owner {
			t.Errorf("%s: folded into %q, want %q", pkg, folded[pkg], owner)
		}
	}
	t.Logf("%d findings; %d packages folded into their OS package", len(rep.Findings), len(rep.Owned))
}
