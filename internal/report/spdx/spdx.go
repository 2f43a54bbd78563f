// Package spdx encodes a report as an SPDX 2.3 document, in JSON or
// tag-value (https://spdx.github.io/spdx-spec/v2.3/): the image is the
// described root package, every inventory package a package of it, and
// relationships DESCRIBES, CONTAINS and DEPENDS_ON link them.
package spdx

import (
	_ "embed"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"
	"github.com/spdx/tools-golang/tagvalue"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
)

// NamespaceBase prefixes every documentNamespace customs writes.
const NamespaceBase = "https://github.com/customs-scanner/customs/spdx/"

const noAssertion = "NOASSERTION"

// Element IDs (without the SPDXRef- prefix the writers add).
const (
	imageID = "Image"
	osID    = "OperatingSystem"
)

// PackageID is the SPDX element ID of an inventory package: "Package-" and
// its customs ID (already [0-9a-f]).
func PackageID(id string) common.ElementID {
	return common.ElementID("Package-" + sanitize(id))
}

// Encoder writes an SPDX 2.3 document: JSON, or tag-value when TagValue is set.
type Encoder struct {
	TagValue bool
}

// Encode writes r to w.
func (e Encoder) Encode(w io.Writer, r *report.Report) error {
	doc := Document(r)
	if e.TagValue {
		// The tag-value spelling of the purposes uses hyphens (spec 7.24).
		for _, p := range doc.Packages {
			p.PrimaryPackagePurpose = strings.ReplaceAll(p.PrimaryPackagePurpose, "_", "-")
		}
		if err := tagvalue.Write(doc, w); err != nil {
			return fmt.Errorf("encode spdx tag-value: %w", err)
		}
		return nil
	}
	if err := spdxjson.Write(doc, w, spdxjson.Indent("  "), spdxjson.EscapeHTML(false)); err != nil {
		return fmt.Errorf("encode spdx json: %w", err)
	}
	return nil
}

// Document builds the SPDX document for r. It depends only on r: the
// namespace is derived from the image digest and the creation time is
// r.CreatedAt.
func Document(r *report.Report) *v2_3.Document {
	created := r.CreatedAt
	if created.IsZero() {
		created = time.Unix(0, 0)
	}
	tool := r.Tool.Name
	if tool == "" {
		tool = "customs"
	}
	if r.Tool.Version != "" {
		tool += "-" + r.Tool.Version
	}
	doc := &v2_3.Document{
		SPDXVersion:       v2_3.Version,
		DataLicense:       v2_3.DataLicense,
		SPDXIdentifier:    "DOCUMENT",
		DocumentName:      r.Target.Ref,
		DocumentNamespace: Namespace(r),
		CreationInfo: &v2_3.CreationInfo{
			LicenseListVersion: licenseListVersion,
			Creators:           []common.Creator{{CreatorType: "Tool", Creator: tool}},
			Created:            created.UTC().Format(time.RFC3339),
		},
	}
	if doc.DocumentName == "" {
		doc.DocumentName = "image"
	}
	lic := newLicenses()
	doc.Packages = append(doc.Packages, imagePackage(r.Target))
	rel := func(a common.ElementID, typ string, b common.ElementID) {
		doc.Relationships = append(doc.Relationships, &v2_3.Relationship{
			RefA: common.MakeDocElementID("", string(a)), RefB: common.MakeDocElementID("", string(b)), Relationship: typ,
		})
	}
	rel("DOCUMENT", common.TypeRelationshipDescribe, imageID)
	if r.OS != nil && r.OS.Family != "" {
		doc.Packages = append(doc.Packages, &v2_3.Package{
			PackageName:               r.OS.Family,
			PackageSPDXIdentifier:     osID,
			PackageVersion:            r.OS.Version,
			PackageDownloadLocation:   noAssertion,
			PackageDescription:        r.OS.Name,
			PrimaryPackagePurpose:     "OPERATING_SYSTEM",
			IsFilesAnalyzedTagPresent: true,
		})
		rel(imageID, common.TypeRelationshipContains, osID)
	}

	advisories := advisoriesByPackage(r.Findings)
	known := map[string]bool{}
	var ids []string
	for _, p := range slices.Concat(r.Packages, r.Owned) {
		if known[p.ID] {
			continue
		}
		known[p.ID] = true
		ids = append(ids, p.ID)
		doc.Packages = append(doc.Packages, pkg(p, lic, advisories[p.ID]))
	}

	contained := map[string]bool{}
	var edges []*v2_3.Relationship
	for _, x := range r.Relationships {
		if !known[x.From] || !known[x.To] {
			continue
		}
		typ := ""
		switch x.Type {
		case inventory.Contains:
			typ = common.TypeRelationshipContains
			contained[x.To] = true
		case inventory.DependsOn:
			typ = common.TypeRelationshipDependsOn
		default:
			continue
		}
		edges = append(edges, &v2_3.Relationship{
			RefA: common.MakeDocElementID("", string(PackageID(x.From))), RefB: common.MakeDocElementID("", string(PackageID(x.To))), Relationship: typ,
		})
	}
	for _, id := range ids {
		if !contained[id] {
			rel(imageID, common.TypeRelationshipContains, PackageID(id))
		}
	}
	slices.SortFunc(edges, func(a, b *v2_3.Relationship) int {
		return strings.Compare(relKey(a), relKey(b))
	})
	edges = slices.CompactFunc(edges, func(a, b *v2_3.Relationship) bool { return relKey(a) == relKey(b) })
	doc.Relationships = append(doc.Relationships, edges...)
	doc.OtherLicenses = lic.others()
	return doc
}

