package runtime

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/golden"
	"github.com/customs-scanner/customs/internal/report"
)

// samples are the testdata inputs with their detected format.
var samples = []struct {
	file   string
	format Format
	n      int // workloads
}{
	{"helm-template.yaml", FormatKubernetes, 3},
	{"list.yaml", FormatKubernetes, 2},
	{"compose.yaml", FormatCompose, 4},
	{"docker-inspect.json", FormatInspect, 4},
	{"oci-docker-ops-agent.json", FormatOCIConfig, 1},
	{"oci-docker-web-hardened.json", FormatOCIConfig, 1},
	{"oci-runc-spec.json", FormatOCIConfig, 1},
}

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// render prints findings one per line, in rank order, for golden files.
func render(fs []report.Misconfiguration) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%s | %s | %s | %s | %s | %s | %s\n", f.ID, f.Severity, f.Impact, f.Workload, f.Container, f.Profile, strings.Join(f.Evidence, "; "))
	}
	return b.String()
}

// TestGolden parses every sample with format detection, runs all checks and
// compares the ranked findings with testdata/golden/FILE.txt.
func TestGolden(t *testing.T) {
	for _, s := range samples {
		t.Run(s.file, func(t *testing.T) {
			data := readSample(t, s.file)
			f, err := Detect(data)
			if err != nil {
				t.Fatal(err)
			}
			if f != s.format {
				t.Errorf("Detect = %q, want %q", f, s.format)
			}
			ws, err := Parse("", s.file, data)
			if err != nil {
				t.Fatal(err)
			}
			if len(ws) != s.n {
				t.Errorf("got %d workloads, want %d", len(ws), s.n)
			}
			got := render(CheckAll(ws))
			golden.Check(t, filepath.Join("testdata", "golden", s.file+".txt"), []byte(got))
		})
	}
}
