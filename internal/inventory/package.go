// Package inventory holds the data model of what an image contains: packages,
// where they were found and which layer brought them in. It does no I/O.
package inventory

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
)

// Location is one place a package was found: a path inside the image root
// (no leading slash) and the DiffID of the layer that last wrote that path.
type Location struct {
	Path  string `json:"path"`
	Layer string `json:"layer,omitempty"`
}

// Package is one installed package. Fields are shared by every ecosystem;
// anything ecosystem-specific goes in Metadata.
type Package struct {
	// ID is a deterministic hash of (PURL, first location path, layer); see SetID.
	ID      string `json:"id"`
	Name    string `json:"name"`
	Version string `json:"version"`
	// Type is the package type as used in PURLs: "deb", "apk", "rpm", "golang", ...
	Type string `json:"type"`
	Arch string `json:"arch,omitempty"`
	// SourceName and SourceVersion name the source package a binary package
	// was built from (dpkg Source:, apk origin). Distro advisories are keyed on them.
	SourceName    string `json:"sourceName,omitempty"`
	SourceVersion string `json:"sourceVersion,omitempty"`
	// AlsoMatch lists more names advisories may key this package on, with
	// Version compared: an rpm's binary name beside its source rpm (Red
	// Hat's VEX names either). Reports carry it, so a stored or saved
	// inventory is matched again as the scan matched it.
	AlsoMatch []string `json:"alsoMatch,omitempty"`
	PURL      string   `json:"purl"`
	// Ecosystem is the advisory namespace the package is matched in, in the
	// form "debian:12", "alpine:3.10", or an OSV ecosystem name ("Go", "npm").
	Ecosystem string     `json:"ecosystem,omitempty"`
	Locations []Location `json:"locations"`
	// Layer is the DiffID of the layer that introduced this package (this
	// version of it), and CreatedBy that layer's history entry.
	Layer     string `json:"layer,omitempty"`
	CreatedBy string `json:"createdBy,omitempty"`
	// Files lists the paths the package manager says this package owns
	// (dpkg info/*.list, apk R: lines). Not serialised in reports by default.
	Files    []string `json:"-"`
	Licenses []string `json:"licenses,omitempty"`
	// CPEs name the package for NVD-style matching where known (software
	// found without a package manager).
	CPEs []string `json:"cpes,omitempty"`
	// DependsOn lists the PURLs of the packages this one depends on, where
	// its own metadata or lockfile says so. The walker turns them into
	// depends-on relationships.
	DependsOn []string `json:"dependsOn,omitempty"`
	// Evidence says why a package identified from file contents is there.
	Evidence []Evidence `json:"evidence,omitempty"`
	// FoundBy is the name of the extractor that found it.
	FoundBy string `json:"foundBy,omitempty"`
	// OwnedBy names the OS package that installed the file this package
	// was found in (a Go binary, a jar, a dist-info directory); nil when
	// no OS package owns it.
	OwnedBy  *Owner `json:"ownedBy,omitempty"`
	Metadata any    `json:"metadata,omitempty"`
}

// Owner is the OS package that installed a file: whom to ask for a
// rebuild of a binary whose compiled-in components are vulnerable.
type Owner struct {
	// ID is the owner's package ID in the same report.
	ID      string `json:"id"`
	Name    string `json:"name"`
	Version string `json:"version"`
	// Type is the owner's package type: "deb", "rpm", "apk".
	Type string `json:"type"`
}

// OwnerOf returns p as the Owner of the files it installed.
func OwnerOf(p Package) *Owner {
	return &Owner{ID: p.ID, Name: p.Name, Version: p.Version, Type: p.Type}
}

// Evidence is one observation that identified a package: the file and what
// matched in it (a version string, a symbol, a manifest field).
type Evidence struct {
	Path  string `json:"path"`
	Match string `json:"match"`
}

// Relationship types.
const (
	// Contains: From (an OS package) owns the file To was found in: a
	// language package From ships (reported as part of From) or a component
	// compiled into From's binary (reported on its own, OwnedBy naming From).
	Contains = "contains"
	// DependsOn: From depends on To, as its metadata or lockfile says.
	DependsOn = "depends-on"
)

// Relationship links two packages by ID.
type Relationship struct {
	From string `json:"from"`
	To   string `json:"to"`
	Type string `json:"type"`
}

// SetID computes the package's deterministic ID from its PURL, its first
// location and its layer.
func (p *Package) SetID() {
	h := sha256.New()
	h.Write([]byte(p.PURL))
	h.Write([]byte{0})
	if len(p.Locations) > 0 {
		h.Write([]byte(p.Locations[0].Path))
	}
	h.Write([]byte{0})
	h.Write([]byte(p.Layer))
	p.ID = hex.EncodeToString(h.Sum(nil))[:16]
}

// Sort orders packages by type, name, version and location so reports are stable.
func Sort(pkgs []Package) {
	sort.SliceStable(pkgs, func(i, j int) bool {
		a, b := pkgs[i], pkgs[j]
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		return firstPath(a) < firstPath(b)
	})
}

func firstPath(p Package) string {
	if len(p.Locations) == 0 {
		return ""
	}
	return p.Locations[0].Path
}
