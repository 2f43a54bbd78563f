package match

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/version"
	apkver "github.com/customs-scanner/customs/internal/version/apk"
	cargover "github.com/customs-scanner/customs/internal/version/cargo"
	dpkgver "github.com/customs-scanner/customs/internal/version/dpkg"
	genericver "github.com/customs-scanner/customs/internal/version/generic"
	rpmver "github.com/customs-scanner/customs/internal/version/rpm"
	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/sqlite"
)

// Records shaped after real Debian tracker and Alpine secdb entries
// (openssl 3.0.11-1~deb12u1 fixed CVE-2023-5363 in bookworm; DSA-5532-1
// announced it; Alpine 3.10 fixed CVE-2019-1547 in openssl 1.1.1d-r0).
var fixtures = []*vulndb.Advisory{
	{ID: "CVE-2023-5363", Source: "debian-tracker", Summary: "Incorrect cipher key and IV length processing",
		Affected: []vulndb.Affected{{Ecosystem: "debian:12", Package: "openssl", Status: vulndb.StatusRanges,
			Ranges: []vulndb.Range{{Fixed: "3.0.11-1~deb12u1"}}, Severity: vulndb.SeverityHigh}}},
	{ID: "DSA-5532-1", Source: "debian-lists", Aliases: []string{"CVE-2023-5363"},
		Affected: []vulndb.Affected{{Ecosystem: "debian:12", Package: "openssl", Status: vulndb.StatusRanges,
			Ranges: []vulndb.Range{{Fixed: "3.0.11-1~deb12u1"}}}}},
	{ID: "CVE-2023-3446", Source: "debian-tracker",
		Affected: []vulndb.Affected{{Ecosystem: "debian:12", Package: "openssl", Status: vulndb.StatusRanges,
			Ranges: []vulndb.Range{{Fixed: "3.0.9-1"}}, Severity: vulndb.SeverityLow}}},
	{ID: "CVE-2024-0727", Source: "debian-tracker",
		Affected: []vulndb.Affected{{Ecosystem: "debian:12", Package: "openssl", Status: vulndb.StatusWontFix,
			StatusDetail: "no-dsa", Severity: vulndb.SeverityLow}}},
	{ID: "CVE-2010-5298", Source: "debian-tracker",
		Affected: []vulndb.Affected{{Ecosystem: "debian:12", Package: "openssl", Status: vulndb.StatusNotAffected}}},
	{ID: "CVE-2024-2511", Source: "debian-tracker",
		Affected: []vulndb.Affected{{Ecosystem: "debian:12", Package: "openssl", Status: vulndb.StatusAffected,
			Severity: vulndb.SeverityMedium}}},
	{ID: "CVE-2022-0001", Source: "debian-tracker", Withdrawn: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC),
		Affected: []vulndb.Affected{{Ecosystem: "debian:12", Package: "openssl", Status: vulndb.StatusAffected}}},
	{ID: "CVE-2021-3711", Source: "debian-tracker",
		Affected: []vulndb.Affected{{Ecosystem: "debian:12", Package: "linux", Status: vulndb.StatusEndOfLife}}},
	{ID: "CVE-2019-1547", Source: "alpine-secdb",
		Affected: []vulndb.Affected{{Ecosystem: "alpine:3.10", Package: "openssl", Status: vulndb.StatusRanges,
			Ranges: []vulndb.Range{{Fixed: "1.1.1d-r0"}}}}},
}

