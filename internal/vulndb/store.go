package vulndb

import (
	"context"
	"time"
)

// SchemaVersion is the version of the DB schema this build reads and writes.
// A DB with another version is refused with a message telling the user to
// rebuild or update it.
const SchemaVersion = 4

// Match is one Affected record together with the advisory it belongs to.
type Match struct {
	Advisory *Advisory
	Affected Affected
}

// Reader is what matching needs from the store.
type Reader interface {
	// ByPackage returns every affected record for (ecosystem, package),
	// sorted by advisory ID then source.
	ByPackage(ctx context.Context, ecosystem, name string) ([]Match, error)
}

// SourceInfo describes one imported feed.
type SourceInfo struct {
	Kind       string    `json:"kind"`
	Path       string    `json:"path"`
	Advisories int       `json:"advisories"`
	Affected   int       `json:"affected"`
	Imported   time.Time `json:"imported"`
}

// Info is what `customs db status` shows.
type Info struct {
	Path          string       `json:"path"`
	SchemaVersion int          `json:"schemaVersion"`
	Built         time.Time    `json:"built"`
	Sources       []SourceInfo `json:"sources"`
	Advisories    int          `json:"advisories"`
	Affected      int          `json:"affected"`
	// Ecosystems counts, per ecosystem the DB holds package records in
	// ("debian:12", "Go"), the packages it holds records for.
	Ecosystems map[string]int `json:"ecosystems,omitempty"`
}

// Sink receives advisories from a feed importer during a build.
type Sink interface {
	Add(ctx context.Context, a *Advisory) error
}

// KEVSink receives KEV catalog entries during a build.
type KEVSink interface {
	AddKEV(ctx context.Context, k KEV) error
}

// EPSSSink receives EPSS scores during a build.
type EPSSSink interface {
	AddEPSS(ctx context.Context, e EPSS) error
}

// Enricher is what matching needs to rate a finding beyond the record that
// matched: every source's record of the same ID (NVD's CVSS and CWEs, ...),
// the KEV entry and the EPSS score.
type Enricher interface {
	// ByID returns every source's advisory with this ID, sorted by source.
	ByID(ctx context.Context, id string) ([]*Advisory, error)
	// KEV returns the catalog entry for a CVE, or nil.
	KEV(ctx context.Context, cve string) (*KEV, error)
	// EPSS returns the EPSS score of a CVE, or nil.
	EPSS(ctx context.Context, cve string) (*EPSS, error)
}
