// Package gobinary finds the packages compiled into executables from the
// build information their toolchains embed:
//
//   - Go binaries: the module list the linker writes (debug/buildinfo, as
//     `go version -m` prints it), present in stripped and PIE binaries too;
//   - Rust binaries built with cargo-auditable: the crate list in the
//     .dep-v0 section (decoded by package extract/cargo).
//
// Both live in one extractor: the same files (executables), the same path
// rule and one pass over each binary's headers; the record names which
// toolchain each part came from, and the crates are built by package
// extract/cargo (cargo.DecodeAudit, Audit.Crates) so crates from binaries
// and from Cargo.lock look alike. Prepare reduces a binary to a compact
// record; Extract turns the record into packages.
package gobinary

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/extract/cargo"
	"github.com/customs-scanner/customs/internal/inventory"
)

const (
	// MinFileSize: smaller files are not executables worth parsing.
	MinFileSize = 1 << 10
	// MaxFileSize bounds the binaries Prepare parses.
	MaxFileSize = 1 << 30
	// recordMagic starts every prepared record, so Extract can tell a
	// record from a raw file cheaply.
	recordMagic = "customs-binary-v1\n"
	// maxSettingLen truncates long build settings (-ldflags can be long).
	maxSettingLen = 256
)

// keptSettings are the build settings recorded in Metadata.
var keptSettings = map[string]bool{
	"GOOS": true, "GOARCH": true, "CGO_ENABLED": true, "-ldflags": true, "-tags": true,
	"-buildmode": true, "-trimpath": true, "GOAMD64": true, "GOARM64": true, "GOEXPERIMENT": true,
	"vcs": true, "vcs.revision": true, "vcs.time": true, "vcs.modified": true,
}

// Extractor reads embedded build information from executables. It
// implements extract.Extractor and extract.Preparer.
type Extractor struct{}

var (
	_ extract.Extractor = Extractor{}
	_ extract.Preparer  = Extractor{}
	_ extract.Embedder  = Extractor{}
)

// New returns the executable build-information extractor.
func New() Extractor { return Extractor{} }

// Name returns "binary/buildinfo".
func (Extractor) Name() string { return "binary/buildinfo" }

// Version returns 1.
func (Extractor) Version() int { return 1 }

// Wants reports whether path may be an executable with build information.
// With a mode it must be a regular file with an execute bit; with mode 0
// (mode unknown) the answer comes from the path alone. See WantsPath.
func (Extractor) Wants(p string, mode fs.FileMode) bool {
	if mode != 0 && (!mode.IsRegular() || mode.Perm()&0o111 == 0) {
		return false
	}
	return WantsPath(p)
}

// binDirs are directory names whose files are executables.
var binDirs = map[string]bool{"bin": true, "sbin": true, "libexec": true}

// appRoots are top-level directories where images put applications.
var appRoots = map[string]bool{"opt": true, "app": true, "srv": true, "ko-app": true, "usr": true, "home": true, "root": true, "go": true}

// notBinDirs are directories of other ecosystems' files, never searched.
var notBinDirs = []string{"node_modules", "site-packages", "dist-packages", "vendor", "gems", "include", "share", "doc", "man", "src", "etc", "__pycache__"}

// WantsPath is the path rule: files under a bin, sbin or libexec
// directory anywhere; files at the root (distroless images put a Go
// binary at /manager or /app); files under opt/, app/, srv/, ko-app/,
// usr/local/ and home directories outside other ecosystems' trees. Names
// with a file extension are skipped (except .exe and version-like ones:
// "python3.11", "helm-3.1"), as are all-capitals names (METADATA, LICENSE),
// so files other extractors want are never claimed.
func WantsPath(p string) bool {
	if p == "" || strings.HasSuffix(p, "/") {
		return false
	}
	dir, base := path.Split(p)
	if !binaryName(base) {
		return false
	}
	if dir == "" {
		return true
	}
	dir = strings.TrimSuffix(dir, "/")
	inBin := false
	for _, seg := range strings.Split(dir, "/") {
		if slices.Contains(notBinDirs, seg) || strings.HasSuffix(seg, ".dist-info") || strings.HasSuffix(seg, ".egg-info") {
			return false
		}
		inBin = inBin || binDirs[seg]
	}
	if inBin {
		return true
	}
	top, rest, _ := strings.Cut(dir, "/")
	if !appRoots[top] || top == "usr" && rest != "local" && !strings.HasPrefix(rest, "local/") {
		return false
	}
	return strings.Count(dir, "/") < 6
}

