package nvd

import (
	"archive/zip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/google/go-cmp/cmp"
)

// collect is an in-memory vulndb.Sink.
type collect []*vulndb.Advisory

func (c *collect) Add(_ context.Context, a *vulndb.Advisory) error {
	*c = append(*c, a)
	return nil
}

func (c collect) byID(id string) *vulndb.Advisory {
	for _, a := range c {
		if a.ID == id {
			return a
		}
	}
	return nil
}

func (c collect) ids() []string {
	var ids []string
	for _, a := range c {
		ids = append(ids, a.ID)
	}
	slices.Sort(ids)
	return ids
}

func date(s string) time.Time {
	t, err := time.Parse("2006-01-02T15:04:05.999", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestImportCounts(t *testing.T) {
	tests := []struct {
		path string
		n    int
		ids  []string // checked when set
	}{
		{"testdata/full-page.json.gz", 38, nil},
		{"testdata/pages", 4, []string{"CVE-2014-1424", "CVE-2022-36749", "CVE-2023-5341", "CVE-2024-3094"}},
		{"testdata/pages/emptyResp.json", 0, nil},
		{"testdata/cve", 2, []string{"CVE-2020-8167", "CVE-2024-5732"}},
		{"testdata", 38 + 4 + 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			var got collect
			n, err := Import(t.Context(), tt.path, &got)
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.n || len(got) != tt.n {
				t.Errorf("Import = %d, sink got %d, want %d", n, len(got), tt.n)
			}
			if tt.ids != nil {
				if diff := cmp.Diff(tt.ids, got.ids()); diff != "" {
					t.Errorf("ids (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestImportRecords(t *testing.T) {
	var got collect
	if _, err := Import(t.Context(), "testdata", &got); err != nil {
		t.Fatal(err)
	}
	tests := []vulndb.Advisory{
		{
			ID:        "CVE-2014-1424",
			Source:    "nvd",
			Summary:   `apparmor_parser in the apparmor package before 2.8.95~2430-0ubuntu5.1 in Ubuntu 14.04 allows attackers to bypass AppArmor policies via unspecified vectors, related to a "miscompilation flaw."`,
			Details:   `apparmor_parser in the apparmor package before 2.8.95~2430-0ubuntu5.1 in Ubuntu 14.04 allows attackers to bypass AppArmor policies via unspecified vectors, related to a "miscompilation flaw."`,
			Severity:  "MEDIUM",
			Published: date("2014-11-24T15:59:00.090"),
			Modified:  date("2025-04-12T10:46:40.837"),
			References: []vulndb.Reference{
				{Type: "FIX", URL: "http://www.ubuntu.com/usn/USN-2413-1"},
			},
			CVSS: []vulndb.CVSS{
				{Source: "nvd@nist.gov", Version: "2.0", Vector: "AV:N/AC:L/Au:N/C:N/I:P/A:P", Score: 6.4, Type: "Primary"},
			},
			CWEs: []string{"CWE-264"},
			Affected: []vulndb.Affected{
				{
					Ecosystem: "cpe", Package: "ubuntu:apparmor", Status: vulndb.StatusRanges,
					Ranges: []vulndb.Range{{LastAffected: "2.8.94-0ubuntu1.4"}},
					CPEs:   []string{"cpe:2.3:a:ubuntu:apparmor:*:*:*:*:*:*:*:*"},
				},
				{
					Ecosystem: "cpe", Package: "canonical:ubuntu", Status: vulndb.StatusRanges,
					Versions: []string{"14.04"},
					CPEs:     []string{"cpe:2.3:o:canonical:ubuntu:14.04:*:*:*:lts:*:*:*"},
				},
			},
		},
	}
	for _, want := range tests {
		t.Run(want.ID, func(t *testing.T) {
			a := got.byID(want.ID)
			if a == nil {
				t.Fatalf("%s not imported", want.ID)
			}
			if diff := cmp.Diff(&want, a); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestImportParts checks the parts of records the exact-record test does
// not cover: several metrics and sources, a range, the xz backdoor's exact
// versions, an AND configuration's platform (not vulnerable) left out.
func TestImportParts(t *testing.T) {
	var got collect
	if _, err := Import(t.Context(), "testdata", &got); err != nil {
		t.Fatal(err)
	}
	type parts struct {
		Severity string
		CVSS     []vulndb.CVSS
		CWEs     []string
		Affected []vulndb.Affected
	}
	tests := []struct {
		id   string
		want parts
	}{
		{"CVE-2024-5732", parts{
			Severity: "CRITICAL",
			CVSS: []vulndb.CVSS{
				{Source: "cna@vuldb.com", Version: "2.0", Vector: "AV:N/AC:L/Au:N/C:P/I:P/A:P", Score: 7.5, Type: "Secondary"},
				{Source: "nvd@nist.gov", Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8, Type: "Primary"},
				{Source: "cna@vuldb.com", Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:L", Score: 7.3, Type: "Secondary"},
				{Source: "cna@vuldb.com", Version: "4.0", Vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N/E:X/CR:X/IR:X/AR:X/MAV:X/MAC:X/MAT:X/MPR:X/MUI:X/MVC:X/MVI:X/MVA:X/MSC:X/MSI:X/MSA:X/S:X/AU:X/R:X/V:X/RE:X/U:X", Score: 6.9, Type: "Secondary"},
			},
			CWEs: []string{"CWE-287"},
			Affected: []vulndb.Affected{{
				Ecosystem: "cpe", Package: "clashforwindows:clash", Status: vulndb.StatusRanges,
				Ranges: []vulndb.Range{{Introduced: "0.1.0", LastAffected: "0.20.1"}},
				CPEs:   []string{"cpe:2.3:a:clashforwindows:clash:*:*:*:*:*:windows:*:*"},
			}},
		}},
		{"CVE-2024-3094", parts{
			Severity: "CRITICAL",
			CVSS: []vulndb.CVSS{
				{Source: "secalert@redhat.com", Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", Score: 10, Type: "Secondary"},
				{Source: "nvd@nist.gov", Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", Score: 10, Type: "Primary"},
			},
			CWEs: []string{"CWE-506"},
			Affected: []vulndb.Affected{
				{Ecosystem: "cpe", Package: "tukaani:xz", Status: vulndb.StatusRanges, Versions: []string{"5.6.0"}, CPEs: []string{"cpe:2.3:a:tukaani:xz:5.6.0:*:*:*:*:*:*:*"}},
				{Ecosystem: "cpe", Package: "tukaani:xz", Status: vulndb.StatusRanges, Versions: []string{"5.6.1"}, CPEs: []string{"cpe:2.3:a:tukaani:xz:5.6.1:*:*:*:*:*:*:*"}},
			},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			a := got.byID(tt.id)
			if a == nil {
				t.Fatalf("%s not imported", tt.id)
			}
			if diff := cmp.Diff(tt.want, parts{a.Severity, a.CVSS, a.CWEs, a.Affected}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// In the full page, 34 CPE matches are vulnerable applications and 22
	// are operating systems named as platforms (vulnerable=false).
	var page collect
	if _, err := Import(t.Context(), "testdata/full-page.json.gz", &page); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range page {
		for _, af := range a.Affected {
			if strings.HasPrefix(af.CPEs[0], "cpe:2.3:o:") {
				t.Errorf("%s: platform %s imported as affected", a.ID, af.CPEs[0])
			}
			n++
		}
	}
	if n != 34 {
		t.Errorf("full page: %d affected, want 34", n)
	}
}

func TestImportZip(t *testing.T) {
	zipPath := filepath.Join(t.TempDir(), "nvd.zip")
	f, err := os.Create(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, name := range []string{"testdata/full-page.json.gz", "testdata/cve/CVE-2020-8167.json"} {
		w, err := zw.Create(filepath.Base(name))
		if err != nil {
			t.Fatal(err)
		}
		src, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, src); err != nil {
			t.Fatal(err)
		}
		src.Close()
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var got collect
	n, err := Import(t.Context(), zipPath, &got)
	if err != nil || n != 39 {
		t.Errorf("Import = %d, %v; want 39, nil", n, err)
	}
}

func TestParseEdgeCases(t *testing.T) {
	tests := []struct {
		name string
		json string
		want *vulndb.Advisory
	}{
		{
			// The shape of NVD's rejected records (no metrics or configurations).
			name: "rejected",
			json: `{"id":"CVE-2023-0001","published":"2023-01-01T00:15:09.000","lastModified":"2023-02-03T04:05:06.700",
				"vulnStatus":"Rejected","descriptions":[{"lang":"en","value":"Rejected reason: This CVE ID has been rejected or withdrawn by its CVE Numbering Authority."}],
				"references":[]}`,
			want: &vulndb.Advisory{
				ID: "CVE-2023-0001", Source: "nvd",
				Summary:   "Rejected reason: This CVE ID has been rejected or withdrawn by its CVE Numbering Authority.",
				Details:   "Rejected reason: This CVE ID has been rejected or withdrawn by its CVE Numbering Authority.",
				Published: date("2023-01-01T00:15:09.000"), Modified: date("2023-02-03T04:05:06.700"),
				Withdrawn: date("2023-02-03T04:05:06.700"),
			},
		},
		{
			name: "bounds",
			json: `{"id":"CVE-2023-0002","weaknesses":[{"description":[{"lang":"en","value":"NVD-CWE-Other"},{"lang":"en","value":"CWE-79"}]},{"description":[{"lang":"en","value":"NVD-CWE-noinfo"},{"lang":"en","value":"CWE-20"},{"lang":"en","value":"CWE-79"}]}],
				"configurations":[{"nodes":[{"operator":"OR","negate":false,"cpeMatch":[
				{"vulnerable":true,"criteria":"cpe:2.3:a:nodejs:node\\.js:*:*:*:*:lts:*:*:*","versionStartExcluding":"1.0","versionEndExcluding":"2.0"},
				{"vulnerable":true,"criteria":"cpe:2.3:a:nodejs:node\\.js:*:*:*:*:lts:*:*:*","versionStartExcluding":"1.0","versionEndExcluding":"2.0"},
				{"vulnerable":true,"criteria":"cpe:2.3:a:x:y:*:*:*:*:*:*:*:*","versionStartIncluding":"3.0"},
				{"vulnerable":true,"criteria":"cpe:2.3:a:x:z:*:*:*:*:*:*:*:*"},
				{"vulnerable":true,"criteria":"cpe:2.3:a:x:w:1.0\\+b:*:*:*:*:*:*:*"},
				{"vulnerable":true,"criteria":"cpe:2.3:h:x:board:-:*:*:*:*:*:*:*"},
				{"vulnerable":true,"criteria":"not a cpe"}]},
				{"negate":true,"cpeMatch":[{"vulnerable":true,"criteria":"cpe:2.3:a:x:neg:*:*:*:*:*:*:*:*"}]}]}]}`,
			want: &vulndb.Advisory{
				ID: "CVE-2023-0002", Source: "nvd",
				CWEs: []string{"CWE-20", "CWE-79"},
				Affected: []vulndb.Affected{
					{Ecosystem: "cpe", Package: `nodejs:node\.js`, Status: vulndb.StatusRanges, StatusDetail: "versionStartExcluding 1.0",
						Ranges: []vulndb.Range{{Introduced: "1.0", Fixed: "2.0"}}, CPEs: []string{`cpe:2.3:a:nodejs:node\.js:*:*:*:*:lts:*:*:*`}},
					{Ecosystem: "cpe", Package: "x:y", Status: vulndb.StatusRanges,
						Ranges: []vulndb.Range{{Introduced: "3.0"}}, CPEs: []string{"cpe:2.3:a:x:y:*:*:*:*:*:*:*:*"}},
					{Ecosystem: "cpe", Package: "x:z", Status: vulndb.StatusAffected, CPEs: []string{"cpe:2.3:a:x:z:*:*:*:*:*:*:*:*"}},
					{Ecosystem: "cpe", Package: "x:w", Status: vulndb.StatusRanges, Versions: []string{"1.0+b"}, CPEs: []string{`cpe:2.3:a:x:w:1.0\+b:*:*:*:*:*:*:*`}},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestImportErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile("testdata/cve/CVE-2020-8167.json")
	if err != nil {
		t.Fatal(err)
	}
	write("good.json", string(b))
	write("array.json", `[1,2]`)
	write("other.json", `{"hello":"world"}`)
	write("v11.json", `{"CVE_data_type":"CVE","CVE_Items":[]}`)
	write("page.json", `{"format":"NVD_CVE","vulnerabilities":[{"cve":{"id":"CVE-1"}},{"cve":{"id":5}},{"x":1},{"cve":{"id":"CVE-2","published":"yesterday"}},{"cve":{"id":"CVE-3"}}]}`)
	write("broken.json", `{"vulnerabilities":[{"cve":{"id":"CVE-4"}},{"cve":`)
	var got collect
	n, err := Import(t.Context(), dir, &got)
	if n != 4 {
		t.Errorf("Import = %d, want 4 (good, CVE-1, CVE-3, CVE-4)", n)
	}
	var re *RecordError
	if !errors.As(err, &re) {
		t.Fatalf("error %v is not a *RecordError", err)
	}
	for _, want := range []string{"array.json", "other.json", "CVE_Items", "page.json[1]", "page.json[2]", "page.json[3]", "broken.json"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}

	if _, err := Import(t.Context(), filepath.Join(dir, "missing"), &got); err == nil {
		t.Error("missing path: no error")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Import(ctx, "testdata", &got); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

func TestFirstSentence(t *testing.T) {
	long := strings.Repeat("word ", 60)
	tests := []struct{ in, want string }{
		{"One. Two.", "One."},
		{"Line one\nline two", "Line one"},
		{"v1.2.3 is bad", "v1.2.3 is bad"},
		{long, strings.TrimSpace(long[:199]) + "..."},
		{strings.Repeat("é", 150), strings.Repeat("é", 100) + "..."},
	}
	for _, tt := range tests {
		if got := firstSentence(tt.in); got != tt.want {
			t.Errorf("firstSentence(%.20q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
