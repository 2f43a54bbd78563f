package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConvert re-encodes a real report (a DB-less scan of the alpine 3.10
// image, written with -o json) into every format, from a file and from stdin.
func TestConvert(t *testing.T) {
	dir := t.TempDir()
	rep := filepath.Join(dir, "report.json")
	if res := runCommand(t, newSBOMCmd, "", alpineImage, "--no-progress", "-o", "json="+rep); res.err != nil {
		t.Fatalf("sbom -o json: %v\n%s", res.err, res.stderr)
	}
	dockerfile := filepath.Join(dir, "Dockerfile")
	if err := os.WriteFile(dockerfile, []byte("FROM alpine:3.10\nRUN apk add --no-cache curl\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		format string
		want   string // in the output
	}{
		{"table", "alpine-310.tar.gz"},
		{"json", `"schemaVersion": "1.1"`},
		{"cyclonedx-json", `"specVersion": "1.6"`},
		{"cyclonedx-xml", `<bom xmlns="http://cyclonedx.org/schema/bom/1.6"`},
		{"spdx-json", `"spdxVersion": "SPDX-2.3"`},
		{"spdx-tag-value", "SPDXVersion: SPDX-2.3"},
		{"sarif", `"version": "2.1.0"`},
		{"markdown", "14 packages; not checked for vulnerabilities (no vulnerability DB was used)."},
		{"template", "apk-tools 2.10.4-r2"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			out := filepath.Join(dir, tc.format+".out")
			res := runCommand(t, newConvertCmd, "", rep, "-o", tc.format+"="+out, "--dockerfile", dockerfile,
				"--template", `{{range .Packages}}{{.Name}} {{.Version}}{{"\n"}}{{end}}`)
			if res.err != nil {
				t.Fatalf("convert: %v", res.err)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), tc.want) {
				t.Errorf("output lacks %q:\n%.400s", tc.want, b)
			}
		})
	}
	t.Run("stdin", func(t *testing.T) {
		b, err := os.ReadFile(rep)
		if err != nil {
			t.Fatal(err)
		}
		res := runCommand(t, newConvertCmd, string(b), "-", "-o", "markdown")
		if res.err != nil || !strings.Contains(res.stdout, "### customs:") {
			t.Errorf("convert - : err %v, stdout %q", res.err, res.stdout)
		}
	})
}

func TestConvertErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"schemaVersion":"9.0"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	notJSON := filepath.Join(dir, "not.json")
	if err := os.WriteFile(notJSON, []byte("FROM alpine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing file", []string{filepath.Join(dir, "nope.json")}, "read report"},
		{"other schema", []string{bad}, `schema version "9.0" is not supported`},
		{"not json", []string{notJSON}, "decode json report"},
		{"bad format", []string{bad, "-o", "xml"}, "unknown format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runCommand(t, newConvertCmd, "", tc.args...)
			if res.err == nil || !strings.Contains(res.err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", res.err, tc.want)
			}
		})
	}
}

// FuzzConvert: convert reads reports from anywhere. Whatever decodes must
// encode in every format without a panic.
func FuzzConvert(f *testing.F) {
	dir := f.TempDir()
	rep := filepath.Join(dir, "report.json")
	var out, errb strings.Builder
	g := &globals{stderr: &errb, cacheDir: dir}
	cmd := newSBOMCmd(g)
	cmd.SetArgs([]string{alpineImage, "--no-progress", "-o", "json=" + rep})
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	if err := cmd.Execute(); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(rep)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"schemaVersion":"1.0","target":{"ref":"x"},"os":{},"packages":[{"id":"a","locations":[]},{"id":"a"}],"ownedPackages":[{"id":"b","evidence":[{}]}],"relationships":[{"from":"a","to":"b","type":"contains"},{"from":"b","to":"a","type":"depends-on"},{"from":"a","to":"zz","type":"contains"}],"findings":[{"vulnerabilityID":"","packageID":"zz","cvss":[{"score":-1}],"kev":{},"epss":{}},{"vulnerabilityID":"CVE-1","status":"not-affected","evidence":[]}]}`))
	outs := []outputSpec{{"table", ""}, {"json", ""}, {"cyclonedx-json", ""}, {"cyclonedx-xml", ""}, {"spdx-json", ""}, {"spdx-tag-value", ""}, {"sarif", ""}, {"markdown", ""}, {"template", ""}}
	oo := outputOptions{Template: `{{range bySeverity .Findings}}{{.VulnerabilityID}}{{end}}`}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := readReport(strings.NewReader(string(data)), "-")
		if err != nil {
			return
		}
		for _, o := range outs {
			var b strings.Builder
			_ = writeReports(&b, []outputSpec{o}, oo, r)
		}
		var b strings.Builder
		_ = writeReports(&b, []outputSpec{{"table", ""}}, outputOptions{Packages: true}, r)
	})
}
