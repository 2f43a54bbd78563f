package binary

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/inventory"
)

// Name is the extractor's name.
const Name = "binary/identify"

// Ecosystem is the advisory namespace identified software is matched in:
// the NVD importer (internal/vulndb/feeds/nvd) stores CPE match ranges
// under it, keyed by "vendor:product".
const Ecosystem = "cpe"

// marker starts every prepared content, so Extract can tell its own
// prepared bytes from a file some other extractor wanted.
var marker = []byte(`{"binary/identify":1,`)

// prepared is the compact form Prepare keeps for a file.
type prepared struct {
	Format   int       `json:"binary/identify"`
	Findings []Finding `json:"findings"`
}

// Extractor identifies software in executables, shared objects, JDK release
// files and GOROOT VERSION files. It implements extract.Extractor and
// extract.Preparer.
type Extractor struct{}

var (
	_ extract.Extractor = Extractor{}
	_ extract.Preparer  = Extractor{}
	_ extract.Embedder  = Extractor{}
)

// New returns the extractor.
func New() Extractor { return Extractor{} }

// Name returns "binary/identify".
func (Extractor) Name() string { return Name }

// Version returns 1.
func (Extractor) Version() int { return 1 }

// notBinary lists name extensions of files that are never executables or
// shared objects even when their mode says executable (scripts, archives,
// manifests): they are not captured, and at mode 0 they are left to the
// extractors that want them.
var notBinary = map[string]bool{
	".sh": true, ".bash": true, ".py": true, ".pl": true, ".rb": true, ".js": true, ".mjs": true, ".cjs": true,
	".php": true, ".lua": true, ".tcl": true, ".awk": true, ".sed": true,
	".jar": true, ".war": true, ".ear": true, ".zip": true, ".whl": true, ".egg": true, ".gem": true, ".nupkg": true,
	".gz": true, ".tgz": true, ".xz": true, ".bz2": true, ".zst": true, ".tar": true,
	".json": true, ".lock": true, ".toml": true, ".yaml": true, ".yml": true, ".xml": true, ".txt": true, ".md": true,
	".html": true, ".css": true, ".csv": true, ".conf": true, ".cfg": true, ".ini": true, ".list": true, ".md5sums": true,
	".gemspec": true, ".pom": true, ".mod": true, ".sum": true,
}

// isSharedObject reports whether base is named like a shared object:
// libx.so, libx.so.3, libx.so.1.2.13 (".so" then any ".<digits>"). Wants
// asks it of every non-executable file, so it is plain code, not a regexp.
func isSharedObject(base string) bool {
	for {
		i := strings.LastIndexByte(base, '.')
		if i < 0 {
			return false
		}
		switch ext := base[i+1:]; {
		case ext == "so":
			return true
		case ext == "" || strings.Trim(ext, "0123456789") != "":
			return false
		}
		base = base[:i]
	}
}

// Wants reports whether the file must be captured. With a mode (capture
// time): regular files that are executable or named like shared objects,
// and JDK release / GOROOT VERSION files. With mode 0 (mode unknown) it
// answers true for every path that could have been captured so: any path,
// because executables have any name; Extract then ignores content that
// Prepare did not write. Names with a script, archive or manifest
// extension are never wanted.
func (Extractor) Wants(p string, mode fs.FileMode) bool {
	if notBinary[strings.ToLower(path.Ext(p))] {
		return false
	}
	if mode == 0 {
		return true
	}
	if !mode.IsRegular() {
		return false
	}
	if IsJDKRelease(p) || IsGoVersion(p) {
		return true
	}
	return mode&0o111 != 0 || isSharedObject(path.Base(p))
}

// Prepare identifies what the file is and keeps only the findings: nil when
// there are none, as for content that is neither a binary nor a JDK release
// or GOROOT VERSION file (an executable script). Another extractor that
// wants the same file still gets it: extract.Prepare keeps each its own part.
func (Extractor) Prepare(p string, content []byte) ([]byte, error) {
	if !isBinary(content) && !IsJDKRelease(p) && !IsGoVersion(p) {
		return nil, nil
	}
	fs, err := Identify(p, content)
	if err != nil {
		return nil, err
	}
	return encode(fs)
}

// encode returns the prepared form of findings, nil when there are none;
// decode reads it back.
func encode(fs []Finding) ([]byte, error) {
	if len(fs) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(prepared{Format: 1, Findings: fs})
	if err != nil {
		return nil, fmt.Errorf("encode findings: %w", err)
	}
	return b, nil
}

// decode reads prepared bytes written by encode. ok is false when content
// is not in that form (another extractor's file).
func decode(content []byte) (fs []Finding, ok bool, err error) {
	if !bytes.HasPrefix(content, marker) {
		return nil, false, nil
	}
	var p prepared
	if err := json.Unmarshal(content, &p); err != nil {
		return nil, true, fmt.Errorf("decode findings: %w", err)
	}
	return p.Findings, true, nil
}

// Extract turns the prepared findings into packages.
func (Extractor) Extract(ctx context.Context, in extract.Input) ([]inventory.Package, error) {
	fs, ok, err := decode(in.Content)
	if !ok || err != nil {
		return nil, err
	}
	return Packages(in.Path, fs), nil
}

// product names how a product is matched: NVD vendor:product pairs, the
// first the primary one (SourceName), the rest AlsoMatch.
type product struct {
	name string
	cpe  []string
}

