package vex

import (
	"net/url"
	"sort"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/target"
)

// Apply applies the statements of docs to r. For each finding the latest
// matching statement wins (by timestamp, then by order: later documents and
// later statements win ties). not_affected and fixed move the finding to
// r.Suppressed; under_investigation and affected set Finding.VEX.
// It returns how many findings were suppressed and annotated.
//
// A statement matches a finding when its vulnerability or an alias equals
// the finding's ID or an alias, and one of its products is either the
// finding's package (a PURL; without version it matches any version,
// qualifiers it gives must agree) or the scanned image or a package of the
// report, with no subcomponents or a subcomponent that is the finding's
// package. The image is identified by its manifest digest, image ID
// (config digest, for an image without a repo digest), repo digests, repo
// tags or the reference scanned, and pkg:oci PURLs of any of them.
func Apply(r *report.Report, docs []*Document) (suppressed, annotated int) {
	id := identify(r)
	// Index the statements by vulnerability ID and alias so each finding
	// looks only at statements about its own IDs.
	type ref struct{ doc, stmt int }
	byID := map[string][]ref{}
	for di, d := range docs {
		for si, s := range d.Statements {
			seen := map[string]bool{}
			for _, v := range append([]string{s.Vulnerability}, s.Aliases...) {
				k := strings.ToUpper(v)
				if k != "" && !seen[k] {
					seen[k] = true
					byID[k] = append(byID[k], ref{di, si})
				}
			}
		}
	}
	kept := make([]report.Finding, 0, len(r.Findings))
	for _, f := range r.Findings {
		var cands []ref
		seen := map[ref]bool{}
		for _, v := range append([]string{f.VulnerabilityID}, f.Aliases...) {
			for _, c := range byID[strings.ToUpper(v)] {
				if !seen[c] {
					seen[c] = true
					cands = append(cands, c)
				}
			}
		}
		// Input order decides ties: later documents and statements win.
		sort.Slice(cands, func(i, j int) bool {
			if cands[i].doc != cands[j].doc {
				return cands[i].doc < cands[j].doc
			}
			return cands[i].stmt < cands[j].stmt
		})
		var best *Statement
		for _, c := range cands {
			s := &docs[c.doc].Statements[c.stmt]
			if !id.matchesProduct(s.Products, f.PURL) {
				continue
			}
			if best == nil || !s.Timestamp.Before(best.Timestamp) {
				best = s
			}
		}
		switch {
		case best == nil:
			kept = append(kept, f)
		case best.Status == NotAffected || best.Status == Fixed:
			reason := best.Impact
			if reason == "" {
				reason = best.Justification
			}
			r.Suppressed = append(r.Suppressed, report.Suppression{
				Finding: f, By: report.SuppressedByVEX, Reason: reason,
				Status: best.Status, Justification: best.Justification, Source: best.Source,
			})
			suppressed++
		default:
			f.VEX = &report.VEXNote{Status: best.Status, Justification: best.Justification, Statement: best.Impact, ActionStatement: best.Action, Source: best.Source}
			kept = append(kept, f)
			annotated++
		}
	}
	r.Findings = kept
	return suppressed, annotated
}

// identity is what names the scanned target.
type identity struct {
	digests  map[string]bool // "sha256:..."
	names    map[string]bool // normalised "repo:tag"
	packages map[string]bool // PURLs of the report's packages, without qualifiers
}

func identify(r *report.Report) identity {
	id := identity{digests: map[string]bool{}, names: map[string]bool{}, packages: map[string]bool{}}
	for _, d := range []string{r.Target.ManifestDigest, r.Target.ImageID} {
		if d != "" {
			id.digests[strings.ToLower(d)] = true
		}
	}
	for _, rd := range r.Target.RepoDigests {
		if i := strings.LastIndexByte(rd, '@'); i >= 0 {
			id.digests[strings.ToLower(rd[i+1:])] = true
		}
	}
	for _, t := range r.Target.RepoTags {
		id.names[normalizeRef(t)] = true
	}
	if ref := r.Target.Ref; ref != "" {
		if i := strings.LastIndexByte(ref, '@'); i >= 0 && strings.HasPrefix(ref[i+1:], "sha256:") {
			id.digests[strings.ToLower(ref[i+1:])] = true
		}
		id.names[normalizeRef(target.Parse(ref).Name)] = true
	}
	for _, p := range r.Packages {
		if k := purlKey(p.PURL, true); k != "" {
			id.packages[k] = true
			id.packages[purlKey(p.PURL, false)] = true
		}
	}
	return id
}

