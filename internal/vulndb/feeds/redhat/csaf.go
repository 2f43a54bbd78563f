// Package redhat imports Red Hat's security data in CSAF 2.0 form: the
// advisory documents (RHSA, one per erratum, under
// https://security.access.redhat.com/data/csaf/v2/advisories/) and the VEX
// documents (one per CVE, under .../csaf/v2/vex/). Both share one structure
// (https://docs.oasis-open.org/csaf/csaf/v2.0/os/csaf-v2.0-os.html): a
// product tree whose relationships join rpm components to RHEL platform
// products, and per-vulnerability product status lists.
package redhat

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/vulndb"
)

// Source is the Advisory.Source of every advisory this package produces.
const Source = "redhat-csaf"

// CVSSSource is the CVSS.Source of Red Hat's scores, named as NVD names
// Red Hat's CNA.
const CVSSSource = "secalert@redhat.com"

// document is a CSAF 2.0 document; only the fields used are declared.
type document struct {
	Document struct {
		CSAFVersion string      `json:"csaf_version"`
		References  []reference `json:"references"`
		Tracking    struct {
			ID                 string `json:"id"`
			CurrentReleaseDate string `json:"current_release_date"`
		} `json:"tracking"`
	} `json:"document"`
	ProductTree struct {
		Branches         []branch       `json:"branches"`
		FullProductNames []product      `json:"full_product_names"`
		Relationships    []relationship `json:"relationships"`
	} `json:"product_tree"`
	Vulnerabilities []vulnerability `json:"vulnerabilities"`
}

type reference struct {
	Category string `json:"category"`
	URL      string `json:"url"`
}

type branch struct {
	Product  *product `json:"product"`
	Branches []branch `json:"branches"`
}

type product struct {
	ProductID string `json:"product_id"`
	Helper    struct {
		CPE  string `json:"cpe"`
		PURL string `json:"purl"`
	} `json:"product_identification_helper"`
}

type relationship struct {
	FullProductName product `json:"full_product_name"`
	ProductRef      string  `json:"product_reference"`
	RelatesTo       string  `json:"relates_to_product_reference"`
}

type vulnerability struct {
	CVE string `json:"cve"`
	CWE *struct {
		ID string `json:"id"`
	} `json:"cwe"`
	Title string `json:"title"`
	Notes []struct {
		Category string `json:"category"`
		Text     string `json:"text"`
	} `json:"notes"`
	ProductStatus struct {
		Fixed              []string `json:"fixed"`
		KnownAffected      []string `json:"known_affected"`
		KnownNotAffected   []string `json:"known_not_affected"`
		UnderInvestigation []string `json:"under_investigation"`
	} `json:"product_status"`
	Remediations []struct {
		Category   string   `json:"category"`
		Details    string   `json:"details"`
		ProductIDs []string `json:"product_ids"`
	} `json:"remediations"`
	Scores []struct {
		CVSSv2 *cvssScore `json:"cvss_v2"`
		CVSSv3 *cvssScore `json:"cvss_v3"`
		CVSSv4 *cvssScore `json:"cvss_v4"`
	} `json:"scores"`
	Threats []struct {
		Category   string   `json:"category"`
		Details    string   `json:"details"`
		ProductIDs []string `json:"product_ids"`
	} `json:"threats"`
	References  []reference `json:"references"`
	ReleaseDate string      `json:"release_date"`
}

type cvssScore struct {
	Version      string  `json:"version"`
	VectorString string  `json:"vectorString"`
	BaseScore    float64 `json:"baseScore"`
}

// maxBranchDepth bounds the product tree walk; real trees are 3 or 4
// levels deep.
const maxBranchDepth = 32

// tree is the resolved product tree.
type tree struct {
	products map[string]product
	// rels maps a relationship's product ID ("AppStream-8.8.0.Z.MAIN:curl-0:7.61.1-30.el8_8.2.src")
	// to its component and platform references.
	rels map[string]relationship
}

