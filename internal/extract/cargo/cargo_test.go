package cargo

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/golden"
	"github.com/customs-scanner/customs/internal/inventory"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLockFiles(t *testing.T) {
	tests := []struct {
		file    string
		want    int // grep -c '^\[\[package\]\]'
		wantErr string
		check   []inventory.Package
	}{
		{
			file: "v4.Cargo.lock", want: 10,
			check: []inventory.Package{
				{
					Name: "app", Version: "0.1.0", Type: "cargo", PURL: "pkg:cargo/app@0.1.0",
					// "memchr 1.0.2" picks the right one of two memchr versions.
					DependsOn: []string{"pkg:cargo/memchr@1.0.2", "pkg:cargo/regex@1.7.3", "pkg:cargo/winapi@0.3.9"},
					Metadata:  Metadata{},
				},
				{
					Name: "memchr", Version: "2.7.4", Type: "cargo", PURL: "pkg:cargo/memchr@2.7.4", Ecosystem: "crates.io",
					Metadata: Metadata{
						Source:   "registry+https://github.com/rust-lang/crates.io-index",
						Checksum: "78ca9ab1a0babb1e7d5695e3530886289c18cf2f87ec19a575a0abdce112e3a3",
					},
				},
			},
		},
		{
			file: "v1.Cargo.lock", want: 74,
			// The trivy fixture pins ammonia 1.9.0 by hand but "normal"
			// still asks for 2.0.0: a real inconsistency, reported.
			wantErr: `package normal 0.1.0 (line 170): dependency "ammonia 2.0.0 (registry+https://github.com/rust-lang/crates.io-index)" not in the lock file`,
			check: []inventory.Package{{
				Name: "ammonia", Version: "1.9.0", Type: "cargo", PURL: "pkg:cargo/ammonia@1.9.0", Ecosystem: "crates.io",
				DependsOn: []string{
					"pkg:cargo/html5ever@0.23.0", "pkg:cargo/lazy_static@1.3.0", "pkg:cargo/maplit@1.0.1",
					"pkg:cargo/matches@0.1.8", "pkg:cargo/tendril@0.4.1", "pkg:cargo/url@1.7.2",
				},
				// [metadata] has a checksum for 2.0.0 only.
				Metadata: Metadata{Source: "registry+https://github.com/rust-lang/crates.io-index"},
			}, {
				Name: "autocfg", Version: "0.1.2", Type: "cargo", PURL: "pkg:cargo/autocfg@0.1.2", Ecosystem: "crates.io",
				Metadata: Metadata{
					Source: "registry+https://github.com/rust-lang/crates.io-index",
					// From [metadata] "checksum autocfg 0.1.2 (...)".
					Checksum: "a6d640bee2da49f60a4068a7fae53acde8982514ab7bae8b8cea9e88cbcfd799",
				},
			}},
		},
		{
			file: "v3-sources.Cargo.lock", want: 5,
			check: []inventory.Package{
				{
					Name: "demo", Version: "0.1.0", Type: "cargo", PURL: "pkg:cargo/demo@0.1.0",
					DependsOn: []string{"pkg:cargo/helper@0.2.0", "pkg:cargo/rand@0.8.5", "pkg:cargo/rand@0.9.0", "pkg:cargo/serde@1.0.190"},
					Metadata:  Metadata{},
				},
				{
					Name: "rand", Version: "0.8.5", Type: "cargo", PURL: "pkg:cargo/rand@0.8.5", Ecosystem: "crates.io",
					Metadata: Metadata{Source: "sparse+https://index.crates.io/", Checksum: "34af8d1a0e25924bc5b7c43c079c942339d8f0a8b57c39049bef581b46327404"},
				},
				{
					// git and other-registry crates: listed, not matched.
					Name: "rand", Version: "0.9.0", Type: "cargo", PURL: "pkg:cargo/rand@0.9.0",
					Metadata: Metadata{Source: "git+https://github.com/rust-random/rand?branch=master#0123456789abcdef0123456789abcdef01234567"},
				},
				{
					Name: "serde", Version: "1.0.190", Type: "cargo", PURL: "pkg:cargo/serde@1.0.190",
					Metadata: Metadata{Source: "registry+https://my-registry.example/index", Checksum: "7bdb4e8d1b8d4c4c3f1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e"},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := Extractor{}.Extract(t.Context(), extract.Input{Path: "src/app/Cargo.lock", Content: readTestdata(t, tt.file)})
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Errorf("error = %v, want %q", err, tt.wantErr)
			}
			if len(got) != tt.want {
				t.Errorf("got %d packages, want %d", len(got), tt.want)
			}
			for _, w := range tt.check {
				found := false
				for _, g := range got {
					if g.PURL == w.PURL {
						found = true
						if diff := cmp.Diff(w, g); diff != "" {
							t.Errorf("%s (-want +got):\n%s", w.PURL, diff)
						}
					}
				}
				if !found {
					t.Errorf("no package %s", w.PURL)
				}
			}
			checkGolden(t, strings.TrimSuffix(tt.file, ".Cargo.lock")+".golden.json", got)
		})
	}
}

func checkGolden(t *testing.T, name string, got []inventory.Package) {
	t.Helper()
	js, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	js = append(js, '\n')
	golden.Check(t, filepath.Join("testdata", name), js)
}

