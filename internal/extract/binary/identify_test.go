package binary

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// elf builds a synthetic ELF-like input: the ELF magic, then each string
// as a C string (NUL-terminated), as they sit in .rodata. The strings in
// the tests are copied from real files; testdata/README.md says which.
func elf(strs ...string) []byte {
	return []byte("\x7fELF\x02\x01\x01\x00" + strings.Join(strs, "\x00") + "\x00")
}

func TestIdentifyBinary(t *testing.T) {
	tests := []struct {
		name    string
		content []byte
		want    []Finding
	}{
		{
			name: "libcrypto 3",
			content: elf("OpenSSL_version_num", "OpenSSL default", "OpenSSL 3.0.20 7 Apr 2026", "3.0.20",
				`OPENSSLDIR: "/usr/lib/ssl"`, "built on: Sat Jun  6 19:56:20 2026 UTC"),
			want: []Finding{{Product: "openssl", Version: "3.0.20", Match: "OpenSSL 3.0.20 7 Apr 2026"}},
		},
		{
			name:    "libcrypto 1.1.1 (two spaces before the date)",
			content: elf("OpenSSL 1.1.1w  11 Sep 2023", `OPENSSLDIR: "/usr/lib/ssl"`),
			want:    []Finding{{Product: "openssl", Version: "1.1.1w", Match: "OpenSSL 1.1.1w  11 Sep 2023"}},
		},
		{
			name:    "libcrypto 1.0.2 fips build",
			content: elf("OpenSSL 1.0.2k-fips  26 Jan 2017", `OPENSSLDIR: "/etc/pki/tls"`),
			want:    []Finding{{Product: "openssl", Version: "1.0.2k", Match: "OpenSSL 1.0.2k-fips  26 Jan 2017"}},
		},
		{
			name:    "openssl pre-release keeps its suffix",
			content: elf("OpenSSL 3.0.0-alpha1 23 Apr 2020", `OPENSSLDIR: "/usr/local/ssl"`),
			want:    []Finding{{Product: "openssl", Version: "3.0.0-alpha1", Match: "OpenSSL 3.0.0-alpha1 23 Apr 2020"}},
		},
		{
			name:    "version text without OPENSSLDIR is not OpenSSL",
			content: elf("OpenSSL 3.0.11 19 Sep 2023", "built against %s"),
		},
		{
			name:    "a program that prints an OpenSSL version",
			content: elf("linked against OpenSSL 3.0.0", `OPENSSLDIR: "/usr/lib/ssl"`, "OpenSSL 3.0.0"),
		},
		{
			name:    "BoringSSL's compatibility text is not OpenSSL",
			content: elf("OpenSSL 1.1.1 (compatible; BoringSSL)", `OPENSSLDIR: "/usr/lib/ssl"`),
		},
		{
			name: "zlib deflate and inflate",
			content: elf(" deflate 1.2.13 Copyright 1995-2022 Jean-loup Gailly and Mark Adler ",
				" inflate 1.2.13 Copyright 1995-2022 Mark Adler "),
			want: []Finding{{Product: "zlib", Version: "1.2.13", Match: "deflate 1.2.13 Copyright 1995-2022 Jean-loup Gailly and Mark Adler"}},
		},
		{
			name:    "zlib inflate only (an inflate-only static copy)",
			content: elf(" inflate 1.3.1 Copyright 1995-2024 Mark Adler "),
			want:    []Finding{{Product: "zlib", Version: "1.3.1", Match: "inflate 1.3.1 Copyright 1995-2024 Mark Adler"}},
		},
		{
			name:    "zlib-ng's renamed version is not zlib's",
			content: elf(" deflate 1.3.0.zlib-ng Copyright 1995-2023 Jean-loup Gailly and Mark Adler "),
		},
		{
			name:    "two zlib copies of different versions",
			content: elf(" deflate 1.2.11 Copyright 1995-2017 Jean-loup Gailly and Mark Adler ", " deflate 1.2.13 Copyright 1995-2022 Jean-loup Gailly and Mark Adler "),
			want: []Finding{
				{Product: "zlib", Version: "1.2.11", Match: "deflate 1.2.11 Copyright 1995-2017 Jean-loup Gailly and Mark Adler"},
				{Product: "zlib", Version: "1.2.13", Match: "deflate 1.2.13 Copyright 1995-2022 Jean-loup Gailly and Mark Adler"},
			},
		},
		{
			name:    "libcurl",
			content: elf("CURL_OPENSSL_4", "libcurl/7.88.1", "A libcurl function was given a bad argument"),
			want:    []Finding{{Product: "libcurl", Version: "7.88.1", Match: "libcurl/7.88.1"}},
		},
		{
			name:    "a User-Agent someone else wrote is not libcurl",
			content: elf("User-Agent: libcurl/8.5.0", "libcurl/8.5.0"),
		},
		{
			name:    "curl tool",
			content: elf("curl 7.88.1 (x86_64-pc-linux-gnu) %s", "Usage: curl [options...] <url>"),
			want:    []Finding{{Product: "curl", Version: "7.88.1", Match: "curl 7.88.1 (x86_64-pc-linux-gnu) %s"}},
		},
		{
			name:    "curl mentioned in prose is not the tool",
			content: elf("install curl 8.5.0 (or later) first"),
		},
		{
			name: "busybox",
			content: elf("BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1)", "BusyBox is copyrighted by many authors between 1998-2015.",
				"syslogd started: BusyBox v1.35.0"),
			want: []Finding{{Product: "busybox", Version: "1.35.0", Match: "BusyBox v1.35.0"}},
		},
		{
			name:    "busybox banner without the multi-call usage",
			content: elf("BusyBox v1.36.1 (2023-11-07 08:59:14 UTC)"),
		},
		{
			name:    "nginx",
			content: elf("nginx version: nginx/1.22.1", "nginx/1.22.1", "invalid socket number \"%s\" in NGINX environment variable, ignoring"),
			want:    []Finding{{Product: "nginx", Version: "1.22.1", Match: "nginx version: nginx/1.22.1"}},
		},
		{
			name:    "openresty is not nginx's numbering",
			content: elf("nginx version: openresty/1.21.4.1", "NGINX environment variable"),
		},
		{
			name:    "httpd",
			content: elf("Apache/2.4.71", "Apache/2.4.71 (Debian)", "logs/apache_runtime_status", "Server built:   %s"),
			want:    []Finding{{Product: "httpd", Version: "2.4.71", Match: "Apache/2.4.71"}},
		},
		{
			name:    "a client naming Apache is not httpd",
			content: elf("Server: Apache/2.4.58", "Apache/2.4.58"),
		},
		{
			name:    "node",
			content: elf("https://nodejs.org/download/release/v18.20.4/node-v18.20.4.tar.gz", "node.js/v18.20.4"),
			want:    []Finding{{Product: "node", Version: "18.20.4", Match: "node.js/v18.20.4"}},
		},
		{
			name:    "node.js user agent without node's release URL",
			content: elf("node.js/v20.10.0"),
		},
		{
			name: "python",
			content: elf("Python %s", "pymalloc_debug", "3.11.2", "strict", "Fatal Python error: ", "%.80s (%.80s) %.80s",
				"ucd_3_2_0", "3.2.0", "cpython-311-x86_64-linux-gnu"),
			want: []Finding{{Product: "python", Version: "3.11.2", Match: "3.11.2"}},
		},
		{
			name:    "python: no SOABI names the version, nothing is guessed",
			content: elf("3.11.2", "3.2.0", "Fatal Python error: ", "%.80s (%.80s) %.80s"),
		},
		{
			name:    "a program that embeds a version string but not Python",
			content: elf("3.11.2", "cpython-311-x86_64-linux-gnu"),
		},
		{
			name: "redis-server",
			content: elf("systemd", "upstart", "7.0.15", "redis_version:%s", "Redis server v=%s sha=%s:%d malloc=%s bits=%d build=%llx",
				"1.2.0", "7.0.0", "2.2.3", "7.0.3"),
			want: []Finding{{Product: "redis", Version: "7.0.15", Match: "7.0.15"}},
		},
		{
			name:    "redis-cli has no server banner",
			content: elf("7.0.15", "redis_version:"),
		},
		{
			name:    "postgres server",
			content: elf("postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)", "PostgreSQL 15.20 (Debian 15.20-0+deb12u1) on x86_64-pc-linux-gnu, compiled by gcc (Debian 12.2.0-14+deb12u1) 12.2.0, 64-bit"),
			want:    []Finding{{Product: "postgresql", Version: "15.20", Match: "PostgreSQL 15.20"}},
		},
		{
			name:    "postgres upstream server string",
			content: elf("PostgreSQL 16.1 on x86_64-pc-linux-gnu, compiled by gcc (GCC) 12.2.0, 64-bit"),
			want:    []Finding{{Product: "postgresql", Version: "16.1", Match: "PostgreSQL 16.1"}},
		},
		{
			name:    "psql",
			content: elf("psql (PostgreSQL) 16beta1"),
			want:    []Finding{{Product: "postgresql", Version: "16beta1", Match: "psql (PostgreSQL) 16beta1"}},
		},
		{
			name:    "a driver naming PostgreSQL is not PostgreSQL",
			content: elf("PostgreSQL 9.6 or later is required", "connect to PostgreSQL %s"),
		},
		{
			name:    "rustc driver (Debian, no commit)",
			content: []byte("\x7fELF explicit panicrustc 1.63.0compiler/rustc_metadata/src/rmeta/mod.rs"),
			want:    []Finding{{Product: "rust", Version: "1.63.0", Match: "rustc 1.63.0"}},
		},
		{
			name:    "rustc driver (upstream)",
			content: []byte("\x7fELF panicrustc 1.75.0 (82e1608df 2023-12-21)compiler/rustc_metadata/src/rmeta/mod.rs"),
			want:    []Finding{{Product: "rust", Version: "1.75.0", Match: "rustc 1.75.0 (82e1608df 2023-12-21)"}},
		},
		{
			name:    "a program compiled by rustc is not rustc",
			content: elf("rustc version 1.75.0 (82e1608df 2023-12-21)", "/rustc/82e1608dfa6e0b5569232559e3d385fea5a93112/library/core/src/fmt/mod.rs"),
		},
		{
			name:    "not a binary",
			content: []byte("#!/bin/sh\necho OpenSSL 3.0.11 19 Sep 2023\necho 'OPENSSLDIR: \"x\"'\n"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Identify("usr/bin/x", tt.content)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Identify (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIdentifyText(t *testing.T) {
	release, err := os.ReadFile("testdata/jdk-17/release")
	if err != nil {
		t.Fatal(err)
	}
	goVersion, err := os.ReadFile("testdata/go/VERSION")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		content []byte
		want    []Finding
	}{
		{
			name: "debian openjdk release", path: "usr/lib/jvm/java-17-openjdk-amd64/release", content: release,
			want: []Finding{{Product: "openjdk", Version: "17.0.19", Match: `JAVA_VERSION="17.0.19"`, Implementor: "Debian"}},
		},
		{
			name: "jdk in opt", path: "opt/java/openjdk/release",
			content: []byte("IMPLEMENTOR=\"Eclipse Adoptium\"\nJAVA_VERSION=\"1.8.0_392\"\n"),
			want:    []Finding{{Product: "openjdk", Version: "1.8.0_392", Match: `JAVA_VERSION="1.8.0_392"`, Implementor: "Eclipse Adoptium"}},
		},
		{
			name: "release file that is no JDK's", path: "opt/app/release", content: []byte("VERSION=3\n"),
		},
		{
			name: "release file outside JDK paths is not read", path: "etc/release", content: release,
		},
		{
			name: "malformed JAVA_VERSION", path: "usr/lib/jvm/x/release", content: []byte("JAVA_VERSION=\"$(rm -rf)\"\n"),
		},
		{
			name: "GOROOT VERSION", path: "usr/local/go/VERSION", content: goVersion,
			want: []Finding{{Product: "go", Version: "1.26.8", Match: "go1.26.8"}},
		},
		{
			name: "go release candidate", path: "go/VERSION", content: []byte("go1.22rc1"),
			want: []Finding{{Product: "go", Version: "1.22rc1", Match: "go1.22rc1"}},
		},
		{
			name: "devel toolchain has no release version", path: "usr/local/go/VERSION", content: []byte("devel go1.23-abcdef Tue\n"),
		},
		{
			name: "VERSION of something else", path: "app/VERSION", content: []byte("go1.22.3\n"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Identify(tt.path, tt.content)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Identify (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIdentifyTooLarge(t *testing.T) {
	if _, err := Identify("x", make([]byte, MaxSize+1)); err == nil {
		t.Error("Identify of a file over MaxSize: no error")
	}
}

func FuzzIdentify(f *testing.F) {
	f.Add("usr/bin/x", elf("OpenSSL 3.0.20 7 Apr 2026", `OPENSSLDIR: "/usr/lib/ssl"`))
	f.Add("usr/bin/x", elf(" deflate 1.2.13 Copyright 1995-2022 Jean-loup Gailly and Mark Adler "))
	f.Add("usr/bin/x", elf("3.11.2", "Fatal Python error: ", "%.80s (%.80s) %.80s", "cpython-311-"))
	f.Add("usr/bin/x", elf("7.0.15", "redis_version:", "Redis server v=%s sha=%s"))
	f.Add("usr/bin/x", elf("PostgreSQL 15.20 (Debian 15.20-0+deb12u1) on x86_64"))
	f.Add("usr/bin/x", []byte("\x7fELFrustc 1.75.0 (82e1608df 2023-12-21)rustc_metadata"))
	f.Add("usr/lib/jvm/x/release", []byte("JAVA_VERSION=\"17.0.9\"\nIMPLEMENTOR=\"x\""))
	f.Add("go/VERSION", []byte("go1.22.3\ntime x\n"))
	f.Fuzz(func(t *testing.T, p string, b []byte) {
		fs, err := Identify(p, b)
		if err != nil {
			return
		}
		for _, f := range fs {
			if f.Product == "" || f.Version == "" || f.Match == "" {
				t.Fatalf("incomplete finding %+v", f)
			}
			if !strings.Contains(string(b), f.Match) {
				t.Fatalf("match %q is not in the input", f.Match)
			}
		}
	})
}