func buildTree(doc *document) (*tree, error) {
	t := &tree{products: map[string]product{}, rels: map[string]relationship{}}
	var walk func(bs []branch, depth int) error
	walk = func(bs []branch, depth int) error {
		if depth > maxBranchDepth {
			return fmt.Errorf("product tree deeper than %d branches", maxBranchDepth)
		}
		for _, b := range bs {
			if b.Product != nil && b.Product.ProductID != "" {
				t.products[b.Product.ProductID] = *b.Product
			}
			if err := walk(b.Branches, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(doc.ProductTree.Branches, 0); err != nil {
		return nil, err
	}
	for _, p := range doc.ProductTree.FullProductNames {
		if p.ProductID != "" {
			t.products[p.ProductID] = p
		}
	}
	for _, r := range doc.ProductTree.Relationships {
		if r.FullProductName.ProductID != "" {
			t.rels[r.FullProductName.ProductID] = r
		}
	}
	return t, nil
}

// resolve maps a product ID of a status list to its platform ecosystem and
// CPE and its component. False when the ID is not an rpm component of a
// RHEL platform (a platform alone, a container image, a layered product).
func (t *tree) resolve(id string) (eco, cpe string, c component, ok bool) {
	r, found := t.rels[id]
	if !found {
		return "", "", component{}, false
	}
	platform := t.products[r.RelatesTo]
	cpe = platform.Helper.CPE
	eco, ok = EcosystemOf(cpe)
	if !ok {
		return "", "", component{}, false
	}
	comp, found := t.products[r.ProductRef]
	purl := ""
	if found {
		purl = comp.Helper.PURL
	}
	c, ok = parseComponent(r.ProductRef, purl)
	return eco, cpe, c, ok
}

// Parse converts one CSAF document to advisories, one per vulnerability
// with a CVE that names at least one rpm of a RHEL platform, sorted by ID:
//
//   - ID the CVE; Aliases the document's tracking ID when it is not a CVE
//     (the RHSA of an advisory document); Source "redhat-csaf".
//   - Summary the vulnerability's title, Details its description note,
//     Severity its impact (Critical, Important, Moderate, Low to CRITICAL,
//     HIGH, MEDIUM, LOW), Published its release_date, Modified the
//     document's current_release_date, CWEs its cwe, CVSS its scores
//     (Source "secalert@redhat.com"), References its and the document's.
//   - One Affected per (ecosystem "redhat:<major>" of the platform CPE,
//     package, status, fixed version), whose CPEs are the platform CPEs
//     it holds for: a scanner picks the records whose CPEs meet an image's
//     content-set CPEs. Package is the source rpm name where a status list
//     names the source rpm for that release (the binary rpms in that list
//     are then left out), else the binary rpm names; a modular rpm is
//     "MODULE:STREAM::NAME" ("ruby:2.7::ruby"). Where one package is both
//     fixed and not affected on a platform (RHSA-2025:23414 lists bind's
//     binaries fixed and its source rpm not affected), the fix is kept.
//
// Status per list:
//
//	fixed                                   -> ranges, Fixed = "epoch:version-release"
//	known_affected + no_fix_planned         -> will-not-fix "will not fix"
//	  ... whose details say "Out of support scope" -> end-of-life
//	known_affected + none_available         -> affected (will-not-fix "fix deferred"
//	                                           when the details say "Fix deferred")
//	known_affected, other or no remediation -> affected
//	known_not_affected                      -> not-affected
//	under_investigation                     -> affected "under investigation"
//
// Severity of an Affected is the impact stated for its product IDs, else the
// vulnerability's. A document that is not CSAF (no csaf_version) or not
// valid JSON is an error.
func Parse(data []byte) ([]*vulndb.Advisory, error) {
	var doc document
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse csaf: %w", err)
	}
	if doc.Document.CSAFVersion == "" {
		return nil, errors.New("parse csaf: no document.csaf_version")
	}
	t, err := buildTree(&doc)
	if err != nil {
		return nil, fmt.Errorf("parse csaf: %w", err)
	}
	var out []*vulndb.Advisory
	for i := range doc.Vulnerabilities {
		if a := vulnAdvisory(&doc, t, &doc.Vulnerabilities[i]); a != nil {
			out = append(out, a)
		}
	}
	slices.SortStableFunc(out, func(a, b *vulndb.Advisory) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// affKey groups product IDs into one Affected.
type affKey struct {
	eco, pkg, status, detail, fixed, severity string
}

// entry is one resolved product ID of a status list.
type entry struct {
	key  affKey
	list string
	cpe  string
	src  bool
}

func vulnAdvisory(doc *document, t *tree, v *vulnerability) *vulndb.Advisory {
	if !strings.HasPrefix(v.CVE, "CVE-") {
		return nil
	}
	vulnSev := ""
	prodSev := map[string]string{}
	for _, th := range v.Threats {
		if th.Category != "impact" {
			continue
		}
		sev := severityOf(th.Details)
		if len(th.ProductIDs) == 0 {
			vulnSev = sev
		}
		for _, id := range th.ProductIDs {
			prodSev[id] = sev
		}
	}
	remediation := map[string]vulndb.Status{}
	remDetail := map[string]string{}
	for _, r := range v.Remediations {
		st, detail := vulndb.Status(""), ""
		switch r.Category {
		case "no_fix_planned":
			st, detail = vulndb.StatusWontFix, "will not fix"
			if strings.EqualFold(strings.TrimSpace(r.Details), "Out of support scope") {
				st, detail = vulndb.StatusEndOfLife, ""
			}
		case "none_available":
			st = vulndb.StatusAffected
			if strings.EqualFold(strings.TrimSpace(r.Details), "Fix deferred") {
				st, detail = vulndb.StatusWontFix, "fix deferred"
			}
		default:
			continue
		}
		for _, id := range r.ProductIDs {
			remediation[id], remDetail[id] = st, detail
		}
	}

	var entries []entry
	add := func(ids []string, list string) {
		for _, id := range ids {
			eco, cpe, c, ok := t.resolve(id)
			if !ok {
				continue
			}
			k := affKey{eco: eco, pkg: c.packageName(), severity: vulnSev}
			if s, ok := prodSev[id]; ok {
				k.severity = s
			}
			switch list {
			case "fixed":
				if c.EVR == "" {
					continue
				}
				k.status, k.fixed = string(vulndb.StatusRanges), c.EVR
			case "known_affected":
				k.status = string(vulndb.StatusAffected)
				if st, ok := remediation[id]; ok {
					k.status, k.detail = string(st), remDetail[id]
				}
			case "known_not_affected":
				k.status = string(vulndb.StatusNotAffected)
			case "under_investigation":
				k.status, k.detail = string(vulndb.StatusAffected), "under investigation"
			}
			entries = append(entries, entry{key: k, list: list, cpe: cpe, src: c.source()})
		}
	}
	add(v.ProductStatus.Fixed, "fixed")
	add(v.ProductStatus.KnownAffected, "known_affected")
	add(v.ProductStatus.KnownNotAffected, "known_not_affected")
	add(v.ProductStatus.UnderInvestigation, "under_investigation")

	// A list that names source rpms for a release speaks for their
	// binaries: those are left out.
	hasSrc := map[[2]string]bool{}
	// A fix for (release, package, platform) wins over "not affected"
	// for the same: RHSA-2025:23414 lists bind's binaries fixed and its
	// source rpm not affected.
	fixedFor := map[[3]string]bool{}
	for _, e := range entries {
		if e.src {
			hasSrc[[2]string{e.key.eco, e.list}] = true
		}
	}
	entries = slices.DeleteFunc(entries, func(e entry) bool {
		return !e.src && hasSrc[[2]string{e.key.eco, e.list}]
	})
	for _, e := range entries {
		if e.list == "fixed" {
			fixedFor[[3]string{e.key.eco, e.key.pkg, e.cpe}] = true
		}
	}
	cpes := map[affKey][]string{}
	var keys []affKey
	for _, e := range entries {
		if e.list == "known_not_affected" && fixedFor[[3]string{e.key.eco, e.key.pkg, e.cpe}] {
			continue
		}
		if _, ok := cpes[e.key]; !ok {
			keys = append(keys, e.key)
		}
		if e.cpe != "" && !slices.Contains(cpes[e.key], e.cpe) {
			cpes[e.key] = append(cpes[e.key], e.cpe)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.SortFunc(keys, func(a, b affKey) int {
		return cmp.Or(strings.Compare(a.eco, b.eco), strings.Compare(a.pkg, b.pkg),
			strings.Compare(a.status, b.status), strings.Compare(a.fixed, b.fixed),
			strings.Compare(a.detail, b.detail), strings.Compare(a.severity, b.severity))
	})

	adv := &vulndb.Advisory{
		ID:        v.CVE,
		Source:    Source,
		Summary:   v.Title,
		Severity:  vulnSev,
		Published: parseTime(v.ReleaseDate),
		Modified:  parseTime(doc.Document.Tracking.CurrentReleaseDate),
	}
	if id := doc.Document.Tracking.ID; id != "" && !strings.HasPrefix(id, "CVE-") {
		adv.Aliases = []string{id}
	}
	for _, n := range v.Notes {
		if n.Category == "description" {
			adv.Details = n.Text
			break
		}
	}
	if v.CWE != nil && v.CWE.ID != "" {
		adv.CWEs = []string{v.CWE.ID}
	}
	for _, s := range v.Scores {
		for _, c := range []*cvssScore{s.CVSSv3, s.CVSSv4, s.CVSSv2} {
			if c == nil || c.VectorString == "" {
				continue
			}
			cv := vulndb.CVSS{Source: CVSSSource, Version: c.Version, Vector: c.VectorString, Score: c.BaseScore}
			if cv.Version == "" {
				cv.Version = "2.0"
				if strings.HasPrefix(c.VectorString, "CVSS:") {
					cv.Version, _, _ = strings.Cut(strings.TrimPrefix(c.VectorString, "CVSS:"), "/")
				}
			}
			if !slices.Contains(adv.CVSS, cv) {
				adv.CVSS = append(adv.CVSS, cv)
			}
		}
	}
	adv.References = references(v.References, doc.Document.References)
	for _, k := range keys {
		aff := vulndb.Affected{
			Ecosystem:    k.eco,
			Package:      k.pkg,
			Status:       vulndb.Status(k.status),
			StatusDetail: k.detail,
			Severity:     k.severity,
			CPEs:         slices.Sorted(slices.Values(cpes[k])),
		}
		if k.fixed != "" {
			aff.Ranges = []vulndb.Range{{Fixed: k.fixed}}
		}
		adv.Affected = append(adv.Affected, aff)
	}
	return adv
}

// references are the vulnerability's links, then the document's "self"
// links that are not the CSAF file itself (the erratum page of an RHSA).
// "self" links are typed ADVISORY, others WEB.
func references(vuln, doc []reference) []vulndb.Reference {
	var out []vulndb.Reference
	seen := map[string]bool{}
	add := func(r reference) {
		if r.URL == "" || seen[r.URL] {
			return
		}
		seen[r.URL] = true
		typ := "WEB"
		if r.Category == "self" {
			typ = "ADVISORY"
		}
		out = append(out, vulndb.Reference{Type: typ, URL: r.URL})
	}
	for _, r := range vuln {
		add(r)
	}
	for _, r := range doc {
		if r.Category == "self" && !strings.HasSuffix(r.URL, ".json") {
			add(r)
		}
	}
	return out
}

// severityOf maps Red Hat's impact rating to a vulndb severity.
func severityOf(impact string) string {
	switch strings.ToLower(strings.TrimSpace(impact)) {
	case "critical":
		return vulndb.SeverityCritical
	case "important":
		return vulndb.SeverityHigh
	case "moderate":
		return vulndb.SeverityMedium
	case "low":
		return vulndb.SeverityLow
	}
	return ""
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