func TestWants(t *testing.T) {
	tests := []struct {
		path string
		mode os.FileMode
		want bool
	}{
		{"app/Cargo.lock", 0, true},
		{"Cargo.lock", 0o644, true},
		{"app/Cargo.lock", os.ModeDir, false},
		{"app/Cargo.toml", 0, false},
		{"app/notCargo.lock", 0, false},
	}
	for _, tt := range tests {
		if got := (Extractor{}).Wants(tt.path, tt.mode); got != tt.want {
			t.Errorf("Wants(%q, %v) = %v, want %v", tt.path, tt.mode, got, tt.want)
		}
	}
}

func TestBadLocks(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    int
		wantErr string
	}{
		{"missing version", "[[package]]\nname = \"a\"\n\n[[package]]\nname = \"b\"\nversion = \"1.0.0\"\n", 1, "package a at line 1: no version"},
		{"unknown dependency", "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\ndependencies = [\"zzz\"]\n", 1, `dependency "zzz" not in the lock file`},
		{"truncated array", "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"b\"\nversion = \"2.0.0\"\ndependencies = [\n \"a\",\n", 2, "line 10: unterminated array"},
		{"unterminated string", "[[package]]\nname = \"a\nversion = \"1\"\n", 0, "line 2: unterminated string"},
		{"inline table", "[[package]]\nname = \"a\"\nversion = \"1\"\nx = { y = 1 }\n", 1, "unsupported value"},
		{"non-string name", "[[package]]\nname = 1\nversion = \"1\"\n", 0, "name: not a string"},
		{"bad escape", "[[package]]\nname = \"a\\q\"\n", 0, `bad escape \q`},
		{"garbage", "\x00\x01", 0, "want a key"},
		{"deep arrays", "x = " + strings.Repeat("[", 100), 0, "nested deeper than 32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLock(t.Context(), []byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want it to contain %q", err, tt.wantErr)
			}
			if len(got) != tt.want {
				t.Errorf("got %d packages, want %d", len(got), tt.want)
			}
		})
	}
}

func zlibBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// auditJSON is what cargo-auditable 0.6 writes for a binary depending on
// one crates.io crate with a build dependency, and a git crate.
const auditJSON = `{"packages":[` +
	`{"name":"cc","version":"1.0.83","source":"crates.io","kind":"build"},` +
	`{"name":"hello","version":"0.1.0","source":"local","dependencies":[2,3],"root":true},` +
	`{"name":"libc","version":"0.2.150","source":"crates.io","dependencies":[0]},` +
	`{"name":"mygit","version":"0.3.0","source":"git"}]}`

func TestAudit(t *testing.T) {
	a, err := DecodeAudit(zlibBytes(t, []byte(auditJSON)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := a.Crates("usr/bin/hello")
	if err != nil {
		t.Fatal(err)
	}
	ev := []inventory.Evidence{{Path: "usr/bin/hello", Match: ".dep-v0"}}
	want := []inventory.Package{
		{Name: "cc", Version: "1.0.83", Type: "cargo", PURL: "pkg:cargo/cc@1.0.83", Ecosystem: "crates.io", Evidence: ev, Metadata: Metadata{Source: "crates.io", Kind: "build"}},
		{Name: "hello", Version: "0.1.0", Type: "cargo", PURL: "pkg:cargo/hello@0.1.0", Evidence: ev, Metadata: Metadata{Source: "local"},
			DependsOn: []string{"pkg:cargo/libc@0.2.150", "pkg:cargo/mygit@0.3.0"}},
		{Name: "libc", Version: "0.2.150", Type: "cargo", PURL: "pkg:cargo/libc@0.2.150", Ecosystem: "crates.io", Evidence: ev, Metadata: Metadata{Source: "crates.io"},
			DependsOn: []string{"pkg:cargo/cc@1.0.83"}},
		{Name: "mygit", Version: "0.3.0", Type: "cargo", PURL: "pkg:cargo/mygit@0.3.0", Evidence: ev, Metadata: Metadata{Source: "git"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Crates (-want +got):\n%s", diff)
	}
}

func TestBadAudit(t *testing.T) {
	bomb := zlibBytes(t, bytes.Repeat([]byte(" "), MaxAuditSize+10))
	tests := []struct {
		name    string
		in      []byte
		wantErr string
	}{
		{"not zlib", []byte("{}"), "zlib: invalid header"},
		{"bomb", bomb, "larger than 8388608 bytes"},
		{"not json", zlibBytes(t, []byte("nope")), "invalid character"},
		{"truncated", zlibBytes(t, []byte(auditJSON))[:20], "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeAudit(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
	a, err := DecodeAudit(zlibBytes(t, []byte(`{"packages":[{"name":"a","version":"1.0.0","dependencies":[5,-1]},{"name":""}]}`)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := a.Crates("x")
	if len(got) != 1 || err == nil || !strings.Contains(err.Error(), "dependency index 5 out of range") || !strings.Contains(err.Error(), "package 1 has no name") {
		t.Errorf("Crates = %d packages, %v", len(got), err)
	}
}

func FuzzParseLock(f *testing.F) {
	for _, name := range []string{"v4.Cargo.lock", "v1.Cargo.lock", "v3-sources.Cargo.lock"} {
		f.Add(readTestdata(f, name))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		pkgs, _ := ParseLock(context.Background(), b)
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" {
				t.Errorf("package without name or version: %+v", p)
			}
		}
	})
}

func FuzzDecodeAudit(f *testing.F) {
	f.Add(zlibBytes(f, []byte(auditJSON)))
	f.Add([]byte{0x78, 0x9c})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := DecodeAudit(b)
		if err != nil {
			return
		}
		_, _ = a.Crates("x")
	})
}
