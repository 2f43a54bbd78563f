// Package report holds the scan report model. Encoders for each output
// format live in subpackages (report/json, report/table).
package report

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/vulndb"
)

// SchemaVersion is the version of the JSON report schema (docs/report-schema.md).
// Fields are only added within a major version; removing or renaming one bumps it.
const SchemaVersion = "1.1"

// Report is the result of one scan.
type Report struct {
	SchemaVersion string    `json:"schemaVersion"`
	Tool          Tool      `json:"tool"`
	CreatedAt     time.Time `json:"createdAt"`
	Target        Target    `json:"target"`
	DB            *DB       `json:"db,omitempty"`
	// OS is the detected distribution, nil when none was found.
	OS       *inventory.OS       `json:"os,omitempty"`
	Packages []inventory.Package `json:"packages"`
	// Owned are language packages whose file an OS package owns, reported
	// as part of that package (see Relationships) and not matched on their
	// own. Components compiled into an OS package's binaries are in
	// Packages, with OwnedBy naming it.
	Owned []inventory.Package `json:"ownedPackages,omitempty"`
	// Relationships link packages by ID: contains, depends-on.
	Relationships []inventory.Relationship `json:"relationships,omitempty"`
	Findings      []Finding                `json:"findings"`
	// Coverage says which of the packages' ecosystems the DB holds
	// advisories for; nil when no DB was used.
	Coverage *Coverage `json:"coverage,omitempty"`
	// Secrets and Misconfigurations are filled when those scanners run
	// (customs scan --scanners): empty, not nil, when they found nothing,
	// so the JSON has "secrets": [] then and no "secrets" when the scanner
	// did not run.
	Secrets           []Secret           `json:"secrets,omitzero"`
	SecretStats       *SecretStats       `json:"secretStats,omitempty"`
	Misconfigurations []Misconfiguration `json:"misconfigurations,omitzero"`
	// Targets are the arguments of customs audit, each with the workloads
	// read from it; Target then names them all.
	Targets    []AuditTarget `json:"targets,omitempty"`
	ImageFacts *ImageFacts   `json:"imageFacts,omitempty"`
	Summary    Summary       `json:"summary"`
	// Warnings are per-file problems that did not stop the scan.
	Warnings []inventory.FileError `json:"warnings,omitempty"`
	// Skipped is what the scan passed over without reading (see Skipped).
	Skipped []Skipped `json:"skipped,omitempty"`
	// Suppressed are findings removed from Findings by a VEX statement or
	// an exception (see docs/policy.md).
	Suppressed []Suppression `json:"suppressed,omitempty"`
	// Policy is the outcome of the gate: rules, expired exceptions, baseline.
	Policy *PolicyResult `json:"policy,omitempty"`
	// Verdict is the gate's decision, when a gate that can fail the scan
	// was asked for (--fail-on, --fail-on-unknown, --policy,
	// --fail-on-uncovered); absent otherwise.
	Verdict *Verdict `json:"verdict,omitempty"`
}

// Tool names the program that wrote the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Target describes what was scanned.
type Target struct {
	// Ref is the reference as given, Kind the source kind ("docker-archive", ...).
	Ref            string   `json:"ref"`
	Kind           string   `json:"kind"`
	ManifestDigest string   `json:"manifestDigest,omitempty"`
	ImageID        string   `json:"imageID,omitempty"`
	RepoTags       []string `json:"repoTags,omitempty"`
	RepoDigests    []string `json:"repoDigests,omitempty"`
	Architecture   string   `json:"architecture,omitempty"`
	// Labels are the image config's labels (org.opencontainers.image.*
	// and the like).
	Labels map[string]string `json:"labels,omitempty"`
	Layers []Layer           `json:"layers,omitempty"`
}

