package cyclonedx

import (
	_ "embed"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

//go:embed licenses.txt
var licenseList string

// spdxIDs maps a lower-cased SPDX license id to its canonical spelling:
// the ids the CycloneDX schema accepts in license.id.
var spdxIDs = func() map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(licenseList, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			m[strings.ToLower(l)] = l
		}
	}
	return m
}()

// licenseChoices turns declared license strings into CycloneDX licenses:
// an SPDX license list id as license.id, anything else (including
// expressions and distro shorthands like "GPL2") as license.name, since
// the schema forbids mixing expressions with license entries.
func licenseChoices(decl []string) *cdx.Licenses {
	var out cdx.Licenses
	for _, d := range decl {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		if id, ok := spdxIDs[strings.ToLower(d)]; ok {
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
