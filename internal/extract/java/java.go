// Package java finds Maven artifacts in Java archives (.jar, .war, .ear, and
// Jenkins .jpi/.hpi, JBoss .sar, .par), including archives nested in them:
// fat jars (BOOT-INF/lib), web applications (WEB-INF/lib), EAR modules.
//
// Each archive is identified, in this order, by its
// META-INF/maven/<groupId>/<artifactId>/pom.properties files (a shaded jar
// holds several: each is reported, the one named like the file is the
// archive itself), by META-INF/MANIFEST.MF (Implementation-Version,
// Bundle-Version, Specification-Version) together with the file name, and
// by the file name alone (name-1.2.3.jar). Without a pom.properties the
// groupId is not known: it is taken from a small table of very common
// artifacts, or from an OSGi Bundle-SymbolicName of the form
// <groupId>.<artifactId>; otherwise the package is listed with Ecosystem ""
// so it is reported but never matched against advisories keyed
// "groupId:artifactId". Metadata says which rule applied.
//
// Archives are read by Prepare while the layer is read; see the limits in
// archive.go (nesting depth, inflated bytes, zip-bomb ratio, entry count).
package java

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/inventory"
)

// Ecosystem is the OSV ecosystem of Maven packages.
const Ecosystem = "Maven"

// How a package was identified (Metadata.IdentifiedBy).
const (
	ByPom      = "pom.properties"
	ByManifest = "MANIFEST.MF"
	ByFileName = "file name"
)

// Metadata is the Java-specific part of a package.
type Metadata struct {
	GroupID    string `json:"groupId,omitempty"`
	ArtifactID string `json:"artifactId"`
	// IdentifiedBy is ByPom, ByManifest or ByFileName.
	IdentifiedBy string `json:"identifiedBy"`
	// GroupFrom says where GroupID came from when no pom.properties gave
	// it: "known artifact" or "Bundle-SymbolicName"; empty with an empty
	// GroupID when it is unknown (the package is then not matched).
	GroupFrom string `json:"groupFrom,omitempty"`
	// Shaded marks a pom.properties of another artifact bundled inside
	// the archive (a shaded or uber jar), when the archive's own one is
	// known.
	Shaded bool `json:"shaded,omitempty"`
}

// Extractor finds Maven artifacts in Java archives. It implements
// extract.Extractor and extract.Preparer.
type Extractor struct{}

var (
	_ extract.Extractor = Extractor{}
	_ extract.Preparer  = Extractor{}
)

// New returns a Java archive extractor.
func New() Extractor { return Extractor{} }

// Name returns "lang/java".
func (Extractor) Name() string { return "lang/java" }

// Version returns 1.
func (Extractor) Version() int { return 1 }

// Wants reports whether path names a Java archive.
func (Extractor) Wants(path string, mode fs.FileMode) bool {
	if mode&(fs.ModeDir|fs.ModeSymlink) != 0 {
		return false
	}
	return isArchive(path)
}

// Extract turns what Prepare found in the file into packages. Given the
// raw archive instead (a zip), it prepares it first. Problems met while
// preparing are returned as an error beside the packages.
func (e Extractor) Extract(ctx context.Context, in extract.Input) ([]inventory.Package, error) {
	content := in.Content
	if bytes.HasPrefix(content, []byte("PK")) {
		var err error
		if content, err = e.Prepare(in.Path, content); err != nil {
			return nil, err
		}
	}
	if len(content) == 0 {
		return nil, nil
	}
	var f Found
	if err := json.Unmarshal(content, &f); err != nil {
		return nil, fmt.Errorf("decode prepared archive: %w", err)
	}
	var pkgs []inventory.Package
	for _, a := range f.Archives {
		if err := ctx.Err(); err != nil {
			return pkgs, err
		}
		pkgs = append(pkgs, identify(in.Path, a)...)
	}
	if len(f.Problems) > 0 {
		return pkgs, errors.New(strings.Join(f.Problems, "; "))
	}
	return pkgs, nil
}

// identify makes the packages of one archive of the file at top.
func identify(top string, a Archive) []inventory.Package {
	full, file := top, top
	var locs []inventory.Location
	if a.Path != "" {
		full = top + "!" + a.Path
		file = a.Path[strings.LastIndexByte(a.Path, '!')+1:]
		locs = []inventory.Location{{Path: full}}
	}
	fileName, fileVersion := splitFileName(file)

	var poms []Pom
	for _, p := range a.Poms {
		if p.ArtifactID != "" && p.Version != "" {
			poms = append(poms, p)
		}
	}
	if len(poms) > 0 {
		self := -1
		if len(poms) == 1 {
			self = 0
		} else {
			for i, p := range poms {
				if p.ArtifactID == fileName {
					self = i
					break
				}
			}
		}
		if self > 0 {
			// The archive itself first, then what it bundles.
			own := poms[self]
			copy(poms[1:self+1], poms[:self])
			poms[0], self = own, 0
		}
		out := make([]inventory.Package, 0, len(poms))
		for i, p := range poms {
			m := Metadata{GroupID: p.GroupID, ArtifactID: p.ArtifactID, IdentifiedBy: ByPom, Shaded: self >= 0 && i != self}
			pkg := newPackage(m, p.Version, locs, inventory.Evidence{Path: full + "!" + p.Path, Match: ByPom})
			if i == self {
				pkg.Licenses = licenses(a.Manifest["Bundle-License"])
			}
			out = append(out, pkg)
		}
		return out
	}

	m := Metadata{ArtifactID: fileName, IdentifiedBy: ByFileName}
	version := fileVersion
	ev := inventory.Evidence{Path: full, Match: ByFileName}
	for _, k := range []string{"Implementation-Version", "Bundle-Version", "Specification-Version"} {
		if v := a.Manifest[k]; v != "" {
			version = v
			m.IdentifiedBy = ByManifest
			ev = inventory.Evidence{Path: full + "!META-INF/MANIFEST.MF", Match: ByManifest + " " + k}
			break
		}
	}
	if m.ArtifactID == "" || version == "" {
		return nil
	}
	if g, ok := knownGroups[m.ArtifactID]; ok {
		m.GroupID, m.GroupFrom = g, "known artifact"
	} else if g := groupFromBundle(a.Manifest["Bundle-SymbolicName"], m.ArtifactID); g != "" {
		m.GroupID, m.GroupFrom = g, "Bundle-SymbolicName"
	}
	pkg := newPackage(m, version, locs, ev)
	pkg.Licenses = licenses(a.Manifest["Bundle-License"])
	return []inventory.Package{pkg}
}

