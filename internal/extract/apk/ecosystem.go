package apk

import (
	"github.com/customs-scanner/customs/internal/ecosystem"
	"github.com/customs-scanner/customs/internal/extract/osrelease"
	apkver "github.com/customs-scanner/customs/internal/version/apk"
)

// Descriptor declares Alpine packages (PURL type apk): matched by origin
// in the release's secdb namespace ("alpine:3.19"), with apk-tools' version
// rules. The secdb is a feed of its own (db update's "alpine"), so no OSV
// export is fetched by default.
func (Extractor) Descriptor() ecosystem.Descriptor {
	return ecosystem.Descriptor{
		Type:       "apk",
		Ecosystems: []string{"alpine:"},
		OS:         osrelease.Ecosystem,
		Scheme:     apkver.Scheme{},
	}
}
