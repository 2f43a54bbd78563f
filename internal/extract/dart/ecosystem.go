package dart

import (
	"github.com/customs-scanner/customs/internal/ecosystem"
	"github.com/customs-scanner/customs/internal/version/pub"
)

// Descriptor declares Dart packages (PURL type pub, OSV ecosystem "Pub"),
// ordered as Dart's pub_semver orders them.
func (Extractor) Descriptor() ecosystem.Descriptor {
	return ecosystem.Descriptor{
		Type:       "pub",
		Ecosystems: []string{Ecosystem},
		Scheme:     pub.Scheme{},
		Feeds:      []string{Ecosystem},
	}
}
