package harbor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/report/cyclonedx"
	"github.com/customs-scanner/customs/internal/report/spdx"
	"github.com/customs-scanner/customs/internal/vulndb"
)

// Vulnerabilities converts a customs report into Harbor's vulnerability
// report for artifact a. The items are the findings that affect their
// package (report.Affects: what --fail-on counts), in the report's order;
// not-affected and undetermined findings are left out, as Harbor has no
// status to tell them apart and counts every item it gets. legacy writes
// the 1.0 report, without the 1.1 fields (preferred_cvss, cwe_ids,
// vendor_attributes).
func Vulnerabilities(r *report.Report, a Artifact, s Scanner, legacy bool) VulnerabilityReport {
	out := VulnerabilityReport{
		GeneratedAt:     r.CreatedAt.UTC(),
		Artifact:        a,
		Scanner:         s,
		Severity:        SeverityUnknown,
		Vulnerabilities: []VulnerabilityItem{},
	}
	worst := -1
	for _, f := range r.Findings {
		if !report.Affects(f.Status) {
			continue
		}
		it := VulnerabilityItem{
			ID:          f.VulnerabilityID,
			Package:     f.PackageName,
			Version:     f.PackageVersion,
			FixVersion:  f.FixedVersion,
			Severity:    Severity(f.Severity),
			Description: f.Title,
			Links:       Links(f),
		}
		if !legacy {
			it.PreferredCVSS = PreferredCVSS(f.CVSS)
			it.VendorAttributes = VendorAttributes(f)
		}
		if rank := slices.Index(severityOrder, it.Severity); rank > worst {
			worst = rank
			out.Severity = it.Severity
		}
		out.Vulnerabilities = append(out.Vulnerabilities, it)
	}
	return out
}

// severityOrder ranks Harbor's severities, lowest first.
var severityOrder = []string{SeverityUnknown, SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

// Severity maps a customs severity onto Harbor's scale. NEGLIGIBLE is
// Low: Harbor counts a report's items as Critical, High, Medium, Low,
// None or Unknown (its report summary has no Negligible count).
func Severity(s string) string {
	switch strings.ToUpper(s) {
	case vulndb.SeverityCritical:
		return SeverityCritical
	case vulndb.SeverityHigh:
		return SeverityHigh
	case vulndb.SeverityMedium:
		return SeverityMedium
	case vulndb.SeverityLow, vulndb.SeverityNegligible:
		return SeverityLow
	}
	return SeverityUnknown
}

// Links are the web pages of the vulnerability and of its aliases
// (report.AdvisoryURL), without repeats.
func Links(f report.Finding) []string {
	var out []string
	for _, id := range append([]string{f.VulnerabilityID}, f.Aliases...) {
		if u := report.AdvisoryURL(id); u != "" && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out
}

// nvdSource is how NVD's records name their scorer.
const nvdSource = "nvd@nvd.nist.gov"

// PreferredCVSS picks one v3 and one v2 assessment: NVD's, else the first
// source's (the report lists them sorted by source). nil when there is
// neither.
func PreferredCVSS(cs []report.CVSS) *CVSSDetails {
	pick := func(major string) *report.CVSS {
		var first *report.CVSS
		for i := range cs {
			c := &cs[i]
			if !strings.HasPrefix(c.Version, major) {
				continue
			}
			if vendor(c.Source) == "nvd" {
				return c
			}
			if first == nil {
				first = c
			}
		}
		return first
	}
	var d CVSSDetails
	if c := pick("3"); c != nil {
		d.ScoreV3, d.VectorV3 = score(c.Score), c.Vector
	}
	if c := pick("2"); c != nil {
		d.ScoreV2, d.VectorV2 = score(c.Score), c.Vector
	}
	if d == (CVSSDetails{}) {
		return nil
	}
	return &d
}

func score(f float64) *float64 { return &f }

// vendor is the key of a CVSS source in vendor_attributes.CVSS, spelled as
// Harbor reads it: it takes the "nvd" entry's V3Score when preferred_cvss
// has none.
func vendor(source string) string {
	switch {
	case source == nvdSource || source == "nvd":
		return "nvd"
	case source == "secalert@redhat.com":
		return "redhat"
	}
	return source
}

// VendorAttributes are what customs knows beyond Harbor's fields: every
// CVSS assessment by vendor (in the shape Harbor and other adapters use:
// CVSS.<vendor>.V3Score, V3Vector, V2Score, V2Vector, V40Score,
// V40Vector), the layer that introduced the package, the finding's status,
// the package's type, PURL and path, where the severity came from, the
// aliases, and the KEV and EPSS data.
func VendorAttributes(f report.Finding) map[string]any {
	va := map[string]any{
		"status":       f.Status,
		"package_type": f.PackageType,
	}
	put := func(k, v string) {
		if v != "" {
			va[k] = v
		}
	}
	put("status_detail", f.StatusDetail)
	put("purl", f.PURL)
	put("path", f.Path)
	put("severity_source", f.SeveritySource)
	if f.Layer != "" {
		layer := map[string]string{"diff_id": f.Layer}
		if f.CreatedBy != "" {
			layer["created_by"] = f.CreatedBy
		}
		va["layer"] = layer
	}
	if len(f.Aliases) > 0 {
		va["aliases"] = f.Aliases
	}
	if f.KEV != nil {
		va["kev"] = map[string]string{"date_added": f.KEV.DateAdded, "due_date": f.KEV.DueDate}
	}
	if f.EPSS != nil {
		va["epss"] = map[string]any{"score": f.EPSS.Score, "percentile": f.EPSS.Percentile, "date": f.EPSS.Date}
	}
	cvss := map[string]map[string]any{}
	for _, c := range f.CVSS {
		var k string
		switch {
		case strings.HasPrefix(c.Version, "3"):
			k = "V3"
		case strings.HasPrefix(c.Version, "2"):
			k = "V2"
		case strings.HasPrefix(c.Version, "4"):
			k = "V40"
		default:
			continue
		}
		v := vendor(c.Source)
		if cvss[v] == nil {
			cvss[v] = map[string]any{}
		}
		if _, ok := cvss[v][k+"Vector"]; ok {
			continue // the report lists the newest version first
		}
		cvss[v][k+"Vector"] = c.Vector
		if c.Score > 0 {
			cvss[v][k+"Score"] = c.Score
		}
	}
	if len(cvss) > 0 {
		va["CVSS"] = cvss
	}
	return va
}

// SBOM encodes the report's inventory as an SBOM of mediaType
// (MediaTypeSPDX or MediaTypeCycloneDX) with customs' encoders. The
// findings stay out: the sbom capability asks for the bill of materials,
// and the vulnerability report carries the findings.
func SBOM(r *report.Report, mediaType string) (json.RawMessage, error) {
	inv := *r
	inv.Findings, inv.Suppressed = nil, nil
	var buf bytes.Buffer
	switch mediaType {
	case MediaTypeSPDX:
		if err := (spdx.Encoder{}).Encode(&buf, &inv); err != nil {
			return nil, err
		}
	case MediaTypeCycloneDX:
		if err := (cyclonedx.Encoder{}).Encode(&buf, &inv); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("sbom media type %q: want %s or %s", mediaType, MediaTypeSPDX, MediaTypeCycloneDX)
	}
	var out bytes.Buffer
	if err := json.Compact(&out, buf.Bytes()); err != nil {
		return nil, fmt.Errorf("compact %s: %w", mediaType, err)
	}
	return out.Bytes(), nil
}
