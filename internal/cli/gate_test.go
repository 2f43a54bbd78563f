package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/customs-scanner/customs/internal/report"
	jsonreport "github.com/customs-scanner/customs/internal/report/json"
)

// The gate's logic is tested in internal/scan (scan.Judge); these tests
// are of the flags that load its inputs.

// gateReport is a real report: customs scan of
// testdata/images/debian-bookworm-dpkg.tar.gz against the bookworm tracker
// slice (see testdata/gate/README.md).
func gateReport(t *testing.T) *report.Report {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "gate", "debian.report.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := jsonreport.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func gateFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var gateNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func TestGateErrors(t *testing.T) {
	badPolicy := gateFile(t, "p.yaml", "rules:\n  - name: r\n    expr: finding.sevrity >= HIGH\n")
	badIgnore := gateFile(t, "i.yaml", "exceptions:\n  - id: X\n    reason: r\n    owners: me\n")
	badVEX := gateFile(t, "v.json", `{"foo":1}`)
	badBaseline := gateFile(t, "b.json", `{"schemaVersion":"9.0"}`)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"policy", []string{"--policy", badPolicy}, "--policy: " + badPolicy + ":3:18: rule \"r\": undefined field 'sevrity'"},
		{"ignore", []string{"--ignore-file", badIgnore}, "--ignore-file: " + badIgnore + `:4:5: unknown key "owners" in an exception`},
		{"vex", []string{"--vex", badVEX}, "--vex: vex " + badVEX + ": not an OpenVEX, CycloneDX or CSAF document"},
		{"baseline", []string{"--baseline", badBaseline}, "--baseline " + badBaseline + `: decode json report: schema version "9.0" is not supported`},
		{"layers", []string{"--base-image-layers", "-1"}, "--base-image-layers -1: want 0 or more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o gateOptions
			fs := pflag.NewFlagSet("scan", pflag.ContinueOnError)
			addGateFlags(fs, &o)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			g, err := loadGate(o)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("loadGate error = %v, want prefix %q", err, tt.want)
			}
			if g != nil {
				t.Errorf("loadGate returned a gate with its error: %+v", g)
			}
		})
	}
}
