package cyclonedx

import (
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/customs-scanner/customs/internal/golden"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/report/reporttest"
)

func encode(t *testing.T, e Encoder, r *report.Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := e.Encode(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		enc  Encoder
		file string
	}{
		{"json", Encoder{}, "sample.cdx.json"},
		{"xml", Encoder{XML: true}, "sample.cdx.xml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := encode(t, tc.enc, reporttest.Sample(t))
			golden.Check(t, filepath.Join("testdata", tc.file), got)
			if again := encode(t, tc.enc, reporttest.Sample(t)); !bytes.Equal(got, again) {
				t.Error("two encodings of the same report differ")
			}
		})
	}
}

func readGz(t *testing.T, name string) any {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(zr)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return doc
}

func TestJSONSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, name := range []string{"bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json"} {
		if err := c.AddResource("http://cyclonedx.org/schema/"+name, readGz(t, name+".gz")); err != nil {
			t.Fatal(err)
		}
	}
	sch, err := c.Compile("http://cyclonedx.org/schema/bom-1.6.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	empty := &report.Report{Target: report.Target{Ref: "rootfs:/", Kind: "rootfs"}}
	for _, tc := range []struct {
		name string
		r    *report.Report
	}{
		{"alpine", reporttest.Sample(t)},
		{"vex and exceptions", withStatements(t)},
		{"empty", empty},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(encode(t, Encoder{}, tc.r)))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(doc); err != nil {
				t.Errorf("BOM does not validate against bom-1.6.schema.json: %v", err)
			}
		})
	}
	t.Run("rejects a broken BOM", func(t *testing.T) {
		// The validator must be able to fail: a component without a type.
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":"x"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		if sch.Validate(doc) == nil {
			t.Error("a component without a type validated")
		}
	})
}

// TestXMLRoundTrip decodes the XML BOM with cyclonedx-go and compares the
// parts that matter with the JSON one.
func TestXMLRoundTrip(t *testing.T) {
	r := reporttest.Sample(t)
	raw := encode(t, Encoder{XML: true}, r)
	if err := xml.Unmarshal(raw, new(struct{})); err != nil {
		t.Fatalf("not well-formed XML: %v", err)
	}
	if !bytes.Contains(raw, []byte(`xmlns="http://cyclonedx.org/schema/bom/1.6"`)) {
		t.Error("XML BOM lacks the 1.6 namespace")
	}
	var fromXML, fromJSON cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(raw), cdx.BOMFileFormatXML).Decode(&fromXML); err != nil {
		t.Fatal(err)
	}
	if err := cdx.NewBOMDecoder(bytes.NewReader(encode(t, Encoder{}, r)), cdx.BOMFileFormatJSON).Decode(&fromJSON); err != nil {
		t.Fatal(err)
	}
	type summary struct {
		Serial string
		Refs   []string
		Vulns  []string
		Deps   int
	}
	sum := func(b *cdx.BOM) summary {
		s := summary{Serial: b.SerialNumber}
		for _, c := range *b.Components {
			s.Refs = append(s.Refs, c.BOMRef+" "+c.PackageURL)
		}
		for _, v := range *b.Vulnerabilities {
			s.Vulns = append(s.Vulns, v.BOMRef)
		}
		s.Deps = len(*b.Dependencies)
		return s
	}
	if diff := cmp.Diff(sum(&fromJSON), sum(&fromXML)); diff != "" {
		t.Errorf("XML differs from JSON (-json +xml):\n%s", diff)
	}
}