// binaryName reports whether a file name can be an executable's.
func binaryName(base string) bool {
	if base == "" || strings.ToUpper(base) == base && strings.ToLower(base) != base {
		return false
	}
	i := strings.LastIndexByte(base, '.')
	if i < 0 {
		return true
	}
	ext := base[i+1:]
	if ext == "exe" {
		return true
	}
	// "python3.11", "node-18.1": a version, not an extension.
	return ext != "" && ext[0] >= '0' && ext[0] <= '9' && !strings.Contains(base, ".so")
}

// Embedded reports whether p, found in a binary the OS package owner
// installed, was compiled into it: every Go module and Rust crate is, and
// the Go standard library too, except in the Go toolchain's own package
// (Debian's golang-1.19-go, Alpine's go, Fedora's golang-bin), whose
// advisories are the standard library's.
func (Extractor) Embedded(p, owner inventory.Package) bool {
	if p.Type != "golang" || p.Name != Stdlib {
		return true
	}
	return !isToolchain(owner.Name) && !isToolchain(owner.SourceName)
}

// isToolchain reports whether an OS package name is the Go toolchain's:
// "go", "golang", or "golang-" and a version ("golang-1.19").
func isToolchain(name string) bool {
	v, ok := strings.CutPrefix(name, "golang-")
	return name == "go" || name == "golang" || ok && v != "" && v[0] >= '0' && v[0] <= '9'
}

// Record is what Prepare keeps of a binary.
type Record struct {
	Go   *GoInfo      `json:"go,omitempty"`
	Rust *cargo.Audit `json:"rust,omitempty"`
}

// GoInfo is the build information of a Go binary.
type GoInfo struct {
	// GoVersion is the toolchain that built the binary, "go1.22.3".
	GoVersion string `json:"goVersion"`
	// Path is the main package's import path.
	Path     string            `json:"path,omitempty"`
	Main     Module            `json:"main"`
	Deps     []Module          `json:"deps,omitempty"`
	Settings map[string]string `json:"settings,omitempty"`
}

// Module is one module of a Go binary.
type Module struct {
	Path    string  `json:"path"`
	Version string  `json:"version,omitempty"`
	Sum     string  `json:"sum,omitempty"`
	Replace *Module `json:"replace,omitempty"`
}

// IsExecutable reports whether b starts like an ELF, Mach-O or PE file.
func IsExecutable(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	switch {
	case bytes.HasPrefix(b, []byte("\x7fELF")), bytes.HasPrefix(b, []byte("MZ")),
		bytes.HasPrefix(b, []byte("\xfe\xed\xfa")), bytes.HasPrefix(b[1:], []byte("\xfa\xed\xfe")),
		bytes.HasPrefix(b, []byte("\xca\xfe\xba\xbe")):
		return true
	}
	return false
}

// Prepare reduces a binary to its Record, encoded; nil when it carries
// neither Go build information nor a cargo-auditable section. A corrupt
// .dep-v0 section is an error; a file that merely fails to parse as an
// executable is not (most wanted files are not Go or Rust binaries).
func (Extractor) Prepare(_ string, content []byte) ([]byte, error) {
	rec, err := Read(content)
	if rec == nil {
		return nil, err
	}
	js, jerr := json.Marshal(rec)
	if jerr != nil {
		return nil, fmt.Errorf("encode binary record: %w", jerr)
	}
	return append([]byte(recordMagic), js...), err
}