// Digest is the best identity of the image: the manifest digest, else the
// image ID, else a sha256 of Ref. The SBOM encoders derive their document
// identity from it, so scanning the same image twice names the same document.
func (t Target) Digest() string {
	switch {
	case t.ManifestDigest != "":
		return t.ManifestDigest
	case t.ImageID != "":
		return t.ImageID
	}
	sum := sha256.Sum256([]byte(t.Ref))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Layer is one image layer, bottom first.
type Layer struct {
	DiffID    string `json:"diffID"`
	CreatedBy string `json:"createdBy,omitempty"`
}

// DB describes the vulnerability database used.
type DB struct {
	SchemaVersion int                 `json:"schemaVersion"`
	Built         time.Time           `json:"built"`
	Sources       []vulndb.SourceInfo `json:"sources"`
}

// Finding statuses: what the user can act on.
const (
	StatusFixAvailable = "fix-available" // affected; upgrading to FixedVersion fixes it
	StatusAffected     = "affected"      // affected; no fix published yet
	StatusWontFix      = "will-not-fix"  // affected; the distro decided not to fix (StatusDetail: no-dsa, ignored, postponed)
	StatusEndOfLife    = "end-of-life"   // affected; the release or package is out of support
	StatusNotAffected  = "not-affected"  // the advisory names the package but this version is not affected
	StatusUndetermined = "undetermined"  // could not be decided (e.g. unparseable version); Evidence.Reason says why
)

// Affects reports whether a finding's status means the package is vulnerable
// (everything but not-affected and undetermined).
func Affects(status string) bool {
	switch status {
	case StatusFixAvailable, StatusAffected, StatusWontFix, StatusEndOfLife:
		return true
	}
	return false
}

// Finding is one vulnerability in one package.
type Finding struct {
	VulnerabilityID string   `json:"vulnerabilityID"`
	Aliases         []string `json:"aliases"`
	Title           string   `json:"title,omitempty"`
	PackageID       string   `json:"packageID"`
	PackageName     string   `json:"packageName"`
	PackageVersion  string   `json:"packageVersion"`
	PackageType     string   `json:"packageType"`
	PURL            string   `json:"purl"`
	SourceName      string   `json:"sourceName"`
	SourceVersion   string   `json:"sourceVersion"`
	Status          string   `json:"status"`
	StatusDetail    string   `json:"statusDetail,omitempty"`
	FixedVersion    string   `json:"fixedVersion"`
	Severity        string   `json:"severity"`
	// SeveritySource names the feed the severity came from: the distro's
	// own feed for a distro package, else "nvd", else another source.
	SeveritySource string `json:"severitySource"`
	// CVSS lists every CVSS assessment known for the vulnerability.
	CVSS []CVSS `json:"cvss"`
	// KEV is set when CISA's KEV catalog lists the vulnerability; EPSS
	// holds its exploit-prediction score. Both are null when unknown.
	KEV  *KEV  `json:"kev"`
	EPSS *EPSS `json:"epss"`
	// Layer is the DiffID of the layer that introduced the package, CreatedBy its history entry.
	Layer     string `json:"layer"`
	CreatedBy string `json:"createdBy"`
	Path      string `json:"path,omitempty"`
	// Locations are the package's paths, so a finding on a binary or a
	// jar names that file.
	Locations []inventory.Location `json:"locations"`
	Evidence  []Evidence           `json:"evidence"`
	// Published is when the advisory was first published; zero when unknown.
	Published time.Time `json:"published,omitzero"`
	// VEX is set when a VEX statement about this finding kept it in the
	// report (under_investigation, affected).
	VEX *VEXNote `json:"vex,omitempty"`
}

// CVSS is one CVSS assessment of a finding's vulnerability.
type CVSS struct {
	Source  string  `json:"source"`
	Version string  `json:"version"`
	Vector  string  `json:"vector"`
	Score   float64 `json:"score"`
}

// KEV is a finding's entry in CISA's Known Exploited Vulnerabilities catalog.
type KEV struct {
	DateAdded string `json:"dateAdded"`
	DueDate   string `json:"dueDate"`
}

// EPSS is a finding's exploit-prediction score.
type EPSS struct {
	Score      float64 `json:"score"`
	Percentile float64 `json:"percentile"`
	Date       string  `json:"date"`
}

// Evidence explains a finding: which record of which feed said what, and
// the comparison that was made.
type Evidence struct {
	Source     string         `json:"source"`
	AdvisoryID string         `json:"advisoryID"`
	Ecosystem  string         `json:"ecosystem"`
	Package    string         `json:"package"`
	Record     string         `json:"record"`
	Ranges     []vulndb.Range `json:"ranges,omitempty"`
	// Comparison is the version test made, e.g. "2.36-9 < 2.36-9+deb12u4 (dpkg)".
	Comparison string `json:"comparison,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

// Summary counts findings.
type Summary struct {
	Packages   int            `json:"packages"`
	Findings   int            `json:"findings"`
	BySeverity map[string]int `json:"bySeverity"`
	ByStatus   map[string]int `json:"byStatus"`
	// Misconfigurations counts the failed checks; nil when no check ran.
	Misconfigurations *CheckSummary `json:"misconfigurations,omitempty"`
}

// CheckSummary counts failed checks by severity and by impact.
type CheckSummary struct {
	BySeverity map[string]int `json:"bySeverity"`
	ByImpact   map[string]int `json:"byImpact"`
}

// Summarize fills r.Summary from r.Packages, r.Findings and r.Misconfigurations.
func (r *Report) Summarize() {
	s := Summary{Packages: len(r.Packages), Findings: len(r.Findings), BySeverity: map[string]int{}, ByStatus: map[string]int{}}
	for _, f := range r.Findings {
		s.BySeverity[f.Severity]++
		s.ByStatus[f.Status]++
	}
	if r.Misconfigurations != nil {
		c := &CheckSummary{BySeverity: map[string]int{}, ByImpact: map[string]int{}}
		for _, m := range r.Misconfigurations {
			c.BySeverity[m.Severity]++
			c.ByImpact[cmp.Or(m.Impact, ImpactHardening)]++
		}
		s.Misconfigurations = c
	}
	r.Summary = s
}

// AdvisoryURL is the web page of a vulnerability id: NVD for a CVE, the
// GitHub advisory database for a GHSA, osv.dev for any other id that can
// be a URL path segment; "" otherwise.
func AdvisoryURL(id string) string {
	switch {
	case strings.HasPrefix(id, "CVE-"):
		return "https://nvd.nist.gov/vuln/detail/" + id
	case strings.HasPrefix(id, "GHSA-"):
		return "https://github.com/advisories/" + id
	case id != "" && !strings.ContainsAny(id, " /?#"):
		return "https://osv.dev/vulnerability/" + id
	}
	return ""
}

// CutUTF8 returns the longest prefix of s of at most n bytes that does not
// end inside a UTF-8 character, for encoders that clip long text.
func CutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// ShortDigest shortens a layer digest ("sha256:0123...") to the first 12
// hex digits of its hash, as docker and the reports show layers.
func ShortDigest(d string) string {
	if _, h, ok := strings.Cut(d, ":"); ok {
		d = h
	}
	if len(d) > 12 {
		return d[:12]
	}
	return d
}
