package php

import (
	"github.com/customs-scanner/customs/internal/ecosystem"
	"github.com/customs-scanner/customs/internal/version/composer"
)

// Descriptor declares Composer packages (PURL type composer, OSV ecosystem
// "Packagist"), named "vendor/project" and ordered by PHP's
// version_compare.
func (Extractor) Descriptor() ecosystem.Descriptor {
	return ecosystem.Descriptor{
		Type:       "composer",
		Ecosystems: []string{Ecosystem},
		Scheme:     composer.Scheme{},
		Name:       func(vendor, project string) string { return vendor + "/" + project },
		Feeds:      []string{Ecosystem},
	}
}
