package gobinary

import (
	"bufio"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/shareddata"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/inventory"
)

// goTool returns the go command on PATH, or skips.
func goTool(t *testing.T) string {
	t.Helper()
	g, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	return g
}

// goEnv is an offline, reproducible build environment.
func goEnv() []string {
	return append(os.Environ(), "GOFLAGS=-mod=mod -buildvcs=false", "GOWORK=off", "GOTOOLCHAIN=local",
		"GOPROXY=off", "GOSUMDB=off", "CGO_ENABLED=0", "GOOS=linux")
}

func run(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = goEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// versionM returns "path version" of every module `go version -m`
// reports (replacements applied, like Extract), and the Go version.
func versionM(t *testing.T, goCmd, bin string) (mods []string, goVersion string) {
	t.Helper()
	out := run(t, "", goCmd, "version", "-m", bin)
	sc := bufio.NewScanner(strings.NewReader(out))
	first := true
	for sc.Scan() {
		if first {
			// "<file>: go1.26.8"
			_, goVersion, _ = strings.Cut(sc.Text(), ": ")
			first = false
			continue
		}
		f := strings.Split(strings.TrimPrefix(sc.Text(), "\t"), "\t")
		switch f[0] {
		case "mod", "dep":
			mods = append(mods, f[1]+" "+f[2])
		case "=>":
			// A directory replacement ("./local", version "(devel)")
			// keeps the required module's name and version.
			if !strings.HasPrefix(f[1], ".") && !strings.HasPrefix(f[1], "/") {
				mods[len(mods)-1] = f[1] + " " + f[2]
			}
		}
	}
	return mods, goVersion
}

// tinyModule writes a module with a plain dependency (golang.org/x/sync,
// from the module cache), the same module replaced by another version and
// a dependency replaced by a local directory.
func tinyModule(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	sum, err := os.ReadFile("../../../go.sum")
	if err != nil {
		t.Fatal(err)
	}
	var syncSum []string
	for _, l := range strings.Split(string(sum), "\n") {
		if strings.HasPrefix(l, "golang.org/x/sync ") {
			syncSum = append(syncSum, l)
		}
	}
	files := map[string]string{
		"go.mod": `module example.com/tiny

go 1.22

require (
	example.com/local v0.0.0
	golang.org/x/sync v0.20.0
)

replace golang.org/x/sync v0.20.0 => golang.org/x/sync v0.25.0

replace example.com/local => ./local
`,
		"go.sum": strings.Join(syncSum, "\n") + "\n",
		"main.go": `package main

import (
	"fmt"

	"example.com/local"
	"golang.org/x/sync/errgroup"
)

func main() {
	var g errgroup.Group
	g.Go(func() error { return nil })
	fmt.Println(g.Wait(), local.X)
}
`,
		"local/go.mod":   "module example.com/local\n\ngo 1.22\n",
		"local/local.go": "package local\n\n// X is used by main.\nconst X = 1\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// prepareAndExtract runs the file through Prepare and Extract as the walker does.
func prepareAndExtract(t *testing.T, path string, content []byte) []inventory.Package {
	t.Helper()
	var e Extractor
	if !e.Wants(path, 0o755) || !e.Wants(path, 0) {
		t.Fatalf("Wants(%q) = false", path)
	}
	rec, err := e.Prepare(path, content)
	if err != nil {
		t.Fatal(err)
	}
	if rec == nil {
		t.Fatal("Prepare found nothing")
	}
	t.Logf("%s: %d bytes -> %d-byte record", path, len(content), len(rec))
	pkgs, err := e.Extract(t.Context(), extract.Input{Path: path, Content: rec})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func nameVersions(pkgs []inventory.Package) []string {
	var out []string
	for _, p := range pkgs {
		if p.Name != Stdlib && p.Type == "golang" {
			out = append(out, p.Name+" "+p.Version)
		}
	}
	slices.Sort(out)
	return out
}

func TestGoBuild(t *testing.T) {
	goCmd := goTool(t)
	dir := tinyModule(t)
	tests := []struct {
		name     string
		flags    []string
		stripped bool
		pie      bool
		heavy    bool // rebuilds the standard library on a cold cache
	}{
		{name: "default"},
		{name: "stripped", flags: []string{"-ldflags=-s -w"}, stripped: true},
		{name: "trimpath", flags: []string{"-trimpath"}, heavy: true},
		{name: "pie", flags: []string{"-buildmode=pie"}, pie: true, heavy: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.heavy && testing.Short() {
				t.Skip("rebuilds the standard library; skipped with -short")
			}
			bin := filepath.Join(t.TempDir(), "tiny")
			run(t, dir, goCmd, append(append([]string{"build", "-o", bin}, tt.flags...), ".")...)
			content, err := os.ReadFile(bin)
			if err != nil {
				t.Fatal(err)
			}
			f, err := elf.Open(bin)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Section(".symtab") == nil; got != tt.stripped {
				t.Errorf("stripped = %v, want %v", got, tt.stripped)
			}
			if got := f.Type == elf.ET_DYN; got != tt.pie {
				t.Errorf("PIE = %v, want %v", got, tt.pie)
			}
			f.Close()

			pkgs := prepareAndExtract(t, "app/tiny", content)
			mods, goVersion := versionM(t, goCmd, bin)
			slices.Sort(mods)
			if diff := cmp.Diff(mods, nameVersions(pkgs)); diff != "" {
				t.Errorf("modules, go version -m (-want) vs Extract (+got):\n%s", diff)
			}
			wantMods := []string{"example.com/local v0.0.0", "example.com/tiny (devel)", "golang.org/x/sync v0.25.0"}
			if diff := cmp.Diff(wantMods, nameVersions(pkgs)); diff != "" {
				t.Errorf("modules (-want +got):\n%s", diff)
			}
			std := pkgs[len(pkgs)-1]
			wantStd, _ := StdlibVersion(goVersion)
			if std.Name != Stdlib || std.Version != wantStd || std.Ecosystem != "Go" || wantStd == "" {
				t.Errorf("stdlib = %s %s %q, want %s (from %s)", std.Name, std.Version, std.Ecosystem, wantStd, goVersion)
			}
			main := pkgs[0].Metadata.(Metadata)
			if main.Settings["GOOS"] != "linux" || main.Settings["CGO_ENABLED"] != "0" {
				t.Errorf("settings = %v", main.Settings)
			}
			if tt.pie && main.Settings["-buildmode"] != "pie" || tt.stripped && main.Settings["-ldflags"] != "-s -w" {
				t.Errorf("settings = %v", main.Settings)
			}
		})
	}
}

// TestOwnCommand builds customs itself, a binary with dozens of modules,
// stripped. It builds with the flags and environment `go test` and
// `go vet` compile the repository's packages with (no -trimpath;
// CGO_ENABLED and GOOS as they are), so every package comes from the
// build cache and only the link runs: seconds, where a -trimpath,
// CGO_ENABLED=0 build recompiled all dependencies (modernc.org/sqlite
// among them) and ran past ten minutes on a busy two-core machine.
// TestGoBuild covers -trimpath.
func TestOwnCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("links cmd/customs (seconds); skipped with -short")
	}
	goCmd := goTool(t)
	bin := filepath.Join(t.TempDir(), "customs")
	cmd := exec.Command(goCmd, "build", "-ldflags=-s -w", "-o", bin, "./cmd/customs")
	cmd.Dir = "../../.."
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod -buildvcs=false", "GOWORK=off", "GOTOOLCHAIN=local", "GOPROXY=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/customs: %v\n%s", err, out)
	}
	content, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	pkgs := prepareAndExtract(t, "usr/local/bin/customs", content)
	mods, _ := versionM(t, goCmd, bin)
	slices.Sort(mods)
	got := nameVersions(pkgs)
	if diff := cmp.Diff(mods, got); diff != "" {
		t.Errorf("modules, go version -m (-want) vs Extract (+got):\n%s", diff)
	}
	if len(got) < 10 || !slices.Contains(got, "github.com/google/go-containerregistry v0.22.1") {
		t.Errorf("got %d modules: %v", len(got), got)
	}
	t.Logf("cmd/customs: %d modules plus stdlib", len(got))
}

