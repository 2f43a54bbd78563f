package binary

import (
	"github.com/customs-scanner/customs/internal/ecosystem"
	"github.com/customs-scanner/customs/internal/version/generic"
)

// Descriptor declares software identified in binaries (PURL type generic),
// matched on NVD's CPE ranges (ecosystem "cpe") with the generic dotted
// version order. NVD is not fetched by default (db update --feeds
// default,nvd). A pkg:generic PURL in an SBOM names no vendor:product, so
// such components are listed but not matched.
func (Extractor) Descriptor() ecosystem.Descriptor {
	return ecosystem.Descriptor{
		Type:       "generic",
		Ecosystems: []string{Ecosystem},
		Scheme:     generic.Scheme{},
		Unkeyed:    true,
	}
}
