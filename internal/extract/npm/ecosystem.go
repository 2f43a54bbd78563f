package npm

import (
	"github.com/customs-scanner/customs/internal/ecosystem"
	npmver "github.com/customs-scanner/customs/internal/version/npm"
)

// Descriptor declares npm packages (PURL type npm, OSV ecosystem "npm"),
// named with their scope ("@babel/core") and ordered by node-semver.
func (Extractor) Descriptor() ecosystem.Descriptor {
	return ecosystem.Descriptor{
		Type:       "npm",
		Ecosystems: []string{"npm"},
		Scheme:     npmver.Scheme{},
		Name:       func(scope, name string) string { return scope + "/" + name },
		Feeds:      []string{"npm"},
	}
}