func TestAuditableObjcopy(t *testing.T) {
	objcopy, err := exec.LookPath("objcopy")
	if err != nil {
		t.Skip("objcopy (binutils) not installed")
	}
	goCmd := goTool(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "hello")
	run(t, dir, goCmd, "build", "-ldflags=-s -w", "-o", bin, src)
	blob := filepath.Join(dir, "dep-v0")
	if err := os.WriteFile(blob, zlibBytes(t, []byte(auditJSON)), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, dir, objcopy, "--add-section", ".dep-v0="+blob, bin)
	content, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	pkgs := prepareAndExtract(t, "usr/bin/hello", content)
	var crates []inventory.Package
	for _, p := range pkgs {
		if p.Type == "cargo" {
			p.Evidence = nil
			crates = append(crates, p)
		}
	}
	if diff := cmp.Diff(wantCrates, crates); diff != "" {
		t.Errorf("crates (-want +got):\n%s", diff)
	}
	// The Go side is still read: the binary has stdlib.
	if !slices.ContainsFunc(pkgs, func(p inventory.Package) bool { return p.Name == Stdlib }) {
		t.Errorf("no stdlib in %v", nameVersions(pkgs))
	}
}

// TestRestic checks the restic binary of the benchmark root filesystem,
// (scripts/bench.sh --prepare builds it; CI does).
func TestRestic(t *testing.T) {
	content, err := os.ReadFile(shareddata.Rootfs(t, "usr/bin/restic"))
	if err != nil {
		t.Fatal(err)
	}
	pkgs := prepareAndExtract(t, "usr/bin/restic", content)
	// Debian builds Go programs in GOPATH mode with packaged sources: the
	// binary names no modules, only its toolchain.
	std := pkgs[len(pkgs)-1]
	if std.Name != Stdlib || !strings.HasPrefix(std.Version, "v1.") {
		t.Errorf("stdlib = %s %s", std.Name, std.Version)
	}
	t.Logf("restic: %d packages, stdlib %s, metadata %+v", len(pkgs), std.Version, std.Metadata)
}
