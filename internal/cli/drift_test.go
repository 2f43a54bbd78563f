package cli

import (
	"strings"
	"testing"
)

// TestDriftBadInput: wrong targets and flags are errors (exit 2) that say
// what to give, before anything is read.
func TestDriftBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"host without an image", []string{"drift", "dir:/tmp", "--skip-db"}, "give --against IMAGE"},
		{"not a container or host", []string{"drift", "registry:example.invalid/app:1"}, "want docker:CONTAINER"},
		{"unknown kind", []string{"drift", "docker:web", "--severity", "file-moved=high"}, `unknown kind of drift "file-moved"`},
		{"bad severity", []string{"drift", "docker:web", "--severity", "file-added=urgent"}, `unknown severity "urgent"`},
		{"severity without =", []string{"drift", "docker:web", "--severity", "file-added"}, "want KIND=SEVERITY"},
		{"bad fail-on", []string{"drift", "docker:web", "--fail-on", "urgent"}, "urgent"},
		{"bad ignore", []string{"drift", "docker:web", "--ignore", "srv/[x"}, "ignore pattern"},
		{"bad format", []string{"drift", "docker:web", "-o", "cyclonedx-json"}, "does not write cyclonedx-json"},
		{"no such container", []string{"drift", "docker:customs-no-such-container-0", "--skip-db"}, "customs-no-such-container-0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, append([]string{"--cache-dir", t.TempDir()}, tc.args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, tc.want)
			}
		})
	}
}
