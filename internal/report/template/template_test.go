package template

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/report/reporttest"
)

func TestTemplates(t *testing.T) {
	for _, tc := range []struct {
		name, spec, want string
	}{
		{"target", "{{.Target.Ref}} {{.OS.Family}} {{short .Target.ManifestDigest}}", "docker-archive:testdata/images/alpine-310.tar.gz alpine de78803598bc"},
		{"count", "{{len .Packages}} packages, {{len .Findings}} findings", "14 packages, 9 findings"},
		{"atLeast", `{{range atLeast "high" .Findings}}{{.VulnerabilityID}}/{{.PackageName}} {{end}}`, "CVE-2021-36159/apk-tools CVE-2020-1967/libcrypto1.1 CVE-2020-1967/libssl1.1 CVE-2022-28391/busybox "},
		{"fixable join", `{{range fixable .Findings}}{{join .Aliases ","}}{{.FixedVersion}} {{end}}`, "2.10.7-r0 1.1.1g-r0 1.1.1g-r0 1.1.22-r4 1.1.22-r4 "},
		{"severity", `{{severity ""}} {{severity "high"}}`, "UNKNOWN HIGH"},
		{"json", `{{json .Summary.BySeverity}}`, `{"CRITICAL":1,"HIGH":3,"LOW":1,"MEDIUM":3,"UNKNOWN":1}`},
		{"file", filepath.Join("testdata", "csv.tmpl"), "id,severity,package,installed,fixed\nCVE-2021-36159,CRITICAL,apk-tools,2.10.4-r2,2.10.7-r0\nCVE-2020-1967,HIGH,libcrypto1.1,1.1.1d-r2,1.1.1g-r0\nCVE-2020-1967,HIGH,libssl1.1,1.1.1d-r2,1.1.1g-r0\nCVE-2022-28391,HIGH,busybox,1.30.1-r3,-\nCVE-2019-1551,MEDIUM,libssl1.1,1.1.1d-r2,1.1.1d-r2\nCVE-2020-28928,MEDIUM,musl,1.1.22-r3,1.1.22-r4\nCVE-2020-28928,MEDIUM,musl-utils,1.1.22-r3,1.1.22-r4\nCVE-2023-0464,LOW,ca-certificates-cacert,20190108-r0,-\nCVE-2019-14697,UNKNOWN,musl,1.1.22-r3,-\n"},
		{"@file", "@" + filepath.Join("testdata", "csv.tmpl"), "id,severity,package,installed,fixed\nCVE-2021-36159,CRITICAL,apk-tools,2.10.4-r2,2.10.7-r0\nCVE-2020-1967,HIGH,libcrypto1.1,1.1.1d-r2,1.1.1g-r0\nCVE-2020-1967,HIGH,libssl1.1,1.1.1d-r2,1.1.1g-r0\nCVE-2022-28391,HIGH,busybox,1.30.1-r3,-\nCVE-2019-1551,MEDIUM,libssl1.1,1.1.1d-r2,1.1.1d-r2\nCVE-2020-28928,MEDIUM,musl,1.1.22-r3,1.1.22-r4\nCVE-2020-28928,MEDIUM,musl-utils,1.1.22-r3,1.1.22-r4\nCVE-2023-0464,LOW,ca-certificates-cacert,20190108-r0,-\nCVE-2019-14697,UNKNOWN,musl,1.1.22-r3,-\n"},
		{"plain text", "no actions here", "no actions here"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Load(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := e.Encode(&b, reporttest.Sample(t)); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, b.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name, spec, want string
	}{
		{"empty", "", "template: empty"},
		{"syntax", "{{.Target", "parse template"},
		{"unknown field", "{{.Nope}}", "execute template"},
		{"bad severity", `{{atLeast "severe" .Findings}}`, `atLeast "severe"`},
		{"missing @file", "@" + filepath.Join("testdata", "nope.tmpl"), "read template"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Load(tc.spec)
			if err == nil {
				var b bytes.Buffer
				err = e.Encode(&b, reporttest.Sample(t))
				if err != nil && b.Len() > 0 {
					t.Error("partial output written on error")
				}
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
