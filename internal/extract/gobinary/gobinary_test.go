package gobinary

import (
	"bytes"
	"compress/zlib"
	"context"
	"debug/buildinfo"
	"os"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/extract/cargo"
	"github.com/customs-scanner/customs/internal/inventory"
)

// tinyInfo is the build information of a small module with one plain
// dependency, one replaced by another version and one by a directory.
var tinyInfo = &debug.BuildInfo{
	GoVersion: "go1.22.3 X:loopvar",
	Path:      "example.com/tiny/cmd/tiny",
	Main:      debug.Module{Path: "example.com/tiny", Version: "v1.2.3", Sum: "h1:abc="},
	Deps: []*debug.Module{
		{Path: "example.com/local", Version: "v0.0.0", Replace: &debug.Module{Path: "./local"}},
		{Path: "golang.org/x/sync", Version: "v0.20.0", Replace: &debug.Module{Path: "golang.org/x/sync", Version: "v0.25.0", Sum: "h1:x="}},
		{Path: "gopkg.in/yaml.v3", Version: "v3.0.1", Sum: "h1:y="},
	},
	Settings: []debug.BuildSetting{
		{Key: "-buildmode", Value: "exe"}, {Key: "-compiler", Value: "gc"}, {Key: "CGO_ENABLED", Value: "0"},
		{Key: "GOARCH", Value: "amd64"}, {Key: "GOOS", Value: "linux"}, {Key: "vcs.revision", Value: "0123abcd"},
	},
}

