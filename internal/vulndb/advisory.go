// Package vulndb holds the advisory model (OSV-shaped) and the interfaces of
// the embedded vulnerability database. Feeds convert their native formats to
// this model (vulndb/feeds/...); vulndb/sqlite stores it.
package vulndb

import (
	"strings"
	"time"
)

// Status is what an advisory says about one package in one ecosystem. It is
// the distro's decision where the feed has one; OSV-style ranges use StatusRanges.
type Status string

const (
	// StatusRanges: affected where the version falls inside Ranges (or is listed
	// in Versions); fixed at the range's Fixed version.
	StatusRanges Status = "ranges"
	// StatusAffected: every version is affected and no fix exists yet.
	StatusAffected Status = "affected"
	// StatusWontFix: affected, and the distro decided not to fix it (or not
	// now): Debian's <no-dsa>, <ignored>, <postponed>. StatusDetail says which.
	StatusWontFix Status = "will-not-fix"
	// StatusEndOfLife: affected, and the release or package is out of support.
	StatusEndOfLife Status = "end-of-life"
	// StatusNotAffected: the distro says this package was never affected.
	StatusNotAffected Status = "not-affected"
)

// Range is one affected interval: versions v with Introduced <= v and
// (v < Fixed, or v <= LastAffected). An empty Introduced (or "0") means from
// the beginning; empty Fixed and LastAffected mean no upper bound.
type Range struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"lastAffected,omitempty"`
}

// Affected is what one advisory says about one package in one ecosystem.
type Affected struct {
	// Ecosystem is the namespace: "debian:12", "alpine:3.10", or an OSV
	// ecosystem name as published ("Go", "npm", "PyPI", "Debian:12" is
	// normalised to "debian:12").
	Ecosystem string `json:"ecosystem,omitempty"`
	// Package is the name advisories use: the source package for distros.
	Package      string   `json:"package,omitempty"`
	Status       Status   `json:"status"`
	StatusDetail string   `json:"statusDetail,omitempty"`
	Ranges       []Range  `json:"ranges,omitempty"`
	Versions     []string `json:"versions,omitempty"`
	// Severity is the feed's own rating for this package, normalised (see
	// Severity constants); empty when the feed gives none.
	Severity string `json:"severity,omitempty"`
	// CPEs name the platforms (products, repositories) the record applies
	// to where the feed says so: Red Hat's product CPEs
	// ("cpe:/a:redhat:enterprise_linux:8::appstream"), NVD's match criteria.
	CPEs []string `json:"cpes,omitempty"`
}

// IsDistro reports whether ecosystem is a distribution's namespace,
// "<os-release ID>:<release>" ("debian:12", "alpine:3.10", "ubuntu:pro:18.04",
// "redhat:9"), rather than a language ecosystem ("PyPI", "Go", "crates.io")
// or NVD's "cpe". A distribution's rating of its package applies only to
// findings matched in its namespace.
func IsDistro(ecosystem string) bool {
	id, release, ok := strings.Cut(ecosystem, ":")
	return ok && id != "" && release != ""
}

// Reference is a link from an advisory.
type Reference struct {
	Type string `json:"type,omitempty"`
	URL  string `json:"url"`
}

// Advisory is one vulnerability record from one source.
type Advisory struct {
	ID      string   `json:"id,omitempty"`
	Aliases []string `json:"aliases,omitempty"`
	// Source is the feed kind it came from: "debian-tracker", "debian-lists",
	// "alpine-secdb", "osv".
	Source     string      `json:"source,omitempty"`
	Summary    string      `json:"summary,omitempty"`
	Details    string      `json:"details,omitempty"`
	Severity   string      `json:"severity,omitempty"`
	Published  time.Time   `json:"published,omitzero"`
	Modified   time.Time   `json:"modified,omitzero"`
	Withdrawn  time.Time   `json:"withdrawn,omitzero"`
	References []Reference `json:"references,omitempty"`
	// CVSS lists the scores this source gives (NVD's primary and secondary
	// metrics, a distro's or GHSA's vector).
	CVSS []CVSS `json:"cvss,omitempty"`
	// CWEs are weakness IDs, "CWE-79".
	CWEs     []string   `json:"cwes,omitempty"`
	Affected []Affected `json:"affected,omitempty"`
}

// CVSS is one CVSS assessment.
type CVSS struct {
	// Source names who scored it: "nvd@nvd.nist.gov", "secalert@redhat.com",
	// or the feed kind when the feed does not say.
	Source string `json:"source"`
	// Version is "2.0", "3.0", "3.1" or "4.0".
	Version string  `json:"version"`
	Vector  string  `json:"vector"`
	Score   float64 `json:"score"`
	// Type is "Primary" or "Secondary" where the feed says (NVD).
	Type string `json:"type,omitempty"`
}

// KEV is an entry of CISA's Known Exploited Vulnerabilities catalog.
type KEV struct {
	CVE                        string `json:"cveID"`
	VendorProject              string `json:"vendorProject,omitempty"`
	Product                    string `json:"product,omitempty"`
	Name                       string `json:"vulnerabilityName,omitempty"`
	DateAdded                  string `json:"dateAdded"` // YYYY-MM-DD
	DueDate                    string `json:"dueDate"`   // YYYY-MM-DD
	RequiredAction             string `json:"requiredAction,omitempty"`
	KnownRansomwareCampaignUse string `json:"knownRansomwareCampaignUse,omitempty"`
}

// EPSS is one CVE's Exploit Prediction Scoring System score.
type EPSS struct {
	CVE        string  `json:"cve"`
	Score      float64 `json:"score"`
	Percentile float64 `json:"percentile"`
	Date       string  `json:"date"` // YYYY-MM-DD, the score's model date
}

// Severities in ascending order. Feeds normalise their ratings to these.
const (
	SeverityUnknown    = "UNKNOWN"
	SeverityNegligible = "NEGLIGIBLE"
	SeverityLow        = "LOW"
	SeverityMedium     = "MEDIUM"
	SeverityHigh       = "HIGH"
	SeverityCritical   = "CRITICAL"
)

var severityRank = map[string]int{
	SeverityUnknown: 0, SeverityNegligible: 1, SeverityLow: 2,
	SeverityMedium: 3, SeverityHigh: 4, SeverityCritical: 5,
}

// SeverityRank orders severities: UNKNOWN < NEGLIGIBLE < LOW < MEDIUM < HIGH
// < CRITICAL. The second result is false for a name that is not a severity.
func SeverityRank(s string) (int, bool) {
	r, ok := severityRank[s]
	return r, ok
}
