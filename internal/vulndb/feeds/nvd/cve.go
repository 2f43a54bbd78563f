// Package nvd imports the National Vulnerability Database's CVE API 2.0 JSON
// (https://nvd.nist.gov/developers/vulnerabilities) into the vulndb model.
package nvd

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/vulndb"
)

// Source is the vulndb.Advisory.Source of every advisory from this feed.
const Source = "nvd"

// Ecosystem is the vulndb.Affected.Ecosystem of CPE match criteria; the
// Package is "<vendor>:<product>" as written (escaped) in the CPE 2.3
// formatted string.
const Ecosystem = "cpe"

// cve is the "cve" object of the API 2.0 schema
// (https://csrc.nist.gov/schema/nvd/api/2.0/cve_api_json_2.0.schema).
type cve struct {
	ID             string          `json:"id"`
	Published      string          `json:"published"`
	LastModified   string          `json:"lastModified"`
	VulnStatus     string          `json:"vulnStatus"`
	Descriptions   []langString    `json:"descriptions"`
	References     []reference     `json:"references"`
	Weaknesses     []weakness      `json:"weaknesses"`
	Metrics        metrics         `json:"metrics"`
	Configurations []configuration `json:"configurations"`
}

type langString struct {
	Lang  string `json:"lang"`
	Value string `json:"value"`
}

type reference struct {
	URL  string   `json:"url"`
	Tags []string `json:"tags"`
}

type weakness struct {
	Description []langString `json:"description"`
}

type metrics struct {
	V2  []metric `json:"cvssMetricV2"`
	V30 []metric `json:"cvssMetricV30"`
	V31 []metric `json:"cvssMetricV31"`
	V40 []metric `json:"cvssMetricV40"`
}

type metric struct {
	Source   string `json:"source"`
	Type     string `json:"type"`
	CVSSData struct {
		Version      string  `json:"version"`
		VectorString string  `json:"vectorString"`
		BaseScore    float64 `json:"baseScore"`
		BaseSeverity string  `json:"baseSeverity"`
	} `json:"cvssData"`
	// BaseSeverity is where CVSS v2 metrics keep the rating.
	BaseSeverity string `json:"baseSeverity"`
}

func (m metric) severity() string {
	if m.CVSSData.BaseSeverity != "" {
		return m.CVSSData.BaseSeverity
	}
	return m.BaseSeverity
}

type configuration struct {
	Negate bool   `json:"negate"`
	Nodes  []node `json:"nodes"`
}

type node struct {
	Negate   bool       `json:"negate"`
	CPEMatch []cpeMatch `json:"cpeMatch"`
}

type cpeMatch struct {
	Vulnerable            bool   `json:"vulnerable"`
	Criteria              string `json:"criteria"`
	VersionStartIncluding string `json:"versionStartIncluding"`
	VersionStartExcluding string `json:"versionStartExcluding"`
	VersionEndIncluding   string `json:"versionEndIncluding"`
	VersionEndExcluding   string `json:"versionEndExcluding"`
}

// Parse converts one API 2.0 "cve" object to an Advisory.
//
// The mapping:
//   - Details is the English description; Summary its first sentence (at
//     most 200 bytes, cut at a word with "...").
//   - Published and Modified are published and lastModified (NVD writes them
//     in UTC without a zone). A vulnStatus of "Rejected" sets Withdrawn to
//     lastModified.
//   - CVSS lists every cvssMetricV2, V30, V31 and V40 entry in that order.
//     Severity is the rating of NVD's (nvd@nist.gov) Primary metric, looked
//     for in v3.1, v3.0, v4.0 then v2; without one, the first metric of any
//     source in the same order (many CVEs since 2024 carry only the CNA's).
//   - CWEs are the CWE-n weakness values of every source, sorted, without
//     NVD-CWE-Other and NVD-CWE-noinfo.
//   - References keep NVD's URL; Type is FIX for a "Patch" tag, ADVISORY for
//     "Vendor Advisory" or "Third Party Advisory", EVIDENCE for "Exploit",
//     REPORT for "Issue Tracking", else WEB (first match in that order).
//   - Affected has one record per distinct vulnerable CPE match (see
//     affected); match criteria with vulnerable=false (the platforms of an
//     AND configuration) and negated nodes are not records.
//
// A record is returned even with no Affected: enrichment looks NVD's CVSS
// and CWEs up by CVE ID.
func Parse(b []byte) (*vulndb.Advisory, error) {
	var c cve
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	return convert(&c)
}

