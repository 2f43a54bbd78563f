package cli

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCycloneDXAnalysisThroughScan scans the Debian test image with a real
// OpenVEX document and an exception file: the BOM's vulnerabilities carry
// an analysis only where the VEX statements or the exception made one,
// and no fixable finding is claimed exploitable.
func TestCycloneDXAnalysisThroughScan(t *testing.T) {
	cache := testDB(t)
	vexDoc := gateFile(t, "perl.vex.json", `{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2026-11-01T00:00:00Z","version":1,"statements":[
		{"vulnerability":{"name":"CVE-2026-7010"},"products":[{"@id":"customs-testdata/debian-bookworm-dpkg:12.5","subcomponents":[{"@id":"pkg:deb/debian/perl-base"}]}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"},
		{"vulnerability":{"name":"CVE-2026-7017"},"products":[{"@id":"sha256:59cd8731922e897f9fd7a0e2773d2828614df50a663ed245b0c74ce9ec847841"}],"status":"under_investigation"}]}`)
	ignore := gateFile(t, "ignore.yaml", `exceptions:
  - id: CVE-2026-109518
    purl: pkg:deb/debian/apt
    reason: apt is not run in production
    owner: platform@example.com
`)
	bomPath := filepath.Join(t.TempDir(), "bom.json")
	r := run(t, "--cache-dir", cache, "scan", debianImage, "--no-progress", "--vex", vexDoc, "--ignore-file", ignore,
		"-o", "cyclonedx-json="+bomPath, "-o", "markdown")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var bom struct {
		Vulnerabilities []struct {
			ID       string `json:"id"`
			Affects  []struct{ Ref string }
			Analysis *struct {
				State         string `json:"state"`
				Justification string `json:"justification"`
				Detail        string `json:"detail"`
			} `json:"analysis"`
		} `json:"vulnerabilities"`
	}
	readJSON(t, bomPath, &bom)
	got := map[string]string{}
	for _, v := range bom.Vulnerabilities {
		if v.Analysis == nil {
			continue
		}
		a := strings.Fields(v.Analysis.State + " " + v.Analysis.Justification)
		if reason, ok := strings.CutPrefix(v.Analysis.Detail, "Exception: "); ok {
			reason, _, _ = strings.Cut(reason, " (")
			a = append(a, "exception: "+reason)
		}
		got[v.ID] = strings.Join(a, " ")
	}
	want := map[string]string{
		"CVE-2026-7010":   "not_affected code_not_reachable",
		"CVE-2026-7017":   "in_triage",
		"CVE-2026-109518": "not_affected exception: apt is not run in production",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("analyses (-want +got):\n%s", diff)
	}
	// All 16 findings of the scan: 14 kept, and the two suppressed ones
	// listed with their analysis.
	if n := len(bom.Vulnerabilities); n != 16 {
		t.Errorf("%d vulnerabilities, want the image's 16 findings", n)
	}
}

// TestMarkdownShowsSecrets scans a root filesystem holding a freshly made
// RSA private key: the Markdown comment names it as a CRITICAL secret
// (it was left out before, since the scan has no vulnerabilities).
func TestMarkdownShowsSecrets(t *testing.T) {
	root := t.TempDir()
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.MkdirAll(filepath.Join(root, "root", ".ssh"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "root", ".ssh", "id_rsa"), pemKey, 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, "--cache-dir", t.TempDir(), "scan", "dir:"+root, "--no-progress", "--skip-db", "-o", "markdown")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"**1 secret**: CRITICAL **1**", "| CRITICAL | private-key | /root/.ssh/id\\_rsa:2 |"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("comment lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, string(pemKey[40:80])) {
		t.Error("the comment holds the key itself")
	}
}
