package ruby

import (
	"github.com/customs-scanner/customs/internal/ecosystem"
	"github.com/customs-scanner/customs/internal/version/rubygems"
)

// Descriptor declares gems (PURL type gem, OSV ecosystem "RubyGems"),
// ordered by Gem::Version.
func (Extractor) Descriptor() ecosystem.Descriptor {
	return ecosystem.Descriptor{
		Type:       "gem",
		Ecosystems: []string{Ecosystem},
		Scheme:     rubygems.Scheme{},
		Feeds:      []string{Ecosystem},
	}
}
