// Package osv imports advisories in the OSV format
// (https://ossf.github.io/osv-schema/), as published by osv.dev, the Go
// vulnerability DB, GitHub advisories, RustSec and several distributions.
package osv

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/cvss"
)

// Source is the Advisory.Source of every advisory this package produces.
const Source = "osv"

// record is an OSV entry; only the fields customs uses are declared.
// https://ossf.github.io/osv-schema/#id-modified-fields
type record struct {
	ID      string   `json:"id"`
	Aliases []string `json:"aliases"`
	// Upstream lists the IDs an advisory derives from (Ubuntu puts the CVE
	// there); customs treats them as aliases.
	Upstream   []string    `json:"upstream"`
	Severity   []severity  `json:"severity"`
	Summary    string      `json:"summary"`
	Details    string      `json:"details"`
	Published  string      `json:"published"`
	Modified   string      `json:"modified"`
	Withdrawn  string      `json:"withdrawn"`
	References []reference `json:"references"`
	Affected   []affected  `json:"affected"`
	// DatabaseSpecific is free-form; GitHub advisories put their rating in
	// "severity" (LOW, MODERATE, HIGH, CRITICAL).
	DatabaseSpecific json.RawMessage `json:"database_specific"`
}

// https://ossf.github.io/osv-schema/#severity-field
type severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// https://ossf.github.io/osv-schema/#references-field
type reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// https://ossf.github.io/osv-schema/#affected-fields
type affected struct {
	Package struct {
		Ecosystem string `json:"ecosystem"`
		Name      string `json:"name"`
	} `json:"package"`
	Ranges   []osvRange `json:"ranges"`
	Versions []string   `json:"versions"`
	// Severity is the per-package form of the record's severity[]
	// (https://ossf.github.io/osv-schema/#affectedseverity-field).
	Severity          []severity      `json:"severity"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific"`
	DatabaseSpecific  json.RawMessage `json:"database_specific"`
}

// https://ossf.github.io/osv-schema/#affectedranges-field
type osvRange struct {
	Type   string  `json:"type"`
	Events []event `json:"events"`
}

type event struct {
	Introduced   string `json:"introduced"`
	Fixed        string `json:"fixed"`
	LastAffected string `json:"last_affected"`
	Limit        string `json:"limit"`
}

// Parse converts one OSV record (a JSON object) to an advisory. It returns
// (nil, nil) for a record with nothing to match on: no affected package with
// an ECOSYSTEM or SEMVER range or a version list (GIT-only records).
//
// Conversion: Affected.Ecosystem is NormalizeEcosystem of the package's
// ecosystem; each ECOSYSTEM or SEMVER range becomes vulndb.Ranges by walking
// its events in order (an "introduced" opens a range, "fixed" or
// "last_affected" closes it, "limit" is ignored), GIT ranges are skipped;
// the affected entries of one record that name one package with one
// severity are merged into one Affected (a package rated apart in two
// entries keeps two). The severity is database_specific.severity (record
// or affected, the latter winning for its package),
// ecosystem_specific.severity, or a severity[] entry that is a rating word
// and not a CVSS vector (Ubuntu's), when it is a known rating: NEGLIGIBLE,
// LOW, MODERATE or MEDIUM (-> MEDIUM), HIGH, CRITICAL.
//
// Every CVSS_V2, CVSS_V3 and CVSS_V4 entry of severity[] (the record's and
// each affected package's) becomes a vulndb.CVSS: the vector as written,
// its version, and its base score as package cvss computes it by FIRST's
// formulas (Vector.BaseScore; for v4.0 CVSS-B, as the rustsec importer
// scores the same vectors). Its Source is the database that scored
// it, named by the record ID's prefix in lower case ("ghsa", "rustsec",
// "pysec"; the rustsec importer's name for the same vectors). A
// vector that does not parse is left out; Parse then returns the advisory
// and a *VectorError for each such vector (errors.Join'ed): the record is
// kept. Aliases are aliases plus upstream
// (Ubuntu lists the CVE there). Timestamps that do not parse as RFC 3339, and
// the 0001-01-01 placeholders of the Go vulndb repository, are left zero.
func Parse(b []byte) (*vulndb.Advisory, error) {
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	return convert(&r)
}

