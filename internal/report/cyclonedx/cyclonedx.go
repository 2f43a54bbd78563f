// Package cyclonedx encodes a report as a CycloneDX 1.6 BOM, in JSON or XML
// (https://cyclonedx.org/docs/1.6/json/): the image is metadata.component,
// every package a component, relationships the dependency graph and
// findings the vulnerabilities.
package cyclonedx

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/uuid"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
)

// Property names customs adds to components and vulnerabilities, namespaced
// as the CycloneDX property taxonomy asks (https://github.com/CycloneDX/cyclonedx-property-taxonomy).
const (
	PropLayerDiffID    = "customs:layer:diffID"
	PropLayerCreatedBy = "customs:layer:createdBy"
	PropLocationPath   = "customs:location:path"
	PropPackageType    = "customs:package:type"
	PropFoundBy        = "customs:package:foundBy"
	PropSourceName     = "customs:package:sourceName"
	PropSourceVersion  = "customs:package:sourceVersion"
	PropEvidence       = "customs:package:evidence"
	PropStatus         = "customs:finding:status"
	PropStatusDetail   = "customs:finding:statusDetail"
	PropComparison     = "customs:finding:comparison"
	PropFixedVersion   = "customs:finding:fixedVersion"
	PropKEVDateAdded   = "customs:kev:dateAdded"
	PropEPSSScore      = "customs:epss:score"
	PropEPSSPercentile = "customs:epss:percentile"
	PropArchitecture   = "customs:image:architecture"
	PropRepoTag        = "customs:image:repoTag"
	PropRepoDigest     = "customs:image:repoDigest"
	PropImageID        = "customs:image:imageID"
)

// RootRef is the bom-ref of the image component (metadata.component).
const RootRef = "image"

// Encoder writes a CycloneDX 1.6 BOM: JSON, or XML when XML is set.
type Encoder struct {
	XML bool
}

// Encode writes r to w.
func (e Encoder) Encode(w io.Writer, r *report.Report) error {
	format := cdx.BOMFileFormatJSON
	if e.XML {
		format = cdx.BOMFileFormatXML
	}
	enc := cdx.NewBOMEncoder(w, format)
	enc.SetPretty(true)
	enc.SetEscapeHTML(false)
	if err := enc.EncodeVersion(BOM(r), cdx.SpecVersion1_6); err != nil {
		return fmt.Errorf("encode cyclonedx: %w", err)
	}
	return nil
}

// BOM builds the CycloneDX document for r. The output depends only on r:
// the serial number is derived from the image digest and the only
// timestamp is r.CreatedAt.
func BOM(r *report.Report) *cdx.BOM {
	bom := cdx.NewBOM()
	bom.SerialNumber = SerialNumber(r)
	bom.Metadata = metadata(r)

	pkgs := slices.Concat(r.Packages, r.Owned)
	known := map[string]bool{RootRef: true}
	var comps []cdx.Component
	if c := osComponent(r.OS); c != nil {
		comps = append(comps, *c)
		known[c.BOMRef] = true
	}
	for _, p := range pkgs {
		if known[p.ID] {
			continue // an owned package repeated in Packages (--show-owned)
		}
		known[p.ID] = true
		comps = append(comps, component(p))
	}
	if len(comps) > 0 {
		bom.Components = &comps
	}
	if deps := dependencies(r, pkgs, known); len(deps) > 0 {
		bom.Dependencies = &deps
	}
	if vulns := vulnerabilities(r, known); len(vulns) > 0 {
		bom.Vulnerabilities = &vulns
	}
	return bom
}

// SerialNumber is the BOM's urn:uuid, a name-based (SHA-1) UUID of the
// image digest, so scanning the same image twice names the same BOM.
func SerialNumber(r *report.Report) string {
	return "urn:uuid:" + uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://customs.invalid/cyclonedx/"+r.Target.Digest())).String()
}