func TestMapping(t *testing.T) {
	r := reporttest.Sample(t)
	bom := BOM(r)
	comp := map[string]cdx.Component{}
	for _, c := range *bom.Components {
		comp[c.BOMRef] = c
	}
	vuln := map[string]cdx.Vulnerability{}
	for _, v := range *bom.Vulnerabilities {
		vuln[v.BOMRef] = v
	}
	dep := map[string][]string{}
	for _, d := range *bom.Dependencies {
		dep[d.Ref] = *d.Dependencies
	}
	prop := func(ps *[]cdx.Property, name string) []string {
		var out []string
		for _, p := range *ps {
			if p.Name == name {
				out = append(out, p.Value)
			}
		}
		return out
	}
	const (
		busyboxApk = "4f40e642fdf7be38"
		busyboxBin = "bc08aa2cef7c27ac"
		libssl     = "4ec1c89444166169"
		libcrypto  = "d6e61c1aad889a81"
	)
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"serial", bom.SerialNumber, "urn:uuid:" + "22fdb737-1d91-5386-8069-d79ef3b447d1"},
		{"root", [3]string{string(bom.Metadata.Component.Type), bom.Metadata.Component.Name, bom.Metadata.Component.Version},
			[3]string{"container", "docker-archive:testdata/images/alpine-310.tar.gz", "sha256:de78803598bc4c940fc4591d412bffe488205d5d953f94751c6308deeaaa7eb8"}},
		{"timestamp", bom.Metadata.Timestamp, "2026-11-27T10:00:00Z"},
		{"os", comp["os:alpine@3.10.4"].Type, cdx.ComponentTypeOS},
		{"apk type", comp[busyboxApk].Type, cdx.ComponentTypeLibrary},
		{"binary type", comp[busyboxBin].Type, cdx.ComponentTypeApplication},
		{"binary cpe", comp[busyboxBin].CPE, "cpe:2.3:a:busybox:busybox:1.30.1:*:*:*:*:*:*:*"},
		{"purl", comp[libssl].PackageURL, "pkg:apk/alpine/libssl1.1@1.1.1d-r2?arch=x86_64&distro=alpine-3.10.4&upstream=openssl"},
		{"license id", *(*comp[libssl].Licenses)[0].License, cdx.License{ID: "OpenSSL"}},
		{"license name", *(*comp["0cd9d2554734beb9"].Licenses)[0].License, cdx.License{Name: "GPL2"}},
		{"path", prop(comp[libssl].Properties, PropLocationPath), []string{"/lib/apk/db/installed"}},
		{"layer", prop(comp[libssl].Properties, PropLayerDiffID), []string{"sha256:531743b7098cb2aaf615641007a129173f63ed86ca32fe7b5a246a1c47286028"}},
		{"contains", dep[busyboxApk], []string{busyboxBin}},
		{"depends-on", dep[libssl], []string{libcrypto}},
		{"root excludes contained", contains(dep[RootRef], busyboxBin), false},
		{"root has os", contains(dep[RootRef], "os:alpine@3.10.4"), true},
		// The scan's own decisions make no VEX claim: no analysis.
		{"not-affected analysis", vuln["CVE-2019-1551/"+libssl].Analysis, (*cdx.VulnerabilityAnalysis)(nil)},
		{"fixable analysis", vuln["CVE-2020-1967/"+libcrypto].Analysis, (*cdx.VulnerabilityAnalysis)(nil)},
		{"not-affected status", (*(*vuln["CVE-2019-1551/"+libssl].Affects)[0].Range)[0].Status, cdx.VulnerabilityStatusNotAffected},
		{"affects", (*vuln["CVE-2020-1967/"+libcrypto].Affects)[0].Ref, libcrypto},
		{"cvss", *(*vuln["CVE-2020-1967/"+libcrypto].Ratings)[0].Score, 7.5},
		{"cvss method", (*vuln["CVE-2020-1967/"+libcrypto].Ratings)[0].Method, cdx.ScoringMethodCVSSv31},
		{"cvss2 severity", (*vuln["CVE-2020-1967/"+libcrypto].Ratings)[1].Severity, cdx.SeverityMedium},
		{"source", vuln["CVE-2020-1967/"+libcrypto].Source.Name, "alpine-secdb"},
		{"recommendation", vuln["CVE-2020-1967/"+libcrypto].Recommendation, "Upgrade libcrypto1.1 to 1.1.1g-r0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestSerialNumber: the serial depends on the image digest only.
func TestSerialNumber(t *testing.T) {
	a := &report.Report{Target: report.Target{Ref: "a", ManifestDigest: "sha256:aa"}}
	b := &report.Report{Target: report.Target{Ref: "b", ManifestDigest: "sha256:aa"}}
	c := &report.Report{Target: report.Target{Ref: "a", ManifestDigest: "sha256:bb"}}
	if SerialNumber(a) != SerialNumber(b) {
		t.Error("same digest, different serial numbers")
	}
	if SerialNumber(a) == SerialNumber(c) {
		t.Error("different digests, same serial number")
	}
}

// TestXMLSchema validates the XML BOM against the official CycloneDX 1.6
// XSD with xmllint (libxml2), when it is installed (.ci/run installs it).
func TestXMLSchema(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not installed (apt-get install libxml2-utils); the XML BOM is not validated")
	}
	dir := t.TempDir()
	for _, name := range []string{"bom-1.6.xsd", "spdx.xsd"} {
		b, err := os.ReadFile(filepath.Join("testdata", name+".gz"))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		x, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), x, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := (Encoder{XML: true}).Encode(&buf, reporttest.Sample(t)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		doc   string
		valid bool
	}{
		{"sample", buf.String(), true},
		{"broken", strings.Replace(buf.String(), "<components>", "<componentz>", 1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := filepath.Join(dir, tc.name+".xml")
			if err := os.WriteFile(doc, []byte(tc.doc), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(xmllint, "--noout", "--schema", filepath.Join(dir, "bom-1.6.xsd"), doc).CombinedOutput()
			if tc.valid && err != nil {
				t.Errorf("does not validate against bom-1.6.xsd: %v\n%s", err, out)
			}
			if !tc.valid && err == nil {
				t.Error("validated, want an error")
			}
		})
	}
}

// withStatements is the sample report after the gate: one finding kept
// with an affected VEX note, others suppressed by a not_affected and a
// fixed VEX statement, by an exception and by the baseline.
func withStatements(t *testing.T) *report.Report {
	t.Helper()
	r := reporttest.Sample(t)
	all := r.Findings
	byID := func(id, pkg string) report.Finding {
		for _, f := range all {
			if f.VulnerabilityID == id && f.PackageName == pkg {
				return f
			}
		}
		t.Fatalf("no finding %s in %s", id, pkg)
		return report.Finding{}
	}
	var kept []report.Finding
	for _, f := range r.Findings {
		switch {
		case f.VulnerabilityID == "CVE-2022-28391":
			f.VEX = &report.VEXNote{Status: "affected", ActionStatement: "Upgrade the base image to alpine:3.16", Source: "app.openvex.json#0"}
		case f.VulnerabilityID == "CVE-2020-1967", f.VulnerabilityID == "CVE-2021-36159", f.VulnerabilityID == "CVE-2020-28928":
			continue
		}
		kept = append(kept, f)
	}
	r.Findings = kept
	r.Suppressed = []report.Suppression{
		{Finding: byID("CVE-2020-1967", "libssl1.1"), By: report.SuppressedByVEX, Status: "not_affected", Justification: "vulnerable_code_not_in_execute_path",
			Reason: "TLS 1.3 signature_algorithms is never negotiated", Source: "app.openvex.json#1"},
		{Finding: byID("CVE-2020-1967", "libcrypto1.1"), By: report.SuppressedByVEX, Status: "not_affected", Justification: "vulnerable_code_cannot_be_controlled_by_adversary",
			Reason: "vulnerable_code_cannot_be_controlled_by_adversary", Source: "app.openvex.json#2"},
		{Finding: byID("CVE-2021-36159", "apk-tools"), By: report.SuppressedByVEX, Status: "fixed", Source: "app.openvex.json#3"},
		{Finding: byID("CVE-2020-28928", "musl"), By: report.SuppressedByException, Reason: "wcsnrtombs is not called", Owner: "sec@example.com",
			Expires: "2026-12-31", Source: ".customsignore.yaml:3"},
		{Finding: byID("CVE-2020-28928", "musl-utils"), By: report.SuppressedByBaseline},
	}
	return r
}

// TestAnalysis: analysis is written only where a VEX statement or an
// exception made the claim, with the statement's own state.
func TestAnalysis(t *testing.T) {
	bom := BOM(withStatements(t))
	got := map[string]*cdx.VulnerabilityAnalysis{}
	for _, v := range *bom.Vulnerabilities {
		pkg := ""
		for _, a := range *v.Affects {
			pkg = a.Ref
		}
		got[v.ID+" "+pkg] = v.Analysis
	}
	r := withStatements(t)
	ref := map[string]string{}
	for _, p := range r.Packages {
		ref[p.Name] = p.ID
	}
	want := map[string]*cdx.VulnerabilityAnalysis{
		"CVE-2022-28391 " + ref["busybox"]: {State: cdx.IASExploitable, Detail: "Action: Upgrade the base image to alpine:3.16. Source: app.openvex.json#0"},
		"CVE-2020-1967 " + ref["libssl1.1"]: {State: cdx.IASNotAffected, Justification: cdx.IAJCodeNotReachable,
			Detail: "TLS 1.3 signature_algorithms is never negotiated. Source: app.openvex.json#1"},
		"CVE-2020-1967 " + ref["libcrypto1.1"]: {State: cdx.IASNotAffected,
			Detail: "vulnerable_code_cannot_be_controlled_by_adversary. Source: app.openvex.json#2"},
		"CVE-2021-36159 " + ref["apk-tools"]: {State: cdx.IASResolved, Detail: "Source: app.openvex.json#3"},
		"CVE-2020-28928 " + ref["musl"]:      {State: cdx.IASNotAffected, Detail: "Exception: wcsnrtombs is not called (owner sec@example.com, expires 2026-12-31, .customsignore.yaml:3)"},
	}
	for k, w := range want {
		if diff := cmp.Diff(w, got[k]); diff != "" {
			t.Errorf("%s analysis (-want +got):\n%s", k, diff)
		}
	}
	for k, a := range got {
		if _, ok := want[k]; !ok && a != nil {
			t.Errorf("%s has an analysis nobody stated: %+v", k, a)
		}
	}
	if _, ok := got["CVE-2020-28928 "+ref["musl-utils"]]; ok {
		t.Error("a finding only the baseline suppressed is listed")
	}
	if len(got) != len(r.Findings)+4 {
		t.Errorf("%d vulnerabilities, want %d kept + 4 suppressed by VEX or exception", len(got), len(r.Findings))
	}
}