func (id identity) matchesProduct(products []Product, pkgPURL string) bool {
	for _, p := range products {
		if len(p.Subcomponents) == 0 && purlMatches(p.ID, pkgPURL) {
			return true
		}
		if !id.isTarget(p.ID) {
			continue
		}
		if len(p.Subcomponents) == 0 {
			return true
		}
		for _, s := range p.Subcomponents {
			if purlMatches(s, pkgPURL) {
				return true
			}
		}
	}
	return false
}

// isTarget reports whether a product ID names the scanned image or a
// package in the report (the root component of an SBOM, say).
func (id identity) isTarget(product string) bool {
	if strings.HasPrefix(product, "pkg:") {
		p, err := packageurl.FromString(product)
		if err != nil {
			return false
		}
		if p.Type == "oci" || p.Type == "docker" {
			if p.Version != "" && strings.Contains(p.Version, ":") {
				return id.digests[strings.ToLower(p.Version)]
			}
			q := p.Qualifiers.Map()
			repo := q["repository_url"]
			if repo == "" {
				repo = p.Name
				if p.Namespace != "" {
					repo = p.Namespace + "/" + p.Name
				}
			}
			tag := q["tag"]
			if tag == "" {
				tag = p.Version
			}
			return tag != "" && id.names[normalizeRef(repo+":"+tag)]
		}
		return id.packages[purlKey(product, p.Version != "")]
	}
	if strings.HasPrefix(product, "sha256:") {
		return id.digests[strings.ToLower(product)]
	}
	if i := strings.LastIndexByte(product, '@'); i >= 0 {
		return id.digests[strings.ToLower(product[i+1:])]
	}
	return id.names[normalizeRef(product)]
}

// identityQualifiers are the PURL qualifiers that tell artifacts apart;
// others (distro, repository_url, ...) are spelled differently by different
// tools and are ignored.
var identityQualifiers = []string{"arch", "epoch", "type", "classifier"}

// purlMatches reports whether the package PURL got is the one pattern names:
// type, namespace and name equal; the version, when pattern has one, equal;
// every identity qualifier (arch, epoch, type, classifier) that both give,
// equal.
func purlMatches(pattern, got string) bool {
	if !strings.HasPrefix(pattern, "pkg:") || got == "" {
		return false
	}
	p, err := packageurl.FromString(pattern)
	if err != nil {
		return false
	}
	g, err := packageurl.FromString(got)
	if err != nil {
		return false
	}
	if !strings.EqualFold(p.Type, g.Type) || p.Namespace != g.Namespace || p.Name != g.Name {
		return false
	}
	if p.Version != "" && p.Version != g.Version {
		return false
	}
	pq, gq := p.Qualifiers.Map(), g.Qualifiers.Map()
	for _, k := range identityQualifiers {
		pv, ok1 := pq[k]
		gv, ok2 := gq[k]
		if ok1 && ok2 && pv != gv {
			return false
		}
	}
	return true
}

// purlKey is a PURL without qualifiers and subpath, and without version
// unless withVersion, for set lookups.
func purlKey(s string, withVersion bool) string {
	p, err := packageurl.FromString(s)
	if err != nil {
		return ""
	}
	p.Qualifiers, p.Subpath = nil, ""
	if !withVersion {
		p.Version = ""
	}
	return p.ToString()
}

// normalizeRef normalises an image reference for comparison: Docker Hub's
// default registry and library/ namespace are dropped, a missing tag is
// "latest", and a URL-encoded repository_url is decoded.
func normalizeRef(ref string) string {
	if u, err := url.PathUnescape(ref); err == nil {
		ref = u
	}
	ref = strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(ref, "https://"), "http://"))
	if i := strings.LastIndexByte(ref, '@'); i >= 0 {
		ref = ref[:i]
	}
	for _, p := range []string{"docker.io/", "index.docker.io/", "registry-1.docker.io/"} {
		ref = strings.TrimPrefix(ref, p)
	}
	ref = strings.TrimPrefix(ref, "library/")
	if i := strings.LastIndexByte(ref, ':'); i < 0 || strings.Contains(ref[i:], "/") {
		ref += ":latest"
	}
	return ref
}
