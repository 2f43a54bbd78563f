package gobinary

import (
	"github.com/customs-scanner/customs/internal/ecosystem"
	"github.com/customs-scanner/customs/internal/version/gosemver"
)

// Descriptor declares Go modules and the standard library (PURL type
// golang, OSV ecosystem "Go"), named by module path and ordered by Go's
// semantic versions. The standard library is kept apart in coverage: the
// Go vulnerability database has it, GitHub's advisories do not.
func (Extractor) Descriptor() ecosystem.Descriptor {
	return ecosystem.Descriptor{
		Type:       "golang",
		Ecosystems: []string{Ecosystem},
		Scheme:     gosemver.Scheme{},
		Name:       func(namespace, name string) string { return namespace + "/" + name },
		Apart:      []string{Stdlib},
		Feeds:      []string{Ecosystem},
	}
}
