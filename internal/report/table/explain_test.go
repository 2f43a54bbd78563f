package table

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/golden"
	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/vulndb"
)

func explain(t *testing.T, e Explain, r *report.Report) string {
	t.Helper()
	var b strings.Builder
	if err := e.Encode(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestExplainGolden explains findings of the shared sample: one ID in
// two packages, a GHSA asked for by its CVE alias with a KEV entry, an
// undetermined finding, a suppressed one, and an ID the report lacks.
func TestExplainGolden(t *testing.T) {
	r := full(t)
	r.Suppressed = []report.Suppression{{VulnerabilityID: "CVE-2023-0464", PackageName: "ca-certificates-cacert", By: report.SuppressedByException,
		Reason: "only the CA bundle; no OpenSSL code in this package", Owner: "platform-team", Expires: "2027-03-01", Source: ".customsignore.yaml:4",
		Finding: r.Findings[7]}}
	r.Findings = append(r.Findings[:7], r.Findings[8:]...)
	for _, w := range []int{80, 120} {
		t.Run(fmt.Sprint(w), func(t *testing.T) {
			got := explain(t, Explain{IDs: []string{"CVE-2020-1967", "cve-2021-44228", "CVE-2019-14697", "CVE-2023-0464", "CVE-2099-0001"}, Width: w}, r)
			golden.Check(t, filepath.Join("testdata", fmt.Sprintf("explain-%d.golden", w)), []byte(got))
		})
	}
}

// TestExplainFitsWidth checks the explanation wraps at the width: a line
// is longer only when it holds one word too long for the room (a vector,
// a URL, a PURL), which is never broken.
func TestExplainFitsWidth(t *testing.T) {
	r := full(t)
	r.Findings[0].Title = strings.Repeat("a long title ", 30)
	r.Findings[0].CreatedBy = "/bin/sh -c " + strings.Repeat("apt-get install -y something && ", 20)
	for w := MinWidth; w <= 200; w += 7 {
		out := explain(t, Explain{IDs: []string{r.Findings[0].VulnerabilityID, "GHSA-jfh8-c2jp-5v3q"}, Width: w}, r)
		for _, line := range strings.Split(out, "\n") {
			if runes(line) <= w {
				continue
			}
			if value := []rune(line)[2+labelWidth+1:]; len(strings.Fields(string(value))) != 1 {
				t.Errorf("width %d: line of %d runes:\n%s", w, runes(line), line)
			}
		}
	}
}

func TestExplainColor(t *testing.T) {
	r := full(t)
	out := explain(t, Explain{IDs: []string{"GO-2023-1703"}, Color: true}, r)
	if !strings.Contains(out, "· \x1b[1;31mCRITICAL\x1b[0m ·") {
		t.Errorf("no coloured severity:\n%q", out)
	}
	if plain := explain(t, Explain{IDs: []string{"GO-2023-1703"}}, r); strings.Contains(plain, "\x1b[") {
		t.Errorf("escapes without Color:\n%q", plain)
	}
}

func TestExplainSeverityWithoutSource(t *testing.T) {
	r := full(t)
	r.Findings = []report.Finding{{VulnerabilityID: "CVE-2026-109518", PackageName: "apt", PackageVersion: "2.6.1", Severity: vulndb.SeverityUnknown, Status: report.StatusFixAvailable, FixedVersion: "2.6.2"}}
	out := explain(t, Explain{IDs: []string{"CVE-2026-109518"}}, r)
	r.DB.Sources = append(r.DB.Sources, vulndb.SourceInfo{Kind: "nvd"}, vulndb.SourceInfo{Kind: "kev"})
	with := explain(t, Explain{IDs: []string{"CVE-2026-109518"}}, r)
	for _, want := range []string{"UNKNOWN: the matching feed gives no rating, and the DB's NVD data none for this ID", "kev         not in CISA's Known Exploited Vulnerabilities catalog"} {
		if !strings.Contains(with, want) {
			t.Errorf("explanation with nvd and kev sources lacks %q:\n%s", want, with)
		}
	}
	for _, want := range []string{"UNKNOWN: the matching feed does not rate it", "nvd=PATH", "upgrade apt to 2.6.2", "no evidence recorded", "kev         unknown: the DB holds no KEV"} {
		if !strings.Contains(out, want) {
			t.Errorf("explanation lacks %q:\n%s", want, out)
		}
	}
}

func TestExplainOwnedBy(t *testing.T) {
	r := full(t)
	for i, p := range r.Packages {
		if p.ID == "go1" {
			r.Packages[i].OwnedBy = &inventory.Owner{ID: "age", Name: "age", Version: "1.1.1-1+b3", Type: "deb"}
		}
	}
	out := explain(t, Explain{IDs: []string{"GO-2023-1703"}}, r)
	if !strings.Contains(out, "  owned by    deb age 1.1.1-1+b3, which installed the file") {
		t.Errorf("no owner:\n%s", out)
	}
}
