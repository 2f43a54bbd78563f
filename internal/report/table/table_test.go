package table

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/golden"
	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/vulndb"
)

func sample() *report.Report {
	r := &report.Report{
		Target: report.Target{Ref: "app.tar", Kind: "docker-archive", Layers: []report.Layer{{DiffID: "sha256:0123456789abcdef", CreatedBy: "ADD rootfs.tar /"}}},
		OS:     &inventory.OS{Family: "debian", Version: "12", Name: "Debian GNU/Linux 12 (bookworm)"},
		DB:     &report.DB{SchemaVersion: vulndb.SchemaVersion},
		Packages: []inventory.Package{
			{ID: "p1", Name: "libssl3", Version: "3.0.9-1"}, {ID: "p2", Name: "perl-base", Version: "5.36.0-7"}, {ID: "p3", Name: "tar", Version: "1.34"},
		},
		Findings: []report.Finding{
			{VulnerabilityID: "CVE-2024-0727", PackageID: "p1", PackageName: "libssl3", PackageVersion: "3.0.9-1", PackageType: "deb", SourceName: "openssl", Status: report.StatusWontFix, StatusDetail: "no-dsa", Severity: vulndb.SeverityLow, Layer: "sha256:0123456789abcdef", CreatedBy: "ADD rootfs.tar /"},
			{VulnerabilityID: "CVE-2023-5363", PackageID: "p1", PackageName: "libssl3", PackageVersion: "3.0.9-1", PackageType: "deb", SourceName: "openssl", Status: report.StatusFixAvailable, FixedVersion: "3.0.11-1~deb12u1", Severity: vulndb.SeverityHigh, Title: "Incorrect cipher key and IV length processing", Layer: "sha256:0123456789abcdef"},
			{VulnerabilityID: "CVE-2023-47038", PackageID: "p2", PackageName: "perl-base", PackageVersion: "5.36.0-7", PackageType: "deb", SourceName: "perl", Status: report.StatusFixAvailable, FixedVersion: "5.36.0-7+deb12u1", Severity: vulndb.SeverityCritical},
		},
		Warnings: []inventory.FileError{{Path: "var/lib/dpkg/status", Err: "os/dpkg: stanza 3: no Package field"}},
	}
	r.Summarize()
	return r
}

func TestEncodeGolden(t *testing.T) {
	var b bytes.Buffer
	if err := (Encoder{}).Encode(&b, sample()); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "sample.golden"), b.Bytes())
}

func TestColorOnlyWhenAsked(t *testing.T) {
	var plain, color bytes.Buffer
	if err := (Encoder{}).Encode(&plain, sample()); err != nil {
		t.Fatal(err)
	}
	if err := (Encoder{Color: true}).Encode(&color, sample()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "\x1b[") {
		t.Error("plain output has escape codes")
	}
	if !strings.Contains(color.String(), "\x1b[1;31mCRITICAL\x1b[0m") {
		t.Errorf("colour output lacks a coloured CRITICAL:\n%q", color.String())
	}
}

func TestSummaryLine(t *testing.T) {
	r := sample()
	if got, want := SummaryLine(r), "3 findings in 2 of 3 packages (CRITICAL 1, HIGH 1, LOW 1); 2 have a fix"; got != want {
		t.Errorf("SummaryLine = %q, want %q", got, want)
	}
	r.Findings = nil
	if got, want := SummaryLine(r), "no findings in 3 packages"; got != want {
		t.Errorf("SummaryLine = %q, want %q", got, want)
	}
	r.Secrets, r.Misconfigurations = []report.Secret{}, []report.Misconfiguration{{}, {}}
	if got, want := SummaryLine(r), "no findings in 3 packages; 0 secrets, 2 misconfigurations"; got != want {
		t.Errorf("SummaryLine with audits = %q, want %q", got, want)
	}
	r.Secrets = []report.Secret{{}}
	if got, want := SummaryLine(r), "no findings in 3 packages; 1 secret, 2 misconfigurations"; got != want {
		t.Errorf("SummaryLine with audits = %q, want %q", got, want)
	}
	r.Secrets, r.Misconfigurations = nil, nil
	r.DB = nil
	if got, want := SummaryLine(r), "3 packages (no vulnerability DB used)"; got != want {
		t.Errorf("SummaryLine = %q, want %q", got, want)
	}
}

// TestOwnedBy: a finding on a component compiled into an OS package's
// binary names that package, whom to ask for a rebuild.
func TestOwnedBy(t *testing.T) {
	owner := &inventory.Owner{ID: "p1", Name: "age", Version: "1.1.1-1+b3", Type: "deb"}
	r := &report.Report{
		DB: &report.DB{SchemaVersion: vulndb.SchemaVersion},
		Packages: []inventory.Package{
			{ID: "p1", Name: "age", Version: "1.1.1-1+b3", Type: "deb"},
			{ID: "p2", Name: "stdlib", Version: "1.19.8", Type: "golang", OwnedBy: owner},
			{ID: "p3", Name: "stdlib", Version: "1.19.8", Type: "golang"},
		},
		Findings: []report.Finding{
			{VulnerabilityID: "GO-2023-1840", PackageID: "p2", PackageName: "stdlib", PackageVersion: "1.19.8", PackageType: "golang", Status: report.StatusFixAvailable, FixedVersion: "1.19.10", Severity: vulndb.SeverityUnknown},
			{VulnerabilityID: "GO-2023-1840", PackageID: "p3", PackageName: "stdlib", PackageVersion: "1.19.8", PackageType: "golang", Status: report.StatusFixAvailable, FixedVersion: "1.19.10", Severity: vulndb.SeverityUnknown},
		},
	}
	var b bytes.Buffer
	if err := (Encoder{}).Encode(&b, r); err != nil {
		t.Fatal(err)
	}
	var heads []string
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(l, "stdlib ") {
			heads = append(heads, l)
		}
	}
	want := []string{"stdlib 1.19.8 · golang · owned by deb age 1.1.1-1+b3", "stdlib 1.19.8 · golang"}
	if strings.Join(heads, "\n") != strings.Join(want, "\n") {
		t.Errorf("package lines %q, want %q; table:\n%s", heads, want, b.String())
	}
}