func TestMiniELF(t *testing.T) {
	bin := miniELF(tinyInfo, nil)
	if _, err := buildinfo.Read(bytes.NewReader(bin)); err != nil {
		t.Fatalf("buildinfo.Read of the synthetic ELF: %v", err)
	}
	prepared, err := Extractor{}.Prepare("app/tiny", bin)
	if err != nil {
		t.Fatal(err)
	}
	if len(prepared) > len(bin)/2 {
		t.Errorf("record is %d bytes for a %d-byte file", len(prepared), len(bin))
	}
	got, err := Extractor{}.Extract(t.Context(), extract.Input{Path: "app/tiny", Content: prepared})
	if err != nil {
		t.Fatal(err)
	}
	ev := []inventory.Evidence{{Path: "app/tiny", Match: "go buildinfo go1.22.3 X:loopvar"}}
	want := []inventory.Package{
		{
			Name: "example.com/tiny", Version: "v1.2.3", Type: "golang", Ecosystem: "Go",
			PURL: "pkg:golang/example.com/tiny@v1.2.3",
			DependsOn: []string{
				"pkg:golang/example.com/local@v0.0.0", "pkg:golang/golang.org/x/sync@v0.25.0",
				"pkg:golang/gopkg.in/yaml.v3@v3.0.1", "pkg:golang/stdlib@v1.22.3",
			},
			Evidence: ev,
			Metadata: Metadata{GoVersion: "go1.22.3 X:loopvar", Settings: map[string]string{
				"-buildmode": "exe", "CGO_ENABLED": "0", "GOARCH": "amd64", "GOOS": "linux", "vcs.revision": "0123abcd",
			}},
		},
		{
			Name: "example.com/local", Version: "v0.0.0", Type: "golang", PURL: "pkg:golang/example.com/local@v0.0.0",
			Evidence: ev, Metadata: Metadata{Note: "replaced by local directory ./local: not matchable"},
		},
		{
			Name: "golang.org/x/sync", Version: "v0.25.0", Type: "golang", Ecosystem: "Go", PURL: "pkg:golang/golang.org/x/sync@v0.25.0",
			Evidence: ev, Metadata: Metadata{Replaces: "golang.org/x/sync@v0.20.0"},
		},
		{
			Name: "gopkg.in/yaml.v3", Version: "v3.0.1", Type: "golang", Ecosystem: "Go", PURL: "pkg:golang/gopkg.in/yaml.v3@v3.0.1",
			Evidence: ev,
		},
		{
			Name: "stdlib", Version: "v1.22.3", Type: "golang", Ecosystem: "Go", PURL: "pkg:golang/stdlib@v1.22.3",
			Evidence: ev, Metadata: Metadata{GoVersion: "go1.22.3 X:loopvar"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Extract (-want +got):\n%s", diff)
	}
	// Unprepared content (a raw binary) gives the same packages.
	raw, err := Extractor{}.Extract(t.Context(), extract.Input{Path: "app/tiny", Content: bin})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, raw); diff != "" {
		t.Errorf("Extract of the raw binary (-want +got):\n%s", diff)
	}
}

func TestDevelAndNoMain(t *testing.T) {
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		want []inventory.Package
	}{
		{
			name: "devel",
			bi:   &debug.BuildInfo{GoVersion: "go1.23rc2", Path: "example.com/d", Main: debug.Module{Path: "example.com/d", Version: "(devel)"}},
			want: []inventory.Package{
				{
					Name: "example.com/d", Version: "(devel)", Type: "golang", PURL: "pkg:golang/example.com/d",
					DependsOn: []string{"pkg:golang/stdlib@v1.23.0-rc.2"},
					Metadata:  Metadata{GoVersion: "go1.23rc2", Note: "main module version (devel): not matchable"},
				},
				{
					Name: "stdlib", Version: "v1.23.0-rc.2", Type: "golang", Ecosystem: "Go", PURL: "pkg:golang/stdlib@v1.23.0-rc.2",
					Metadata: Metadata{GoVersion: "go1.23rc2"},
				},
			},
		},
		{
			// go build file.go: no main module; settings go on stdlib.
			name: "no main module",
			bi:   &debug.BuildInfo{GoVersion: "devel go1.24-abcdef", Path: "command-line-arguments", Settings: []debug.BuildSetting{{Key: "GOOS", Value: "linux"}}},
			want: []inventory.Package{{
				Name: "stdlib", Type: "golang", PURL: "pkg:golang/stdlib",
				Metadata: Metadata{GoVersion: "devel go1.24-abcdef", Settings: map[string]string{"GOOS": "linux"}, Note: "toolchain version not matchable"},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Extractor{}.Extract(t.Context(), extract.Input{Path: "x", Content: miniELF(tt.bi, nil)})
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				got[i].Evidence = nil
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestStdlibVersion(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"go1.22.3", "v1.22.3", true},
		{"go1.20", "v1.20.0", true},
		{"go1.21rc2", "v1.21.0-rc.2", true},
		{"go1.18beta1", "v1.18.0-beta.1", true},
		{"go1.25.1 X:jsonv2,greenteagc", "v1.25.1", true},
		{"go1.22.3-bigcorp", "v1.22.3", true},
		{"devel go1.24-abcdef Mon Jan 1", "", false},
		{"go1", "", false},
		{"go1.x", "", false},
		{"go1.21rcX", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := StdlibVersion(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("StdlibVersion(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestWants(t *testing.T) {
	tests := []struct {
		path string
		mode os.FileMode
		want bool
	}{
		{"usr/bin/restic", 0o755, true},
		{"usr/bin/restic", 0, true},
		{"usr/bin/restic", 0o644, false}, // not executable
		{"usr/bin/restic", os.ModeSymlink | 0o777, false},
		{"usr/local/bin/helm", 0o755, true},
		{"manager", 0o755, true}, // distroless root binary
		{"app/server", 0o755, true},
		{"opt/tool/tool", 0, true},
		{"ko-app/hello", 0, true},
		{"usr/libexec/docker/cli-plugins/docker-buildx", 0o755, true},
		{"home/user/go/bin/gopls", 0o755, true},
		{"usr/bin/python3.11", 0o755, true},
		{"app.exe", 0o755, true},
		{"usr/lib/x86_64-linux-gnu/libc.so.6", 0o755, false},
		{"usr/share/doc/x/copyright", 0, false},
		{"etc/passwd", 0, false},
		{"usr/bin/script.sh", 0o755, false},
		{"app/node_modules/.bin/tsc", 0o755, false},
		{"root/.cargo/bin/cargo", 0o755, true},
		{"usr/local/go/pkg/tool/linux_amd64/compile", 0o755, true},
		{"usr/local/lib/python3.11/site-packages/x/y", 0o755, false},
		{"usr/localx/y", 0o755, false},
		{"app/node_modules/esbuild/esbuild", 0o755, false},
		{"app/package.json", 0, false},
		{"app/Cargo.lock", 0, false},
		{"opt/venv/lib/python3.11/site-packages/x.dist-info/METADATA", 0, false},
		{"opt/app/lib/log4j-core-2.17.1.jar", 0, false},
		{"opt/LICENSE", 0, false},
		{"usr/lib/jvm/java-17/lib/jspawnhelper", 0o755, false},
		{"a/b/c/d/e/f/g/h", 0o755, false},
	}
	for _, tt := range tests {
		if got := (Extractor{}).Wants(tt.path, tt.mode); got != tt.want {
			t.Errorf("Wants(%q, %v) = %v, want %v", tt.path, tt.mode, got, tt.want)
		}
	}
}

func TestNotBinaries(t *testing.T) {
	elfNoGo := miniELF(nil, nil)
	tests := []struct {
		name    string
		in      []byte
		wantErr string
	}{
		{"small", []byte("\x7fELF tiny"), ""},
		{"script", append([]byte("#!/bin/sh\n"), make([]byte, 4096)...), ""},
		{"elf without buildinfo", elfNoGo, ""},
		{"broken elf", append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 4096)...), ""},
		{"broken audit section", miniELF(nil, map[string][]byte{".dep-v0": []byte("not zlib")}), "zlib: invalid header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Extractor{}.Prepare("usr/bin/x", tt.in)
			if got != nil {
				t.Errorf("Prepare = %q, want nil", got)
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("error = %v, want %q", err, tt.wantErr)
			}
			pkgs, err := Extractor{}.Extract(t.Context(), extract.Input{Path: "usr/bin/x", Content: []byte("some other extractor's record")})
			if pkgs != nil || err != nil {
				t.Errorf("Extract of foreign content = %v, %v", pkgs, err)
			}
		})
	}
}

// auditJSON is a cargo-auditable dependency list: a root crate with one
// crates.io dependency.
const auditJSON = `{"packages":[{"name":"hello","version":"0.1.0","source":"local","dependencies":[1],"root":true},` +
	`{"name":"smallvec","version":"1.6.0","source":"crates.io"}]}`

func zlibBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var wantCrates = []inventory.Package{
	{
		Name: "hello", Version: "0.1.0", Type: "cargo", PURL: "pkg:cargo/hello@0.1.0",
		DependsOn: []string{"pkg:cargo/smallvec@1.6.0"}, Metadata: cargo.Metadata{Source: "local"},
	},
	{
		Name: "smallvec", Version: "1.6.0", Type: "cargo", Ecosystem: "crates.io", PURL: "pkg:cargo/smallvec@1.6.0",
		Metadata: cargo.Metadata{Source: "crates.io"},
	},
}

func TestAuditableSynthetic(t *testing.T) {
	bin := miniELF(nil, map[string][]byte{".dep-v0": zlibBytes(t, []byte(auditJSON))})
	prepared, err := Extractor{}.Prepare("usr/bin/hello", bin)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Extractor{}.Extract(t.Context(), extract.Input{Path: "usr/bin/hello", Content: prepared})
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if diff := cmp.Diff([]inventory.Evidence{{Path: "usr/bin/hello", Match: ".dep-v0"}}, got[i].Evidence); diff != "" {
			t.Errorf("evidence (-want +got):\n%s", diff)
		}
		got[i].Evidence = nil
	}
	if diff := cmp.Diff(wantCrates, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func FuzzPrepare(f *testing.F) {
	f.Add(miniELF(tinyInfo, nil))
	f.Add(miniELF(nil, map[string][]byte{".dep-v0": zlibBytes(f, []byte(auditJSON))}))
	f.Add(append([]byte("MZ"), make([]byte, 2048)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := Extractor{}.Prepare("usr/bin/x", b)
		if rec == nil {
			return
		}
		if _, err2 := (Extractor{}).Extract(context.Background(), extract.Input{Path: "usr/bin/x", Content: rec}); err2 != nil && err == nil {
			t.Errorf("Extract of a clean record: %v", err2)
		}
	})
}

// TestEmbedded: modules and crates are compiled into the binary whoever
// installed it; the standard library too, except in the Go toolchain's own
// OS package, whose advisories are the standard library's.
func TestEmbedded(t *testing.T) {
	tests := []struct {
		typ, pkg, owner, source string
		want                    bool
	}{
		{"golang", "golang.org/x/text", "age", "age", true},
		{"golang", Stdlib, "age", "age", true},
		{"golang", Stdlib, "golang-1.19-go", "golang-1.19", false},
		{"golang", Stdlib, "go", "go", false},             // Alpine
		{"golang", Stdlib, "golang-bin", "golang", false}, // Fedora
		{"golang", Stdlib, "golang-golang-x-tools", "golang-golang-x-tools", true},
		{"golang", "golang.org/x/mod", "golang-1.19-go", "golang-1.19", true},
		{"cargo", "regex", "ripgrep", "rust-ripgrep", true},
		{"cargo", Stdlib, "golang-1.19-go", "golang-1.19", true},
	}
	for _, tt := range tests {
		p := inventory.Package{Type: tt.typ, Name: tt.pkg}
		owner := inventory.Package{Type: "deb", Name: tt.owner, SourceName: tt.source}
		if got := New().Embedded(p, owner); got != tt.want {
			t.Errorf("Embedded(%s %s in %s (source %s)) = %v, want %v", tt.typ, tt.pkg, tt.owner, tt.source, got, tt.want)
		}
	}
}
