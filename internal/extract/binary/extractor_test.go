package binary

import (
	"context"
	"io/fs"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/inventory"
)

func TestWants(t *testing.T) {
	tests := []struct {
		path string
		mode fs.FileMode
		want bool
	}{
		{"usr/bin/node", 0o755, true},
		{"app/server", 0o700, true},
		{"usr/lib/x86_64-linux-gnu/libcrypto.so.3", 0o644, true},
		{"usr/lib/x86_64-linux-gnu/libz.so.1.2.13", 0o644, true},
		{"opt/app/lib/libssl.so", 0o644, true},
		{"usr/lib/jvm/java-17-openjdk-amd64/release", 0o644, true},
		{"opt/jdk-21/release", 0o644, true},
		{"usr/local/go/VERSION", 0o644, true},
		{"etc/passwd", 0o644, false},
		{"usr/share/doc/x/README.so.txt", 0o644, false},
		{"usr/bin", fs.ModeDir | 0o755, false},
		{"usr/bin/sh", fs.ModeSymlink | 0o777, false},
		// Mode 0 (unknown): any path may be a captured executable,
		// Extract tells by the prepared marker.
		{"usr/bin/node", 0, true},
		{"var/lib/dpkg/status", 0, true},
		{"usr/local/bin/entrypoint.sh", 0o755, false},
		{"app/lib/app.jar", 0o755, false},
		{"app/lib/app.jar", 0, false},
		{"app/package-lock.json", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.path+"/"+tt.mode.String(), func(t *testing.T) {
			if got := New().Wants(tt.path, tt.mode); got != tt.want {
				t.Errorf("Wants(%q, %v) = %v, want %v", tt.path, tt.mode, got, tt.want)
			}
		})
	}
}

func TestIsSharedObject(t *testing.T) {
	// The rule as a regexp; isSharedObject must agree with it.
	re := regexp.MustCompile(`\.so(\.[0-9]+)*$`)
	for _, tt := range []struct {
		base string
		want bool
	}{
		{"libc.so", true},
		{"libcrypto.so.3", true},
		{"libz.so.1.2.13", true},
		{".so", true},
		{"a..so", true},
		{"libx.so.", false},
		{"libx.so.1.", false},
		{"libx.so.1..2", false},
		{"libx.so.1a", false},
		{"libx.so.x.1", false},
		{"libx.SO", false},
		{"libx.sox", false},
		{"so", false},
		{"libx.so.\u0663", false},
		{"", false},
	} {
		if got := isSharedObject(tt.base); got != tt.want {
			t.Errorf("isSharedObject(%q) = %v, want %v", tt.base, got, tt.want)
		}
		if re.MatchString(tt.base) != tt.want {
			t.Errorf("regexp disagrees on %q", tt.base)
		}
	}
}