// Log4Shell as the Debian tracker (no urgency given here), NVD, CISA's
// KEV catalog and EPSS publish it.
var log4shell = []*vulndb.Advisory{
	{ID: "CVE-2021-44228", Source: "debian-tracker",
		Affected: []vulndb.Affected{{Ecosystem: "debian:11", Package: "apache-log4j2", Status: vulndb.StatusRanges,
			Ranges: []vulndb.Range{{Fixed: "2.15.0-1~deb11u1"}}}}},
	{ID: "CVE-2021-44228", Source: "nvd", Severity: vulndb.SeverityCritical,
		CVSS: []vulndb.CVSS{{Source: "nvd@nist.gov", Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", Score: 10, Type: "Primary"}}},
	{ID: "CVE-2024-2511", Source: "nvd", Severity: vulndb.SeverityHigh},
}

func testDB(t *testing.T) *sqlite.DB {
	t.Helper()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "test.db")
	w, err := sqlite.Create(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range append(slices.Clone(fixtures), log4shell...) {
		if err := w.Add(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.AddKEV(ctx, vulndb.KEV{CVE: "CVE-2021-44228", DateAdded: "2021-12-10", DueDate: "2021-12-24"}); err != nil {
		t.Fatal(err)
	}
	if err := w.AddEPSS(ctx, vulndb.EPSS{CVE: "CVE-2021-44228", Score: 0.94358, Percentile: 0.99956, Date: "2025-08-25"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var schemes = map[string]version.Scheme{"deb": dpkgver.Scheme{}, "apk": apkver.Scheme{}}

func TestMatch(t *testing.T) {
	db := testDB(t)
	libssl := inventory.Package{ID: "p1", Name: "libssl3", Version: "3.0.9-1+b1", Type: "deb",
		SourceName: "openssl", SourceVersion: "3.0.9-1", Ecosystem: "debian:12", Layer: "sha256:aa", CreatedBy: "RUN apt-get install libssl3"}
	type row struct{ ID, Status, Detail, Fixed, Severity, Cmp string }
	tests := []struct {
		name string
		pkg  inventory.Package
		opts Options
		want []row
	}{
		{
			name: "debian source package, source version compared",
			pkg:  libssl,
			want: []row{
				{"CVE-2023-5363", report.StatusFixAvailable, "", "3.0.11-1~deb12u1", vulndb.SeverityHigh, "3.0.9-1 < 3.0.11-1~deb12u1 (dpkg)"},
				{"CVE-2024-0727", report.StatusWontFix, "no-dsa", "", vulndb.SeverityLow, ""},
				{"CVE-2024-2511", report.StatusAffected, "", "", vulndb.SeverityMedium, ""},
			},
		},
		{
			name: "not-affected on request",
			pkg:  libssl,
			opts: Options{IncludeNotAffected: true},
			want: []row{
				{"CVE-2010-5298", report.StatusNotAffected, "", "", vulndb.SeverityUnknown, ""},
				{"CVE-2023-3446", report.StatusNotAffected, "", "", vulndb.SeverityLow, "3.0.9-1 >= 3.0.9-1 (dpkg)"},
				{"CVE-2023-5363", report.StatusFixAvailable, "", "3.0.11-1~deb12u1", vulndb.SeverityHigh, "3.0.9-1 < 3.0.11-1~deb12u1 (dpkg)"},
				{"CVE-2024-0727", report.StatusWontFix, "no-dsa", "", vulndb.SeverityLow, ""},
				{"CVE-2024-2511", report.StatusAffected, "", "", vulndb.SeverityMedium, ""},
			},
		},
		{
			name: "end of life",
			pkg:  inventory.Package{ID: "k", Name: "linux-image-amd64", Version: "6.1.76-1", Type: "deb", SourceName: "linux", SourceVersion: "6.1.76-1", Ecosystem: "debian:12"},
			want: []row{{"CVE-2021-3711", report.StatusEndOfLife, "", "", vulndb.SeverityUnknown, ""}},
		},
		{
			name: "unparseable installed version is undetermined",
			pkg:  inventory.Package{ID: "x", Name: "libssl3", Version: "bad version", Type: "deb", SourceName: "openssl", SourceVersion: "1.0 beta", Ecosystem: "debian:12"},
			want: []row{
				{"CVE-2023-3446", report.StatusUndetermined, "", "", vulndb.SeverityLow, ""},
				{"CVE-2023-5363", report.StatusUndetermined, "", "", vulndb.SeverityHigh, ""},
				{"CVE-2024-0727", report.StatusWontFix, "no-dsa", "", vulndb.SeverityLow, ""},
				{"CVE-2024-2511", report.StatusAffected, "", "", vulndb.SeverityMedium, ""},
			},
		},
		{
			name: "alpine origin with apk rules",
			pkg:  inventory.Package{ID: "a", Name: "libcrypto1.1", Version: "1.1.1c-r0", Type: "apk", SourceName: "openssl", SourceVersion: "1.1.1c-r0", Ecosystem: "alpine:3.10"},
			want: []row{{"CVE-2019-1547", report.StatusFixAvailable, "", "1.1.1d-r0", vulndb.SeverityUnknown, "1.1.1c-r0 < 1.1.1d-r0 (apk)"}},
		},
		{
			name: "alpine fixed version installed",
			pkg:  inventory.Package{ID: "a", Name: "libcrypto1.1", Version: "1.1.1d-r0", Type: "apk", SourceName: "openssl", SourceVersion: "1.1.1d-r0", Ecosystem: "alpine:3.10"},
			want: nil,
		},
		{
			name: "package type without a scheme is undetermined where a comparison is needed",
			pkg:  inventory.Package{ID: "r", Name: "openssl", Version: "1", Type: "rpm", Ecosystem: "debian:12"},
			want: []row{
				{"CVE-2023-3446", report.StatusUndetermined, "", "", vulndb.SeverityLow, ""},
				{"CVE-2023-5363", report.StatusUndetermined, "", "", vulndb.SeverityHigh, ""},
				{"CVE-2024-0727", report.StatusWontFix, "no-dsa", "", vulndb.SeverityLow, ""},
				{"CVE-2024-2511", report.StatusAffected, "", "", vulndb.SeverityMedium, ""},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.Schemes = schemes
			got, err := Match(context.Background(), db, []inventory.Package{tc.pkg}, opts)
			if err != nil {
				t.Fatal(err)
			}
			var rows []row
			for _, f := range got {
				r := row{f.VulnerabilityID, f.Status, f.StatusDetail, f.FixedVersion, f.Severity, ""}
				for _, e := range f.Evidence {
					if e.Comparison != "" {
						r.Cmp = e.Comparison
						break
					}
				}
				rows = append(rows, r)
				if f.PackageID != tc.pkg.ID || f.Layer != tc.pkg.Layer || f.CreatedBy != tc.pkg.CreatedBy {
					t.Errorf("%s: package fields not carried: %+v", f.VulnerabilityID, f)
				}
				if len(f.Evidence) == 0 {
					t.Errorf("%s: no evidence", f.VulnerabilityID)
				}
			}
			if diff := cmp.Diff(tc.want, rows); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMatchWithoutScheme: a package whose type has no version scheme is
// not dropped in silence: each record that needs a comparison gives an
// undetermined finding whose evidence says why, and the summary counts them.
func TestMatchWithoutScheme(t *testing.T) {
	db := testDB(t)
	pkg := inventory.Package{ID: "r", Name: "openssl", Version: "3.0.9-1", Type: "rpm", Ecosystem: "debian:12"}
	got, err := Match(t.Context(), db, []inventory.Package{pkg}, Options{Schemes: schemes})
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, f := range got {
		if f.Status != report.StatusUndetermined {
			continue
		}
		for _, e := range f.Evidence {
			if e.Reason != "" {
				reasons = append(reasons, f.VulnerabilityID+": "+e.Reason)
				break
			}
		}
	}
	want := []string{
		`CVE-2023-3446: installed version "3.0.9-1": no version scheme compares rpm versions`,
		`CVE-2023-5363: installed version "3.0.9-1": no version scheme compares rpm versions`,
	}
	if diff := cmp.Diff(want, reasons); diff != "" {
		t.Errorf("undetermined reasons (-want +got):\n%s", diff)
	}
	r := report.Report{Findings: got}
	r.Summarize()
	if n := r.Summary.ByStatus[report.StatusUndetermined]; n != 2 {
		t.Errorf("summary counts %d undetermined findings, want 2 (%v)", n, r.Summary.ByStatus)
	}
}

func TestMatchFoldsDSAIntoCVE(t *testing.T) {
	db := testDB(t)
	pkg := inventory.Package{ID: "p", Name: "openssl", Version: "3.0.9-1", Type: "deb", SourceName: "openssl", SourceVersion: "3.0.9-1", Ecosystem: "debian:12"}
	got, err := Match(context.Background(), db, []inventory.Package{pkg}, Options{Schemes: schemes})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range got {
		if f.VulnerabilityID == "DSA-5532-1" {
			t.Fatalf("DSA-5532-1 reported on its own; want it folded into CVE-2023-5363")
		}
		if f.VulnerabilityID == "CVE-2023-5363" {
			if diff := cmp.Diff([]string{"DSA-5532-1"}, f.Aliases); diff != "" {
				t.Errorf("aliases (-want +got):\n%s", diff)
			}
			var srcs []string
			for _, e := range f.Evidence {
				srcs = append(srcs, e.Source+":"+e.AdvisoryID)
			}
			if diff := cmp.Diff([]string{"debian-tracker:CVE-2023-5363", "debian-lists:DSA-5532-1"}, srcs); diff != "" {
				t.Errorf("evidence (-want +got):\n%s", diff)
			}
		}
	}
}

func TestMatchRatesFindings(t *testing.T) {
	db := testDB(t)
	pkgs := []inventory.Package{
		{ID: "l", Name: "liblog4j2-java", Version: "2.13.3-1", Type: "deb", SourceName: "apache-log4j2", SourceVersion: "2.13.3-1", Ecosystem: "debian:11"},
		{ID: "o", Name: "libssl3", Version: "3.0.9-1", Type: "deb", SourceName: "openssl", SourceVersion: "3.0.9-1", Ecosystem: "debian:12"},
	}
	got, err := Match(context.Background(), db, pkgs, Options{Schemes: schemes, Enricher: db})
	if err != nil {
		t.Fatal(err)
	}
	type rated struct {
		ID, Severity, Source string
		CVSS                 []report.CVSS
		KEV                  *report.KEV
		EPSS                 *report.EPSS
	}
	var rows []rated
	for _, f := range got {
		if f.VulnerabilityID == "CVE-2021-44228" || f.VulnerabilityID == "CVE-2024-2511" {
			rows = append(rows, rated{f.VulnerabilityID, f.Severity, f.SeveritySource, f.CVSS, f.KEV, f.EPSS})
		}
	}
	want := []rated{
		// No distro rating: NVD's applies, with its CVSS, KEV and EPSS.
		{"CVE-2021-44228", vulndb.SeverityCritical, "nvd",
			[]report.CVSS{{Source: "nvd@nist.gov", Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", Score: 10}},
			&report.KEV{DateAdded: "2021-12-10", DueDate: "2021-12-24"},
			&report.EPSS{Score: 0.94358, Percentile: 0.99956, Date: "2025-08-25"}},
		// The distro's own MEDIUM wins over NVD's HIGH.
		{"CVE-2024-2511", vulndb.SeverityMedium, "debian-tracker", []report.CVSS{}, nil, nil},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("ratings (-want +got):\n%s", diff)
	}
}

// TestMatchBinaryByCPE: software identified inside a binary (python
// 3.11.2 in /usr/bin/python3.11) is matched against NVD's CPE ranges,
// stored as ecosystem "cpe", package "vendor:product": CVE-2023-24329

// TestMatchKeepsOneOfMutualAliases: two records of one crate that name
// each other (RUSTSEC-2022-0013 and GHSA-m5pq-gvj9-9vr8, both listing the
// other as an alias) give one finding, with both records' evidence and the
// stronger status; both were folded away before, leaving no finding.
func TestMatchKeepsOneOfMutualAliases(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "m.db")
	w, err := sqlite.Create(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	regex := func(r ...vulndb.Range) []vulndb.Affected {
		return []vulndb.Affected{{Ecosystem: "crates.io", Package: "regex", Status: vulndb.StatusRanges, Ranges: r}}
	}
	for _, a := range []*vulndb.Advisory{
		{ID: "RUSTSEC-2022-0013", Source: "osv", Aliases: []string{"CVE-2022-24713", "GHSA-m5pq-gvj9-9vr8"}, Affected: regex(vulndb.Range{Introduced: "0.0.0-0", Fixed: "1.5.5"})},
		{ID: "GHSA-m5pq-gvj9-9vr8", Source: "osv", Aliases: []string{"CVE-2022-24713", "RUSTSEC-2022-0013"}, Affected: regex(vulndb.Range{Introduced: "0"})},
	} {
		if err := w.Add(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pkg := inventory.Package{ID: "r", Name: "regex", Version: "1.5.4", Type: "cargo", Ecosystem: "crates.io"}
	got, err := Match(ctx, db, []inventory.Package{pkg}, Options{Schemes: map[string]version.Scheme{"cargo": cargover.Scheme{}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d findings, want 1: %+v", len(got), got)
	}
	f := got[0]
	var ev []string
	for _, e := range f.Evidence {
		ev = append(ev, e.AdvisoryID)
	}
	slices.Sort(ev)
	if diff := cmp.Diff([]string{"GHSA-m5pq-gvj9-9vr8", "RUSTSEC-2022-0013"}, ev); diff != "" {
		t.Errorf("evidence (-want +got):\n%s", diff)
	}
	if f.Status != report.StatusFixAvailable || f.FixedVersion != "1.5.5" {
		t.Errorf("status %s, fixed %q; want fix-available at 1.5.5", f.Status, f.FixedVersion)
	}
}

// affects python:python before 3.11.4.
func TestMatchBinaryByCPE(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "cpe.db")
	w, err := sqlite.Create(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add(ctx, &vulndb.Advisory{ID: "CVE-2023-24329", Source: "nvd", Severity: vulndb.SeverityHigh,
		Affected: []vulndb.Affected{{Ecosystem: "cpe", Package: "python:python", Status: vulndb.StatusRanges,
			Ranges: []vulndb.Range{{Fixed: "3.11.4"}}, CPEs: []string{"cpe:2.3:a:python:python:*:*:*:*:*:*:*:*"}}}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pkg := inventory.Package{ID: "b", Name: "python", Version: "3.11.2", Type: "generic", Ecosystem: "cpe", SourceName: "python:python",
		Locations: []inventory.Location{{Path: "usr/bin/python3.11", Layer: "sha256:aa"}}}
	got, err := Match(ctx, db, []inventory.Package{pkg}, Options{Schemes: map[string]version.Scheme{"generic": genericver.Scheme{}}, Enricher: db})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].VulnerabilityID != "CVE-2023-24329" || got[0].FixedVersion != "3.11.4" ||
		got[0].Severity != vulndb.SeverityHigh || got[0].SeveritySource != "nvd" || got[0].Locations[0].Path != "usr/bin/python3.11" {
		t.Errorf("findings = %+v", got)
	}
}

// TestMatchRPM: an RHEL package is looked up by source rpm and by binary
// name (Red Hat's VEX names either) and compared with rpm's rules, epoch
// included: RHSA-2024:6163-style records.
func TestMatchRPM(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "rpm.db")
	w, err := sqlite.Create(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []*vulndb.Advisory{
		{ID: "CVE-2024-6345", Source: "redhat-csaf", Aliases: []string{"RHSA-2024:6163"}, Affected: []vulndb.Affected{{Ecosystem: "redhat:8", Package: "python-setuptools",
			Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Fixed: "0:39.2.0-8.el8_10"}}, Severity: vulndb.SeverityHigh}}},
		{ID: "CVE-2023-0001", Source: "redhat-csaf", Affected: []vulndb.Affected{{Ecosystem: "redhat:8", Package: "python3-setuptools",
			Status: vulndb.StatusWontFix, StatusDetail: "will not fix", Severity: vulndb.SeverityLow}}},
	} {
		if err := w.Add(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pkg := inventory.Package{ID: "r", Name: "python3-setuptools", Version: "39.2.0-7.el8", Type: "rpm", Ecosystem: "redhat:8",
		SourceName: "python-setuptools", SourceVersion: "39.2.0-7.el8", AlsoMatch: []string{"python3-setuptools"}}
	got, err := Match(ctx, db, []inventory.Package{pkg}, Options{Schemes: map[string]version.Scheme{"rpm": rpmver.Scheme{}}})
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, f := range got {
		rows = append(rows, f.VulnerabilityID+" "+f.Status+" "+f.FixedVersion)
	}
	if diff := cmp.Diff([]string{"CVE-2023-0001 will-not-fix ", "CVE-2024-6345 fix-available 0:39.2.0-8.el8_10"}, rows); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}
