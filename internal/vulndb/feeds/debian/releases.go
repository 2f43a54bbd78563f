// Package debian imports the Debian Security Tracker into the advisory model:
// the tracker's JSON export (ImportTrackerJSON, source "debian-tracker") and
// the native lists of a tracker checkout's data/ folder (ImportLists, source
// "debian-lists").
//
// Both importers name a Debian release by the ecosystem "debian:<number>"
// and unstable (sid) as "debian:unstable":
//
//	buzz 1.1, rex 1.2, bo 1.3, hamm 2.0, slink 2.1, potato 2.2,
//	woody 3.0, sarge 3.1, etch 4, lenny 5, squeeze 6, wheezy 7,
//	jessie 8, stretch 9, buster 10, bullseye 11, bookworm 12,
//	trixie 13, forky 14, duke 15, sid unstable.
//
// The package they name is the source package. Urgencies become severities:
// unimportant NEGLIGIBLE, low LOW, medium MEDIUM, high HIGH (with or without
// the trailing stars of NVD-derived urgencies); "not yet assigned" and
// "end-of-life" give none.
//
// Both return the number of advisories added and, beside it, the problems
// of single records or lines joined in one error (errors.Join, at most 100
// shown): such an error does not mean the import failed. An import that
// stops (unreadable file, invalid JSON, sink error, cancelled ctx) returns
// the count added so far and that error.
package debian

import (
	"strings"

	"github.com/customs-scanner/customs/internal/vulndb/feeds/errlist"

	"github.com/customs-scanner/customs/internal/vulndb"
)

// Source kinds recorded in vulndb.Advisory.Source.
const (
	sourceTracker = "debian-tracker"
	sourceLists   = "debian-lists"
)

// ecosystemUnstable is the ecosystem of sid, and of list lines that name no
// release.
const ecosystemUnstable = "debian:unstable"

// releases maps Debian codenames to ecosystems, oldest first (the order is
// also the order of Affected records in an advisory). Numbers are the major
// release numbers Debian uses since etch (4.0); before that the point
// releases were distinct releases with their own codenames, so they keep
// their "X.Y" number (debian.org/releases).
var releases = []struct{ codename, ecosystem string }{
	{"buzz", "debian:1.1"},
	{"rex", "debian:1.2"},
	{"bo", "debian:1.3"},
	{"hamm", "debian:2.0"},
	{"slink", "debian:2.1"},
	{"potato", "debian:2.2"},
	{"woody", "debian:3.0"},
	{"sarge", "debian:3.1"},
	{"etch", "debian:4"},
	{"lenny", "debian:5"},
	{"squeeze", "debian:6"},
	{"wheezy", "debian:7"},
	{"jessie", "debian:8"},
	{"stretch", "debian:9"},
	{"buster", "debian:10"},
	{"bullseye", "debian:11"},
	{"bookworm", "debian:12"},
	{"trixie", "debian:13"},
	{"forky", "debian:14"},
	{"duke", "debian:15"},
	{"sid", ecosystemUnstable},
}

// ecosystemRank orders ecosystems the way releases lists them.
var ecosystemRank = func() map[string]int {
	m := make(map[string]int, len(releases))
	for i, r := range releases {
		m[r.ecosystem] = i
	}
	return m
}()

// ecosystemOf returns the ecosystem of a codename ("bookworm" ->
// "debian:12"); false for a codename it does not know.
func ecosystemOf(codename string) (string, bool) {
	for _, r := range releases {
		if r.codename == codename {
			return r.ecosystem, true
		}
	}
	return "", false
}

// compareAffected orders Affected records by release (oldest first), then by
// package name.
func compareAffected(a, b vulndb.Affected) int {
	ra, oka := ecosystemRank[a.Ecosystem]
	rb, okb := ecosystemRank[b.Ecosystem]
	switch {
	case oka && okb && ra != rb:
		return ra - rb
	case oka != okb:
		if oka {
			return -1
		}
		return 1
	case a.Ecosystem != b.Ecosystem:
		return strings.Compare(a.Ecosystem, b.Ecosystem)
	}
	return strings.Compare(a.Package, b.Package)
}

// severityOf normalises a tracker urgency to a vulndb severity. The tracker
// marks urgencies it derived from NVD with one or two trailing stars
// ("low**"); they mean the same level. "not yet assigned", "end-of-life" and
// the empty string carry no rating and give "". The second result is false
// for an urgency the tracker does not define.
func severityOf(urgency string) (string, bool) {
	switch strings.TrimRight(strings.TrimSpace(urgency), "*") {
	case "unimportant":
		return vulndb.SeverityNegligible, true
	case "low":
		return vulndb.SeverityLow, true
	case "medium":
		return vulndb.SeverityMedium, true
	case "high":
		return vulndb.SeverityHigh, true
	case "", "not yet assigned", "end-of-life":
		return "", true
	}
	return "", false
}

// warnings collects per-record problems of an import that do not stop it,
// the first errlist.DefaultMax of them kept so that a file of garbage
// cannot grow memory without limit.
type warnings = errlist.List

// newWarnings returns an empty warnings list for one import.
func newWarnings() *warnings { return &warnings{Noun: "warnings"} }
