package rpm

import (
	"github.com/customs-scanner/customs/internal/ecosystem"
	"github.com/customs-scanner/customs/internal/extract/osrelease"
	"github.com/customs-scanner/customs/internal/inventory"
	rpmver "github.com/customs-scanner/customs/internal/version/rpm"
)

// Descriptor declares rpm packages (PURL type rpm): matched in the
// distribution's namespace ("redhat:9" for RHEL, UBI and CentOS, "rocky:9",
// "almalinux:9"), with rpm's version rules. Rocky Linux's and AlmaLinux's
// OSV exports are fetched by default; Red Hat's CSAF is a feed of its own.
func (Extractor) Descriptor() ecosystem.Descriptor {
	return ecosystem.Descriptor{
		Type:       "rpm",
		Ecosystems: []string{"redhat:", "rocky:", "almalinux:"},
		OS:         osrelease.Ecosystem,
		Scheme:     rpmver.Scheme{},
		FromPURL:   fromPURL,
		Feeds:      []string{"Rocky Linux", "AlmaLinux"},
	}
}

// fromPURL puts the epoch qualifier into the version ("1:1.1.1k-12"), as
// the rpm database gives it, and matches the binary package's name too, as
// Extract does when it differs from the source package's (Red Hat's
// advisories name binary packages; matching skips it when it is the
// source's).
func fromPURL(p *inventory.Package, q map[string]string) {
	if e := q["epoch"]; e != "" && e != "0" {
		p.Version = e + ":" + p.Version
	}
	p.AlsoMatch = []string{p.Name}
}
