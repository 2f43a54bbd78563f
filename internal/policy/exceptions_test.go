package policy

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/report"
)

func TestParseExceptionsErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"unknown top key", "exception:\n  - id: X\n", `x.yaml:1:1: unknown key "exception"`},
		{"unknown entry key", "exceptions:\n  - id: X\n    reason: r\n    expire: 2026-01-01\n", `x.yaml:4:5: unknown key "expire" in an exception`},
		{"bad date", "exceptions:\n  - id: X\n    reason: r\n    expires: 31/12/2026\n", `x.yaml:4:14: exception X: expires "31/12/2026": want YYYY-MM-DD`},
		{"no id", "exceptions:\n  - reason: r\n", "x.yaml:2:5: exception has no id"},
		{"no reason", "exceptions:\n  - id: X\n", "x.yaml:2:5: exception X has no reason"},
		{"bad purl", "exceptions:\n  - id: X\n    reason: r\n    purl: curl\n", `x.yaml:4:11: exception X: purl "curl"`},
		{"bad glob", "exceptions:\n  - id: X\n    reason: r\n    path: 'a/[b'\n", `x.yaml:4:11: exception X: path "a/[b"`},
		{"not a list", "exceptions: {id: X}\n", "x.yaml:1:13: exceptions must be a list"},
		{"duplicate key", "exceptions:\n  - id: X\n    id: Y\n", `x.yaml:3:5: duplicate key "id"`},
		{"nested value", "exceptions:\n  - id: [X]\n    reason: r\n", "x.yaml:2:9: id must be a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseExceptions("x.yaml", []byte(tt.in))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("ParseExceptions error = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

func TestApplyExceptions(t *testing.T) {
	exs, err := LoadExceptions("testdata/exceptions.yaml")
	if err != nil {
		t.Fatal(err)
	}
	curl := report.Finding{VulnerabilityID: "CVE-2023-38545", PURL: "pkg:deb/debian/curl@7.88.1-10?arch=amd64&distro=debian-12"}
	libcurl := report.Finding{VulnerabilityID: "CVE-2023-38545", PURL: "pkg:deb/debian/libcurl4@7.88.1-10?arch=amd64"}
	urllib := report.Finding{VulnerabilityID: "PYSEC-2023-212", Aliases: []string{"CVE-2023-45803", "GHSA-g4mx-q9vg-27p4"}, PURL: "pkg:pypi/urllib3@1.26.16", Path: "usr/lib/python3/dist-packages/urllib3-1.26.16.dist-info/METADATA"}
	urllibElsewhere := urllib
	urllibElsewhere.Path = "app/venv/lib/urllib3-1.26.16.dist-info/METADATA"
	npm := report.Finding{VulnerabilityID: "CVE-2024-0001", PURL: "pkg:npm/%40babel/core@7.0.0"}
	all := []report.Finding{curl, libcurl, urllib, urllibElsewhere, npm}

	tests := []struct {
		name           string
		now            time.Time
		wantKept       []report.Finding
		wantSuppressed []string
		wantExpired    []report.ExpiredException
	}{
		{
			name:           "all live",
			now:            time.Date(2026, 1, 31, 23, 59, 0, 0, time.UTC),
			wantKept:       []report.Finding{libcurl, urllibElsewhere},
			wantSuppressed: []string{"curl testdata/exceptions.yaml:2", "urllib3 testdata/exceptions.yaml:7", "core testdata/exceptions.yaml:13"},
		},
		{
			name:           "urllib3 exception expired the day after",
			now:            time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
			wantKept:       []report.Finding{libcurl, urllib, urllibElsewhere},
			wantSuppressed: []string{"curl testdata/exceptions.yaml:2", "core testdata/exceptions.yaml:13"},
			wantExpired:    []report.ExpiredException{{ID: "GHSA-g4mx-q9vg-27p4", PURL: "pkg:pypi/urllib3@1.26.16", Owner: "data@example.com", Expires: "2026-01-31", Source: "testdata/exceptions.yaml:7"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &report.Report{Findings: append([]report.Finding{}, all...)}
			expired := ApplyExceptions(r, exs, tt.now)
			if diff := cmp.Diff(tt.wantKept, r.Findings); diff != "" {
				t.Errorf("kept (-want +got):\n%s", diff)
			}
			var got []string
			for _, s := range r.Suppressed {
				name := s.Finding.PURL[strings.LastIndex(s.Finding.PURL, "/")+1 : strings.Index(s.Finding.PURL, "@")]
				got = append(got, name+" "+s.Source)
				if s.By != report.SuppressedByException || s.Reason == "" {
					t.Errorf("suppression %+v: want By exception and a reason", s)
				}
			}
			if diff := cmp.Diff(tt.wantSuppressed, got); diff != "" {
				t.Errorf("suppressed (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantExpired, expired); diff != "" {
				t.Errorf("expired (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		glob, path string
		want       bool
	}{
		{"usr/lib/**", "usr/lib/a/b/c", true},
		{"/usr/lib/*", "usr/lib/a", true},
		{"usr/lib/*", "usr/lib/a/b", false},
		{"**/node_modules/**", "app/node_modules/x/package.json", true},
		{"**/node_modules/**", "node_modules/x/package.json", true},
		{"app/?.jar", "app/a.jar", true},
		{"app/?.jar", "app/ab.jar", false},
		{"app/[!a].jar", "app/a.jar", false},
		{"a.b", "axb", false},
	}
	for _, tt := range tests {
		t.Run(tt.glob+" "+tt.path, func(t *testing.T) {
			re, err := globRegexp(tt.glob)
			if err != nil {
				t.Fatal(err)
			}
			if got := re.MatchString(tt.path); got != tt.want {
				t.Errorf("%q matches %q = %v, want %v (re %s)", tt.glob, tt.path, got, tt.want, re)
			}
		})
	}
}

func FuzzParseExceptions(f *testing.F) {
	for _, file := range []string{"testdata/exceptions.yaml", "testdata/policy.yaml"} {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("exceptions:\n  - id: X\n    reason: r\n    path: '[['\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		exs, err := ParseExceptions("fuzz.yaml", data)
		if err != nil {
			return
		}
		r := &report.Report{Findings: []report.Finding{{VulnerabilityID: "X", PURL: "pkg:npm/a@1", Path: "a/b"}}}
		ApplyExceptions(r, exs, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	})
}

func TestExceptionsCoverSecretsAndChecks(t *testing.T) {
	exs, err := ParseExceptions("ignore.yaml", []byte(`exceptions:
  - id: github-token
    path: "app/**"
    reason: a test fixture token
  - id: image.no-healthcheck
    reason: the orchestrator probes it
`))
	if err != nil {
		t.Fatal(err)
	}
	r := &report.Report{
		Secrets: []report.Secret{
			{Rule: "github-token", Path: "app/testdata/token.txt", Severity: "CRITICAL"},
			{Rule: "github-token", Path: "root/.config/gh/hosts.yml", Severity: "CRITICAL"},
		},
		Misconfigurations: []report.Misconfiguration{{ID: "image.no-healthcheck"}, {ID: "image.root-user"}},
	}
	ApplyExceptions(r, exs, time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC))
	if len(r.Secrets) != 1 || r.Secrets[0].Path != "root/.config/gh/hosts.yml" {
		t.Errorf("secrets left: %+v", r.Secrets)
	}
	if len(r.Misconfigurations) != 1 || r.Misconfigurations[0].ID != "image.root-user" {
		t.Errorf("checks left: %+v", r.Misconfigurations)
	}
	if len(r.Suppressed) != 2 || r.Suppressed[0].By != report.SuppressedByException {
		t.Fatalf("suppressed: %+v", r.Suppressed)
	}
	// Suppressed entries say what they were, as the gate sees them.
	if s, c := r.Suppressed[0].Finding, r.Suppressed[1].Finding; s.PackageType != "secret" || s.PackageName != "app/testdata/token.txt" || c.PackageType != "config" {
		t.Errorf("suppressed findings: %+v, %+v", s, c)
	}
}
