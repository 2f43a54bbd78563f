package cli

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/sqlite"
)

// walkReport is the part of a JSON report the filter tests read.
type walkReport struct {
	Packages []struct {
		Name      string
		Type      string
		Locations []struct{ Path string }
	}
	Findings []struct {
		VulnerabilityID string
		Severity        string
	}
	Secrets []struct {
		Path string
	}
	Misconfigurations []struct{ Severity string }
	Skipped           []struct {
		Path      string
		Directory bool
		Reason    string
		Layer     string
	}
}

func decodeWalk(t *testing.T, r result) walkReport {
	t.Helper()
	if r.code != ExitOK && r.code != ExitFindings {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var out walkReport
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("decode report: %v", err)
	}
	return out
}

// severityDB holds one CRITICAL advisory for Alpine 3.10's musl and one LOW
// for its busybox, both fixed in versions later than the image has.
func severityDB(t *testing.T) string {
	t.Helper()
	ctx := t.Context()
	p := filepath.Join(t.TempDir(), "sev.db")
	w, err := sqlite.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct{ id, severity, pkg string }{
		{"CVE-2019-14697", "CRITICAL", "musl"},
		{"CVE-2019-5747", "LOW", "busybox"},
	} {
		adv := &vulndb.Advisory{ID: a.id, Source: "alpine-secdb", Severity: a.severity,
			Affected: []vulndb.Affected{{Ecosystem: "alpine:3.10", Package: a.pkg, Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Fixed: "9.9.9-r0"}}}}}
		if err := w.Add(ctx, adv); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSeverityFilter(t *testing.T) {
	db := severityDB(t)
	scanWith := func(args ...string) result {
		return run(t, append(append([]string{"--cache-dir", t.TempDir(), "--db", db, "scan", "--scanners", "vuln,config", "-o", "json"}, args...), alpineImage)...)
	}
	severities := func(r walkReport) []string {
		var s []string
		for _, f := range r.Findings {
			s = append(s, f.VulnerabilityID+" "+f.Severity)
		}
		for _, m := range r.Misconfigurations {
			s = append(s, "config "+m.Severity)
		}
		slices.Sort(s)
		return slices.Compact(s)
	}
	all := severities(decodeWalk(t, scanWith()))
	if !slices.Contains(all, "CVE-2019-14697 CRITICAL") || !slices.Contains(all, "CVE-2019-5747 LOW") {
		t.Fatalf("unfiltered: %v, want both advisories", all)
	}
	for _, tt := range []struct {
		severity string
		want     []string
	}{
		{"critical", []string{"CVE-2019-14697 CRITICAL"}},
		{"LOW", []string{"CVE-2019-5747 LOW", "config LOW"}},
		{"low,critical", []string{"CVE-2019-14697 CRITICAL", "CVE-2019-5747 LOW", "config LOW"}},
	} {
		got := severities(decodeWalk(t, scanWith("--severity", tt.severity)))
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("--severity %s (-want +got):\n%s", tt.severity, d)
		}
	}
	// --fail-on sees only what --severity keeps.
	if r := scanWith("--severity", "low", "--fail-on", "high"); r.code != ExitOK {
		t.Errorf("--severity low --fail-on high: exit %d, want 0; %s", r.code, r.stderr)
	}
	if r := scanWith("--severity", "critical", "--fail-on", "low"); r.code != ExitFindings {
		t.Errorf("--severity critical --fail-on low: exit %d, want 1; %s", r.code, r.stderr)
	}
	r := scanWith("--severity", "hihg")
	if r.code != ExitError || !strings.Contains(r.stderr, `--severity "hihg": want a comma-separated list of`) {
		t.Errorf("--severity hihg: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestSkipsOfARootFilesystem: scanning a machine's root passes over
// container runtime storage and module caches by default and says so;
// --no-default-skips, --skip-dirs and --skip-files change what is walked.
func TestSkipsOfARootFilesystem(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	key := string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
	lock := readFile(t, filepath.Join("..", "extract", "npm", "testdata", "trivy_package-lock_v3.json"))
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"etc/os-release":      "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
		"var/lib/dpkg/status": readFile(t, filepath.Join("..", "..", "testdata", "pkgdb", "debootstrap-bookworm.status")),
		// A container's files in Docker's storage, a module's lockfile in
		// the Go module cache, a key in a tool's cache.
		"var/lib/docker/overlay2/3f1c/diff/app/package-lock.json":     lock,
		"root/go/pkg/mod/example.com/web@v1.0.0/ui/package-lock.json": lock,
		"root/.cache/tool/key.pem":                                    key,
		// The same key where a user put it: found.
		"srv/app/tls/key.pem": key,
	})
	scanRoot := func(args ...string) (walkReport, string) {
		r := run(t, append(append([]string{"--cache-dir", t.TempDir(), "scan", "--skip-db", "--scanners", "vuln,secret", "-o", "json"}, args...), "dir:"+root)...)
		return decodeWalk(t, r), r.stderr
	}
	type summary struct {
		Deb      int
		Lockfile []string // where npm packages were found
		Secrets  []string
		Skipped  []string
	}
	sum := func(r walkReport) summary {
		var s summary
		for _, p := range r.Packages {
			if p.Type == "deb" {
				s.Deb++
			}
			for _, l := range p.Locations {
				if p.Type == "npm" && !slices.Contains(s.Lockfile, l.Path) {
					s.Lockfile = append(s.Lockfile, l.Path)
				}
			}
		}
		slices.Sort(s.Lockfile)
		for _, x := range r.Secrets {
			s.Secrets = append(s.Secrets, x.Path)
		}
		slices.Sort(s.Secrets)
		for _, x := range r.Skipped {
			if strings.HasPrefix(x.Reason, "--") || strings.HasPrefix(x.Path, "var/lib/docker") || strings.HasPrefix(x.Path, "root/") {
				s.Skipped = append(s.Skipped, x.Path+": "+x.Reason)
			}
		}
		return s
	}

	r, stderr := scanRoot()
	want := summary{Deb: 88, Secrets: []string{"srv/app/tls/key.pem"}, Skipped: []string{
		"root/.cache: package or build cache, not installed software",
		"root/go/pkg/mod: package or build cache, not installed software",
		"var/lib/docker: container runtime storage",
	}}
	if d := cmp.Diff(want, sum(r)); d != "" {
		t.Errorf("default (-want +got):\n%s", d)
	}
	if !strings.Contains(stderr, "customs: skipped ") || !strings.Contains(stderr, "var/lib/docker") || !strings.Contains(stderr, "--no-default-skips walks the default ones") {
		t.Errorf("default: stderr %q, want one line naming what was skipped", stderr)
	}

	r, _ = scanRoot("--no-default-skips")
	want = summary{Deb: 88,
		Lockfile: []string{"root/go/pkg/mod/example.com/web@v1.0.0/ui/package-lock.json", "var/lib/docker/overlay2/3f1c/diff/app/package-lock.json"},
		Secrets:  []string{"root/.cache/tool/key.pem", "srv/app/tls/key.pem"}}
	if d := cmp.Diff(want, sum(r)); d != "" {
		t.Errorf("--no-default-skips (-want +got):\n%s", d)
	}

	r, _ = scanRoot("--skip-dirs", "/var/lib/dpkg", "--skip-files", "**/*.pem")
	want = summary{Skipped: []string{
		"root/.cache: package or build cache, not installed software",
		"root/go/pkg/mod: package or build cache, not installed software",
		"srv/app/tls/key.pem: --skip-files **/*.pem",
		"var/lib/docker: container runtime storage",
		"var/lib/dpkg: --skip-dirs /var/lib/dpkg",
	}}
	if d := cmp.Diff(want, sum(r)); d != "" {
		t.Errorf("--skip-dirs, --skip-files (-want +got):\n%s", d)
	}

	bad := run(t, "--cache-dir", t.TempDir(), "scan", "--skip-db", "--skip-dirs", "var/[lib", "dir:"+root)
	if bad.code != ExitError || !strings.Contains(bad.stderr, `--skip-dirs: pattern "var/[lib": syntax error in pattern`) {
		t.Errorf("bad pattern: exit %d, stderr %q", bad.code, bad.stderr)
	}
}

