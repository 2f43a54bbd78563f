package report

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOnly(t *testing.T) {
	r := &Report{
		Findings: []Finding{
			{VulnerabilityID: "CVE-2020-1967", PackageName: "libssl1.1", Severity: "HIGH"},
			{VulnerabilityID: "CVE-2020-1967", PackageName: "libcrypto1.1", Severity: "HIGH"},
			{VulnerabilityID: "GHSA-jfh8-c2jp-5v3q", Aliases: []string{"CVE-2021-44228"}, PackageName: "log4j-core", Severity: "CRITICAL"},
			{VulnerabilityID: "CVE-2019-1551", PackageName: "libssl1.1", Severity: "MEDIUM"},
		},
		Suppressed:        []Suppression{{VulnerabilityID: "CVE-2021-44228", By: SuppressedByVEX, Finding: Finding{VulnerabilityID: "CVE-2021-44228", PackageName: "log4j-api"}}},
		Secrets:           []Secret{{Rule: "aws-access-key-id"}},
		Misconfigurations: []Misconfiguration{{ID: "image.root-user"}},
	}
	for _, tc := range []struct {
		ids            []string
		pkgs, suppress []string
	}{
		{[]string{"CVE-2020-1967"}, []string{"libssl1.1", "libcrypto1.1"}, nil},
		{[]string{" cve-2021-44228 "}, []string{"log4j-core"}, []string{"log4j-api"}},
		{[]string{"ghsa-jfh8-c2jp-5v3q", "CVE-2019-1551"}, []string{"log4j-core", "libssl1.1"}, nil},
		{[]string{"CVE-2099-0001"}, nil, nil},
	} {
		got := r.Only(tc.ids...)
		var pkgs, suppress []string
		for _, f := range got.Findings {
			pkgs = append(pkgs, f.PackageName)
		}
		for _, s := range got.Suppressed {
			suppress = append(suppress, s.Finding.PackageName)
		}
		if diff := cmp.Diff(tc.pkgs, pkgs); diff != "" {
			t.Errorf("Only(%q) findings (-want +got):\n%s", tc.ids, diff)
		}
		if diff := cmp.Diff(tc.suppress, suppress); diff != "" {
			t.Errorf("Only(%q) suppressed (-want +got):\n%s", tc.ids, diff)
		}
		if got.Summary.Findings != len(tc.pkgs) || got.Secrets != nil || got.Misconfigurations != nil {
			t.Errorf("Only(%q): summary %d findings, secrets %v, checks %v", tc.ids, got.Summary.Findings, got.Secrets, got.Misconfigurations)
		}
	}
	if len(r.Findings) != 4 || len(r.Suppressed) != 1 || len(r.Secrets) != 1 {
		t.Error("Only changed the report it was given")
	}
}