func relKey(r *v2_3.Relationship) string {
	return string(r.RefA.ElementRefID) + " " + r.Relationship + " " + string(r.RefB.ElementRefID)
}

// Namespace is the document's unique URI: the image reference and a
// name-based UUID of the image digest.
func Namespace(r *report.Report) string {
	name := sanitizeName(r.Target.Ref)
	return NamespaceBase + name + "-" + uuid.NewSHA1(uuid.NameSpaceURL, []byte(NamespaceBase+r.Target.Digest())).String()
}

func imagePackage(t report.Target) *v2_3.Package {
	p := &v2_3.Package{
		PackageName:               t.Ref,
		PackageSPDXIdentifier:     imageID,
		PackageVersion:            t.Digest(),
		PackageDownloadLocation:   noAssertion,
		PrimaryPackagePurpose:     "CONTAINER",
		IsFilesAnalyzedTagPresent: true,
	}
	if p.PackageName == "" {
		p.PackageName = "image"
	}
	if hexv, ok := strings.CutPrefix(t.ManifestDigest, "sha256:"); ok && len(hexv) == 64 {
		p.PackageChecksums = []common.Checksum{{Algorithm: common.SHA256, Value: hexv}}
	}
	for _, d := range t.RepoDigests {
		if pu := ociPURL(d, t.Architecture); pu != "" {
			p.PackageExternalReferences = append(p.PackageExternalReferences, &v2_3.PackageExternalReference{
				Category: common.CategoryPackageManager, RefType: common.TypePackageManagerPURL, Locator: pu,
			})
		}
	}
	var c []string
	if t.ImageID != "" {
		c = append(c, "image ID "+t.ImageID)
	}
	if len(t.RepoTags) > 0 {
		c = append(c, "tags "+strings.Join(t.RepoTags, ", "))
	}
	for i, l := range t.Layers {
		c = append(c, fmt.Sprintf("layer %d %s %s", i, l.DiffID, strings.TrimSpace(l.CreatedBy)))
	}
	p.PackageComment = strings.Join(c, "\n")
	return p
}

// ociPURL turns "name@sha256:..." into pkg:oci/NAME@sha256%3A...
// (purl-spec oci type: the name is the last path segment, repository_url
// the rest).
func ociPURL(repoDigest, arch string) string {
	repo, digest, ok := strings.Cut(repoDigest, "@")
	if !ok || !strings.HasPrefix(digest, "sha256:") {
		return ""
	}
	name := strings.ToLower(repo[strings.LastIndex(repo, "/")+1:])
	q := "?repository_url=" + strings.ToLower(repo)
	if arch != "" {
		q += "&arch=" + arch
	}
	return "pkg:oci/" + name + "@" + strings.Replace(digest, ":", "%3A", 1) + q
}

