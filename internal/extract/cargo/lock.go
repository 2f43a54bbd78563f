// Package cargo extracts Rust crates: from Cargo.lock files (versions 1 to 4
// of the lock format Cargo writes, https://doc.rust-lang.org/cargo/guide/cargo-toml-vs-cargo-lock.html)
// and from the dependency lists cargo-auditable embeds in binaries
// (https://github.com/rust-secure-code/cargo-auditable, see DecodeAudit).
package cargo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/inventory"
)

// Ecosystem is the OSV ecosystem of crates from crates.io.
const Ecosystem = "crates.io"

// LockFile is the base name of the file this extractor reads.
const LockFile = "Cargo.lock"

// maxLockSize bounds the Cargo.lock files parsed (real ones are well under
// a megabyte).
const maxLockSize = 32 << 20

// Metadata is the Cargo-specific part of a crate.
type Metadata struct {
	// Source is where the crate came from: "registry+https://github.com/rust-lang/crates.io-index",
	// "sparse+https://index.crates.io/", "git+https://...#rev", or empty
	// for a path dependency or workspace member.
	Source   string `json:"source,omitempty"`
	Checksum string `json:"checksum,omitempty"`
	// Kind is the dependency kind cargo-auditable records: "runtime" or "build".
	Kind string `json:"kind,omitempty"`
}

// Extractor reads Cargo.lock files. It implements extract.Extractor.
type Extractor struct{}

var _ extract.Extractor = Extractor{}

// New returns a Cargo.lock extractor.
func New() Extractor { return Extractor{} }

// Name returns "lang/cargo".
func (Extractor) Name() string { return "lang/cargo" }

// Version returns 1.
func (Extractor) Version() int { return 1 }

// Wants reports whether path is a Cargo.lock file.
func (Extractor) Wants(p string, mode fs.FileMode) bool {
	return path.Base(p) == LockFile && !mode.IsDir()
}

// Extract parses a Cargo.lock. Every [[package]] is reported; crates from
// a source other than crates.io (git, path, another registry) get no
// Ecosystem, so they are listed but not matched against crates.io
// advisories.
func (Extractor) Extract(ctx context.Context, in extract.Input) ([]inventory.Package, error) {
	if path.Base(in.Path) != LockFile {
		return nil, nil
	}
	return ParseLock(ctx, in.Content)
}

// lockPkg is one [[package]] while dependencies are resolved.
type lockPkg struct {
	name, version, source, checksum string
	deps                            []string
	line                            int
}

// ParseLock parses Cargo.lock content into packages, in file order. A
// package without a name or version is skipped and reported in the error.
func ParseLock(ctx context.Context, content []byte) ([]inventory.Package, error) {
	if len(content) > maxLockSize {
		return nil, fmt.Errorf("parse Cargo.lock: larger than %d bytes", maxLockSize)
	}
	tables, perr := parseTOML(string(content))
	if perr != nil {
		perr = fmt.Errorf("parse Cargo.lock: %w", perr)
	}
	var (
		lps       []*lockPkg
		errs      []error
		checksums = map[string]string{} // v1 [metadata]: "name version (source)" -> checksum
	)
	for i, t := range tables {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		switch {
		case t.name == "package" && t.array, t.name == "root" && !t.array:
			lp, err := readLockPkg(t)
			if err != nil {
				if len(errs) < 10 {
					errs = append(errs, err)
				}
				continue
			}
			lps = append(lps, lp)
		case t.name == "metadata" && !t.array:
			for _, e := range t.entries {
				if k, ok := strings.CutPrefix(e.key, "checksum "); ok {
					if s, err := e.str(); err == nil {
						checksums[k] = s
					}
				}
			}
		}
	}
	byName := map[string][]*lockPkg{}
	for _, lp := range lps {
		byName[lp.name] = append(byName[lp.name], lp)
	}
	pkgs := make([]inventory.Package, 0, len(lps))
	for _, lp := range lps {
		if lp.checksum == "" {
			lp.checksum = checksums[lp.name+" "+lp.version+" ("+lp.source+")"]
		}
		p := newPackage(lp.name, lp.version, lp.source)
		p.Metadata = Metadata{Source: lp.source, Checksum: lp.checksum}
		for _, d := range lp.deps {
			to := resolveDep(byName, d)
			if to == nil {
				if len(errs) < 10 {
					errs = append(errs, fmt.Errorf("package %s %s (line %d): dependency %q not in the lock file", lp.name, lp.version, lp.line, d))
				}
				continue
			}
			p.DependsOn = append(p.DependsOn, purl(to.name, to.version))
		}
		slices.Sort(p.DependsOn)
		p.DependsOn = slices.Compact(p.DependsOn)
		pkgs = append(pkgs, p)
	}
	return pkgs, errors.Join(append([]error{perr}, errs...)...)
}

func readLockPkg(t *tomlTable) (*lockPkg, error) {
	lp := &lockPkg{line: t.line}
	for _, e := range t.entries {
		var err error
		switch e.key {
		case "name":
			lp.name, err = e.str()
		case "version":
			lp.version, err = e.str()
		case "source":
			lp.source, err = e.str()
		case "checksum":
			lp.checksum, err = e.str()
		case "dependencies":
			arr, ok := e.value.([]tomlValue)
			if !ok {
				return nil, fmt.Errorf("package at line %d: dependencies is not an array", t.line)
			}
			for _, v := range arr {
				s, ok := v.(string)
				if !ok {
					return nil, fmt.Errorf("package at line %d: dependency %v is not a string", t.line, v)
				}
				lp.deps = append(lp.deps, s)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("package at line %d: %w", t.line, err)
		}
	}
	switch {
	case lp.name == "":
		return nil, fmt.Errorf("package at line %d: no name", t.line)
	case lp.version == "":
		return nil, fmt.Errorf("package %s at line %d: no version", lp.name, t.line)
	}
	return lp, nil
}

// resolveDep finds the package a dependencies entry names: "name" (unique
// in the lock), "name version", or "name version (source)".
func resolveDep(byName map[string][]*lockPkg, dep string) *lockPkg {
	name, rest, _ := strings.Cut(strings.TrimSpace(dep), " ")
	ver, src, _ := strings.Cut(rest, " ")
	src = strings.TrimSuffix(strings.TrimPrefix(src, "("), ")")
	for _, lp := range byName[name] {
		if (ver == "" || lp.version == ver) && (src == "" || lp.source == src) {
			return lp
		}
	}
	return nil
}

// IsCratesIO reports whether a Cargo source string names crates.io, over
// the git index or the sparse protocol.
func IsCratesIO(source string) bool {
	return source == "registry+https://github.com/rust-lang/crates.io-index" ||
		source == "sparse+https://index.crates.io/"
}

// newPackage builds the common fields of a crate.
func newPackage(name, version, source string) inventory.Package {
	p := inventory.Package{
		Name:    name,
		Version: version,
		Type:    packageurl.TypeCargo,
		PURL:    purl(name, version),
	}
	if IsCratesIO(source) {
		p.Ecosystem = Ecosystem
	}
	return p
}

func purl(name, version string) string {
	return packageurl.NewPackageURL(packageurl.TypeCargo, "", name, version, nil, "").ToString()
}
