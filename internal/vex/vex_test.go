package vex

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
)

func load(t *testing.T, names ...string) []*Document {
	t.Helper()
	var out []*Document
	for _, n := range names {
		d, err := Load(filepath.Join("testdata", n))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

func TestParse(t *testing.T) {
	tests := []struct {
		file string
		want []string // "status vuln n-aliases first-product (n products) justification"
	}{
		{"trivy-openvex.json", []string{"not_affected CVE-2022-23628 0 pkg:golang/github.com/testdata/testdata[pkg:golang/github.com/open-policy-agent/opa@v0.35.0] (1) vulnerable_code_not_in_execute_path"}},
		{"chainguard-urllib3.openvex.json", []string{"fixed CGA-7qjw-ggh3-pp9f 2 pkg:pypi/urllib3@1.26.16%2Bcgr.0[] (2) "}},
		{"ubuntu-CVE-2023-38545.openvex.json", []string{
			"fixed CVE-2023-38545 5 pkg:deb/ubuntu/curl@7.81.0-1ubuntu1.24?arch=source&distro=jammy[] (12) ",
			"affected CVE-2023-38545 5 pkg:deb/ubuntu/curl@7.47.0-1ubuntu2.19?arch=source&distro=xenial[] (12) ",
			"not_affected CVE-2023-38545 5 pkg:deb/ubuntu/curl@7.35.0-1ubuntu2.20+esm19?arch=source&distro=esm-infra-legacy/trusty[] (12) vulnerable_code_not_present",
		}},
		{"hummingbird-cve-2026-12345.csaf.json", []string{
			"fixed CVE-2026-12345 0 pkg:rpm/redhat/testpkg@1.2.3-1.hum1?arch=src[] (1) ",
			"not_affected CVE-2026-12345 0 pkg:rpm/redhat/otherpkg[] (1) ",
			"affected CVE-2026-12345 0 pkg:rpm/redhat/otherpkg[] (1) ",
		}},
		{"app.cdx-vex.json", []string{
			"not_affected CVE-2022-23628 0 pkg:golang/github.com/open-policy-agent/opa@v0.35.0[] (1) vulnerable_code_not_in_execute_path",
			"under_investigation CVE-2023-45803 1 pkg:pypi/urllib3@1.26.16[] (1) ",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			d := load(t, tt.file)[0]
			var got []string
			for _, s := range d.Statements {
				p := s.Products[0]
				got = append(got, fmt.Sprintf("%s %s %d %s%v (%d) %s", s.Status, s.Vulnerability, len(s.Aliases), p.ID, p.Subcomponents, len(s.Products), s.Justification))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("statements (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRHSA(t *testing.T) {
	d := load(t, "rhsa-2025_23414.csaf.json")[0]
	got := map[string]int{}
	for _, s := range d.Statements {
		got[s.Vulnerability+" "+s.Status+" "+s.Justification] += len(s.Products)
	}
	want := map[string]int{
		"CVE-2021-25220 fixed ":                                   8,
		"CVE-2021-25220 not_affected vulnerable_code_not_present": 8,
		"CVE-2025-40778 fixed ":                                   8,
		"CVE-2025-40778 not_affected vulnerable_code_not_present": 8,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statements (-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not json", "{", "vex x:1:2: unexpected end of JSON input"},
		{"unknown format", `{"foo":1}`, "vex x: not an OpenVEX, CycloneDX or CSAF document"},
		{"bad openvex status", `{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"X"},"status":"fine"}]}`, `vex x: openvex statement 0: unknown status "fine"`},
		{"openvex without vulnerability", `{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"status":"fixed"}]}`, "vex x: openvex statement 0: no vulnerability"},
		{"bad cdx state", `{"bomFormat":"CycloneDX","vulnerabilities":[{"id":"X","analysis":{"state":"meh"}}]}`, `vex x: cyclonedx vulnerability 0: unknown analysis state "meh"`},
		{"csaf without id", `{"document":{"csaf_version":"2.0"},"vulnerabilities":[{}]}`, "vex x: csaf vulnerability 0: no cve or ids"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x", []byte(tt.in))
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Parse error = %v, want %q", err, tt.want)
			}
		})
	}
}

// outcome renders what Apply did to each finding, in input order.
func outcome(r *report.Report) []string {
	var out []string
	for _, f := range r.Findings {
		s := "kept " + f.VulnerabilityID + " " + f.PURL
		if f.VEX != nil {
			s += " vex=" + f.VEX.Status
		}
		out = append(out, s)
	}
	for _, s := range r.Suppressed {
		out = append(out, "suppressed "+s.Finding.VulnerabilityID+" "+s.Finding.PURL+" "+s.Status+" "+s.Justification)
	}
	return out
}

func TestApply(t *testing.T) {
	inline := func(products string) *Document {
		d, err := Parse("inline.json", []byte(`{"@context":"https://openvex.dev/ns/v0.2.0","timestamp":"2026-01-01T00:00:00Z","statements":[
			{"vulnerability":{"name":"CVE-2023-38545"},"products":[`+products+`],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	curl := report.Finding{VulnerabilityID: "CVE-2023-38545", PURL: "pkg:deb/debian/curl@7.88.1-10?arch=amd64"}
	image := report.Target{
		Ref: "registry:ghcr.io/org/app:1.0", ManifestDigest: "sha256:aaaa", ImageID: "sha256:cccc",
		RepoDigests: []string{"ghcr.io/org/app@sha256:aaaa"}, RepoTags: []string{"ghcr.io/org/app:1.0"},
	}
	local := report.Target{Ref: "docker:app", ImageID: "sha256:dddd", RepoTags: []string{"app:latest"}}
	opaPkg := []inventory.Package{{PURL: "pkg:golang/github.com/testdata/testdata"}, {PURL: "pkg:golang/github.com/open-policy-agent/opa@v0.35.0"}}

	tests := []struct {
		name     string
		docs     []*Document
		target   report.Target
		packages []inventory.Package
		findings []report.Finding
		want     []string
	}{
		{
			name:     "trivy openvex: root module with subcomponent, SBOM-style scan",
			docs:     load(t, "trivy-openvex.json"),
			packages: opaPkg,
			findings: []report.Finding{
				{VulnerabilityID: "CVE-2022-23628", PURL: "pkg:golang/github.com/open-policy-agent/opa@v0.35.0"},
				{VulnerabilityID: "CVE-2022-23628", PURL: "pkg:golang/github.com/open-policy-agent/opa@v0.36.0"},
				{VulnerabilityID: "CVE-2022-99999", PURL: "pkg:golang/github.com/open-policy-agent/opa@v0.35.0"},
			},
			want: []string{
				"kept CVE-2022-23628 pkg:golang/github.com/open-policy-agent/opa@v0.36.0",
				"kept CVE-2022-99999 pkg:golang/github.com/open-policy-agent/opa@v0.35.0",
				"suppressed CVE-2022-23628 pkg:golang/github.com/open-policy-agent/opa@v0.35.0 not_affected vulnerable_code_not_in_execute_path",
			},
		},
		{
			name:     "trivy openvex: the product is not in this scan",
			docs:     load(t, "trivy-openvex.json"),
			findings: []report.Finding{{VulnerabilityID: "CVE-2022-23628", PURL: "pkg:golang/github.com/open-policy-agent/opa@v0.35.0"}},
			want:     []string{"kept CVE-2022-23628 pkg:golang/github.com/open-policy-agent/opa@v0.35.0"},
		},
		{
			name: "chainguard: matched through an alias, encoded version",
			docs: load(t, "chainguard-urllib3.openvex.json"),
			findings: []report.Finding{
				{VulnerabilityID: "PYSEC-2023-212", Aliases: []string{"GHSA-g4mx-q9vg-27p4"}, PURL: "pkg:pypi/urllib3@1.26.16%2Bcgr.1"},
				{VulnerabilityID: "CVE-2023-45803", PURL: "pkg:pypi/urllib3@1.26.16"},
			},
			want: []string{
				"kept CVE-2023-45803 pkg:pypi/urllib3@1.26.16",
				"suppressed PYSEC-2023-212 pkg:pypi/urllib3@1.26.16%2Bcgr.1 fixed ",
			},
		},
		{
			name: "ubuntu: per-version statuses, arch qualifier, distro qualifier ignored",
			docs: load(t, "ubuntu-CVE-2023-38545.openvex.json"),
			findings: []report.Finding{
				{VulnerabilityID: "CVE-2023-38545", PURL: "pkg:deb/ubuntu/curl@7.81.0-1ubuntu1.24?arch=amd64"},
				{VulnerabilityID: "CVE-2023-38545", PURL: "pkg:deb/ubuntu/curl@7.47.0-1ubuntu2.19?arch=amd64&distro=ubuntu-16.04"},
				{VulnerabilityID: "CVE-2023-38545", PURL: "pkg:deb/ubuntu/curl@7.35.0-1ubuntu2.20%2Besm19?arch=amd64"},
				{VulnerabilityID: "CVE-2023-38545", PURL: "pkg:deb/ubuntu/curl@7.81.0-1ubuntu1.24?arch=mips64el"},
			},
			want: []string{
				"kept CVE-2023-38545 pkg:deb/ubuntu/curl@7.47.0-1ubuntu2.19?arch=amd64&distro=ubuntu-16.04 vex=affected",
				"kept CVE-2023-38545 pkg:deb/ubuntu/curl@7.81.0-1ubuntu1.24?arch=mips64el",
				"suppressed CVE-2023-38545 pkg:deb/ubuntu/curl@7.81.0-1ubuntu1.24?arch=amd64 fixed ",
				"suppressed CVE-2023-38545 pkg:deb/ubuntu/curl@7.35.0-1ubuntu2.20%2Besm19?arch=amd64 not_affected vulnerable_code_not_present",
			},
		},
		{
			name: "csaf: relationship products, affected on one platform beats not_affected on another",
			docs: load(t, "hummingbird-cve-2026-12345.csaf.json", "rhsa-2025_23414.csaf.json"),
			findings: []report.Finding{
				{VulnerabilityID: "CVE-2026-12345", PURL: "pkg:rpm/redhat/testpkg@1.2.3-1.hum1?arch=src"},
				{VulnerabilityID: "CVE-2026-12345", PURL: "pkg:rpm/redhat/otherpkg@1.0-1?arch=x86_64"},
				{VulnerabilityID: "CVE-2021-25220", PURL: "pkg:rpm/redhat/bind@9.8.2-0.68.rc1.el6_10.17?arch=x86_64&epoch=32&distro=rhel-6"},
				{VulnerabilityID: "CVE-2021-25220", PURL: "pkg:rpm/redhat/bind-chroot@9.8.2-0.68.rc1.el6_10.17?arch=x86_64&epoch=32"},
				{VulnerabilityID: "CVE-2021-25220", PURL: "pkg:rpm/redhat/bind@9.8.2-0.68.rc1.el6_10.17?arch=x86_64&epoch=31"},
			},
			want: []string{
				"kept CVE-2026-12345 pkg:rpm/redhat/otherpkg@1.0-1?arch=x86_64 vex=affected",
				"kept CVE-2021-25220 pkg:rpm/redhat/bind@9.8.2-0.68.rc1.el6_10.17?arch=x86_64&epoch=31",
				"suppressed CVE-2026-12345 pkg:rpm/redhat/testpkg@1.2.3-1.hum1?arch=src fixed ",
				"suppressed CVE-2021-25220 pkg:rpm/redhat/bind@9.8.2-0.68.rc1.el6_10.17?arch=x86_64&epoch=32&distro=rhel-6 fixed ",
				"suppressed CVE-2021-25220 pkg:rpm/redhat/bind-chroot@9.8.2-0.68.rc1.el6_10.17?arch=x86_64&epoch=32 not_affected vulnerable_code_not_present",
			},
		},
		{
			name:     "cyclonedx: BOM-Link ref and in_triage",
			docs:     load(t, "app.cdx-vex.json"),
			findings: []report.Finding{{VulnerabilityID: "CVE-2022-23628", PURL: "pkg:golang/github.com/open-policy-agent/opa@v0.35.0"}, {VulnerabilityID: "GHSA-g4mx-q9vg-27p4", PURL: "pkg:pypi/urllib3@1.26.16"}},
			want: []string{
				"kept GHSA-g4mx-q9vg-27p4 pkg:pypi/urllib3@1.26.16 vex=under_investigation",
				"suppressed CVE-2022-23628 pkg:golang/github.com/open-policy-agent/opa@v0.35.0 not_affected vulnerable_code_not_in_execute_path",
			},
		},
	}
	for _, p := range []struct{ name, product string }{
		{"pkg:oci with digest", `{"@id":"pkg:oci/app@sha256%3Aaaaa?repository_url=ghcr.io/org/app","subcomponents":[{"@id":"pkg:deb/debian/curl"}]}`},
		{"repo@digest", `{"@id":"ghcr.io/org/app@sha256:aaaa"}`},
		{"repo:tag", `{"@id":"ghcr.io/org/app:1.0","subcomponents":[{"@id":"pkg:deb/debian/curl@7.88.1-10"}]}`},
		{"pkg:oci with repository_url and tag", `{"@id":"pkg:oci/app?repository_url=ghcr.io%2Forg%2Fapp&tag=1.0"}`},
		{"config digest", `{"@id":"sha256:cccc"}`},
	} {
		tests = append(tests, struct {
			name     string
			docs     []*Document
			target   report.Target
			packages []inventory.Package
			findings []report.Finding
			want     []string
		}{name: "image " + p.name, docs: []*Document{inline(p.product)}, target: image, findings: []report.Finding{curl},
			want: []string{"suppressed CVE-2023-38545 pkg:deb/debian/curl@7.88.1-10?arch=amd64 not_affected vulnerable_code_not_in_execute_path"}})
	}
	for _, p := range []struct{ name, product string }{
		{"other digest", `{"@id":"pkg:oci/app@sha256%3Abbbb"}`},
		{"other tag", `{"@id":"ghcr.io/org/app:2.0"}`},
		{"other subcomponent", `{"@id":"sha256:cccc","subcomponents":[{"@id":"pkg:deb/debian/libcurl4"}]}`},
	} {
		tests = append(tests, struct {
			name     string
			docs     []*Document
			target   report.Target
			packages []inventory.Package
			findings []report.Finding
			want     []string
		}{name: "image " + p.name, docs: []*Document{inline(p.product)}, target: image, findings: []report.Finding{curl},
			want: []string{"kept CVE-2023-38545 pkg:deb/debian/curl@7.88.1-10?arch=amd64"}})
	}
	for _, p := range []string{`{"@id":"sha256:dddd"}`, `{"@id":"app"}`, `{"@id":"docker.io/library/app:latest"}`, `{"@id":"pkg:docker/app@latest"}`} {
		tests = append(tests, struct {
			name     string
			docs     []*Document
			target   report.Target
			packages []inventory.Package
			findings []report.Finding
			want     []string
		}{name: "locally built image " + p, docs: []*Document{inline(p)}, target: local, findings: []report.Finding{curl},
			want: []string{"suppressed CVE-2023-38545 pkg:deb/debian/curl@7.88.1-10?arch=amd64 not_affected vulnerable_code_not_in_execute_path"}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &report.Report{Target: tt.target, Packages: tt.packages, Findings: append([]report.Finding{}, tt.findings...)}
			Apply(r, tt.docs)
			if diff := cmp.Diff(tt.want, outcome(r)); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyLatestWins(t *testing.T) {
	d, err := Parse("x.json", []byte(`{"@context":"https://openvex.dev/ns/v0.2.0","timestamp":"2026-01-01T00:00:00Z","statements":[
		{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/a"}],"status":"under_investigation","timestamp":"2026-02-01T00:00:00Z"},
		{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/a"}],"status":"not_affected","justification":"component_not_present"},
		{"vulnerability":{"name":"CVE-2"},"products":[{"@id":"pkg:npm/a"}],"status":"under_investigation"},
		{"vulnerability":{"name":"CVE-2"},"products":[{"@id":"pkg:npm/a"}],"status":"not_affected","justification":"component_not_present"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	r := &report.Report{Findings: []report.Finding{{VulnerabilityID: "CVE-1", PURL: "pkg:npm/a@1"}, {VulnerabilityID: "CVE-2", PURL: "pkg:npm/a@1"}}}
	sup, ann := Apply(r, []*Document{d})
	want := []string{"kept CVE-1 pkg:npm/a@1 vex=under_investigation", "suppressed CVE-2 pkg:npm/a@1 not_affected component_not_present"}
	if diff := cmp.Diff(want, outcome(r)); diff != "" {
		t.Errorf("outcome (-want +got):\n%s", diff)
	}
	if sup != 1 || ann != 1 {
		t.Errorf("Apply = %d suppressed, %d annotated; want 1, 1", sup, ann)
	}
}

func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse("fuzz.json", data)
		if err != nil {
			return
		}
		r := &report.Report{
			Target:   report.Target{Ref: "app:1", ImageID: "sha256:aa"},
			Packages: []inventory.Package{{PURL: "pkg:npm/a@1"}},
			Findings: []report.Finding{{VulnerabilityID: "CVE-1", PURL: "pkg:npm/b@1"}},
		}
		Apply(r, []*Document{d})
		if strings.Contains(d.Source, "\x00") {
			t.Fatal("source")
		}
	})
}

func TestParseErrorsNameTheLine(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"syntax", "{\n \"a\": 1,\n \"b\": \n}\n", "broken.json:4:2: "},
		{"type", "{\n  \"@context\": \"https://openvex.dev/ns/v0.2.0\",\n  \"statements\": [ {\"vulnerability\": {\"name\": 3}} ]\n}\n", "broken.json:3:47: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("broken.json", []byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
