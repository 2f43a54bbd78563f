package match

import (
	"cmp"
	"slices"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/cvss"
)

// nvdSource is the feed kind of NVD records.
const nvdSource = "nvd"

// nvdScorers are the CVSS sources that are NVD's own assessment: NVD's
// records name it nvd@nist.gov, Ubuntu's tracker copies NVD's vector as "nvd".
var nvdScorers = []string{"nvd@nist.gov", nvdSource}

// cvssPreference orders CVSS versions when a source gives several, as NVD
// rates a CVE (see vulndb/feeds/nvd): 3.1, 3.0, 4.0, then 2.0.
var cvssPreference = []string{"3.1", "3.0", "4.0", "2.0"}

// ratings is what the records that matched one package say about its
// severity, gathered while matching.
type ratings struct {
	// distro is the highest rating a distribution gives its own package
	// (a matched record in a distribution namespace), distroSource its feed.
	distro, distroSource string
	// word is the highest rating a language ecosystem's matched record
	// gives the package (GHSA's database_specific.severity), wordSource its feed.
	word, wordSource string
	// matched are the records that matched the package.
	matched []*vulndb.Advisory
}

// add takes one matched record's rating of the package.
func (r *ratings) add(a *vulndb.Advisory, af *vulndb.Affected) {
	r.matched = append(r.matched, a)
	sev := cmp.Or(af.Severity, a.Severity)
	if vulndb.IsDistro(af.Ecosystem) {
		if rank(sev) > rank(r.distro) {
			r.distro, r.distroSource = sev, a.Source
		}
		return
	}
	if rank(sev) > rank(r.word) {
		r.word, r.wordSource = sev, a.Source
	}
}

// rate is the one place a finding's severity is chosen. In order:
//
//  1. the distribution's own rating, for a package matched in that
//     distribution's namespace;
//  2. NVD's: the severity of an NVD record, else the band of NVD's own CVSS
//     score (nvd@nist.gov, or "nvd" where a tracker copies it) carried by
//     any record of the vulnerability;
//  3. the feed's own vector: the band (cvss.SeverityOf) of a CVSS score of
//     a matched record, else of a record of the same vulnerability that is
//     not a distribution's (GHSA's vector for a Go module matched by its GO-
//     record); of several, the preferred version (3.1, 3.0, 4.0, 2.0), then
//     the highest score;
//  4. a rating word: the matched records' (GHSA's database_specific.severity),
//     else the highest of the records of the same vulnerability that are not
//     a distribution's.
//
// A distribution's rating (tier 1, and its records in tiers 3 and 4) never
// rates another distribution's package or a language package: Ubuntu's
// "medium" for its python-requests is not the rating of a pip-installed
// requests. related are all records of the vulnerability and its aliases
// (matched ones included); score computes a score for a vector stored
// without one. It returns UNKNOWN and "" when nothing rates it.
func rate(r *ratings, related []*vulndb.Advisory, score func(string) (float64, bool)) (severity, source string) {
	if known(r.distro) {
		return r.distro, r.distroSource
	}
	for _, a := range related {
		if a.Source == nvdSource && known(a.Severity) {
			return a.Severity, nvdSource
		}
	}
	var nvd []scored
	for _, a := range related {
		for _, c := range a.CVSS {
			if slices.Contains(nvdScorers, c.Source) {
				nvd = append(nvd, scoreOf(a, c, score))
			}
		}
	}
	if s, ok := best(nvd); ok {
		return s.severity, nvdSource
	}
	own := func(recs []*vulndb.Advisory) []scored {
		var out []scored
		for _, a := range recs {
			if a.Source == nvdSource || isDistroRecord(a) && !slices.Contains(r.matched, a) {
				continue
			}
			for _, c := range a.CVSS {
				if !slices.Contains(nvdScorers, c.Source) {
					out = append(out, scoreOf(a, c, score))
				}
			}
		}
		return out
	}
	if s, ok := best(own(r.matched)); ok {
		return s.severity, s.source
	}
	if s, ok := best(own(related)); ok {
		return s.severity, s.source
	}
	if known(r.word) {
		return r.word, r.wordSource
	}
	sev, src := "", ""
	for _, a := range related {
		if a.Source == nvdSource || isDistroRecord(a) || !known(a.Severity) {
			continue
		}
		if rank(a.Severity) > rank(sev) || rank(a.Severity) == rank(sev) && a.Source < src {
			sev, src = a.Severity, a.Source
		}
	}
	if sev != "" {
		return sev, src
	}
	return vulndb.SeverityUnknown, ""
}

// scored is one CVSS assessment with the severity its score bands to ("" when
// it has no usable score).
type scored struct {
	version  string
	score    float64
	severity string
	source   string
}

// scoreOf bands one assessment's score. A score of 0 is taken from the
// vector when there is one (a vector with no impact scores 0.0, NONE, which
// is NEGLIGIBLE); without a vector it means no score.
func scoreOf(a *vulndb.Advisory, c vulndb.CVSS, score func(string) (float64, bool)) scored {
	s, ok := c.Score, c.Score > 0
	if !ok && c.Vector != "" && score != nil {
		s, ok = score(c.Vector)
	}
	sev := ""
	if ok {
		sev = cvss.SeverityOf(c.Version, s)
	}
	if sev == cvss.SeverityNone {
		sev = vulndb.SeverityNegligible
	}
	return scored{version: c.Version, score: s, severity: sev, source: cmp.Or(c.Source, a.Source)}
}

// best picks the preferred version, then the highest score, of the
// assessments that have a severity.
func best(ss []scored) (scored, bool) {
	pref := func(v string) int {
		if i := slices.Index(cvssPreference, v); i >= 0 {
			return i
		}
		return len(cvssPreference)
	}
	var out scored
	found := false
	for _, s := range ss {
		if s.severity == "" {
			continue
		}
		if !found || pref(s.version) < pref(out.version) || pref(s.version) == pref(out.version) && s.score > out.score {
			out, found = s, true
		}
	}
	return out, found
}

// isDistroRecord reports whether a record is a distribution's: every
// package it names is in a distribution namespace.
func isDistroRecord(a *vulndb.Advisory) bool {
	if len(a.Affected) == 0 {
		return false
	}
	for _, af := range a.Affected {
		if !vulndb.IsDistro(af.Ecosystem) {
			return false
		}
	}
	return true
}

func known(sev string) bool {
	return sev != "" && sev != vulndb.SeverityUnknown
}
