package table

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/golden"
	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/report/reporttest"
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

// full is the shared sample scan (alpine:3.10 with apk findings) with
// language packages added in a third layer, each found in its own file:
// a Go binary, an npm lockfile and a jar, with real advisories (a GHSA
// with its CVE alias, a KEV entry); and a secret and two checks.
func full(t *testing.T) *report.Report {
	t.Helper()
	r := reporttest.Sample(t)
	const layer = "sha256:4c1b2f8e0d7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c"
	const step = "COPY /src/app /usr/local/bin/app # buildkit"
	r.Target.Layers = append(r.Target.Layers, report.Layer{DiffID: layer, CreatedBy: step})
	lang := []report.Finding{
		{VulnerabilityID: "GO-2023-1703", Aliases: []string{"CVE-2023-24538"}, Title: "Backticks not treated as string delimiters in html/template",
			PackageID: "go1", PackageName: "stdlib", PackageVersion: "go1.20.2", PackageType: "golang", Path: "usr/local/bin/app",
			Status: report.StatusFixAvailable, FixedVersion: "1.20.3", Severity: vulndb.SeverityCritical},
		{VulnerabilityID: "GO-2023-1621", Aliases: []string{"CVE-2023-24532"}, Title: "Incorrect calculation on P256 curves in crypto/internal/nistec",
			PackageID: "go1", PackageName: "stdlib", PackageVersion: "go1.20.2", PackageType: "golang", Path: "usr/local/bin/app",
			Status: report.StatusFixAvailable, FixedVersion: "1.20.2", Severity: vulndb.SeverityMedium},
		{VulnerabilityID: "GHSA-c2qf-rxjj-qqgw", Aliases: []string{"CVE-2022-25883"}, Title: "semver vulnerable to Regular Expression Denial of Service",
			PackageID: "npm1", PackageName: "semver", PackageVersion: "7.3.8", PackageType: "npm", Path: "usr/src/app/package-lock.json",
			Status: report.StatusFixAvailable, FixedVersion: "7.5.2", Severity: vulndb.SeverityHigh},
		{VulnerabilityID: "GHSA-jfh8-c2jp-5v3q", Aliases: []string{"CVE-2021-44228"}, Title: "Remote code injection in Log4j",
			PackageID: "jar1", PackageName: "org.apache.logging.log4j:log4j-core", PackageVersion: "2.14.1", PackageType: "maven", Path: "usr/src/app/lib/log4j-core-2.14.1.jar",
			Status: report.StatusFixAvailable, FixedVersion: "2.15.0", Severity: vulndb.SeverityCritical, KEV: &report.KEV{DateAdded: "2021-12-10", DueDate: "2021-12-24"},
			PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", SeveritySource: "nvd",
			CVSS: []report.CVSS{{Source: "nvd", Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", Score: 10}},
			Evidence: []report.Evidence{{Source: "osv", AdvisoryID: "GHSA-jfh8-c2jp-5v3q", Ecosystem: "Maven", Package: "org.apache.logging.log4j:log4j-core", Record: "ranges",
				Ranges: []vulndb.Range{{Introduced: "2.13.0", Fixed: "2.15.0"}, {Introduced: "0", Fixed: "2.3.1"}}, Comparison: "2.14.1 < 2.15.0 (maven)"}}},
	}
	for i := range lang {
		lang[i].Layer, lang[i].CreatedBy = layer, step
	}
	r.Findings = append(r.Findings, lang...)
	r.Packages = append(r.Packages,
		inventory.Package{ID: "go1", Name: "stdlib", Version: "go1.20.2", Type: "golang"},
		inventory.Package{ID: "npm1", Name: "semver", Version: "7.3.8", Type: "npm"},
		inventory.Package{ID: "jar1", Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", Type: "maven"})
	r.Secrets = []report.Secret{{Rule: "aws-access-key-id", Severity: vulndb.SeverityCritical, Source: "file", Layer: layer,
		Path: "usr/src/app/.env", Line: 3, Match: "AKIA************MPLE", StillPresent: false}}
	r.Misconfigurations = []report.Misconfiguration{
		{ID: "image.root-user", Title: "Container runs as root", Severity: vulndb.SeverityMedium, Remediation: "Add a non-root user and end the Dockerfile with USER <uid> (a numeric uid lets Kubernetes verify runAsNonRoot)"},
		{ID: "image.no-healthcheck", Title: "No HEALTHCHECK", Severity: vulndb.SeverityLow},
	}
	r.Summarize()
	return r
}

func encode(t *testing.T, e Encoder, r *report.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := e.Encode(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestEncodeGolden(t *testing.T) {
	golden.Check(t, filepath.Join("testdata", "sample.golden"), []byte(encode(t, Encoder{}, sample())))
}

// TestEncodeWidths renders the same scan at the widths of a narrow
// split pane, a classic terminal, the old fixed width and a wide screen.
func TestEncodeWidths(t *testing.T) {
	for _, w := range []int{60, 80, 120, 200} {
		t.Run(fmt.Sprint(w), func(t *testing.T) {
			golden.Check(t, filepath.Join("testdata", fmt.Sprintf("full-%d.golden", w)), []byte(encode(t, Encoder{Width: w}, full(t))))
		})
	}
}

// TestRowsFitWidth checks every line of the tables at every width from
// MinWidth up: none is wider than the terminal, so none wraps. Only the
// warnings, the explain hint and the summary, read once, may be longer.
func TestRowsFitWidth(t *testing.T) {
	r := full(t)
	long := strings.Repeat("very-long-name-", 8)
	r.Findings = append(r.Findings, report.Finding{VulnerabilityID: "GHSA-xxxx-yyyy-zzzz", PackageID: "x", PackageName: long, PackageVersion: long,
		PackageType: "npm", Path: long + "/package-lock.json", Status: report.StatusWontFix, StatusDetail: long, FixedVersion: "", Title: long, Severity: vulndb.SeverityLow})
	for w := MinWidth - 10; w <= 220; w++ {
		lines := strings.Split(strings.TrimSuffix(encode(t, Encoder{Width: w}, r), "\n"), "\n")
		for _, line := range lines[:len(lines)-1] { // the summary line may wrap
			if strings.HasPrefix(line, "Why a finding matched: ") || strings.HasPrefix(line, "warning: ") {
				continue
			}
			if n := runes(line); n > max(w, MinWidth) {
				t.Fatalf("width %d: line of %d runes:\n%s", w, n, line)
			}
		}
	}
}

func TestColorOnlyWhenAsked(t *testing.T) {
	plain := encode(t, Encoder{}, full(t))
	color := encode(t, Encoder{Color: true}, full(t))
	if strings.Contains(plain, "\x1b[") {
		t.Error("plain output has escape codes")
	}
	if !strings.Contains(color, "  \x1b[1;31mCRITICAL\x1b[0m  ") {
		t.Errorf("colour output lacks a coloured CRITICAL:\n%q", color)
	}
	// Colour changes nothing but the escapes: the columns line up the same.
	unescaped := strings.NewReplacer("\x1b[1;31m", "", "\x1b[31m", "", "\x1b[33m", "", "\x1b[34m", "", "\x1b[0m", "").Replace(color)
	if diff := cmp.Diff(plain, unescaped); diff != "" {
		t.Errorf("colour output without escapes differs from plain (-plain +colour):\n%s", diff)
	}
}

// TestUntrustedText checks that names from an image cannot reach the
// terminal as escape sequences or break a row with a newline.
func TestUntrustedText(t *testing.T) {
	r := sample()
	r.Findings[0].PackageName = "evil\x1b]0;pwned\x07\npkg"
	r.Findings[0].Title = "line\rbreak"
	r.Findings[1].Title = "admin\u202egnp.exe"
	out := encode(t, Encoder{Color: true}, r)
	for _, bad := range []string{"\x1b]", "\x07", "\r", "\npkg", "\u202e"} {
		if strings.Contains(out, bad) {
			t.Errorf("output holds %q:\n%q", bad, out)
		}
	}
}

func TestSections(t *testing.T) {
	var got []string
	for _, s := range sections(full(t).Findings, nil) {
		got = append(got, fmt.Sprintf("%s: %d", s.title, len(s.findings)))
	}
	want := []string{
		"lib/apk/db/installed (apk): 9",
		"usr/local/bin/app (golang): 2",
		"usr/src/app/lib/log4j-core-2.14.1.jar (maven): 1",
		"usr/src/app/package-lock.json (npm): 1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sections (-want +got):\n%s", diff)
	}
}

func TestCommonPath(t *testing.T) {
	for _, tc := range []struct {
		paths []string
		want  string
	}{
		{[]string{"var/lib/dpkg/status", "var/lib/dpkg/status"}, "var/lib/dpkg/status"},
		{[]string{"var/lib/dpkg/status.d/libc6", "var/lib/dpkg/status.d/libssl3", "var/lib/dpkg/status.d/tzdata"}, "var/lib/dpkg/status.d"},
		{[]string{"var/lib/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/rpmdb.sqlite"}, ""},
		{[]string{""}, ""},
	} {
		var fs []*report.Finding
		for _, p := range tc.paths {
			fs = append(fs, &report.Finding{Path: p})
		}
		if got := commonPath(fs); got != tc.want {
			t.Errorf("commonPath(%q) = %q, want %q", tc.paths, got, tc.want)
		}
	}
}

func TestBuildStep(t *testing.T) {
	for in, want := range map[string]string{
		"/bin/sh -c #(nop) ADD file:d48cac34 in / ":                    "ADD file:d48cac34 in /",
		"/bin/sh -c #(nop)  CMD [\"/bin/sh\"]":                         `CMD ["/bin/sh"]`,
		"/bin/sh -c apk add --no-cache curl":                           "RUN apk add --no-cache curl",
		"RUN /bin/sh -c apk add --no-cache ca-certificates # buildkit": "RUN apk add --no-cache ca-certificates",
		"COPY /src/app /usr/local/bin/app # buildkit":                  "COPY /src/app /usr/local/bin/app",
		"": "",
	} {
		if got := buildStep(in); got != want {
			t.Errorf("buildStep(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHint(t *testing.T) {
	for _, tc := range []struct {
		ref, want string
	}{
		{"docker-archive:app.tar", "customs explain docker-archive:app.tar GHSA-jfh8-c2jp-5v3q\n"},
		{"my image.tar", "customs explain 'my image.tar' GHSA-jfh8-c2jp-5v3q\n"},
		{"it's.tar", `customs explain 'it'\''s.tar' GHSA-jfh8-c2jp-5v3q` + "\n"},
	} {
		r := full(t)
		r.Target.Ref = tc.ref
		var b strings.Builder
		writeHint(&b, r, "")
		if !strings.HasSuffix(b.String(), tc.want) {
			t.Errorf("hint for %q = %q, want suffix %q", tc.ref, b.String(), tc.want)
		}
	}
	var saved strings.Builder
	writeHint(&saved, full(t), "report.json")
	if want := "Why a finding matched: customs explain report.json GHSA-jfh8-c2jp-5v3q\n"; saved.String() != want {
		t.Errorf("hint for a saved report = %q, want %q", saved.String(), want)
	}
	var b strings.Builder
	writeHint(&b, &report.Report{}, "")
	if b.Len() != 0 {
		t.Errorf("hint without findings: %q", b.String())
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
// binary names that package, whom to ask for a rebuild; the unowned copy
// of the binary has its own section.
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
			{VulnerabilityID: "GO-2023-1840", PackageID: "p2", PackageName: "stdlib", PackageVersion: "1.19.8", PackageType: "golang", Path: "usr/bin/age", Status: report.StatusFixAvailable, FixedVersion: "1.19.10", Severity: vulndb.SeverityUnknown},
			{VulnerabilityID: "GO-2023-1840", PackageID: "p3", PackageName: "stdlib", PackageVersion: "1.19.8", PackageType: "golang", Path: "usr/local/bin/age", Status: report.StatusFixAvailable, FixedVersion: "1.19.10", Severity: vulndb.SeverityUnknown},
		},
	}
	var heads []string
	for _, l := range strings.Split(encode(t, Encoder{}, r), "\n") {
		if strings.HasPrefix(l, "usr/") {
			heads = append(heads, l)
		}
	}
	want := []string{"usr/bin/age (golang) · owned by deb age 1.1.1-1+b3", "usr/local/bin/age (golang)"}
	if diff := cmp.Diff(want, heads); diff != "" {
		t.Errorf("section titles (-want +got):\n%s", diff)
	}
}
