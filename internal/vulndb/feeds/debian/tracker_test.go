package debian

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/shareddata"
	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/errlist"
)

// TestImportTrackerJSONVunnel imports vunnel's sample of the tracker JSON:
// real records for stretch..trixie and sid, high**/low** urgencies,
// end-of-life releases, and a record whose releases is [].
func TestImportTrackerJSONVunnel(t *testing.T) {
	var c collector
	n, err := ImportTrackerJSON(t.Context(), "testdata/tracker/vunnel-debian.json", &c)
	if err != nil {
		t.Fatalf("ImportTrackerJSON: %v", err)
	}
	// 7 records; chromium-browser/CVE-2022-0358 has no release.
	if n != 6 || len(c.advs) != 6 {
		t.Errorf("ImportTrackerJSON = %d (sink %d), want 6", n, len(c.advs))
	}
	var ids []string
	for _, a := range c.advs {
		ids = append(ids, a.ID)
	}
	wantIDs := []string{"CVE-2008-7220", "CVE-2007-2383", "CVE-2013-1444", "CVE-2005-3111", "CVE-2022-0456", "CVE-2025-53603"}
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Errorf("IDs in document order (-want +got):\n%s", diff)
	}
	tests := []*vulndb.Advisory{
		{ID: "CVE-2022-0456", Source: "debian-tracker", Affected: []vulndb.Affected{
			{Ecosystem: "debian:9", Package: "chromium", Status: vulndb.StatusEndOfLife},
			{Ecosystem: "debian:10", Package: "chromium", Status: vulndb.StatusEndOfLife},
			fixed("debian:11", "chromium", "98.0.4758.80-1~deb11u1", ""),
			fixed("debian:12", "chromium", "98.0.4758.80-1", ""),
			fixed("debian:unstable", "chromium", "98.0.4758.80-1", ""),
		}},
		{ID: "CVE-2007-2383", Source: "debian-tracker",
			Summary: `The Prototype (prototypejs) framework before 1.5.1 RC3 exchanges data using JavaScript Object Notation (JSON) without an associated protection scheme, which allows remote attackers to obtain the data via a web page that retrieves the data through a URL in the SRC attribute of a SCRIPT element and captures the data using other JavaScript code, aka "JavaScript Hijacking."`,
			Affected: []vulndb.Affected{
				{Ecosystem: "debian:8", Package: "prototypejs", Status: vulndb.StatusNotAffected, Severity: "NEGLIGIBLE"},
				{Ecosystem: "debian:9", Package: "prototypejs", Status: vulndb.StatusNotAffected, Severity: "NEGLIGIBLE"},
				{Ecosystem: "debian:10", Package: "prototypejs", Status: vulndb.StatusNotAffected, Severity: "NEGLIGIBLE"},
				{Ecosystem: "debian:unstable", Package: "prototypejs", Status: vulndb.StatusNotAffected, Severity: "NEGLIGIBLE"},
			}},
		{ID: "CVE-2008-7220", Source: "debian-tracker",
			Summary: `Unspecified vulnerability in Prototype JavaScript framework (prototypejs) before 1.6.0.2 allows attackers to make "cross-site ajax requests" via unknown vectors.`,
			Affected: []vulndb.Affected{
				fixed("debian:8", "prototypejs", "1.6.0.2-1", "HIGH"),
				fixed("debian:9", "prototypejs", "1.6.0.2-1", "HIGH"),
				fixed("debian:10", "prototypejs", "1.6.0.2-1", "HIGH"),
				fixed("debian:unstable", "prototypejs", "1.6.0.2-1", "HIGH"),
			}},
		{ID: "CVE-2025-53603", Source: "debian-tracker",
			Summary: "In Alinto SOPE SOGo 2.0.2 through 5.12.2, sope-core/NGExtensions/NGHashMap.m allows a NULL pointer dereference and SOGo crash via a request in which a parameter in the query string is a duplicate of a parameter in the POST body.",
			Affected: []vulndb.Affected{
				fixed("debian:11", "sope", "5.0.1-2+deb11u1", ""),
				fixed("debian:12", "sope", "5.8.0-1+deb12u1", ""),
				fixed("debian:13", "sope", "5.12.1-2", ""),
				fixed("debian:unstable", "sope", "5.12.1-2", ""),
			}},
	}
	for _, want := range tests {
		t.Run(want.ID, func(t *testing.T) {
			got := c.byID(want.ID)
			if len(got) != 1 {
				t.Fatalf("%d advisories with ID %s, want 1", len(got), want.ID)
			}
			if diff := cmp.Diff(want, got[0]); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestImportTrackerJSONBookwormSlice imports three packages of the
// changelog-derived bookworm tracker document.
func TestImportTrackerJSONBookwormSlice(t *testing.T) {
	var c collector
	n, err := ImportTrackerJSON(t.Context(), "testdata/tracker/bookworm-slice.json", &c)
	if err != nil {
		t.Fatalf("ImportTrackerJSON: %v", err)
	}
	if want := 84 + 2 + 2; n != want {
		t.Errorf("ImportTrackerJSON = %d, want %d", n, want)
	}
	got := c.byID("CVE-2022-37434")
	want := []*vulndb.Advisory{{ID: "CVE-2022-37434", Source: "debian-tracker",
		Affected: []vulndb.Affected{fixed("debian:12", "zlib", "1:1.2.11.dfsg-4.1", "")}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CVE-2022-37434 (-want +got):\n%s", diff)
	}
}

// TestImportTrackerJSONSharedData imports the whole changelog-derived
// bookworm document (1.7 MB, beside the repository).
func TestImportTrackerJSONSharedData(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 1.7 MB")
	}
	path := shareddata.Path(t, "advisories/debian-bookworm-changelog-derived/tracker.json")
	var c collector
	n, err := ImportTrackerJSON(t.Context(), path, &c)
	if err != nil {
		t.Fatalf("ImportTrackerJSON: %v", err)
	}
	if n != 5484 {
		t.Errorf("ImportTrackerJSON = %d, want the 5,484 records of the MANIFEST", n)
	}
	pkgs := map[string]bool{}
	for _, a := range c.advs {
		if len(a.Affected) != 1 || a.Affected[0].Ecosystem != "debian:12" || a.Affected[0].Status != vulndb.StatusRanges {
			t.Fatalf("%s: want one debian:12 range, got %+v", a.ID, a.Affected)
		}
		pkgs[a.Affected[0].Package] = true
	}
	if len(pkgs) != 99 {
		t.Errorf("%d source packages, want 99", len(pkgs))
	}
}

// TestTrackerStatus is the mapping of a release entry to an Affected record.
func TestTrackerStatus(t *testing.T) {
	tests := []struct {
		name    string
		release string // JSON of the release entry
		want    vulndb.Affected
		wantErr string
	}{
		{"resolved 0", `{"status":"resolved","fixed_version":"0","urgency":"unimportant"}`,
			vulndb.Affected{Status: vulndb.StatusNotAffected, Severity: "NEGLIGIBLE"}, ""},
		{"resolved", `{"status":"resolved","fixed_version":"3.0.14-1~deb12u1","urgency":"not yet assigned"}`,
			vulndb.Affected{Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Fixed: "3.0.14-1~deb12u1"}}}, ""},
		{"resolved end-of-life keeps the fix", `{"status":"resolved","fixed_version":"1.0-1","urgency":"end-of-life"}`,
			vulndb.Affected{Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Fixed: "1.0-1"}}}, ""},
		{"open no-dsa", `{"status":"open","urgency":"low","nodsa":"Minor issue","nodsa_reason":""}`,
			vulndb.Affected{Status: vulndb.StatusWontFix, StatusDetail: "no-dsa", Severity: "LOW"}, ""},
		{"open postponed", `{"status":"open","urgency":"low*","nodsa":"Minor issue","nodsa_reason":"postponed"}`,
			vulndb.Affected{Status: vulndb.StatusWontFix, StatusDetail: "postponed", Severity: "LOW"}, ""},
		{"open ignored", `{"status":"open","urgency":"low**","nodsa":"Too intrusive","nodsa_reason":"ignored"}`,
			vulndb.Affected{Status: vulndb.StatusWontFix, StatusDetail: "ignored", Severity: "LOW"}, ""},
		{"open", `{"status":"open","urgency":"medium*"}`,
			vulndb.Affected{Status: vulndb.StatusAffected, Severity: "MEDIUM"}, ""},
		{"open high", `{"status":"open","urgency":"high","next_point_update":true}`,
			vulndb.Affected{Status: vulndb.StatusAffected, Severity: "HIGH"}, ""},
		{"open end-of-life", `{"status":"open","urgency":"end-of-life","repositories":{"buster":"1.0"}}`,
			vulndb.Affected{Status: vulndb.StatusEndOfLife}, ""},
		{"open end-of-life over nodsa", `{"status":"open","urgency":"end-of-life","nodsa":"x"}`,
			vulndb.Affected{Status: vulndb.StatusEndOfLife}, ""},
		{"undetermined", `{"status":"undetermined","urgency":"not yet assigned"}`,
			vulndb.Affected{Status: vulndb.StatusAffected, StatusDetail: "undetermined"}, ""},
		{"undetermined end-of-life", `{"status":"undetermined","urgency":"end-of-life"}`,
			vulndb.Affected{Status: vulndb.StatusEndOfLife}, ""},
		{"resolved without version", `{"status":"resolved","urgency":"low"}`, vulndb.Affected{}, "without fixed_version"},
		{"unknown status", `{"status":"fixed","fixed_version":"1"}`, vulndb.Affected{}, "unknown status"},
		{"unknown urgency", `{"status":"open","urgency":"critical"}`,
			vulndb.Affected{Status: vulndb.StatusAffected}, "unknown urgency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rel trackerRelease
			if err := json.Unmarshal([]byte(tt.release), &rel); err != nil {
				t.Fatal(err)
			}
			got, ok, err := trackerAffected("openssl", "bookworm", rel)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error = %v, want one containing %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Errorf("error = %v, want none", err)
			}
			if wantOK := tt.want.Status != ""; ok != wantOK {
				t.Fatalf("usable = %v, want %v", ok, wantOK)
			}
			if !ok {
				return
			}
			tt.want.Ecosystem, tt.want.Package = "debian:12", "openssl"
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestEcosystemOf(t *testing.T) {
	tests := []struct{ codename, want string }{
		{"buzz", "debian:1.1"}, {"woody", "debian:3.0"}, {"sarge", "debian:3.1"}, {"etch", "debian:4"},
		{"squeeze", "debian:6"}, {"wheezy", "debian:7"}, {"jessie", "debian:8"}, {"stretch", "debian:9"},
		{"buster", "debian:10"}, {"bullseye", "debian:11"}, {"bookworm", "debian:12"}, {"trixie", "debian:13"},
		{"forky", "debian:14"}, {"sid", "debian:unstable"}, {"experimental", ""}, {"Bookworm", ""},
	}
	for _, tt := range tests {
		t.Run(tt.codename, func(t *testing.T) {
			got, ok := ecosystemOf(tt.codename)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("ecosystemOf(%q) = %q, %v; want %q", tt.codename, got, ok, tt.want)
			}
		})
	}
}

