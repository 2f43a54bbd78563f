package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/vulndb"
)

// TestEnrichment stores the KEV entry and EPSS scores of CVE-2021-44228 (as
// CISA's catalog and the EPSS feed publish them) beside two sources' records
// of it, and reads them back.
func TestEnrichment(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "e.db")
	w, err := Create(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	kev := vulndb.KEV{CVE: "CVE-2021-44228", VendorProject: "Apache", Product: "Log4j2", DateAdded: "2021-12-10", DueDate: "2021-12-24", KnownRansomwareCampaignUse: "Known"}
	nvd := &vulndb.Advisory{ID: "CVE-2021-44228", Source: "nvd", Severity: vulndb.SeverityCritical,
		CVSS: []vulndb.CVSS{{Source: "nvd@nist.gov", Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", Score: 10, Type: "Primary"}}}
	deb := &vulndb.Advisory{ID: "CVE-2021-44228", Source: "debian-tracker", Affected: []vulndb.Affected{{Ecosystem: "debian:11", Package: "apache-log4j2", Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Fixed: "2.15.0-1~deb11u1"}}}}}
	for _, a := range []*vulndb.Advisory{nvd, deb} {
		if err := w.Add(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.AddKEV(ctx, kev); err != nil {
		t.Fatal(err)
	}
	for _, e := range []vulndb.EPSS{
		{CVE: "CVE-2021-44228", Score: 0.94358, Percentile: 0.99956, Date: "2025-08-25"},
		{CVE: "CVE-2021-44228", Score: 0.5, Percentile: 0.5, Date: "2024-01-01"}, // older: ignored
	} {
		if err := w.AddEPSS(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	got, err := db.ByID(ctx, "CVE-2021-44228")
	if err != nil {
		t.Fatal(err)
	}
	var srcs []string
	for _, a := range got {
		srcs = append(srcs, a.Source)
	}
	if diff := cmp.Diff([]string{"debian-tracker", "nvd"}, srcs); diff != "" {
		t.Errorf("ByID sources (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(nvd.CVSS, got[1].CVSS); diff != "" {
		t.Errorf("nvd CVSS (-want +got):\n%s", diff)
	}
	k, err := db.KEV(ctx, "CVE-2021-44228")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&kev, k); diff != "" {
		t.Errorf("KEV (-want +got):\n%s", diff)
	}
	e, err := db.EPSS(ctx, "CVE-2021-44228")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&vulndb.EPSS{CVE: "CVE-2021-44228", Score: 0.94358, Percentile: 0.99956, Date: "2025-08-25"}, e); diff != "" {
		t.Errorf("EPSS (-want +got):\n%s", diff)
	}
	if k, err := db.KEV(ctx, "CVE-1999-0001"); k != nil || err != nil {
		t.Errorf("KEV of an unlisted CVE = %v, %v", k, err)
	}
	if e, err := db.EPSS(ctx, "CVE-1999-0001"); e != nil || err != nil {
		t.Errorf("EPSS of an unscored CVE = %v, %v", e, err)
	}
}
