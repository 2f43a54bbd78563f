// Package ecosystem declares the package types customs knows. Each
// ecosystem is one Descriptor, returned by the extractor of its folder
// (extract/python's, extract/dpkg's: extract.Describer); scan.Ecosystems
// collects them from the extractor list, and matching, SBOM reading and db
// update's default feeds are all built from that list. Adding an ecosystem
// is one folder whose extractor describes it and one line in
// scan.Extractors.
//
// It is a model package: every stage may import it, so a stage that must
// know the ecosystems is handed them without importing a sibling stage
// (sbom the List, vulndb/update the OSV exports of List.Feeds).
package ecosystem

import (
	"errors"
	"fmt"
	"strings"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/version"
)

// Descriptor is everything the rest of customs needs to know about one
// package type. Nothing outside the descriptor's own folder switches on the
// type.
type Descriptor struct {
	// Type is the PURL type (https://github.com/package-url/purl-spec,
	// PURL-TYPES.rst) of the ecosystem's packages, which is also their
	// inventory.Package.Type: "pypi", "deb".
	Type string
	// Ecosystems are the advisory namespaces packages of the type are
	// looked up in, as the DB keys them. A language ecosystem has one,
	// the OSV ecosystem name ("PyPI", "Packagist"). A distribution's
	// namespace names its release ("debian:12"): for those the entries end
	// in ":" ("debian:", "ubuntu:") and OS names the namespace of an image.
	Ecosystems []string
	// OS, set for types whose namespace is the distribution's (deb, apk,
	// rpm), returns the namespace of packages installed on o ("debian:12"),
	// or "" when o's release is unknown.
	OS func(o inventory.OS) string
	// Scheme orders the type's versions.
	Scheme version.Scheme
	// Normalize, if set, returns a package name as advisories spell it
	// (PEP 503 for PyPI). Nil keeps names as they are.
	Normalize func(name string) string
	// Name, if set, joins a PURL's namespace and name into the package
	// name the extractors give ("org.yaml:snakeyaml" for Maven, "@babel/core"
	// for npm). Nil, or an empty namespace, gives the name alone.
	Name func(namespace, name string) string
	// FromPURL, if set, adjusts a package read from a PURL to the way the
	// type's extractor names it (rpm: the epoch qualifier joins the
	// version). It runs once Name has joined the name, before the namespace
	// and source package are set; qualifiers are the PURL's.
	FromPURL func(p *inventory.Package, qualifiers map[string]string)
	// Unkeyed is set when a PURL alone does not give the name advisories
	// are keyed on (generic: NVD's vendor:product comes from identifying a
	// binary), so packages read from an SBOM are listed but not matched.
	Unkeyed bool
	// Apart names packages that feeds track apart from the rest of the
	// ecosystem, so coverage reports them on their own: Go's "stdlib",
	// which the Go vulnerability database has and GitHub's advisories do
	// not.
	Apart []string
	// Feeds are the OSV exports (the bucket's folder names: "PyPI",
	// "Rocky Linux") that db update fetches by default for the type.
	// Distributions whose own feeds customs reads (Debian's tracker,
	// Alpine's secdb) list none.
	Feeds []string
}

// Ecosystem returns the namespace a package of the type installed on o is
// matched in: OS(o) for a distribution's type, else the one language
// ecosystem.
func (d Descriptor) Ecosystem(o inventory.OS) string {
	if d.OS != nil {
		return d.OS(o)
	}
	if len(d.Ecosystems) == 0 {
		return ""
	}
	return d.Ecosystems[0]
}

// Claims reports whether eco, an advisory namespace as the DB keys it, is
// one of d's: an exact language ecosystem, or a release of one of d's
// distributions.
func (d Descriptor) Claims(eco string) bool {
	for _, e := range d.Ecosystems {
		if strings.HasSuffix(e, ":") {
			if strings.HasPrefix(eco, e) && len(eco) > len(e) {
				return true
			}
		} else if e == eco {
			return true
		}
	}
	return false
}

// List is the registered ecosystems.
type List []Descriptor

// Lookup returns the descriptor of a package type.
func (l List) Lookup(typ string) (Descriptor, bool) {
	for _, d := range l {
		if d.Type == typ {
			return d, true
		}
	}
	return Descriptor{}, false
}

// Schemes maps each type to its version scheme, as match.Options takes it.
func (l List) Schemes() map[string]version.Scheme {
	m := make(map[string]version.Scheme, len(l))
	for _, d := range l {
		m[d.Type] = d.Scheme
	}
	return m
}

// Feeds returns the OSV exports the ecosystems fetch by default, in list
// order, each once.
func (l List) Feeds() []string {
	var out []string
	seen := map[string]bool{}
	for _, d := range l {
		for _, f := range d.Feeds {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// Apart maps each language ecosystem to the packages its descriptor keeps
// apart (see Descriptor.Apart), as match.Options takes them.
func (l List) Apart() map[string][]string {
	m := map[string][]string{}
	for _, d := range l {
		if len(d.Apart) > 0 && d.OS == nil && len(d.Ecosystems) == 1 {
			m[d.Ecosystems[0]] = append(m[d.Ecosystems[0]], d.Apart...)
		}
	}
	return m
}

// Owner returns the descriptor that claims an advisory namespace.
func (l List) Owner(eco string) (Descriptor, bool) {
	for _, d := range l {
		if d.Claims(eco) {
			return d, true
		}
	}
	return Descriptor{}, false
}

// Check reports what makes the list unusable: a descriptor without a type,
// a scheme or a namespace, a type or a namespace declared twice, a
// distribution namespace without OS or a language type with several
// namespaces.
func (l List) Check() error {
	var errs []error
	types := map[string]bool{}
	ecos := map[string]string{}
	for _, d := range l {
		switch {
		case d.Type == "" || strings.ToLower(d.Type) != d.Type:
			errs = append(errs, fmt.Errorf("descriptor type %q: want a lower-case PURL type", d.Type))
		case types[d.Type]:
			errs = append(errs, fmt.Errorf("type %s declared twice", d.Type))
		}
		types[d.Type] = true
		if d.Scheme == nil {
			errs = append(errs, fmt.Errorf("type %s: no version scheme", d.Type))
		}
		if len(d.Ecosystems) == 0 {
			errs = append(errs, fmt.Errorf("type %s: no advisory ecosystem", d.Type))
		}
		if d.OS == nil && len(d.Ecosystems) > 1 {
			errs = append(errs, fmt.Errorf("type %s: several ecosystems %q but no OS to choose among them", d.Type, d.Ecosystems))
		}
		for _, e := range d.Ecosystems {
			if strings.HasSuffix(e, ":") != (d.OS != nil) {
				errs = append(errs, fmt.Errorf("type %s: ecosystem %q: a distribution's namespace ends in \":\" and needs OS, a language ecosystem neither", d.Type, e))
			}
			if o, ok := ecos[e]; ok {
				errs = append(errs, fmt.Errorf("ecosystem %q declared by %s and %s", e, o, d.Type))
			}
			ecos[e] = d.Type
		}
	}
	return errors.Join(errs...)
}
