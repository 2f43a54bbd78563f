package cargo

import (
	"github.com/customs-scanner/customs/internal/ecosystem"
	cargover "github.com/customs-scanner/customs/internal/version/cargo"
)

// Descriptor declares crates (PURL type cargo, OSV ecosystem "crates.io"),
// ordered by SemVer 2.0 precedence as Cargo does.
func (Extractor) Descriptor() ecosystem.Descriptor {
	return ecosystem.Descriptor{
		Type:       "cargo",
		Ecosystems: []string{Ecosystem},
		Scheme:     cargover.Scheme{},
		Feeds:      []string{Ecosystem},
	}
}
