package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/customs-scanner/customs/internal/atomicfile"
	"github.com/customs-scanner/customs/internal/report"
)

func TestParseOutputs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		specs  []string
		output string
		want   []outputSpec
		err    string
	}{
		{"default", nil, "", []outputSpec{{"table", ""}}, ""},
		{"plain", []string{"json"}, "", []outputSpec{{"json", ""}}, ""},
		{"plain to --output", []string{"sarif"}, "r.sarif", []outputSpec{{"sarif", "r.sarif"}}, ""},
		{"several", []string{"table", "cyclonedx-json=bom.json", "spdx-tag-value=bom.spdx"}, "", []outputSpec{{"table", ""}, {"cyclonedx-json", "bom.json"}, {"spdx-tag-value", "bom.spdx"}}, ""},
		{"dash is stdout", []string{"markdown=-", "json=r.json"}, "", []outputSpec{{"markdown", ""}, {"json", "r.json"}}, ""},
		{"case", []string{"CycloneDX-XML=b.xml"}, "", []outputSpec{{"cyclonedx-xml", "b.xml"}}, ""},
		{"every format", []string{"table", "json=a", "cyclonedx-json=b", "cyclonedx-xml=c", "spdx-json=d", "spdx-tag-value=e", "sarif=f", "markdown=g", "template=h"}, "", []outputSpec{{"table", ""}, {"json", "a"}, {"cyclonedx-json", "b"}, {"cyclonedx-xml", "c"}, {"spdx-json", "d"}, {"spdx-tag-value", "e"}, {"sarif", "f"}, {"markdown", "g"}, {"template", "h"}}, ""},
		{"unknown", []string{"cyclonedx"}, "", nil, `unknown format "cyclonedx"`},
		{"a file given to -o", []string{"report.json"}, "", nil, `-o json=report.json`},
		{"format given to --output", []string{"json"}, "json", nil, "use -o json"},
		{"format given to --output, any case", nil, "SARIF", nil, "use -o sarif"},
		{"a file named like a format", []string{"json"}, "./json", []outputSpec{{"json", "./json"}}, ""},
		{"two on stdout", []string{"table", "json"}, "", nil, "both write to stdout"},
		{"two on one file", []string{"json=a.json", "sarif=./a.json"}, "", nil, "both write to ./a.json"},
		{"two on --output", []string{"json", "sarif"}, "x", nil, "both write to x"},
		{"empty file", []string{"json="}, "", nil, "empty file name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &outputFlags{command: "scan", formats: scanFormats, specs: tc.specs, file: tc.output}
			got, err := f.parse()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckOutputs(t *testing.T) {
	for _, tc := range []struct {
		name string
		outs []outputSpec
		opts outputOptions
		err  string
	}{
		{"template without --template", []outputSpec{{"template", ""}}, outputOptions{}, "needs --template"},
		{"bad template", []outputSpec{{"template", ""}}, outputOptions{Template: "{{.Nope"}, "parse template"},
		{"missing dockerfile", []outputSpec{{"sarif", ""}}, outputOptions{Dockerfile: filepath.Join(t.TempDir(), "Dockerfile")}, "--dockerfile"},
		{"fine", []outputSpec{{"template", ""}, {"sarif", "x"}}, outputOptions{Template: "{{.Target.Ref}}"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkOutputs(tc.outs, tc.opts)
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("err = %v, want %q", err, tc.err)
			}
		})
	}
}

// TestWriteOutputsKeepsOldFile: an encoder that fails leaves the existing
// file alone and the other outputs are still written.
func TestWriteOutputsKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(old, []byte("previous"), 0o644); err != nil {
		t.Fatal(err)
	}
	outs := []outputSpec{{"template", old}, {"json", filepath.Join(dir, "r.json")}}
	r := &report.Report{SchemaVersion: report.SchemaVersion, Target: report.Target{Ref: "x"}}
	err := writeReports(&bytes.Buffer{}, outs, outputOptions{Template: "{{.Nope}}"}, r)
	if err == nil || !strings.Contains(err.Error(), "execute template") {
		t.Fatalf("err = %v, want an execute template error", err)
	}
	if b, _ := os.ReadFile(old); string(b) != "previous" {
		t.Errorf("old file = %q, want it untouched", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "r.json")); err != nil {
		t.Errorf("the json output was not written: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, atomicfile.TempPrefix+"*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

type cmdResult struct {
	stdout, stderr string
	err            error
}

// runCommand runs one subcommand in-process with its own cache dir.
func runCommand(t *testing.T, newCmd func(*globals) *cobra.Command, stdin string, args ...string) cmdResult {
	t.Helper()
	var out, errb bytes.Buffer
	g := &globals{stderr: &errb, cacheDir: t.TempDir()}
	cmd := newCmd(g)
	cmd.SetArgs(args)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	err := cmd.ExecuteContext(t.Context())
	return cmdResult{out.String(), errb.String(), err}
}
