package cli

import (
	"strings"
	"testing"
)

// TestPlatformNotInImage: --platform naming a platform the image does not
// have is an error that names the one it has, not a scan of that one, also
// when the layer cache knows the image from a scan without --platform.
func TestPlatformNotInImage(t *testing.T) {
	cache := t.TempDir()
	for _, p := range []string{"", "linux/amd64"} {
		args := []string{"--cache-dir", cache, "scan", "--skip-db", alpineImage}
		if p != "" {
			args = append(args, "--platform", p)
		}
		if r := run(t, args...); r.code != ExitOK {
			t.Fatalf("--platform %q: exit %d: %s", p, r.code, r.stderr)
		}
	}
	r := run(t, "--cache-dir", cache, "scan", "--skip-db", "--platform", "linux/arm64", alpineImage)
	want := "no image for platform linux/arm64; the image has only linux/amd64; choose it as the platform, or drop --platform"
	if r.code != ExitError || !strings.Contains(r.stderr, want) || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr %q; want exit %d and one line with %q", r.code, r.stderr, ExitError, want)
	}
	if r.stdout != "" {
		t.Errorf("stdout %q, want nothing", r.stdout)
	}
}
