package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/report"
)

// TestDriftBadInput: wrong targets and flags are errors (exit 2) that say
// what to give, before anything is read.
func TestDriftBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"host without an image", []string{"drift", "dir:/tmp", "--skip-db"}, "give --against IMAGE"},
		{"not a container or host", []string{"drift", "registry:example.invalid/app:1"}, "want docker:CONTAINER"},
		{"unknown kind", []string{"drift", "docker:web", "--severity", "file-moved=high"}, `unknown kind of drift "file-moved"`},
		{"bad severity", []string{"drift", "docker:web", "--severity", "file-added=urgent"}, `unknown severity "urgent"`},
		{"severity without =", []string{"drift", "docker:web", "--severity", "file-added"}, "want KIND=SEVERITY"},
		{"bad fail-on", []string{"drift", "docker:web", "--fail-on", "urgent"}, "urgent"},
		{"bad ignore", []string{"drift", "docker:web", "--ignore", "srv/[x"}, "ignore pattern"},
		{"bad format", []string{"drift", "docker:web", "-o", "cyclonedx-json"}, "does not write cyclonedx-json"},
		{"bad changes", []string{"drift", "docker:web", "--changes", "diff"}, "want auto, engine or export"},
		{"bad verify", []string{"drift", "docker:web", "--verify", "some"}, "want exec, all or none"},
		{"no such container", []string{"drift", "docker:customs-no-such-container-0", "--skip-db"}, "customs-no-such-container-0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, append([]string{"--cache-dir", t.TempDir()}, tc.args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, tc.want)
			}
		})
	}
}

// hostRoot writes a root filesystem of a Debian 12 host: os-release, a
// machine-id, a host name and the real dpkg database of a debootstrap
// minbase (testdata/pkgdb), without the packages' files.
func hostRoot(t *testing.T, hostname string) (root, status string) {
	t.Helper()
	root = t.TempDir()
	status = filepath.Join(root, "var", "lib", "dpkg", "status")
	db, err := os.ReadFile(filepath.Join("..", "..", "testdata", "pkgdb", "debootstrap-bookworm.status"))
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"etc/os-release":        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n",
		"etc/debian_version":    "12.5\n",
		"etc/machine-id":        "0f1e2d3c4b5a69788796a5b4c3d2e1f0\n",
		"etc/hostname":          hostname + "\n",
		"var/lib/dpkg/status":   string(db),
		"usr/bin/.placeholder":  "",
		"root/.profile":         "# ~/.profile\n",
		"var/lib/dpkg/.created": "",
	} {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root, status
}

