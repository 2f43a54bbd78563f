package cyclonedx

import (
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/customs-scanner/customs/internal/report/spdx"
)

// licenseChoices turns declared license strings into CycloneDX licenses:
// an SPDX license list id (the enum the CycloneDX schema accepts in
// license.id) as license.id, anything else (including
// expressions and distro shorthands like "GPL2") as license.name, since
// the schema forbids mixing expressions with license entries.
func licenseChoices(decl []string) *cdx.Licenses {
	var out cdx.Licenses
	for _, d := range decl {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		if id, ok := spdx.LicenseID(d); ok {
			out = append(out, cdx.LicenseChoice{License: &cdx.License{ID: id}})
			continue
		}
		out = append(out, cdx.LicenseChoice{License: &cdx.License{Name: d}})
	}
	if len(out) == 0 {
		return nil
	}
	return &out
}