func convert(c *cve) (*vulndb.Advisory, error) {
	if c.ID == "" {
		return nil, errors.New("cve without id")
	}
	a := &vulndb.Advisory{ID: c.ID, Source: Source}
	var err error
	if a.Published, err = parseTime(c.Published); err != nil {
		return nil, fmt.Errorf("%s: published: %w", c.ID, err)
	}
	if a.Modified, err = parseTime(c.LastModified); err != nil {
		return nil, fmt.Errorf("%s: lastModified: %w", c.ID, err)
	}
	if c.VulnStatus == "Rejected" {
		a.Withdrawn = a.Modified
	}
	for _, d := range c.Descriptions {
		if d.Lang == "en" {
			a.Details = strings.TrimSpace(d.Value)
			a.Summary = firstSentence(a.Details)
			break
		}
	}
	a.References = references(c.References)
	a.CVSS, a.Severity = scores(&c.Metrics)
	a.CWEs = cwes(c.Weaknesses)
	a.Affected = affected(c.Configurations)
	return a, nil
}

// parseTime reads NVD's timestamps: "2014-11-24T15:59:00.090" (API 2.0,
// UTC), RFC 3339, or "2014-11-24T15:59Z" (the 1.1 feeds).
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q", s)
}

const maxSummary = 200

// firstSentence returns the text up to the first ". " or line break, cut
// to maxSummary bytes at a word boundary.
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i+1]
	}
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	if len(s) <= maxSummary {
		return s
	}
	cut := strings.LastIndexByte(s[:maxSummary], ' ')
	if cut <= 0 {
		cut = maxSummary
		for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
	}
	return strings.TrimSpace(s[:cut]) + "..."
}

var tagTypes = []struct{ tag, typ string }{
	{"Patch", "FIX"},
	{"Vendor Advisory", "ADVISORY"},
	{"Third Party Advisory", "ADVISORY"},
	{"Exploit", "EVIDENCE"},
	{"Issue Tracking", "REPORT"},
}

func references(refs []reference) []vulndb.Reference {
	var out []vulndb.Reference
	seen := map[string]bool{}
	for _, r := range refs {
		if r.URL == "" || seen[r.URL] {
			continue
		}
		seen[r.URL] = true
		typ := "WEB"
	tags:
		for _, tt := range tagTypes {
			if slices.Contains(r.Tags, tt.tag) {
				typ = tt.typ
				break tags
			}
		}
		out = append(out, vulndb.Reference{Type: typ, URL: r.URL})
	}
	return out
}

func scores(m *metrics) ([]vulndb.CVSS, string) {
	var out []vulndb.CVSS
	for _, list := range [][]metric{m.V2, m.V30, m.V31, m.V40} {
		for _, x := range list {
			out = append(out, vulndb.CVSS{
				Source:  x.Source,
				Version: x.CVSSData.Version,
				Vector:  x.CVSSData.VectorString,
				Score:   x.CVSSData.BaseScore,
				Type:    x.Type,
			})
		}
	}
	order := [][]metric{m.V31, m.V30, m.V40, m.V2}
	for _, list := range order {
		for _, x := range list {
			if x.Type == "Primary" && x.Source == "nvd@nist.gov" {
				if s := severity(x.severity()); s != "" {
					return out, s
				}
			}
		}
	}
	for _, list := range order {
		for _, x := range list {
			if s := severity(x.severity()); s != "" {
				return out, s
			}
		}
	}
	return out, ""
}

// severity normalises a CVSS rating; CVSS's "NONE" (score 0.0) is
// vulndb.SeverityNegligible.
func severity(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	switch s {
	case "NONE":
		return vulndb.SeverityNegligible
	case vulndb.SeverityLow, vulndb.SeverityMedium, vulndb.SeverityHigh, vulndb.SeverityCritical:
		return s
	}
	return ""
}

func cwes(ws []weakness) []string {
	var out []string
	for _, w := range ws {
		for _, d := range w.Description {
			v := strings.TrimSpace(d.Value)
			if strings.HasPrefix(v, "CWE-") && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	slices.Sort(out)
	return out
}