// convert builds the advisory. Its error is fatal (no advisory) or, beside
// an advisory, the *VectorErrors of the vectors it left out.
func convert(r *record) (*vulndb.Advisory, error) {
	if strings.TrimSpace(r.ID) == "" {
		return nil, errors.New("record has no id")
	}
	a := &vulndb.Advisory{
		ID:        r.ID,
		Aliases:   aliasesOf(r),
		Source:    Source,
		Summary:   r.Summary,
		Details:   r.Details,
		Severity:  cmpOr(severityOf(r.DatabaseSpecific), ratingOf(r.Severity)),
		Published: parseTime(r.Published),
		Modified:  parseTime(r.Modified),
		Withdrawn: parseTime(r.Withdrawn),
	}
	var warnings []error
	addCVSS := func(ss []severity) {
		for _, s := range ss {
			c, err := scoreOf(r.ID, s)
			switch {
			case err != nil:
				warnings = append(warnings, err)
			case c != nil && !slices.Contains(a.CVSS, *c):
				a.CVSS = append(a.CVSS, *c)
			}
		}
	}
	addCVSS(r.Severity)
	for _, ref := range r.References {
		if ref.URL != "" {
			a.References = append(a.References, vulndb.Reference{Type: ref.Type, URL: ref.URL})
		}
	}
	for _, in := range r.Affected {
		eco := NormalizeEcosystem(in.Package.Ecosystem)
		name := in.Package.Name
		if eco == "" || name == "" {
			continue
		}
		out := vulndb.Affected{Ecosystem: eco, Package: name, Status: vulndb.StatusRanges}
		for _, rg := range in.Ranges {
			if rg.Type != "ECOSYSTEM" && rg.Type != "SEMVER" {
				continue
			}
			out.Ranges = append(out.Ranges, rangesOf(rg.Events)...)
		}
		for _, v := range in.Versions {
			if v != "" {
				out.Versions = append(out.Versions, v)
			}
		}
		if len(out.Ranges) == 0 && len(out.Versions) == 0 {
			continue
		}
		addCVSS(in.Severity)
		out.Severity = cmpOr(severityOf(in.DatabaseSpecific), severityOf(in.EcosystemSpecific), a.Severity)
		if i := slices.IndexFunc(a.Affected, func(x vulndb.Affected) bool {
			return x.Ecosystem == out.Ecosystem && x.Package == out.Package && x.Severity == out.Severity
		}); i >= 0 {
			prev := &a.Affected[i]
			for _, rg := range out.Ranges {
				if !slices.Contains(prev.Ranges, rg) {
					prev.Ranges = append(prev.Ranges, rg)
				}
			}
			for _, v := range out.Versions {
				if !slices.Contains(prev.Versions, v) {
					prev.Versions = append(prev.Versions, v)
				}
			}
			continue
		}
		a.Affected = append(a.Affected, out)
	}
	if len(a.Affected) == 0 {
		return nil, nil
	}
	return a, errors.Join(warnings...)
}

// cvssTypes are the severity[] types that hold a CVSS vector.
var cvssTypes = []string{"CVSS_V2", "CVSS_V3", "CVSS_V4"}

// scoreOf scores one severity[] entry: nil for an entry that is not a
// CVSS vector (a rating word), a *VectorError for one that does not parse.
func scoreOf(id string, s severity) (*vulndb.CVSS, error) {
	if !slices.Contains(cvssTypes, s.Type) {
		return nil, nil
	}
	vector := strings.TrimSpace(s.Score)
	v, err := cvss.Parse(vector)
	if err != nil {
		return nil, &VectorError{ID: id, Type: s.Type, Err: err}
	}
	return &vulndb.CVSS{Source: scorer(id), Version: v.Version(), Vector: vector, Score: v.BaseScore()}, nil
}

// scorer names the database that published record id by the ID's prefix,
// which the OSV schema reserves per database (GHSA, RUSTSEC, PYSEC, GO,
// ...), in lower case as customs names feeds; Source ("osv") when there is
// none.
func scorer(id string) string {
	if p, _, ok := strings.Cut(id, "-"); ok && p != "" {
		return strings.ToLower(p)
	}
	return Source
}

// VectorError is a CVSS vector of a record that package cvss rejects. The
// record is imported without that score.
type VectorError struct {
	ID   string // the record's id
	Type string // CVSS_V2, CVSS_V3 or CVSS_V4
	Err  error
}

func (e *VectorError) Error() string {
	return fmt.Sprintf("%s: %s score left out, record kept: %v", e.ID, e.Type, e.Err)
}
func (e *VectorError) Unwrap() error { return e.Err }

