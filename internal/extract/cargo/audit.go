package cargo

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/customs-scanner/customs/internal/inventory"
)

// AuditSection is the name of the section cargo-auditable adds to ELF and
// PE binaries (Mach-O: segment __DATA, section .dep-v0).
const AuditSection = ".dep-v0"

// MaxAuditSize bounds the decompressed dependency list, as cargo-auditable's
// own reader does (8 MiB).
const MaxAuditSize = 8 << 20

// Audit is the dependency tree cargo-auditable embeds: zlib-compressed JSON
// in the format of the auditable-serde crate.
type Audit struct {
	Packages []AuditPackage `json:"packages"`
}

// AuditPackage is one crate of an Audit.
type AuditPackage struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Source is "crates.io", "git", "local", "registry" or another string.
	Source string `json:"source"`
	// Kind is "build" for build-time only dependencies, empty or "runtime" otherwise.
	Kind string `json:"kind,omitempty"`
	// Dependencies are indexes into Audit.Packages.
	Dependencies []int `json:"dependencies,omitempty"`
	// Root marks the crate the binary was built from.
	Root bool `json:"root,omitempty"`
}

// DecodeAudit decompresses and decodes the content of a .dep-v0 section.
func DecodeAudit(section []byte) (*Audit, error) {
	zr, err := zlib.NewReader(bytes.NewReader(section))
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", AuditSection, err)
	}
	defer zr.Close()
	data, err := io.ReadAll(io.LimitReader(zr, MaxAuditSize+1))
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", AuditSection, err)
	}
	if len(data) > MaxAuditSize {
		return nil, fmt.Errorf("decode %s: larger than %d bytes decompressed", AuditSection, MaxAuditSize)
	}
	var a Audit
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("decode %s: %w", AuditSection, err)
	}
	return &a, nil
}

// Crates turns an Audit into crates found in the binary at binPath
// (used as evidence). Crates from crates.io get Ecosystem "crates.io";
// git, local and other-registry crates are listed without one. A
// dependency index out of range is reported in the error.
func (a *Audit) Crates(binPath string) ([]inventory.Package, error) {
	var bad []string
	pkgs := make([]inventory.Package, 0, len(a.Packages))
	for i, ap := range a.Packages {
		if ap.Name == "" || ap.Version == "" {
			bad = append(bad, fmt.Sprintf("package %d has no name or version", i))
			continue
		}
		src := ""
		if ap.Source == "crates.io" {
			src = "registry+https://github.com/rust-lang/crates.io-index"
		}
		p := newPackage(ap.Name, ap.Version, src)
		p.Metadata = Metadata{Source: ap.Source, Kind: ap.Kind}
		p.Evidence = []inventory.Evidence{{Path: binPath, Match: AuditSection}}
		for _, d := range ap.Dependencies {
			if d < 0 || d >= len(a.Packages) || a.Packages[d].Name == "" {
				bad = append(bad, fmt.Sprintf("package %s: dependency index %d out of range", ap.Name, d))
				continue
			}
			p.DependsOn = append(p.DependsOn, purl(a.Packages[d].Name, a.Packages[d].Version))
		}
		slices.Sort(p.DependsOn)
		p.DependsOn = slices.Compact(p.DependsOn)
		pkgs = append(pkgs, p)
	}
	if len(bad) > 0 {
		if len(bad) > 10 {
			bad = append(bad[:10], fmt.Sprintf("%d more", len(bad)-10))
		}
		return pkgs, fmt.Errorf("%s: %v", AuditSection, bad)
	}
	return pkgs, nil
}