func metadata(r *report.Report) *cdx.Metadata {
	m := &cdx.Metadata{}
	if !r.CreatedAt.IsZero() {
		m.Timestamp = r.CreatedAt.UTC().Format(time.RFC3339)
	}
	name := r.Tool.Name
	if name == "" {
		name = "customs"
	}
	m.Tools = &cdx.ToolsChoice{Components: &[]cdx.Component{{Type: cdx.ComponentTypeApplication, Name: name, Version: r.Tool.Version}}}

	t := r.Target
	root := &cdx.Component{BOMRef: RootRef, Type: cdx.ComponentTypeContainer, Name: t.Ref, Version: t.Digest()}
	if alg, hexv, ok := strings.Cut(root.Version, ":"); ok && alg == "sha256" && len(hexv) == 64 && t.ManifestDigest != "" {
		root.Hashes = &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: hexv}}
	}
	var props []cdx.Property
	if t.ImageID != "" {
		props = append(props, cdx.Property{Name: PropImageID, Value: t.ImageID})
	}
	if t.Architecture != "" {
		props = append(props, cdx.Property{Name: PropArchitecture, Value: t.Architecture})
	}
	for _, tag := range t.RepoTags {
		props = append(props, cdx.Property{Name: PropRepoTag, Value: tag})
	}
	for _, d := range t.RepoDigests {
		props = append(props, cdx.Property{Name: PropRepoDigest, Value: d})
	}
	for _, l := range t.Layers {
		props = append(props, cdx.Property{Name: PropLayerDiffID, Value: l.DiffID})
	}
	if len(props) > 0 {
		root.Properties = &props
	}
	m.Component = root
	return m
}

func osRef(o *inventory.OS) string { return "os:" + o.Family + "@" + o.Version }

func osComponent(o *inventory.OS) *cdx.Component {
	if o == nil || o.Family == "" {
		return nil
	}
	c := &cdx.Component{BOMRef: osRef(o), Type: cdx.ComponentTypeOS, Name: o.Family, Version: o.Version, Description: o.Name}
	return c
}

func component(p inventory.Package) cdx.Component {
	c := cdx.Component{
		BOMRef:     p.ID,
		Type:       cdx.ComponentTypeLibrary,
		Name:       p.Name,
		Version:    p.Version,
		PackageURL: p.PURL,
	}
	// A package identified from file contents, not from a package manager or
	// a lockfile, is a program found on disk.
	if len(p.Evidence) > 0 {
		c.Type = cdx.ComponentTypeApplication
	}
	if len(p.CPEs) > 0 {
		c.CPE = p.CPEs[0]
	}
	c.Licenses = licenseChoices(p.Licenses)
	props := []cdx.Property{{Name: PropPackageType, Value: p.Type}}
	if p.FoundBy != "" {
		props = append(props, cdx.Property{Name: PropFoundBy, Value: p.FoundBy})
	}
	if p.SourceName != "" {
		props = append(props, cdx.Property{Name: PropSourceName, Value: p.SourceName})
	}
	if p.SourceVersion != "" {
		props = append(props, cdx.Property{Name: PropSourceVersion, Value: p.SourceVersion})
	}
	if p.Layer != "" {
		props = append(props, cdx.Property{Name: PropLayerDiffID, Value: p.Layer})
	}
	if p.CreatedBy != "" {
		props = append(props, cdx.Property{Name: PropLayerCreatedBy, Value: p.CreatedBy})
	}
	for _, l := range p.Locations {
		props = append(props, cdx.Property{Name: PropLocationPath, Value: "/" + strings.TrimPrefix(l.Path, "/")})
	}
	for _, ev := range p.Evidence {
		props = append(props, cdx.Property{Name: PropEvidence, Value: "/" + strings.TrimPrefix(ev.Path, "/") + ": " + ev.Match})
	}
	c.Properties = &props
	return c
}