// Read extracts the Record of a binary; nil when there is nothing.
func Read(content []byte) (*Record, error) {
	if len(content) < MinFileSize || len(content) > MaxFileSize || !IsExecutable(content) {
		return nil, nil
	}
	rec := &Record{}
	if bi, err := buildinfo.Read(bytes.NewReader(content)); err == nil {
		rec.Go = goInfo(bi)
	}
	section, err := auditSection(content)
	if err == nil && section != nil {
		rec.Rust, err = cargo.DecodeAudit(section)
	}
	if rec.Go == nil && rec.Rust == nil {
		return nil, err
	}
	return rec, err
}

func goInfo(bi *debug.BuildInfo) *GoInfo {
	g := &GoInfo{GoVersion: bi.GoVersion, Path: bi.Path, Main: module(&bi.Main)}
	for _, d := range bi.Deps {
		if d != nil {
			g.Deps = append(g.Deps, module(d))
		}
	}
	for _, s := range bi.Settings {
		if !keptSettings[s.Key] {
			continue
		}
		if g.Settings == nil {
			g.Settings = map[string]string{}
		}
		v := s.Value
		if len(v) > maxSettingLen {
			v = v[:maxSettingLen] + "..."
		}
		g.Settings[s.Key] = v
	}
	return g
}

func module(m *debug.Module) Module {
	out := Module{Path: m.Path, Version: m.Version, Sum: m.Sum}
	if m.Replace != nil {
		r := module(m.Replace)
		out.Replace = &r
	}
	return out
}

// auditSection returns the raw .dep-v0 section of an ELF, PE or Mach-O
// file, nil if it has none.
func auditSection(content []byte) ([]byte, error) {
	r := bytes.NewReader(content)
	var sec interface {
		Open() io.ReadSeeker
	}
	var size uint64
	switch {
	case bytes.HasPrefix(content, []byte("\x7fELF")):
		f, err := elf.NewFile(r)
		if err != nil {
			return nil, nil
		}
		s := f.Section(cargo.AuditSection)
		if s == nil || s.Type == elf.SHT_NOBITS {
			return nil, nil
		}
		sec, size = s, s.Size
	case bytes.HasPrefix(content, []byte("MZ")):
		f, err := pe.NewFile(r)
		if err != nil {
			return nil, nil
		}
		s := f.Section(cargo.AuditSection)
		if s == nil {
			return nil, nil
		}
		sec, size = s, uint64(s.Size)
	default:
		f, err := macho.NewFile(r)
		if err != nil {
			return nil, nil
		}
		s := f.Section(cargo.AuditSection)
		if s == nil {
			return nil, nil
		}
		sec, size = s, s.Size
	}
	if size > uint64(len(content)) || size > cargo.MaxAuditSize {
		return nil, fmt.Errorf("%s section: size %d out of bounds", cargo.AuditSection, size)
	}
	data, err := io.ReadAll(io.LimitReader(sec.Open(), int64(size)))
	if err != nil {
		return nil, fmt.Errorf("read %s section: %w", cargo.AuditSection, err)
	}
	return data, nil
}

// DecodeRecord decodes what Prepare returned. Content that is not a
// record gives nil, nil; a raw executable (an input that was not
// prepared) is read directly.
func DecodeRecord(content []byte) (*Record, error) {
	js, ok := bytes.CutPrefix(content, []byte(recordMagic))
	if !ok {
		if IsExecutable(content) {
			return Read(content)
		}
		return nil, nil
	}
	var rec Record
	if err := json.Unmarshal(js, &rec); err != nil {
		return nil, fmt.Errorf("decode binary record: %w", err)
	}
	return &rec, nil
}

// Extract reports the Go modules (with the toolchain as module "stdlib")
// and Rust crates compiled into the binary at in.Path.
func (Extractor) Extract(_ context.Context, in extract.Input) ([]inventory.Package, error) {
	rec, err := DecodeRecord(in.Content)
	if rec == nil {
		return nil, err
	}
	var pkgs []inventory.Package
	if rec.Go != nil {
		pkgs = append(pkgs, rec.Go.Packages(in.Path)...)
	}
	if rec.Rust != nil {
		crates, cerr := rec.Rust.Crates(in.Path)
		pkgs = append(pkgs, crates...)
		err = errors.Join(err, cerr)
	}
	return pkgs, err
}