// TestSkipsOfAnImage: --skip-dirs applies to image layers too, and a layer
// analysed without it is not taken from the cache for a scan with it.
func TestSkipsOfAnImage(t *testing.T) {
	cache := t.TempDir()
	sbom := func(args ...string) walkReport {
		return decodeWalk(t, run(t, append(append([]string{"--cache-dir", cache, "scan", "--skip-db", "--scanners", "vuln", "-o", "json"}, args...), alpineImage)...))
	}
	if r := sbom(); len(r.Packages) != 14 || len(r.Skipped) != 0 {
		t.Fatalf("no skips: %d packages, skipped %v; want 14, none", len(r.Packages), r.Skipped)
	}
	r := sbom("--skip-dirs", "lib/apk/db")
	apk := 0
	for _, p := range r.Packages {
		if p.Type == "apk" {
			apk++
		}
	}
	if apk != 0 || len(r.Skipped) != 1 || r.Skipped[0].Path != "lib/apk/db" || !strings.HasPrefix(r.Skipped[0].Layer, "sha256:") {
		t.Errorf("--skip-dirs lib/apk/db: %d apk packages, skipped %+v; want none, lib/apk/db in its layer", apk, r.Skipped)
	}
}

func TestTimeout(t *testing.T) {
	for _, args := range [][]string{
		{"scan", "--skip-db", "--timeout", "1ns", alpineImage},
		{"sbom", "--timeout", "1ns", alpineImage},
	} {
		r := run(t, append([]string{"--cache-dir", t.TempDir()}, args...)...)
		if r.code != ExitError || !strings.Contains(r.stderr, "customs: error: did not finish within --timeout 1ns; raise it, or scan less") {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
	if r := run(t, "--cache-dir", t.TempDir(), "scan", "--skip-db", "--timeout", "1m", alpineImage); r.code != ExitOK {
		t.Errorf("--timeout 1m: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := run(t, "scan", "--skip-db", "--timeout", "-1s", alpineImage); r.code != ExitError || !strings.Contains(r.stderr, "--timeout -1s: want a positive duration") {
		t.Errorf("--timeout -1s: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestProgressWalk(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf)
	p.event(scan.Event{Files: 1200, Dir: "usr/share/doc"})
	p.event(scan.Event{Files: 1300, Dir: "usr/share/man"}) // within redraw of the first: not drawn
	if got := buf.String(); !strings.Contains(got, "walking: 1200 files · usr/share/doc · ") || strings.Contains(got, "man") {
		t.Errorf("progress %q", got)
	}
}

func TestReportSkipped(t *testing.T) {
	r := &report.Report{Skipped: []report.Skipped{
		{Path: "etc/key.pem", Reason: "--skip-files **/*.pem"},
		{Path: "proc", Directory: true, Reason: "kernel pseudo-filesystem"},
	}}
	for _, tt := range []struct {
		defaults bool
		want     string
	}{
		{true, "customs: skipped 1 directories and 1 files without reading them (proc, etc/key.pem); -o json lists them under skipped with the reason, --no-default-skips walks the default ones\n"},
		// Under --no-default-skips, what is left are mounts: no hint.
		{false, "customs: skipped 1 directories and 1 files without reading them (proc, etc/key.pem); -o json lists them under skipped with the reason\n"},
	} {
		var b bytes.Buffer
		reportSkipped(&b, r, tt.defaults)
		if d := cmp.Diff(tt.want, b.String()); d != "" {
			t.Errorf("defaults %v (-want +got):\n%s", tt.defaults, d)
		}
	}
	var b bytes.Buffer
	reportSkipped(&b, &report.Report{}, true)
	if b.Len() != 0 {
		t.Errorf("nothing skipped: %q, want no line", b.String())
	}
}

// TestSeverityNames: --severity takes the names of the one severity scale
// in any case, and info for NEGLIGIBLE (what audit's checks called it).
func TestSeverityNames(t *testing.T) {
	s := severityFilter{"info", " Low", "CRITICAL"}
	if err := s.check(); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(severityFilter{"NEGLIGIBLE", "LOW", "CRITICAL"}, s); d != "" {
		t.Errorf("names (-want +got):\n%s", d)
	}
	if err := (severityFilter{"hihg"}).check(); err == nil {
		t.Error("--severity hihg: no error")
	}
}