// licenseURLs maps the license URLs common in Bundle-License to SPDX ids.
var licenseURLs = map[string]string{
	"www.apache.org/licenses/license-2.0":      "Apache-2.0",
	"www.apache.org/licenses/license-2.0.txt":  "Apache-2.0",
	"www.apache.org/licenses/license-2.0.html": "Apache-2.0",
	"opensource.org/licenses/mit":              "MIT",
	"opensource.org/licenses/mit-license.php":  "MIT",
	"www.eclipse.org/legal/epl-v10.html":       "EPL-1.0",
	"www.eclipse.org/legal/epl-2.0":            "EPL-2.0",
	"www.gnu.org/licenses/lgpl-2.1.html":       "LGPL-2.1-only",
}

// licenses reads an OSGi Bundle-License header: comma-separated entries,
// each a license id or URL with optional ";" attributes. Known URLs become
// SPDX ids, bare ids are kept, other URLs are dropped.
func licenses(h string) []string {
	var out []string
	for _, part := range strings.Split(h, ",") {
		l, _, _ := strings.Cut(part, ";")
		l = strings.Trim(strings.TrimSpace(l), `"`)
		if l == "" {
			continue
		}
		if i := strings.Index(l, "://"); i >= 0 {
			if id, ok := licenseURLs[strings.TrimSuffix(strings.ToLower(l[i+3:]), "/")]; ok {
				out = append(out, id)
			}
			continue
		}
		if !strings.ContainsAny(l, " \t") {
			out = append(out, l)
		}
	}
	return out
}

func newPackage(m Metadata, version string, locs []inventory.Location, ev inventory.Evidence) inventory.Package {
	name, eco := m.ArtifactID, ""
	if m.GroupID != "" {
		name, eco = m.GroupID+":"+m.ArtifactID, Ecosystem
	}
	return inventory.Package{
		Name:      name,
		Version:   version,
		Type:      packageurl.TypeMaven,
		Ecosystem: eco,
		PURL:      packageurl.NewPackageURL(packageurl.TypeMaven, m.GroupID, m.ArtifactID, version, nil, "").ToString(),
		Locations: locs,
		Evidence:  []inventory.Evidence{ev},
		Metadata:  m,
	}
}

// groupFromBundle returns G when the OSGi Bundle-SymbolicName is
// "G.<artifactId>" (hyphens as dots), the Maven bundle plugin's convention:
// org.mongodb.bson for org.mongodb:bson.
func groupFromBundle(bsn, artifact string) string {
	bsn, _, _ = strings.Cut(bsn, ";")
	bsn = strings.TrimSpace(bsn)
	suffix := "." + strings.ReplaceAll(artifact, "-", ".")
	if g, ok := strings.CutSuffix(bsn, suffix); ok && strings.Contains(g, ".") {
		return g
	}
	return ""
}

// knownGroups maps artifacts often shipped without pom.properties (built
// by distributions with ant) to their Maven Central groupId. Kept small and
// unambiguous.
var knownGroups = map[string]string{
	"commons-logging":          "commons-logging",
	"commons-logging-api":      "commons-logging",
	"commons-logging-adapters": "commons-logging",
	"commons-codec":            "commons-codec",
	"commons-io":               "commons-io",
	"commons-lang":             "commons-lang",
	"commons-collections":      "commons-collections",
	"commons-beanutils":        "commons-beanutils",
	"commons-fileupload":       "commons-fileupload",
	"commons-cli":              "commons-cli",
	"commons-net":              "commons-net",
	"commons-lang3":            "org.apache.commons",
	"commons-text":             "org.apache.commons",
	"commons-compress":         "org.apache.commons",
	"commons-collections4":     "org.apache.commons",
	"log4j":                    "log4j",
	"bson":                     "org.mongodb",
	"mongo-java-driver":        "org.mongodb",
	"mongodb-driver":           "org.mongodb",
	"mongodb-driver-core":      "org.mongodb",
	"mongodb-driver-async":     "org.mongodb",
	"junit":                    "junit",
}
