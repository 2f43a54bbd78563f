package java

import (
	"github.com/customs-scanner/customs/internal/ecosystem"
	"github.com/customs-scanner/customs/internal/version/maven"
)

// Descriptor declares Maven artifacts (PURL type maven, OSV ecosystem
// "Maven"), named "groupId:artifactId" and ordered by Maven's
// ComparableVersion.
func (Extractor) Descriptor() ecosystem.Descriptor {
	return ecosystem.Descriptor{
		Type:       "maven",
		Ecosystems: []string{Ecosystem},
		Scheme:     maven.Scheme{},
		Name:       func(group, artifact string) string { return group + ":" + artifact },
		Feeds:      []string{Ecosystem},
	}
}