var products = map[string]product{
	"openssl":    {"openssl", []string{"openssl:openssl"}},
	"zlib":       {"zlib", []string{"zlib:zlib"}},
	"curl":       {"curl", []string{"haxx:curl"}},
	"libcurl":    {"curl", []string{"haxx:libcurl", "haxx:curl"}},
	"busybox":    {"busybox", []string{"busybox:busybox"}},
	"nginx":      {"nginx", []string{"f5:nginx", "nginx:nginx"}},
	"httpd":      {"httpd", []string{"apache:http_server"}},
	"node":       {"node", []string{"nodejs:node.js"}},
	"python":     {"python", []string{"python:python"}},
	"redis":      {"redis", []string{"redis:redis", "redislabs:redis"}},
	"postgresql": {"postgresql", []string{"postgresql:postgresql"}},
	"openjdk":    {"openjdk", []string{"oracle:openjdk"}},
	"go":         {"go", []string{"golang:go"}},
	"rust":       {"rust", []string{"rust-lang:rust"}},
}

// osNames lists, by package Name, the names distributions give the OS
// packages (binary or source) that are the product itself, each alone or
// followed by a version: "python3.11", "postgresql-15", "apache2",
// "java-17-openjdk", "golang-1.19", "libssl3".
var osNames = map[string][]string{
	"openssl":    {"openssl", "libssl", "libcrypto"},
	"zlib":       {"zlib"},
	"curl":       {"curl", "libcurl"},
	"busybox":    {"busybox"},
	"nginx":      {"nginx"},
	"httpd":      {"httpd", "apache"},
	"node":       {"node", "nodejs", "libnode"},
	"python":     {"python", "libpython"},
	"redis":      {"redis"},
	"postgresql": {"postgresql", "libpq"},
	"openjdk":    {"openjdk", "java-"},
	"go":         {"go", "golang"},
	"rust":       {"rust", "rustc"},
}

// Embedded reports whether p, found in a file the OS package owner
// installed, was compiled into that file (OpenSSL linked statically into
// another program) rather than being owner's own software (OpenSSL in
// libssl3's libssl.so.3, Python in python3.11-minimal's interpreter),
// which owner's advisories cover: the product is owner's own when owner's
// name or source name is one of the product's OS package names.
func (Extractor) Embedded(p, owner inventory.Package) bool {
	for _, n := range osNames[p.Name] {
		if isNamed(owner.Name, n) || isNamed(owner.SourceName, n) {
			return false
		}
	}
	return true
}

// isNamed reports whether an OS package name is base alone or followed by
// a version: digits and dots, after an optional '-' or '.'
// ("python3.11", "postgresql-15", but not "python3-urllib3"). A base
// ending in '-' ("java-") needs only a digit next ("java-17-openjdk").
func isNamed(name, base string) bool {
	rest, ok := strings.CutPrefix(name, base)
	switch {
	case !ok:
		return false
	case rest == "":
		return true
	case strings.HasSuffix(base, "-"):
		return isDigit(rest[0])
	}
	if rest[0] == '-' || rest[0] == '.' {
		rest = rest[1:]
	}
	return rest != "" && isDigit(rest[0]) && strings.Trim(rest, "0123456789.") == ""
}

// Metadata is the binary-specific part of an identified package.
type Metadata struct {
	// Product is the Finding's product ("libcurl" where Name is "curl").
	Product string `json:"product"`
	// Implementor is the JDK release file's IMPLEMENTOR.
	Implementor string `json:"implementor,omitempty"`
}

// Packages turns findings in the file at path into packages: Type
// "generic", Ecosystem "cpe", SourceName the primary NVD "vendor:product"
// and AlsoMatch the others, CPEs one per pair, PURL pkg:generic/name@version.
// Findings of unknown products are dropped.
func Packages(path string, fs []Finding) []inventory.Package {
	var out []inventory.Package
	for _, f := range fs {
		pr, ok := products[f.Product]
		if !ok || f.Version == "" {
			continue
		}
		p := inventory.Package{
			Name:       pr.name,
			Version:    f.Version,
			Type:       "generic",
			SourceName: pr.cpe[0],
			PURL:       purl(pr.name, f.Version),
			Ecosystem:  Ecosystem,
			Evidence:   []inventory.Evidence{{Path: path, Match: f.Match}},
			Metadata:   Metadata{Product: f.Product, Implementor: f.Implementor},
		}
		if len(pr.cpe) > 1 {
			p.AlsoMatch = slices.Clone(pr.cpe[1:])
		}
		for _, vp := range pr.cpe {
			p.CPEs = append(p.CPEs, CPE(vp, f.Version))
		}
		out = append(out, p)
	}
	return out
}

// CPE returns the CPE 2.3 name for vendorProduct ("openssl:openssl") at
// version, with the version quoted as CPE 2.3 requires.
func CPE(vendorProduct, version string) string {
	return "cpe:2.3:a:" + vendorProduct + ":" + cpeQuote(version) + ":*:*:*:*:*:*:*"
}

// cpeQuote backslash-quotes the characters CPE 2.3 formatted strings
// require quoted in a value (NISTIR 7695 §6.2.2.1): everything but
// letters, digits, '_', '-' and '.'.
func cpeQuote(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isLetter(c) || isDigit(c) || c == '_' || c == '-' || c == '.') {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

func purl(name, version string) string {
	return packageurl.NewPackageURL(packageurl.TypeGeneric, "", name, version, nil, "").ToString()
}
