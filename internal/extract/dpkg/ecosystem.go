package dpkg

import (
	"github.com/customs-scanner/customs/internal/ecosystem"
	"github.com/customs-scanner/customs/internal/extract/osrelease"
	dpkgver "github.com/customs-scanner/customs/internal/version/dpkg"
)

// Descriptor declares Debian packages (PURL type deb): matched by source
// package in the distribution's release ("debian:12", "ubuntu:22.04"), with
// dpkg's version rules. Ubuntu's OSV export is fetched by default; Debian's
// own tracker is a feed of its own (db update's "debian").
func (Extractor) Descriptor() ecosystem.Descriptor {
	return ecosystem.Descriptor{
		Type:       "deb",
		Ecosystems: []string{"debian:", "ubuntu:"},
		OS:         osrelease.Ecosystem,
		Scheme:     dpkgver.Scheme{},
		Feeds:      []string{"Ubuntu"},
	}
}
