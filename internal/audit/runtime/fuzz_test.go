package runtime

import (
	"testing"

	"github.com/customs-scanner/customs/internal/report"
)

// Run these with -fuzzminimizetime=2s: minimising a new input as large as
// the seeds takes the default 60s, during which no exec is counted.
//
// fuzzParse runs parse and every check on arbitrary bytes: no panic, and a
// workload list comes only without an error.
func fuzzParse(f *testing.F, parse func(string, []byte) ([]Workload, error), seeds ...string) {
	for _, s := range seeds {
		f.Add(readSample(f, s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ws, err := parse("fuzz", data)
		if err != nil {
			if ws != nil {
				t.Fatalf("workloads with an error: %v", err)
			}
			return
		}
		fs := CheckAll(ws)
		for i := range ws {
			Join(fs, ws[i], report.ImageFacts{HasShell: true, HasDockerCLI: true})
		}
	})
}

func FuzzParseKubernetes(f *testing.F) {
	fuzzParse(f, ParseKubernetes, "helm-template.yaml", "list.yaml")
}

func FuzzParseCompose(f *testing.F) { fuzzParse(f, ParseCompose, "compose.yaml") }

func FuzzParseInspect(f *testing.F) { fuzzParse(f, ParseInspect, "docker-inspect.json") }

func FuzzParseOCIConfig(f *testing.F) {
	fuzzParse(f, ParseOCIConfig, "oci-docker-ops-agent.json", "oci-runc-spec.json")
}

// FuzzParse covers format detection too.
func FuzzParse(f *testing.F) {
	fuzzParse(f, func(s string, b []byte) ([]Workload, error) { return Parse("", s, b) }, "compose.yaml", "list.yaml", "oci-runc-spec.json")
}
