package json

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
)

func TestRoundTrip(t *testing.T) {
	r := &report.Report{
		SchemaVersion: report.SchemaVersion,
		CreatedAt:     time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC),
		Target:        report.Target{Ref: "app.tar", Kind: "docker-archive"},
		Packages:      []inventory.Package{{ID: "p", Name: "tar", Version: "1.34+dfsg-1.2", Type: "deb", PURL: "pkg:deb/debian/tar@1.34%2Bdfsg-1.2", Locations: []inventory.Location{{Path: "var/lib/dpkg/status", Layer: "sha256:aa"}}}},
		Findings:      []report.Finding{{VulnerabilityID: "CVE-2022-48303", Aliases: []string{}, PackageID: "p", PackageName: "tar", Status: report.StatusFixAvailable, FixedVersion: "1.34+dfsg-1.2+deb12u1", Severity: "LOW", Evidence: []report.Evidence{{Source: "debian-tracker", AdvisoryID: "CVE-2022-48303", Comparison: "1.34+dfsg-1.2 < 1.34+dfsg-1.2+deb12u1 (dpkg)"}}}},
	}
	r.Summarize()
	var b bytes.Buffer
	if err := (Encoder{}).Encode(&b, r); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"vulnerabilityID"`, `"aliases"`, `"packageName"`, `"packageVersion"`, `"packageType"`, `"purl"`, `"sourceName"`, `"sourceVersion"`, `"status"`, `"fixedVersion"`, `"severity"`, `"layer"`, `"createdBy"`, `"locations"`, `"schemaVersion": "1.1"`} {
		if !strings.Contains(b.String(), field) {
			t.Errorf("report lacks %s", field)
		}
	}
	got, err := Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if _, err := Decode(strings.NewReader(`{"schemaVersion":"2.0"}`)); err == nil {
		t.Error("a schema 2 report was accepted")
	}
}
