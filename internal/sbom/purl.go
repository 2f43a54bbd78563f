package sbom

import (
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/customs-scanner/customs/internal/extract/osrelease"
	"github.com/customs-scanner/customs/internal/inventory"
)

// hints are what an SBOM says beside the PURL about a distro package's
// source package (Trivy writes them as properties).
type hints struct {
	srcName, srcVersion, srcRelease, srcEpoch string
}

// languages maps PURL types to the OSV ecosystem advisories use.
var languages = map[string]string{
	"npm":      "npm",
	"pypi":     "PyPI",
	"golang":   "Go",
	"maven":    "Maven",
	"cargo":    "crates.io",
	"gem":      "RubyGems",
	"composer": "Packagist",
	"nuget":    "NuGet",
}

// fromPURL turns a PURL into a package as customs' extractors would have
// named it. ok is false for PURLs that do not parse or have no version.
func fromPURL(s string, docOS inventory.OS, h hints) (inventory.Package, bool) {
	u, err := packageurl.FromString(s)
	if err != nil || u.Name == "" || u.Version == "" {
		return inventory.Package{}, false
	}
	q := u.Qualifiers.Map()
	p := inventory.Package{Name: u.Name, Version: u.Version, Type: u.Type, PURL: s, Arch: q["arch"]}
	if u.Namespace != "" {
		switch u.Type {
		case "maven":
			p.Name = u.Namespace + ":" + u.Name
		case "npm", "golang", "composer":
			p.Name = u.Namespace + "/" + u.Name
		}
	}
	if eco, ok := languages[u.Type]; ok {
		p.Ecosystem = eco
		return p, true
	}
	switch u.Type {
	case "deb", "apk", "rpm":
		o := distro(q["distro"], u.Namespace, docOS)
		p.Ecosystem = osrelease.Ecosystem(o)
		if e := q["epoch"]; e != "" && e != "0" && u.Type == "rpm" {
			p.Version = e + ":" + p.Version
		}
		p.SourceName, p.SourceVersion = source(q["upstream"], h, p.Version)
		if u.Type == "rpm" && p.SourceName != p.Name {
			p.AlsoMatch = []string{p.Name}
		}
	}
	return p, true
}

// distro reads the PURL distro qualifier ("debian-12", "alpine-3.19.1",
// "centos-7.6.1810", "ubuntu-22.04", or a codename such as "bookworm"),
// falling back to the SBOM's operating-system component.
func distro(q, namespace string, docOS inventory.OS) inventory.OS {
	if q == "" {
		return docOS
	}
	if i := strings.LastIndexByte(q, '-'); i > 0 {
		return inventory.OS{Family: strings.ToLower(q[:i]), Version: q[i+1:]}
	}
	return inventory.OS{Family: strings.ToLower(namespace), Codename: q, Version: docOS.Version}
}

// source names the source package: the upstream qualifier ("openssl" or
// "openssl@3.0.11-1"), else the SBOM's hints, else nothing.
func source(upstream string, h hints, version string) (string, string) {
	if upstream != "" {
		name, ver, ok := strings.Cut(upstream, "@")
		if !ok {
			ver = version
		}
		return name, ver
	}
	if h.srcName != "" {
		ver := h.srcVersion
		if h.srcRelease != "" {
			ver += "-" + h.srcRelease
		}
		if h.srcEpoch != "" && h.srcEpoch != "0" {
			ver = h.srcEpoch + ":" + ver
		}
		if ver == "" {
			ver = version
		}
		return h.srcName, ver
	}
	return "", ""
}
