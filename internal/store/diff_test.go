package store

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDiff(t *testing.T) {
	ssl := func(version, id, status, fixed, sev string, kev bool) Finding {
		return Finding{PackageName: "libssl3", PackageVersion: version, PURL: "pkg:deb/debian/libssl3@" + version, VulnerabilityID: id, Status: status, FixedVersion: fixed, Severity: sev, KEV: kev}
	}
	before := []Finding{
		ssl("3.0.11-1", "CVE-2023-5678", "will-not-fix", "", "MEDIUM", false),
		ssl("3.0.11-1", "CVE-2024-0727", "fix-available", "3.0.13-1", "MEDIUM", false),
		ssl("3.0.11-1", "CVE-2023-6129", "affected", "", "MEDIUM", false),
	}
	after := []Finding{
		ssl("3.0.11-1", "CVE-2023-5678", "fix-available", "3.0.11-1~deb12u2", "MEDIUM", false), // the distro fixed it after all
		ssl("3.0.11-1", "CVE-2023-6129", "affected", "", "MEDIUM", false),                      // unchanged
		ssl("3.0.11-1", "CVE-2024-5535", "affected", "", "LOW", false),                         // a new advisory
		ssl("3.0.11-1", "CVE-2024-5535", "affected", "", "LOW", false),                         // listed twice: once
	}
	want := Change{
		Added:    []Finding{after[2]},
		Resolved: []Finding{before[1]},
		Changed:  []FindingChange{{Before: before[0], After: after[0]}},
	}
	got := Diff(before, after)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Diff (-want +got):\n%s", diff)
	}
	if got.Empty() || !Diff(after, after).Empty() {
		t.Error("Empty: want false for a change, true for none")
	}
	// KEV listing alone is a change.
	listed := ssl("3.0.11-1", "CVE-2023-6129", "affected", "", "MEDIUM", true)
	if c := Diff(before[2:], []Finding{listed}); len(c.Changed) != 1 {
		t.Errorf("a KEV listing: %+v, want one change", c)
	}
}