// dependencies turns depends-on and contains relationships into the
// CycloneDX dependency graph. The image depends on the OS and on every
// package no other package contains.
func dependencies(r *report.Report, pkgs []inventory.Package, known map[string]bool) []cdx.Dependency {
	edges := map[string][]string{}
	contained := map[string]bool{}
	for _, rel := range r.Relationships {
		if !known[rel.From] || !known[rel.To] {
			continue
		}
		if rel.Type != inventory.DependsOn && rel.Type != inventory.Contains {
			continue
		}
		if rel.Type == inventory.Contains {
			contained[rel.To] = true
		}
		edges[rel.From] = append(edges[rel.From], rel.To)
	}
	var top []string
	if r.OS != nil && r.OS.Family != "" {
		top = append(top, osRef(r.OS))
	}
	seen := map[string]bool{}
	for _, p := range pkgs {
		if seen[p.ID] {
			continue
		}
		seen[p.ID] = true
		if !contained[p.ID] {
			top = append(top, p.ID)
		}
	}
	var deps []cdx.Dependency
	if len(top) > 0 {
		slices.Sort(top)
		deps = append(deps, cdx.Dependency{Ref: RootRef, Dependencies: &top})
	}
	froms := make([]string, 0, len(edges))
	for from := range edges {
		froms = append(froms, from)
	}
	slices.Sort(froms)
	for _, from := range froms {
		to := slices.Compact(slices.Sorted(slices.Values(edges[from])))
		deps = append(deps, cdx.Dependency{Ref: from, Dependencies: &to})
	}
	return deps
}

// vulnerabilities has one entry per finding, sorted by vulnerability ID
// then package, so each carries its own status and fix. Findings a VEX
// statement or an exception suppressed are there too, with the analysis
// that statement made (see analysis.go); baseline-suppressed ones are not.
func vulnerabilities(r *report.Report, known map[string]bool) []cdx.Vulnerability {
	type entry struct {
		f report.Finding
		a *cdx.VulnerabilityAnalysis
	}
	entries := make([]entry, 0, len(r.Findings))
	for _, f := range r.Findings {
		entries = append(entries, entry{f, noteAnalysis(f.VEX)})
	}
	for _, s := range r.Suppressed {
		if a := suppressedAnalysis(s); a != nil {
			entries = append(entries, entry{s.Finding, a})
		}
	}
	slices.SortStableFunc(entries, func(a, b entry) int {
		if c := strings.Compare(a.f.VulnerabilityID, b.f.VulnerabilityID); c != 0 {
			return c
		}
		return strings.Compare(a.f.PackageID, b.f.PackageID)
	})
	out := make([]cdx.Vulnerability, 0, len(entries))
	seen := map[string]bool{}
	for _, e := range entries {
		v := vulnerability(e.f, known)
		if seen[v.BOMRef] {
			continue // bom-refs are unique in a BOM
		}
		seen[v.BOMRef] = true
		v.Analysis = e.a
		out = append(out, v)
	}
	return out
}

