package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestQuickstart runs what scripts/quickstart.sh runs, in-process: a DB
// from the script's testdata feeds, then a scan of testdata/quickstart/app.
// A first run must show what customs is for: findings with a severity,
// with a title, and one CISA lists as exploited, each with its evidence.
func TestQuickstart(t *testing.T) {
	root := filepath.Join("..", "..")
	script, err := os.ReadFile(filepath.Join(root, "scripts", "quickstart.sh"))
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "customs.db")
	args := []string{"--db", db, "db", "build"}
	for _, m := range regexp.MustCompile(`--source ([a-z-]+)=(testdata/\S+)`).FindAllStringSubmatch(string(script), -1) {
		args = append(args, "--source", m[1]+"="+filepath.Join(root, m[2]))
	}
	if len(args) < 8 {
		t.Fatalf("found %d sources in quickstart.sh, want the osv, nvd and kev ones at least", (len(args)-4)/2)
	}
	if r := run(t, args...); r.code != 0 {
		t.Fatalf("db build: exit %d: %s", r.code, r.stderr)
	}
	app := "dir:" + filepath.Join(root, "testdata", "quickstart", "app")
	r := run(t, "--db", db, "scan", "--skip-update", "--scanners", "vuln", "-o", "json", app)
	if r.code != 0 {
		t.Fatalf("scan: exit %d: %s", r.code, r.stderr)
	}
	var rep struct {
		Findings []struct {
			VulnerabilityID, Title, Severity, SeveritySource, PackageName, Path string
			KEV                                                                 *struct{ DateAdded string }
			Evidence                                                            []struct{ AdvisoryID, Comparison string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	var rated, titled, exploited []string
	sources := map[string]bool{} // who rated them
	for _, f := range rep.Findings {
		if len(f.Evidence) == 0 || f.Evidence[0].Comparison == "" || f.Path == "" {
			t.Errorf("%s in %s: no evidence of the comparison made, or no path", f.VulnerabilityID, f.PackageName)
		}
		if f.Severity != "" && f.Severity != "UNKNOWN" {
			rated = append(rated, f.VulnerabilityID)
			sources[f.SeveritySource] = true
		}
		if f.Title != "" {
			titled = append(titled, f.VulnerabilityID)
		}
		if f.KEV != nil && f.KEV.DateAdded != "" {
			exploited = append(exploited, f.VulnerabilityID+" "+f.PackageName)
		}
	}
	t.Logf("%d findings: %d with a severity, %d with a title, known exploited: %v", len(rep.Findings), len(rated), len(titled), exploited)
	// NVD rates one; the PyPA and RustSec records' own CVSS vectors the others.
	if len(rated) < 5 || !sources["nvd"] || !sources["rustsec"] || !sources["pysec"] || len(titled) < 10 || len(exploited) == 0 {
		t.Errorf("%d findings, %d rated %v by %v, %d titled, exploited %v: want severities from NVD and the records' vectors, titles and a KEV entry",
			len(rep.Findings), len(rated), rated, sources, len(titled), exploited)
	}

	// The script's closing view renders and names the exploited one.
	tmpl := "@" + filepath.Join(root, "testdata", "quickstart", "worth-a-look.tmpl")
	r = run(t, "--db", db, "scan", "--skip-update", "--scanners", "vuln", "-o", "template", "--template", tmpl, app)
	if r.code != 0 || !strings.Contains(r.stdout, "known exploited: CISA KEV since") || !strings.Contains(r.stdout, "evidence: osv record") {
		t.Errorf("template view: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}
