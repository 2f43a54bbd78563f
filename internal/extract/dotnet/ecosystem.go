package dotnet

import (
	"github.com/customs-scanner/customs/internal/ecosystem"
	"github.com/customs-scanner/customs/internal/version/nuget"
)

// Descriptor declares NuGet packages (PURL type nuget, OSV ecosystem
// "NuGet"), ordered by NuGet's SemVer 2.0 rules.
func (Extractor) Descriptor() ecosystem.Descriptor {
	return ecosystem.Descriptor{
		Type:       "nuget",
		Ecosystems: []string{Ecosystem},
		Scheme:     nuget.Scheme{},
		Feeds:      []string{Ecosystem},
	}
}
