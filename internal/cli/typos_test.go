package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestTypos: a mistyped command, flag or target scheme exits 2 with the
// name the user probably meant, before any work is done (a nightly
// `customs db updte` used to print help and exit 0).
func TestTypos(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "app.tar")
	alpineAbs, err := filepath.Abs(alpineImage)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"subcommand", []string{"db", "updte"}, `unknown command "updte" for "customs db"; did you mean update?`},
		{"top-level command", []string{"scna", alpineImage}, `unknown command "scna" for "customs"; did you mean scan?`},
		{"no suggestion", []string{"db", "frobnicate"}, `unknown command "frobnicate" for "customs db" (see customs db --help)`},
		{"flag", []string{"scan", "--fail-onn", "high", alpineImage}, "unknown flag --fail-onn; did you mean --fail-on?"},
		{"global flag", []string{"--cahce-dir", t.TempDir(), "version"}, "unknown flag --cahce-dir; did you mean --cache-dir?"},
		{"one dash", []string{"scan", "-fail-on", "high", alpineImage}, "unknown flag -fail-on; did you mean --fail-on?"},
		{"unknown flag", []string{"sbom", "--frobnicate", alpineImage}, "unknown flag --frobnicate (see customs sbom --help)"},
		{"flag before its command", []string{"--no-default-skips", "scan", alpineImage}, "unknown flag --no-default-skips: it is a flag of customs drift, customs explain, customs sbom, customs scan; give it after the command name"},
		{"scheme", []string{"sbom", "dockr:foo"}, `unknown scheme "dockr:", did you mean docker:? (for an image named dockr, write registry:dockr:foo)`},
		{"scheme of an archive", []string{"sbom", "docker-archiv:" + alpineImage}, `unknown scheme "docker-archiv:", did you mean docker-archive:?`},
		{"missing file", []string{"sbom", missing}, "file " + missing + " does not exist: check the path and the name of the file"},
		{"missing file, near name", []string{"sbom", strings.TrimSuffix(alpineImage, ".gz")}, "; did you mean " + alpineAbs + "?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, append([]string{"--cache-dir", t.TempDir()}, tt.args...)...)
			if r.code != ExitError {
				t.Errorf("exit %d, want %d", r.code, ExitError)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr %q, want it to contain %q", r.stderr, tt.want)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing (no help text)", r.stdout)
			}
		})
	}
	// A group command with no subcommand still shows its help.
	if r := run(t, "db"); r.code != ExitOK || !strings.Contains(r.stdout, "customs db [command]") {
		t.Errorf("customs db: exit %d, stdout %q", r.code, r.stdout)
	}
}
