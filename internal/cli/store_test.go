package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/shareddata"
	"github.com/customs-scanner/customs/internal/store/storetest"
)

// eachStore runs fn on a fresh SQLite store, and on a fresh schema of the
// PostgreSQL database CUSTOMS_TEST_POSTGRES names when it is set.
func eachStore(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, "sqlite:"+filepath.Join(t.TempDir(), "store.db")) })
	t.Run("postgres", func(t *testing.T) { fn(t, storetest.PostgresSchema(t, shareddata.Postgres(t))) })
}

// alpineHost writes the root filesystem of an Alpine 3.10 host, edge-1:
// the alpine:3.10 image's real installed DB with musl at muslRevision and
// OpenSSL at 1.1.1c-r0 (both vulnerable, per the 3.10 secdb, before r3
// and 1.1.1d-r0).
func alpineHost(t *testing.T, root, muslRevision string) {
	t.Helper()
	db, err := os.ReadFile(filepath.Join("..", "extract", "apk", "testdata", "trivy-image_alpine-310_installed"))
	if err != nil {
		t.Fatal(err)
	}
	installed := strings.NewReplacer("V:1.1.22-r3", "V:1.1.22-"+muslRevision, "V:1.1.1d-r2", "V:1.1.1c-r0").Replace(string(db))
	for name, data := range map[string]string{
		"etc/os-release":       "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.10.4\nPRETTY_NAME=\"Alpine Linux v3.10\"\n",
		"etc/machine-id":       "4c4c4544004e3610804cb8c04f4e3132\n",
		"etc/hostname":         "edge-1\n",
		"lib/apk/db/installed": installed,
	} {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestStoreQueries records the Debian and Alpine images of testdata and an
// Alpine host through scan --store and the workloads of a Kubernetes
// manifest through audit --store, and asks where, spread and history,
// with the answers checked by hand against the feeds of testdata.
func TestStoreQueries(t *testing.T) {
	cache := testDB(t)
	eachStore(t, func(t *testing.T, dsn string) {
		dir := t.TempDir()
		for _, img := range []string{debianImage, alpineImage} {
			r := run(t, "--cache-dir", cache, "scan", img, "--store", dsn, "-o", "json="+filepath.Join(dir, "r.json"))
			if r.code != 0 || !strings.Contains(r.stderr, "customs: recorded image ") {
				t.Fatalf("scan --store %s: exit %d, stderr %q", img, r.code, r.stderr)
			}
		}
		root := filepath.Join(dir, "root")
		alpineHost(t, root, "r2")
		t.Setenv("CUSTOMS_STORE", dsn)
		if r := run(t, "--cache-dir", cache, "scan", "dir:"+root, "-o", "json="+filepath.Join(dir, "r.json")); r.code != 0 || !strings.Contains(r.stderr, "recorded host edge-1 as snapshot") {
			t.Fatalf("scan dir: --store: exit %d, stderr %q", r.code, r.stderr)
		}
		manifest := filepath.Join(dir, "deploy.yaml")
		os.WriteFile(manifest, []byte(`apiVersion: apps/v1
kind: Deployment
metadata: {name: edge, namespace: shop}
spec:
  template:
    spec:
      containers:
        - {name: proxy, image: "alpine:3.10"}
        - {name: tools, image: "customs-testdata/debian-bookworm-dpkg:12.5"}
`), 0o644)
		if r := run(t, "audit", manifest, "-o", "json="+filepath.Join(dir, "a.json")); r.code != 0 || !strings.Contains(r.stderr, "recorded 2 container(s)") {
			t.Fatalf("audit --store: exit %d, stderr %q", r.code, r.stderr)
		}

		// where ID: the Debian tracker fixes CVE-2026-109518 in apt 2.6.2;
		// the image has apt and libapt-pkg6.0 2.6.1 in its one layer (which
		// has no created_by), run by shop/edge.
		var where struct {
			SchemaVersion int
			Query         struct{ ID string }
			Matches       []struct {
				Subject                                                  struct{ Kind, Name, Digest string }
				PackageName, PackageVersion, FixedVersion, Status, Layer string
				CreatedBy, VulnerabilityID                               string
				RunningIn                                                []struct{ Namespace, Kind, Name, Container string }
			}
		}
		r := run(t, "where", "CVE-2026-109518", "-o", "json")
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &where) != nil {
			t.Fatalf("where -o json: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
		if where.SchemaVersion != 1 || len(where.Matches) != 2 {
			t.Fatalf("where CVE-2026-109518: %+v; want schemaVersion 1 and apt, libapt-pkg6.0", where)
		}
		for _, m := range where.Matches {
			if m.Subject.Kind != "image" || m.Subject.Name != "customs-testdata/debian-bookworm-dpkg:12.5" || m.PackageVersion != "2.6.1" ||
				m.FixedVersion != "2.6.2" || m.Status != "fix-available" || m.Layer != "sha256:cc5356115e19d1df9406a9efe834ced32a1cf0876c9ad86b26176a7a5a55f2e9" ||
				len(m.RunningIn) != 1 || m.RunningIn[0].Namespace != "shop" || m.RunningIn[0].Container != "tools" {
				t.Errorf("where CVE-2026-109518: match %+v", m)
			}
		}
		r = run(t, "where", "cve-2019-14697") // the prefix in any case
		if r.code != 0 || !strings.Contains(r.stdout, "host  edge-1   musl        1.1.22-r2  1.1.22-r3  fix-available") || strings.Contains(r.stdout, "alpine:3.10") {
			t.Errorf("where CVE-2019-14697 (musl before 1.1.22-r3, the host only): exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		for _, args := range [][]string{{"where", "CVE-2099-0001"}, {"where", "no-such-package"}, {"history", "no-such-host"}, {"spread", "no-such-package"}} {
			r = run(t, args...)
			if r.code != 0 || !strings.HasPrefix(r.stdout, "no match") {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want no match, exit 0", args, r.code, r.stdout, r.stderr)
			}
		}
		r = run(t, "where", "CVE-2099-0001", "-o", "json")
		if r.code != 0 || !strings.Contains(r.stdout, `"matches": []`) {
			t.Errorf("where unknown -o json: %q", r.stdout)
		}

		// where NAME --version: apk's -r revisions compare as numbers,
		// so r2 and r3 are both below r10 (not so as text).
		for _, tc := range []struct {
			rng  string
			want []string
		}{
			{"<1.1.22-r10", []string{"host edge-1 1.1.22-r2", "image alpine:3.10 1.1.22-r3"}},
			{"<1.1.22-r3", []string{"host edge-1 1.1.22-r2"}},
			{">=1.1.22-r3,<1.1.23", []string{"image alpine:3.10 1.1.22-r3"}},
			{">1.1.22-r3", nil},
		} {
			var doc struct {
				Matches []struct {
					Subject                     struct{ Kind, Name string }
					PackageName, PackageVersion string
				}
			}
			r = run(t, "where", "musl", "--version", tc.rng, "-o", "json")
			if r.code != 0 || json.Unmarshal([]byte(r.stdout), &doc) != nil {
				t.Fatalf("where musl --version %s: exit %d, %s", tc.rng, r.code, r.stderr)
			}
			var got []string
			for _, m := range doc.Matches {
				if m.PackageName == "musl" {
					got = append(got, m.Subject.Kind+" "+m.Subject.Name+" "+m.PackageVersion)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("where musl --version '%s' = %q, want %q", tc.rng, got, tc.want)
			}
		}
		// dpkg's order: 5.36.0-7+deb12u3 is below 5.36.0-7+deb12u4.
		if r = run(t, "where", "perl-base", "--version", "<5.36.0-7+deb12u4", "-o", "csv"); r.code != 0 || strings.Count(r.stdout, "\n") != 2 || !strings.Contains(r.stdout, "perl-base,5.36.0-7+deb12u3,deb") {
			t.Errorf("where perl-base --version -o csv: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if r = run(t, "where", "musl", "--version", "<<1"); r.code != ExitError || !strings.Contains(r.stderr, "--version") {
			t.Errorf("a bad range: exit %d, stderr %q", r.code, r.stderr)
		}

		// spread: musl r2 on the host (CVE-2019-14697), r3 in the image;
		// --upstream groups both as 1.1.22.
		var spread struct {
			Versions []struct {
				Version         string
				Versions        []string
				Images, Hosts   int
				Vulnerabilities []struct{ VulnerabilityID string }
			}
		}
		r = run(t, "spread", "musl", "-o", "json")
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &spread) != nil {
			t.Fatalf("spread: exit %d, %s", r.code, r.stderr)
		}
		if len(spread.Versions) != 2 || spread.Versions[0].Version != "1.1.22-r2" || spread.Versions[0].Hosts != 1 || spread.Versions[0].Images != 0 ||
			len(spread.Versions[0].Vulnerabilities) != 1 || spread.Versions[0].Vulnerabilities[0].VulnerabilityID != "CVE-2019-14697" ||
			spread.Versions[1].Version != "1.1.22-r3" || spread.Versions[1].Images != 1 || len(spread.Versions[1].Vulnerabilities) != 0 {
			t.Errorf("spread musl: %+v", spread.Versions)
		}
		r = run(t, "spread", "musl", "--upstream", "-o", "json")
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &spread) != nil {
			t.Fatalf("spread --upstream: exit %d, %s", r.code, r.stderr)
		}
		if len(spread.Versions) != 1 || spread.Versions[0].Version != "1.1.22" || spread.Versions[0].Images != 1 || spread.Versions[0].Hosts != 1 ||
			!slices.Equal(spread.Versions[0].Versions, []string{"1.1.22-r2", "1.1.22-r3"}) {
			t.Errorf("spread musl --upstream: %+v", spread.Versions)
		}
		r = run(t, "spread", "openssl", "--upstream")
		if r.code != 0 || !strings.Contains(r.stdout, "1.1.1c   0       1      CVE-2019-1547 (") || !strings.Contains(r.stdout, "1.1.1d-r2") {
			t.Errorf("spread openssl --upstream (the host's libssl 1.1.1c-r0 before the image's 1.1.1d-r2):\n%s%s", r.stdout, r.stderr)
		}

		// history: the host upgrades musl to r3, which resolves
		// CVE-2019-14697 (musl and musl-utils).
		alpineHost(t, root, "r3")
		if r := run(t, "--cache-dir", cache, "scan", "dir:"+root, "-o", "json="+filepath.Join(dir, "r.json")); r.code != 0 {
			t.Fatalf("scan dir: again: exit %d, stderr %q", r.code, r.stderr)
		}
		var hist struct {
			Snapshots []struct {
				ID       int64
				Findings []struct{ VulnerabilityID string }
				Changes  *struct {
					Added, Resolved []struct{ VulnerabilityID, PackageName string }
				}
			}
		}
		r = run(t, "history", "edge-1", "-o", "json")
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &hist) != nil {
			t.Fatalf("history: exit %d, %s", r.code, r.stderr)
		}
		if len(hist.Snapshots) != 2 || hist.Snapshots[0].Changes != nil || hist.Snapshots[1].Changes == nil ||
			len(hist.Snapshots[1].Changes.Added) != 0 || len(hist.Snapshots[1].Changes.Resolved) != 2 ||
			hist.Snapshots[1].Changes.Resolved[0].VulnerabilityID != "CVE-2019-14697" {
			t.Errorf("history edge-1: %+v", hist.Snapshots)
		}
		r = run(t, "history", "4c4c4544004e3610804cb8c04f4e3132")
		if r.code != 0 || !strings.Contains(r.stdout, "  - CVE-2019-14697 musl 1.1.22-r2") {
			t.Errorf("history by machine-id:\n%s%s", r.stdout, r.stderr)
		}

		// images: the Debian image's 16 findings are all UNKNOWN (the
		// tracker rates none); the host keeps OpenSSL's three after the
		// musl upgrade and has two snapshots.
		r = run(t, "images", "-o", "csv")
		want := []string{
			"kind,name,digest,refs,lastSeen,snapshots,packages,critical,high,medium,low,negligible,unknown",
			"host,edge-1,4c4c4544004e3610804cb8c04f4e3132,,*,2,14,0,0,0,0,0,6",
			"image,alpine:3.10,sha256:*,alpine:3.10,*,1,14,0,0,0,0,0,0",
			"image,customs-testdata/debian-bookworm-dpkg:12.5,sha256:*,customs-testdata/debian-bookworm-dpkg:12.5,*,1,88,0,0,0,0,0,16",
		}
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if r.code != 0 || len(lines) != len(want) {
			t.Fatalf("images -o csv: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		for i, l := range lines {
			if ok, _ := filepath.Match(want[i], l); !ok {
				t.Errorf("images -o csv line %d: %q, want %q", i, l, want[i])
			}
		}
		// The host's first snapshot goes, and its inventory (musl r2),
		// which no other snapshot holds.
		r = run(t, "store", "prune", "--keep-last", "1")
		if r.code != 0 || r.stdout != "pruned 1 snapshot(s) and 1 layer inventory(ies)\n" {
			t.Errorf("store prune --keep-last 1: exit %d, %q %q", r.code, r.stdout, r.stderr)
		}
		if r = run(t, "history", "edge-1", "-o", "csv"); strings.Count(r.stdout, "\n") != 2 {
			t.Errorf("history after prune: %s", r.stdout)
		}
		if r = run(t, "store", "prune"); r.code != ExitError || !strings.Contains(r.stderr, "--keep-last") {
			t.Errorf("store prune without flags: exit %d, %q", r.code, r.stderr)
		}
	})
}

// TestStoreFlag: the store comes from --store, else $CUSTOMS_STORE, else
// the config file; a query without one says how to give one.
func TestStoreFlag(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CUSTOMS_STORE", "")
	t.Setenv("CUSTOMS_CONFIG", "")
	r := run(t, "--config", filepath.Join(dir, "none.yaml"), "where", "CVE-2024-1234")
	if r.code != ExitError || !strings.Contains(r.stderr, "config") {
		t.Errorf("a missing --config: exit %d, stderr %q", r.code, r.stderr)
	}
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("store: "+filepath.Join(dir, "from-config.db")+"\n"), 0o644)
	if r := run(t, "--config", cfg, "where", "CVE-2024-1234"); r.code != 0 || !strings.HasPrefix(r.stdout, "no match") {
		t.Errorf("store from the config: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "from-config.db")); err != nil {
		t.Errorf("the config's store was not opened: %v", err)
	}
	empty := filepath.Join(dir, "empty.yaml")
	os.WriteFile(empty, []byte("db-max-age: 24h\n"), 0o644)
	r = run(t, "--config", empty, "spread", "openssl")
	if r.code != ExitError || !strings.Contains(r.stderr, "no store: give --store DSN") {
		t.Errorf("no store: exit %d, stderr %q", r.code, r.stderr)
	}
	r = run(t, "--config", empty, "scan", alpineImage, "--skip-db", "--store", "mysql://u:hunter2@db/x")
	if r.code != ExitError || !strings.Contains(r.stderr, `unknown scheme "mysql"`) || strings.Contains(r.stderr, "hunter2") {
		t.Errorf("scan --store with a bad DSN: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestWhereArgument: what where reads as an advisory ID and what as a
// package.
func TestWhereArgument(t *testing.T) {
	for _, tc := range []struct {
		arg, id string // id "" means a package
	}{
		{"CVE-2024-1234", "CVE-2024-1234"},
		{"cve-2024-1234", "CVE-2024-1234"},
		{"GHSA-jfh8-c2jp-5v3q", "GHSA-jfh8-c2jp-5v3q"},
		{"ghsa-jfh8-c2jp-5v3q", "GHSA-jfh8-c2jp-5v3q"},
		{"GO-2022-0493", "GO-2022-0493"},
		{"PYSEC-2021-1", "PYSEC-2021-1"},
		{"DSA-5532-1", "DSA-5532-1"},
		{"go-md2man", ""},
		{"openssl", ""},
		{"libssl3", ""},
		{"SDL2-devel", ""},
		{"python3-pip", ""},
	} {
		arg := canonicalID(tc.arg)
		got := ""
		if isVulnID(arg) {
			got = arg
		}
		if got != tc.id {
			t.Errorf("where %s: read as ID %q, want %q", tc.arg, got, tc.id)
		}
	}
}