// editStatus changes the dpkg database: sets pkg's version (a package
// upgraded or downgraded), drops a package, appends a stanza.
func editStatus(t *testing.T, status string, versions map[string]string, drop string, add string) {
	t.Helper()
	b, err := os.ReadFile(status)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, stanza := range strings.Split(strings.TrimSpace(string(b)), "\n\n") {
		name := ""
		for _, l := range strings.Split(stanza, "\n") {
			if v, ok := strings.CutPrefix(l, "Package: "); ok {
				name = v
			}
		}
		if name == drop {
			continue
		}
		if v, ok := versions[name]; ok {
			lines := strings.Split(stanza, "\n")
			for i, l := range lines {
				if strings.HasPrefix(l, "Version: ") {
					lines[i] = "Version: " + v
				}
			}
			stanza = strings.Join(lines, "\n")
		}
		out = append(out, stanza)
	}
	if add != "" {
		out = append(out, strings.TrimSpace(add))
	}
	if err := os.WriteFile(status, []byte(strings.Join(out, "\n\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDriftHostStore: a host scanned into the store (customs scan dir:
// --store) and changed since (tar downgraded to a version with known
// vulnerabilities, apt upgraded past one, gzip removed, age installed) is
// compared with that snapshot by customs drift dir: --store, which
// records the report; customs history shows it beside the snapshot, by
// the host's name and by its machine-id.
func TestDriftHostStore(t *testing.T) {
	cache := testDB(t)
	st := filepath.Join(t.TempDir(), "store.db")
	root, status := hostRoot(t, "drift-vm")
	if r := run(t, "--cache-dir", cache, "--store", st, "scan", "dir:"+root, "--scanners", "vuln", "-o", "json"); r.code != 0 {
		t.Fatalf("scan: exit %d: %s", r.code, r.stderr)
	}
	// Nothing changed yet.
	r := run(t, "--cache-dir", cache, "--store", st, "drift", "dir:"+root, "-o", "json", "--fail-on", "medium")
	if r.code != 0 {
		t.Fatalf("drift of an unchanged host: exit %d, want 0: %s\n%s", r.code, r.stderr, r.stdout)
	}
	editStatus(t, status, map[string]string{"tar": "1.34+dfsg-1.2", "apt": "2.6.2"}, "gzip", `Package: age
Status: install ok installed
Priority: optional
Section: utils
Installed-Size: 5433
Maintainer: Debian Go Packaging Team <team+pkg-go@tracker.debian.org>
Architecture: amd64
Source: age (1.1.1-1)
Version: 1.1.1-1+b3
Description: simple, modern and secure file encryption tool`)
	r = run(t, "--cache-dir", cache, "--store", st, "drift", "dir:"+root, "-o", "json", "--fail-on", "medium")
	if r.code != 1 {
		t.Fatalf("drift: exit %d, want 1 (packages changed, at medium): %s\n%s", r.code, r.stderr, r.stdout)
	}
	if !strings.Contains(r.stderr, "recorded the drift of dir:"+root) {
		t.Errorf("stderr %q: want a line saying the drift was recorded", r.stderr)
	}
	var doc struct {
		Reports []struct {
			Target  struct{ Kind, ID, Name string }
			Against struct {
				Kind, Ref string
				Snapshot  int64
			}
			Packages struct {
				Added, Removed []struct{ Name, Version string }
				Changed        []struct{ Name, From, To string }
			}
			Findings []report.Finding
			Resolved []report.Finding `json:"resolvedFindings"`
		}
		Verdict *report.Verdict
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	if len(doc.Reports) != 1 {
		t.Fatalf("%d reports, want 1", len(doc.Reports))
	}
	rep := doc.Reports[0]
	if rep.Target.Kind != "host" || rep.Target.ID != "0f1e2d3c4b5a69788796a5b4c3d2e1f0" || rep.Target.Name != "drift-vm" {
		t.Errorf("target %+v, want the host drift-vm by its machine-id", rep.Target)
	}
	if rep.Against.Kind != "snapshot" || rep.Against.Snapshot == 0 || rep.Against.Ref != "store:drift-vm" {
		t.Errorf("against %+v, want the host's snapshot in the store", rep.Against)
	}
	type change struct{ Name, From, To string }
	var changed []change
	for _, c := range rep.Packages.Changed {
		changed = append(changed, change{c.Name, c.From, c.To})
	}
	if diff := cmp.Diff([]change{{"apt", "2.6.1", "2.6.2"}, {"tar", "1.34+dfsg-1.2+deb12u1", "1.34+dfsg-1.2"}}, changed); diff != "" {
		t.Errorf("changed packages (-want +got):\n%s", diff)
	}
	if len(rep.Packages.Added) != 1 || rep.Packages.Added[0].Name != "age" || len(rep.Packages.Removed) != 1 || rep.Packages.Removed[0].Name != "gzip" {
		t.Errorf("added %+v, removed %+v; want age added, gzip removed", rep.Packages.Added, rep.Packages.Removed)
	}
	// Only the changed packages' findings are the drift's.
	brought := map[string]bool{}
	for _, f := range rep.Findings {
		brought[f.PackageName+" "+f.VulnerabilityID] = true
	}
	for _, want := range []string{"tar CVE-2022-48303", "tar CVE-2023-39804"} {
		if !brought[want] {
			t.Errorf("findings brought in: %v; want %s", brought, want)
		}
	}
	for k := range brought {
		if !strings.HasPrefix(k, "tar ") {
			t.Errorf("finding %s brought in: only tar's are", k)
		}
	}
	if len(rep.Resolved) != 1 || rep.Resolved[0].PackageName != "apt" || rep.Resolved[0].VulnerabilityID != "CVE-2026-109518" {
		t.Errorf("resolved %+v, want apt's CVE-2026-109518", rep.Resolved)
	}
	if doc.Verdict == nil || !doc.Verdict.Failed {
		t.Errorf("verdict %+v, want failed", doc.Verdict)
	}

	// The same drift as a table on stdout and SARIF in a file, the gate
	// failing on the same items.
	sarif := filepath.Join(t.TempDir(), "drift.sarif")
	r = run(t, "--cache-dir", cache, "--store", st, "drift", "dir:"+root, "-o", "table", "-o", "sarif="+sarif, "--fail-on", "medium")
	if r.code != 1 || !strings.Contains(r.stdout, "drift/package-changed") || !strings.Contains(r.stdout, "CVE-2022-48303") {
		t.Errorf("-o table: exit %d, want 1 and a table of the drift/ checks and tar's findings:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID string `json:"ruleId"`
			}
		}
	}
	if b, err := os.ReadFile(sarif); err != nil {
		t.Error(err)
	} else if err := json.Unmarshal(b, &log); err != nil || len(log.Runs) != 1 {
		t.Errorf("SARIF: %v, %d runs", err, len(log.Runs))
	} else {
		rules := map[string]bool{}
		for _, res := range log.Runs[0].Results {
			rules[res.RuleID] = true
		}
		for _, want := range []string{"drift/package-added", "drift/package-removed", "drift/package-changed", "CVE-2022-48303"} {
			if !rules[want] {
				t.Errorf("SARIF results %v: want %s", rules, want)
			}
		}
	}

	for _, name := range []string{"drift-vm", "0f1e2d3c4b5a69788796a5b4c3d2e1f0"} {
		h := run(t, "--store", st, "history", name, "-o", "json")
		if h.code != 0 {
			t.Fatalf("history %s: exit %d: %s", name, h.code, h.stderr)
		}
		var hist struct {
			Snapshots []struct{ ID int64 }
			Drifts    []struct {
				ID, AgainstSnapshot int64
				TargetKind          string
				Items               int
				BySeverity          map[string]int
				Subject             *struct{ Kind, Name string }
			}
		}
		if err := json.Unmarshal([]byte(h.stdout), &hist); err != nil {
			t.Fatal(err)
		}
		if len(hist.Snapshots) != 1 || len(hist.Drifts) != 3 {
			t.Fatalf("history %s: %d snapshots, %d drift reports; want 1 and 3 (the unchanged host's, then the changed one's twice): %s", name, len(hist.Snapshots), len(hist.Drifts), h.stdout)
		}
		d := hist.Drifts[1]
		if d.TargetKind != "host" || d.AgainstSnapshot != hist.Snapshots[0].ID || d.Items == 0 || d.BySeverity["MEDIUM"] < 3 ||
			d.Subject == nil || d.Subject.Kind != "host" || d.Subject.Name != "drift-vm" || hist.Drifts[0].Items != 0 {
			t.Errorf("history %s: drifts %+v", name, hist.Drifts)
		}
	}
	h := run(t, "--store", st, "history", "drift-vm")
	if h.code != 0 || !strings.Contains(h.stdout, "DRIFT") || !strings.Contains(h.stdout, "store:drift-vm (snapshot ") {
		t.Errorf("history table: exit %d:\n%s", h.code, h.stdout)
	}
}
