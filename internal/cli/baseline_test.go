package cli

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestBaselineImage scans a real baseline image through the CLI: the
// flag used to fail with "not supported by this command" on every run,
// because the check ran before scan set up the baseline scanner.
func TestBaselineImage(t *testing.T) {
	if testing.Short() {
		t.Skip("scans three images")
	}
	cache := testDB(t)
	pol := gateFile(t, "policy.yaml", "rules:\n  - name: fixable\n    expr: finding.fixAvailable\n    action: fail\n")
	scan := func(extra ...string) result {
		args := append([]string{"--cache-dir", cache, "scan", "--scanners", "vuln", "--policy", pol, "-o", "json"}, extra...)
		return run(t, append(args, debianImage)...)
	}
	known := regexp.MustCompile(`baseline: (\d+) findings already in (\S+) cannot fail the gate`)

	// Without a baseline the fixable findings fail the gate.
	if r := scan(); r.code != ExitFindings {
		t.Fatalf("no baseline: exit %d, want %d; stderr %s", r.code, ExitFindings, r.stderr)
	}
	// The Alpine image shares no findings with the Debian one: still exit 1.
	r := scan("--baseline-image", "docker-archive:"+alpineImage)
	if r.code != ExitFindings {
		t.Fatalf("alpine baseline: exit %d, want %d; stderr %s", r.code, ExitFindings, r.stderr)
	}
	if m := known.FindStringSubmatch(r.stderr); m == nil || m[1] != "0" {
		t.Errorf("alpine baseline: stderr %q, want 0 findings already in the baseline", r.stderr)
	}
	// The same image as its own baseline: every finding is known.
	r = scan("--baseline-image", "docker-archive:"+debianImage)
	if r.code != ExitOK {
		t.Fatalf("same-image baseline: exit %d, want 0; stderr %s", r.code, r.stderr)
	}
	m := known.FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("same-image baseline: stderr %q has no baseline line", r.stderr)
	}
	n, _ := strconv.Atoi(m[1])
	var rep struct {
		Findings   []json.RawMessage
		Suppressed []struct{ By string }
		Policy     struct{ BaselineKnown int }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if n == 0 || n != rep.Policy.BaselineKnown || n != len(rep.Suppressed) || len(rep.Findings) != 0 {
		t.Errorf("same-image baseline: %d known on stderr, policy.baselineKnown %d, %d suppressed, %d findings left; want all findings known",
			n, rep.Policy.BaselineKnown, len(rep.Suppressed), len(rep.Findings))
	}
	for _, s := range rep.Suppressed {
		if !strings.EqualFold(s.By, "baseline") {
			t.Errorf("suppressed by %q, want baseline", s.By)
		}
	}
}
