package sbom

import (
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/customs-scanner/customs/internal/ecosystem"
	"github.com/customs-scanner/customs/internal/inventory"
)

// hints are what an SBOM says beside the PURL about a distro package's
// source package (Trivy writes them as properties).
type hints struct {
	srcName, srcVersion, srcRelease, srcEpoch string
}

// fromPURL turns a PURL into a package as customs' extractors would have
// named it, by the descriptor of its type in ecos; a type ecos does not
// declare, or whose PURLs name no advisory key (Descriptor.Unkeyed), keeps
// the PURL's name and no ecosystem. ok is false for PURLs
// that do not parse or have no version.
func fromPURL(s string, docOS inventory.OS, ecos ecosystem.List, h hints) (inventory.Package, bool) {
	u, err := packageurl.FromString(s)
	if err != nil || u.Name == "" || u.Version == "" {
		return inventory.Package{}, false
	}
	q := u.Qualifiers.Map()
	p := inventory.Package{Name: u.Name, Version: u.Version, Type: u.Type, PURL: s, Arch: q["arch"]}
	d, ok := ecos.Lookup(u.Type)
	if !ok || d.Unkeyed {
		return p, true
	}
	if u.Namespace != "" && d.Name != nil {
		p.Name = d.Name(u.Namespace, u.Name)
	}
	if d.FromPURL != nil {
		d.FromPURL(&p, q)
	}
	if d.OS != nil {
		p.Ecosystem = d.Ecosystem(distro(q["distro"], u.Namespace, docOS))
		p.SourceName, p.SourceVersion = source(q["upstream"], h, p.Version)
	} else {
		p.Ecosystem = d.Ecosystem(docOS)
	}
	if d.Normalize != nil && p.SourceName == "" {
		if n := d.Normalize(p.Name); n != p.Name {
			p.SourceName = n
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
