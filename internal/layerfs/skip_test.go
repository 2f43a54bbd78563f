package layerfs

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSkipMatch(t *testing.T) {
	tests := []struct {
		pattern string
		path    string
		want    bool
	}{
		{"var/lib/docker", "var/lib/docker", true},
		{"/var/lib/docker", "var/lib/docker", true},
		{"./var/lib/docker/", "var/lib/docker", true},
		{"var/lib/docker", "var/lib/dockerd", false},
		{"var/lib/docker", "srv/var/lib/docker", false}, // anchored at the root
		{"**/node_modules", "node_modules", true},       // ** takes no element too
		{"**/node_modules", "app/web/node_modules", true},
		{"**/go/pkg/mod", "root/go/pkg/mod", true},
		{"**/go/pkg/mod", "root/go/pkg", false},
		{"home/*/.cache", "home/ann/.cache", true},
		{"home/*/.cache", "home/ann/x/.cache", false},
		{"**/*.pem", "etc/ssl/private/key.pem", true},
		{"**/*.pem", "etc/ssl/private/key.pem.bak", false},
		{"app/**", "app/a/b", true},
		{"a/**/z", "a/z", true},
		{"a/**/z", "a/b/c/z", true},
		{"a/**/z", "a/b/c/y", false},
		{Literal("mnt/[x]*"), "mnt/[x]*", true},
		{Literal("mnt/[x]*"), "mnt/x", false},
	}
	for _, tt := range tests {
		s := newSkipper([]SkipRule{{Pattern: tt.pattern, Dir: true, Reason: "r"}})
		if _, got := s.match(tt.path, true); got != tt.want {
			t.Errorf("%q matches %q = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
		if _, got := s.match(tt.path, false); got {
			t.Errorf("directory rule %q matched the file %q", tt.pattern, tt.path)
		}
	}
}

func TestCheckPattern(t *testing.T) {
	for _, p := range []string{"var/lib/docker", "**/*.pem", "/etc/[ab]*"} {
		if err := CheckPattern(p); err != nil {
			t.Errorf("CheckPattern(%q) = %v", p, err)
		}
	}
	for _, p := range []string{"etc/[ab", "/", "./", ""} {
		if err := CheckPattern(p); err == nil {
			t.Errorf("CheckPattern(%q) = nil, want an error", p)
		}
	}
}

var skipRules = []SkipRule{
	{Pattern: "**/node_modules", Dir: true, Reason: "--skip-dirs"},
	{Pattern: "**/*.pem", Reason: "--skip-files"},
}

// TestAnalyzeSkips: a skipped directory takes everything under it, its
// parent entry present or not, and is listed once; a skipped file is
// neither recorded nor read.
func TestAnalyzeSkips(t *testing.T) {
	tb := tarBytes(t,
		dir("app"),
		reg("app/package.json", `{"name":"app"}`),
		dir("app/node_modules"),
		reg("app/node_modules/x/package.json", `{"name":"x"}`),
		reg("lib/node_modules/y/package.json", `{"name":"y"}`), // no directory entries above it
		reg("lib/node_modules/z/package.json", `{"name":"z"}`),
		reg("etc/key.pem", "-----BEGIN PRIVATE KEY-----"),
		reg("etc/key.pem.txt", "not skipped"),
	)
	l := analyzeLayer(t, ggcrLayer(t, tb), Options{Wants: wantAll, Skip: skipRules})
	var paths []string
	for _, e := range l.Entries {
		paths = append(paths, e.Path)
	}
	if d := cmp.Diff([]string{"app", "app/package.json", "etc/key.pem.txt"}, paths); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
	if _, ok := l.Files["etc/key.pem"]; ok {
		t.Error("the skipped etc/key.pem was captured")
	}
	want := []Skipped{
		{Path: "app/node_modules", Dir: true, Reason: "--skip-dirs"},
		{Path: "lib/node_modules", Dir: true, Reason: "--skip-dirs"},
		{Path: "etc/key.pem", Reason: "--skip-files"},
	}
	if d := cmp.Diff(want, l.Skipped); d != "" {
		t.Errorf("skipped (-want +got):\n%s", d)
	}
	// Without rules the same layer keeps everything.
	all, err := Analyze(t.Context(), bytes.NewReader(tb), Options{Wants: wantAll})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Entries) != 8 || len(all.Skipped) != 0 {
		t.Errorf("no rules: %d entries, %d skipped; want 8, 0", len(all.Entries), len(all.Skipped))
	}
}

func TestAnalyzeDirSkips(t *testing.T) {
	root := t.TempDir()
	for p, body := range map[string]string{
		"app/package.json":                `{"name":"app"}`,
		"app/node_modules/x/package.json": `{"name":"x"}`,
		"etc/key.pem":                     "k",
	} {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var walked []string
	l, err := AnalyzeDir(t.Context(), root, Options{Wants: wantAll, Skip: skipRules, Walked: func(_ int, d string) { walked = append(walked, d) }})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range l.Entries {
		paths = append(paths, e.Path)
	}
	if d := cmp.Diff([]string{"app", "app/package.json", "etc"}, paths); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
	want := []Skipped{{Path: "app/node_modules", Dir: true, Reason: "--skip-dirs"}, {Path: "etc/key.pem", Reason: "--skip-files"}}
	if d := cmp.Diff(want, l.Skipped); d != "" {
		t.Errorf("skipped (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"app", "etc"}, walked); d != "" {
		t.Errorf("Walked calls (-want +got):\n%s", d)
	}
	if got := SkipSignature(skipRules); !strings.Contains(got, `"**/node_modules"`) || SkipSignature(nil) != "" {
		t.Errorf("SkipSignature = %q", got)
	}
}