func vulnerability(f report.Finding, known map[string]bool) cdx.Vulnerability {
	v := cdx.Vulnerability{
		BOMRef:      f.VulnerabilityID + "/" + f.PackageID,
		ID:          f.VulnerabilityID,
		Description: f.Title,
	}
	if len(f.Evidence) > 0 && f.Evidence[0].Source != "" {
		v.Source = &cdx.Source{Name: f.Evidence[0].Source}
	}
	if u := advisoryURL(f.VulnerabilityID); u != "" {
		v.Advisories = &[]cdx.Advisory{{URL: u}}
	}
	if len(f.Aliases) > 0 {
		refs := make([]cdx.VulnerabilityReference, 0, len(f.Aliases))
		for _, a := range slices.Sorted(slices.Values(f.Aliases)) {
			refs = append(refs, cdx.VulnerabilityReference{ID: a, Source: &cdx.Source{URL: advisoryURL(a)}})
		}
		v.References = &refs
	}
	var ratings []cdx.VulnerabilityRating
	for _, c := range f.CVSS {
		score := c.Score
		ratings = append(ratings, cdx.VulnerabilityRating{
			Source:   &cdx.Source{Name: c.Source},
			Score:    &score,
			Severity: cvssSeverity(c),
			Method:   cvssMethod(c.Version),
			Vector:   c.Vector,
		})
	}
	if s := severity(f.Severity); s != cdx.SeverityUnknown || len(ratings) == 0 {
		rt := cdx.VulnerabilityRating{Severity: s, Method: cdx.ScoringMethodOther}
		if f.SeveritySource != "" {
			rt.Source = &cdx.Source{Name: f.SeveritySource}
		}
		ratings = append(ratings, rt)
	}
	v.Ratings = &ratings
	if f.FixedVersion != "" && f.Status != report.StatusNotAffected {
		v.Recommendation = fmt.Sprintf("Upgrade %s to %s", f.PackageName, f.FixedVersion)
	}
	if known[f.PackageID] {
		st := cdx.VulnerabilityStatusAffected
		switch f.Status {
		case report.StatusNotAffected:
			st = cdx.VulnerabilityStatusNotAffected
		case report.StatusUndetermined:
			st = cdx.VulnerabilityStatusUnknown
		}
		v.Affects = &[]cdx.Affects{{Ref: f.PackageID, Range: &[]cdx.AffectedVersions{{Version: f.PackageVersion, Status: st}}}}
	}
	props := []cdx.Property{{Name: PropStatus, Value: f.Status}}
	if d := strings.TrimSpace(f.StatusDetail); d != "" {
		props = append(props, cdx.Property{Name: PropStatusDetail, Value: d})
	}
	// The version test the scan made, or why it could not decide.
	if len(f.Evidence) > 0 {
		if c := cmp.Or(f.Evidence[0].Comparison, f.Evidence[0].Reason); c != "" {
			props = append(props, cdx.Property{Name: PropComparison, Value: c})
		}
	}
	if f.FixedVersion != "" {
		props = append(props, cdx.Property{Name: PropFixedVersion, Value: f.FixedVersion})
	}
	if f.KEV != nil {
		props = append(props, cdx.Property{Name: PropKEVDateAdded, Value: f.KEV.DateAdded})
	}
	if f.EPSS != nil {
		props = append(props,
			cdx.Property{Name: PropEPSSScore, Value: strconv.FormatFloat(f.EPSS.Score, 'f', -1, 64)},
			cdx.Property{Name: PropEPSSPercentile, Value: strconv.FormatFloat(f.EPSS.Percentile, 'f', -1, 64)})
	}
	v.Properties = &props
	return v
}

func advisoryURL(id string) string {
	switch {
	case strings.HasPrefix(id, "CVE-"):
		return "https://nvd.nist.gov/vuln/detail/" + id
	case strings.HasPrefix(id, "GHSA-"):
		return "https://github.com/advisories/" + id
	case strings.HasPrefix(id, "GO-"), strings.HasPrefix(id, "PYSEC-"), strings.HasPrefix(id, "RUSTSEC-"):
		return "https://osv.dev/vulnerability/" + id
	}
	return ""
}

func severity(s string) cdx.Severity {
	switch strings.ToUpper(s) {
	case "CRITICAL":
		return cdx.SeverityCritical
	case "HIGH":
		return cdx.SeverityHigh
	case "MEDIUM":
		return cdx.SeverityMedium
	case "LOW":
		return cdx.SeverityLow
	case "NEGLIGIBLE":
		return cdx.SeverityInfo
	}
	return cdx.SeverityUnknown
}

// cvssSeverity is the qualitative rating of a score (CVSS v3.1 spec
// section 5; v2 has no critical band).
func cvssSeverity(c report.CVSS) cdx.Severity {
	s := c.Score
	switch {
	case strings.HasPrefix(c.Version, "2"):
		switch {
		case s >= 7:
			return cdx.SeverityHigh
		case s >= 4:
			return cdx.SeverityMedium
		}
		return cdx.SeverityLow
	case s >= 9:
		return cdx.SeverityCritical
	case s >= 7:
		return cdx.SeverityHigh
	case s >= 4:
		return cdx.SeverityMedium
	case s > 0:
		return cdx.SeverityLow
	}
	return cdx.SeverityNone
}

func cvssMethod(version string) cdx.ScoringMethod {
	switch version {
	case "2", "2.0":
		return cdx.ScoringMethodCVSSv2
	case "3", "3.0":
		return cdx.ScoringMethodCVSSv3
	case "3.1":
		return cdx.ScoringMethodCVSSv31
	case "4", "4.0":
		return cdx.ScoringMethodCVSSv4
	}
	return cdx.ScoringMethodOther
}