// TestImportTrackerBadInput: bad records are warnings, a broken document is
// an error; the good records are added either way.
func TestImportTrackerBadInput(t *testing.T) {
	good := `"CVE-1":{"releases":{"bookworm":{"status":"open"}}}`
	tests := []struct {
		name    string
		doc     string
		wantN   int
		wantErr string // "" for none
	}{
		{"empty object", `{}`, 0, ""},
		{"not an object", `[]`, 0, "want {"},
		{"empty", ``, 0, "EOF"},
		{"truncated", `{"a":{` + good + `,"CVE-2":{"rel`, 1, "unexpected EOF"},
		{"trailing data", `{"a":{` + good + `}} {}`, 1, "data after"},
		{"syntax error", `{"a":{` + good + `,"CVE-2":{"releases":x}}}`, 1, "invalid character"},
		{"package not an object", `{"a":[1,{"b":2}],"b":3,"c":{` + good + `}}`, 1, `package "b": want an object`},
		{"record of wrong type", `{"a":{"CVE-0":{"description":5},` + good + `}}`, 1, "a/CVE-0: json: cannot unmarshal number"},
		{"releases of wrong type", `{"a":{"CVE-0":{"releases":"x"},` + good + `}}`, 1, "a/CVE-0: releases"},
		{"non-empty array releases", `{"a":{"CVE-0":{"releases":[1]},` + good + `}}`, 1, "want an object, got an array"},
		{"unknown release", `{"a":{"CVE-0":{"releases":{"hurd":{"status":"open"}}},` + good + `}}`, 1, `a/CVE-0: release "hurd": unknown release`},
		{"empty id", `{"a":{"":{"releases":{"sid":{"status":"open"}}},` + good + `}}`, 1, "empty package name or id"},
		{"null releases", `{"a":{"CVE-0":{"releases":null},` + good + `}}`, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c collector
			n, err := importTracker(t.Context(), strings.NewReader(tt.doc), &c)
			if n != tt.wantN || len(c.advs) != tt.wantN {
				t.Errorf("importTracker = %d (sink %d), want %d", n, len(c.advs), tt.wantN)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("importTracker error = %v, want none", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("importTracker error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestImportTrackerJSONErrors(t *testing.T) {
	t.Run("missing file", func(t *testing.T) {
		_, err := ImportTrackerJSON(t.Context(), "testdata/nope.json", &collector{})
		if err == nil {
			t.Error("no error for a missing file")
		}
	})
	t.Run("sink error stops", func(t *testing.T) {
		boom := errors.New("boom")
		n, err := ImportTrackerJSON(t.Context(), "testdata/tracker/vunnel-debian.json", failingSink{boom})
		if !errors.Is(err, boom) || n != 0 {
			t.Errorf("ImportTrackerJSON = %d, %v; want 0 and %v", n, err, boom)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := ImportTrackerJSON(ctx, "testdata/tracker/vunnel-debian.json", &collector{})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("ImportTrackerJSON error = %v, want context.Canceled", err)
		}
	})
	t.Run("warnings are bounded", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(`{"a":{`)
		for i := range 250 {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`"CVE-` + strings.Repeat("1", i%5+1) + `":{"releases":{"hurd":{}}}`)
		}
		b.WriteString(`}}`)
		_, err := importTracker(t.Context(), strings.NewReader(b.String()), &collector{})
		if err == nil {
			t.Fatal("no warnings")
		}
		lines := strings.Split(err.Error(), "\n")
		if len(lines) != errlist.DefaultMax+1 || lines[errlist.DefaultMax] != "150 more warnings not shown" {
			t.Errorf("%d warning lines, last %q; want %d and a count of the rest", len(lines), lines[len(lines)-1], errlist.DefaultMax+1)
		}
	})
}