func TestPrepareExtract(t *testing.T) {
	e := New()
	ctx := context.Background()
	tests := []struct {
		name    string
		path    string
		content []byte
		// keep: Prepare returns the content unchanged (not its format).
		keep bool
		want []inventory.Package
	}{
		{
			name:    "static openssl",
			path:    "app/bin/server",
			content: elf("OpenSSL 1.1.1w  11 Sep 2023", `OPENSSLDIR: "/usr/local/ssl"`),
			want: []inventory.Package{{
				Name: "openssl", Version: "1.1.1w", Type: "generic", SourceName: "openssl:openssl",
				PURL: "pkg:generic/openssl@1.1.1w", Ecosystem: "cpe",
				CPEs:     []string{"cpe:2.3:a:openssl:openssl:1.1.1w:*:*:*:*:*:*:*"},
				Evidence: []inventory.Evidence{{Path: "app/bin/server", Match: "OpenSSL 1.1.1w  11 Sep 2023"}},
				Metadata: Metadata{Product: "openssl"},
			}},
		},
		{
			name:    "libcurl matched as libcurl and curl",
			path:    "usr/lib/libcurl.so.4",
			content: elf("libcurl/8.5.0", "A libcurl function was given a bad argument"),
			want: []inventory.Package{{
				Name: "curl", Version: "8.5.0", Type: "generic", SourceName: "haxx:libcurl", AlsoMatch: []string{"haxx:curl"},
				PURL: "pkg:generic/curl@8.5.0", Ecosystem: "cpe",
				CPEs:     []string{"cpe:2.3:a:haxx:libcurl:8.5.0:*:*:*:*:*:*:*", "cpe:2.3:a:haxx:curl:8.5.0:*:*:*:*:*:*:*"},
				Evidence: []inventory.Evidence{{Path: "usr/lib/libcurl.so.4", Match: "libcurl/8.5.0"}},
				Metadata: Metadata{Product: "libcurl"},
			}},
		},
		{
			name:    "jdk release",
			path:    "opt/java/release",
			content: []byte("IMPLEMENTOR=\"Eclipse Adoptium\"\nJAVA_VERSION=\"17.0.9\"\n"),
			want: []inventory.Package{{
				Name: "openjdk", Version: "17.0.9", Type: "generic", SourceName: "oracle:openjdk",
				PURL: "pkg:generic/openjdk@17.0.9", Ecosystem: "cpe",
				CPEs:     []string{"cpe:2.3:a:oracle:openjdk:17.0.9:*:*:*:*:*:*:*"},
				Evidence: []inventory.Evidence{{Path: "opt/java/release", Match: `JAVA_VERSION="17.0.9"`}},
				Metadata: Metadata{Product: "openjdk", Implementor: "Eclipse Adoptium"},
			}},
		},
		{
			name:    "binary with nothing known",
			path:    "usr/bin/true",
			content: elf("true", "GLIBC_2.34"),
		},
		{
			// Each Preparer gets its own part of a file: text that is
			// not a binary leaves nothing in this extractor's part.
			name:    "text that is not a binary keeps nothing",
			path:    "var/lib/dpkg/status",
			content: []byte("Package: openssl\nVersion: 3.0.11-1\n"),
		},
		{
			name:    "another extractor's JSON is not findings",
			path:    "app/x.jar",
			content: []byte(`{"jar":1,"findings":[{"product":"openssl","version":"1","match":"x"}]}`),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prep, err := e.Prepare(tt.path, tt.content)
			if err != nil {
				t.Fatal(err)
			}
			if tt.keep && string(prep) != string(tt.content) {
				t.Fatalf("Prepare changed a file it does not read: %q", prep)
			}
			got, err := e.Extract(ctx, extract.Input{Path: tt.path, Content: prep})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Extract (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExtractBadPrepared(t *testing.T) {
	_, err := New().Extract(context.Background(), extract.Input{Path: "x", Content: []byte(`{"binary/identify":1,"findings":[`)})
	if err == nil {
		t.Error("Extract of truncated prepared content: no error")
	}
}

func TestCPEQuote(t *testing.T) {
	tests := []struct{ vp, v, want string }{
		{"openssl:openssl", "3.0.11", "cpe:2.3:a:openssl:openssl:3.0.11:*:*:*:*:*:*:*"},
		{"oracle:openjdk", "17.0.9+9", `cpe:2.3:a:oracle:openjdk:17.0.9\+9:*:*:*:*:*:*:*`},
		{"nodejs:node.js", "20.10.0", "cpe:2.3:a:nodejs:node.js:20.10.0:*:*:*:*:*:*:*"},
	}
	for _, tt := range tests {
		if got := CPE(tt.vp, tt.v); got != tt.want {
			t.Errorf("CPE(%q, %q) = %q, want %q", tt.vp, tt.v, got, tt.want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	b, _ := encode([]Finding{{Product: "zlib", Version: "1.2.13", Match: "x"}})
	f.Add(b)
	f.Add([]byte(`{"binary/identify":1,"findings":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		fs, _, err := decode(b)
		if err != nil {
			return
		}
		Packages("x", fs)
	})
}

// TestEmbedded: a product found in a file an OS package installed is
// compiled in unless the package (or its source) is the product's own,
// under the names Debian, Alpine and Fedora give them.
func TestEmbedded(t *testing.T) {
	tests := []struct {
		product, name, source string
		want                  bool
	}{
		{"openssl", "libssl3", "openssl", false},
		{"openssl", "libcrypto3", "openssl", false}, // Alpine
		{"openssl", "openssl-libs", "openssl", false},
		{"openssl", "nodejs", "nodejs", true}, // a node that bundles OpenSSL
		{"openssl", "hello", "", true},
		{"zlib", "zlib1g", "zlib", false},
		{"zlib", "libnode108", "nodejs", true}, // Chromium's zlib inside libnode
		{"curl", "libcurl3-gnutls", "curl", false},
		{"python", "python3.11-minimal", "python3.11", false},
		{"python", "libpython3.11", "python3.11", false},
		{"python", "python3", "python3", false},
		{"python", "python3-urllib3", "python-urllib3", true},
		{"httpd", "apache2-bin", "apache2", false},
		{"httpd", "httpd", "httpd", false},
		{"node", "libnode108", "nodejs", false},
		{"postgresql", "postgresql-15", "postgresql-15", false},
		{"postgresql", "postgresql15", "postgresql15", false},
		{"openjdk", "openjdk-17-jre-headless", "openjdk-17", false},
		{"openjdk", "java-17-openjdk-headless", "java-17-openjdk", false},
		{"go", "golang-1.19-src", "golang-1.19", false},
		{"go", "gopls", "golang-golang-x-tools", true},
		{"rust", "rustc", "rustc", false},
		{"rust", "libstd-rust-1.63", "rustc", false},
		{"rust", "ripgrep", "rust-ripgrep", true},
		{"busybox", "busybox-static", "busybox", false},
		{"nginx", "nginx-core", "nginx", false},
		{"redis", "redis-tools", "redis", false},
	}
	for _, tt := range tests {
		p := inventory.Package{Name: tt.product, Type: "generic"}
		owner := inventory.Package{Name: tt.name, SourceName: tt.source, Type: "deb"}
		if got := New().Embedded(p, owner); got != tt.want {
			t.Errorf("Embedded(%s in %s (source %s)) = %v, want %v", tt.product, tt.name, tt.source, got, tt.want)
		}
	}
}
