// Package gobinarytest builds a small Go binary with build information for
// the tests of the stages around package gobinary (extract, scan, cli), so
// they run on a real executable the Go toolchain wrote.
package gobinarytest

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// What the binary's build information names: its main module (version
// "(devel)") and one dependency, golang.org/x/text v0.3.7, which the Go
// vulnerability database's GO-2022-1059 (fixed in v0.3.8) and GO-2026-5970
// (fixed in v0.39.0) affect; testdata/feeds/osv-go-text at the repository root
// holds every Go advisory for the module.
const (
	Main    = "example.com/hello"
	Module  = "golang.org/x/text"
	Version = "v0.3.7"
)

// Vulns are the advisories of testdata/feeds/osv-go-text that affect Module at
// Version, sorted.
var Vulns = []string{"GO-2022-1059", "GO-2026-5970"}

// files make the program. The dependency is vendored: the build needs no
// module cache or network, and build information records a vendored
// module's version from vendor/modules.txt as it does a downloaded one's.
// Only that record matters to the tests, so the vendored package is a
// stub with the one name main uses, not the module's code.
var files = map[string]string{
	"go.mod": "module " + Main + "\n\ngo 1.22\n\nrequire " + Module + " " + Version + "\n",
	"main.go": `package main

import (
	"fmt"

	"golang.org/x/text/unicode/norm"
)

func main() { fmt.Println(norm.NFC.String("hello")) }
`,
	"vendor/modules.txt": "# " + Module + " " + Version + "\n## explicit; go 1.17\n" + Module + "/unicode/norm\n",
	"vendor/golang.org/x/text/unicode/norm/norm.go": `// Package norm is a stub standing in for golang.org/x/text/unicode/norm.
package norm

// Form is a normalization form.
type Form int

// NFC is canonical composition.
const NFC Form = 0

// String returns s.
func (Form) String(s string) string { return s }
`,
}

// goCache is the go command's build cache as it was when the test process
// started, before a TestMain pointed XDG_CACHE_HOME elsewhere (the cli
// tests do): with it the build reuses the compiled standard library
// instead of compiling it again (a minute on a busy machine).
var goCache = func() string {
	if c := os.Getenv("GOCACHE"); c != "" {
		return c
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "go-build")
	}
	return ""
}()

var (
	once     sync.Once
	built    []byte
	buildErr error
	buildOut []byte
)

// Build returns the binary for linux/GOARCH, built once per test process
// (about a second on a warm build cache: one small package and a link). It
// skips the test when no go command is on PATH.
func Build(t testing.TB) []byte {
	t.Helper()
	goCmd, lerr := exec.LookPath("go")
	if lerr != nil {
		t.Skip("no go command on PATH: cannot build the test binary")
	}
	once.Do(func() { built, buildOut, buildErr = build(goCmd) })
	if buildErr != nil {
		t.Fatalf("build the test binary: %v\n%s", buildErr, buildOut)
	}
	return built
}

func build(goCmd string) ([]byte, []byte, error) {
	dir, err := os.MkdirTemp("", "gobinarytest-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, nil, err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return nil, nil, err
		}
	}
	bin := filepath.Join(dir, "hello")
	cmd := exec.Command(goCmd, "build", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=vendor -buildvcs=false", "GOWORK=off", "GOTOOLCHAIN=local",
		"GOPROXY=off", "CGO_ENABLED=0", "GOOS=linux")
	if goCache != "" {
		cmd.Env = append(cmd.Env, "GOCACHE="+goCache)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, out, err
	}
	b, err := os.ReadFile(bin)
	return b, nil, err
}
