package python

import (
	"github.com/customs-scanner/customs/internal/ecosystem"
	"github.com/customs-scanner/customs/internal/version/pep440"
)

// Descriptor declares Python distributions (PURL type pypi, OSV ecosystem
// "PyPI"), matched by their PEP 503 name and ordered by PEP 440.
func (Extractor) Descriptor() ecosystem.Descriptor {
	return ecosystem.Descriptor{
		Type:       "pypi",
		Ecosystems: []string{Ecosystem},
		Scheme:     pep440.Scheme{},
		Normalize:  Normalize,
		Feeds:      []string{Ecosystem},
	}
}