func pkg(p inventory.Package, lic *licenses, advisories []string) *v2_3.Package {
	sp := &v2_3.Package{
		PackageName:               p.Name,
		PackageSPDXIdentifier:     PackageID(p.ID),
		PackageVersion:            p.Version,
		PackageDownloadLocation:   noAssertion,
		PackageLicenseConcluded:   noAssertion,
		PackageLicenseDeclared:    lic.expression(p.Licenses),
		PackageCopyrightText:      noAssertion,
		PrimaryPackagePurpose:     "LIBRARY",
		IsFilesAnalyzedTagPresent: true,
	}
	if len(p.Evidence) > 0 {
		sp.PrimaryPackagePurpose = "APPLICATION"
	}
	if p.SourceName != "" && (p.SourceName != p.Name || p.SourceVersion != p.Version) {
		sp.PackageSourceInfo = "built package from: " + strings.TrimSpace(p.SourceName+" "+p.SourceVersion)
	}
	if p.PURL != "" {
		sp.PackageExternalReferences = append(sp.PackageExternalReferences, &v2_3.PackageExternalReference{
			Category: common.CategoryPackageManager, RefType: common.TypePackageManagerPURL, Locator: p.PURL,
		})
	}
	for _, c := range p.CPEs {
		typ := common.TypeSecurityCPE23Type
		if strings.HasPrefix(c, "cpe:/") {
			typ = common.TypeSecurityCPE22Type
		}
		sp.PackageExternalReferences = append(sp.PackageExternalReferences, &v2_3.PackageExternalReference{
			Category: common.CategorySecurity, RefType: typ, Locator: c,
		})
	}
	for _, u := range advisories {
		sp.PackageExternalReferences = append(sp.PackageExternalReferences, &v2_3.PackageExternalReference{
			Category: common.CategorySecurity, RefType: common.TypeSecurityAdvisory, Locator: u,
		})
	}
	var c []string
	if p.Layer != "" {
		c = append(c, "layer "+p.Layer)
	}
	if p.CreatedBy != "" {
		c = append(c, "created by "+strings.TrimSpace(p.CreatedBy))
	}
	for _, l := range p.Locations {
		c = append(c, "path /"+strings.TrimPrefix(l.Path, "/"))
	}
	for _, e := range p.Evidence {
		c = append(c, fmt.Sprintf("evidence /%s: %s", strings.TrimPrefix(e.Path, "/"), e.Match))
	}
	sp.PackageComment = strings.Join(c, "\n")
	return sp
}

// advisoriesByPackage lists, per package ID, the advisory URLs of the
// findings that affect it (SPDX 2.3 has no vulnerability section; an
// external SECURITY advisory reference is the spec's way, annex F).
func advisoriesByPackage(fs []report.Finding) map[string][]string {
	out := map[string][]string{}
	for _, f := range fs {
		if f.Status == report.StatusNotAffected || f.Status == report.StatusUndetermined {
			continue
		}
		if u := report.AdvisoryURL(f.VulnerabilityID); u != "" {
			out[f.PackageID] = append(out[f.PackageID], u)
		}
	}
	for id, us := range out {
		out[id] = slices.Compact(slices.Sorted(slices.Values(us)))
	}
	return out
}

var notIDChar = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

// sanitize makes s usable in an SPDX idstring ([A-Za-z0-9.-]+).
func sanitize(s string) string {
	s = strings.Trim(notIDChar.ReplaceAllString(s, "-"), "-")
	if s == "" {
		return "unknown"
	}
	return s
}

var notNameChar = regexp.MustCompile(`[^A-Za-z0-9._~-]+`)

func sanitizeName(s string) string {
	s = strings.Trim(notNameChar.ReplaceAllString(s, "-"), "-")
	if s == "" {
		return "image"
	}
	return s
}
