package binary

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// build compiles src with gcc and the given flags into a file in a
// temporary directory and returns its bytes; it skips the test when gcc (or
// a library the flags name) is missing.
func build(t *testing.T, src string, flags ...string) []byte {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc")
	}
	dir := t.TempDir()
	c := filepath.Join(dir, "x.c")
	if err := os.WriteFile(c, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "x")
	args := append([]string{"-O1", "-o", out, c}, flags...)
	cmd := exec.CommandContext(t.Context(), gcc, args...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("gcc %v: %v\n%s", args, err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// TestCompiled checks real ELF files built here: programs that only link a
// library dynamically or print its version text must not be reported; a
// program with a static copy of the library must be.
func TestCompiled(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		flags []string
		// need names a file the build needs (a static library); the test
		// is skipped without it.
		need  string
		heavy bool
		want  []string // product@version, or the product alone when the version is the installed one
	}{
		{
			name: "shared object linking libssl dynamically (DT_NEEDED only)",
			src: `extern void *SSL_CTX_new(const void *);
extern const void *TLS_method(void);
void *mk(void) { return SSL_CTX_new(TLS_method()); }`,
			flags: []string{"-shared", "-fPIC", "-l:libssl.so.3", "-l:libcrypto.so.3"},
			need:  "/usr/lib/x86_64-linux-gnu/libssl.so.3",
		},
		{
			name: "program printing OPENSSL_VERSION_TEXT",
			src: `#include <stdio.h>
int main(void) { printf("%s\n", "OpenSSL 3.0.11 19 Sep 2023"); puts("built with OpenSSL 3.0.0"); return 0; }`,
		},
		{
			name: "program sending a libcurl User-Agent and naming nginx",
			src: `#include <stdio.h>
int main(void) { puts("libcurl/8.5.0"); puts("nginx/1.25.3"); puts("Apache/2.4.58"); puts("node.js/v20.10.0"); return 0; }`,
		},
		{
			name: "program with libcrypto linked statically",
			src: `#include <stdio.h>
extern const char *OpenSSL_version(int);
int main(void) { puts(OpenSSL_version(0)); return 0; }`,
			flags: []string{"-static", "-l:libcrypto.a", "-lpthread"},
			need:  "/usr/lib/x86_64-linux-gnu/libcrypto.a",
			heavy: true,
			want:  []string{"openssl"},
		},
		{
			name: "program with zlib linked statically",
			src: `#include <stdio.h>
extern const char *zlibVersion(void);
extern int deflateInit_(void *, int, const char *, int);
int main(int argc, char **argv) { if (argc > 5) deflateInit_(0, 0, 0, 0); puts(zlibVersion()); return 0; }`,
			flags: []string{"-l:libz.a"},
			need:  "/usr/lib/x86_64-linux-gnu/libz.a",
			want:  []string{"zlib"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.need != "" && !exists(tt.need) {
				t.Skipf("no %s", tt.need)
			}
			if tt.heavy && testing.Short() {
				t.Skip("static link is slow")
			}
			b := build(t, tt.src, tt.flags...)
			fs, err := Identify("usr/bin/x", b)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range fs {
				got = append(got, f.Product)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("products (-want +got):\n%s\nfindings: %+v", diff, fs)
			}
		})
	}
}