func aliasesOf(r *record) []string {
	var out []string
	for _, id := range append(slices.Clone(r.Aliases), r.Upstream...) {
		if id != "" && id != r.ID && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// ratingOf returns the first severity entry that is a rating word rather
// than a CVSS vector (Ubuntu's {"type": "Ubuntu", "score": "medium"}).
func ratingOf(ss []severity) string {
	for _, s := range ss {
		if strings.HasPrefix(s.Type, "CVSS") {
			continue
		}
		if r := normalizeSeverity(s.Score); r != "" {
			return r
		}
	}
	return ""
}

func cmpOr(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// rangesOf turns the events of one range into intervals, in the order the
// OSV spec evaluates them (https://ossf.github.io/osv-schema/#evaluation).
func rangesOf(events []event) []vulndb.Range {
	var (
		out  []vulndb.Range
		cur  vulndb.Range
		open bool
	)
	for _, e := range events {
		switch {
		case e.Introduced != "":
			if open {
				out = append(out, cur)
			}
			cur, open = vulndb.Range{Introduced: e.Introduced}, true
		case e.Fixed != "":
			cur.Fixed = e.Fixed
			out = append(out, cur)
			cur, open = vulndb.Range{}, false
		case e.LastAffected != "":
			cur.LastAffected = e.LastAffected
			out = append(out, cur)
			cur, open = vulndb.Range{}, false
		}
	}
	if open {
		out = append(out, cur)
	}
	return out
}

// severityOf reads a "severity" string from a database_specific or
// ecosystem_specific object and normalises it; "" when absent or unknown.
func severityOf(raw json.RawMessage) string {
	if len(raw) == 0 || raw[0] != '{' {
		return ""
	}
	var v struct {
		Severity any `json:"severity"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	s, _ := v.Severity.(string)
	return normalizeSeverity(s)
}

// normalizeSeverity maps a rating word to a vulndb severity; "" when unknown.
func normalizeSeverity(s string) string {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "NEGLIGIBLE":
		return vulndb.SeverityNegligible
	case "LOW":
		return vulndb.SeverityLow
	case "MODERATE", "MEDIUM":
		return vulndb.SeverityMedium
	case "HIGH":
		return vulndb.SeverityHigh
	case "CRITICAL":
		return vulndb.SeverityCritical
	}
	return ""
}

func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		// The Go vulndb repository copy has 0001-01-01 placeholders.
		return time.Time{}
	}
	return t.UTC()
}

// distros maps OSV ecosystem names of Linux distributions to the os-release
// ID customs uses as the ecosystem prefix (see inventory.OS.Family).
var distros = map[string]string{
	"debian":      "debian",
	"ubuntu":      "ubuntu",
	"alpine":      "alpine",
	"almalinux":   "almalinux",
	"rocky linux": "rocky",
	"mageia":      "mageia",
	"photon os":   "photon",
	"wolfi":       "wolfi",
	"chainguard":  "chainguard",
	"openeuler":   "openeuler",
	"azure linux": "azurelinux",
}

// NormalizeEcosystem maps an OSV ecosystem name to the namespace customs
// matches in. Distributions become "<os-release ID>:<release>" in lower case:
// "Debian:12" -> "debian:12", "Alpine:v3.18" -> "alpine:3.18",
// "Ubuntu:22.04:LTS" -> "ubuntu:22.04", "Ubuntu:Pro:18.04:LTS" ->
// "ubuntu:pro:18.04", "Rocky Linux:8" -> "rocky:8", "AlmaLinux:9" ->
// "almalinux:9". Language ecosystems and distributions not listed are kept as
// published ("Go", "PyPI", "npm", "crates.io", "Red Hat:...").
func NormalizeEcosystem(s string) string {
	s = strings.TrimSpace(s)
	name, release, _ := strings.Cut(s, ":")
	id, ok := distros[strings.ToLower(name)]
	if !ok {
		return s
	}
	release = strings.ToLower(strings.TrimSpace(release))
	release = strings.TrimSuffix(release, ":lts")
	if id == "alpine" {
		release = strings.TrimPrefix(release, "v")
	}
	if release == "" {
		return id
	}
	return id + ":" + release
}

// RecordError is one OSV record that could not be read; Import skips it and
// goes on with the others.
type RecordError struct {
	// Path is the file, or the zip file and entry ("all.zip:GO-2022-0191.json").
	Path string
	Err  error
}

func (e *RecordError) Error() string { return fmt.Sprintf("%s: %v", e.Path, e.Err) }
func (e *RecordError) Unwrap() error { return e.Err }
