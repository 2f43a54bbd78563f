// Package rubysec imports the Ruby Advisory Database
// (https://github.com/rubysec/ruby-advisory-db) in its native YAML form:
// gems/NAME/*.yml for gems, rubies/ENGINE/*.yml for Ruby implementations.
package rubysec

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/cvss"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/errlist"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/feedio"
	"go.yaml.in/yaml/v3"
)

const (
	// Source is the vulndb.Advisory.Source of this feed.
	Source = "rubysec"
	// Ecosystem is the ecosystem of gem advisories (OSV's name).
	Ecosystem = "RubyGems"
	// EngineEcosystem is the ecosystem of advisories on Ruby
	// implementations (rubies/: ruby, jruby, mruby, ...); Package is the
	// engine's name.
	EngineEcosystem = "ruby-engine"

	maxFileSize = 1 << 20
)

// record is one advisory file; see the schema in the database's README
// (https://github.com/rubysec/ruby-advisory-db#schema).
type record struct {
	Gem         string   `yaml:"gem"`
	Engine      string   `yaml:"engine"`
	CVE         string   `yaml:"cve"`
	GHSA        string   `yaml:"ghsa"`
	OSVDB       string   `yaml:"osvdb"`
	URL         string   `yaml:"url"`
	Title       string   `yaml:"title"`
	Date        string   `yaml:"date"`
	Description string   `yaml:"description"`
	CVSSv2      *float64 `yaml:"cvss_v2"`
	CVSSv3      *float64 `yaml:"cvss_v3"`
	CVSSv4      *float64 `yaml:"cvss_v4"`
	Patched     []string `yaml:"patched_versions"`
	Unaffected  []string `yaml:"unaffected_versions"`
	Related     struct {
		URL []string `yaml:"url"`
	} `yaml:"related"`
}

// Parse converts one advisory file; name is its path, whose stem gives the
// ID of an advisory with neither GHSA nor CVE.
//
// The mapping:
//   - ID is "GHSA-<ghsa>" if present, else "CVE-<cve>", else
//     "RUBYSEC-<file stem>"; Aliases are the others of GHSA, CVE and
//     "OSVDB-<osvdb>".
//   - Summary is title, Details description, Published date.
//   - CVSS lists cvss_v2, cvss_v3, cvss_v4 as {Source: "rubysec", Score};
//     the database gives no vectors, nor the v3 minor version ("3.0" is
//     written). Severity is the rating of the newest of them (CVSS v3/v4
//     bands; v2: LOW < 4, MEDIUM < 7, else HIGH).
//   - References: url (ADVISORY) then related.url (WEB), deduplicated.
//   - One Affected for the gem (Ecosystem "RubyGems") or the engine
//     ("ruby-engine"): a version is affected iff it satisfies none of
//     patched_versions and none of unaffected_versions, converted to ranges
//     (see affectedRanges); StatusDetail notes exclusive lower bounds. With
//     neither list, Status is vulndb.StatusAffected (no fix); when the lists
//     cover every version, vulndb.StatusNotAffected.
func Parse(name string, b []byte) (*vulndb.Advisory, error) {
	var r record
	if err := yaml.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	af := vulndb.Affected{Ecosystem: Ecosystem, Package: strings.TrimSpace(r.Gem), Status: vulndb.StatusRanges}
	if af.Package == "" {
		af.Ecosystem, af.Package = EngineEcosystem, strings.TrimSpace(r.Engine)
	}
	if af.Package == "" {
		return nil, errors.New("neither gem nor engine")
	}
	var ids []string
	if g := strings.TrimSpace(r.GHSA); g != "" {
		ids = append(ids, "GHSA-"+strings.TrimPrefix(g, "GHSA-"))
	}
	if c := strings.TrimSpace(r.CVE); c != "" {
		ids = append(ids, "CVE-"+strings.TrimPrefix(c, "CVE-"))
	}
	if len(ids) == 0 {
		stem := strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
		ids = append(ids, "RUBYSEC-"+stem)
	}
	if o := strings.TrimSpace(r.OSVDB); o != "" {
		ids = append(ids, "OSVDB-"+strings.TrimPrefix(o, "OSVDB-"))
	}
	a := &vulndb.Advisory{
		ID:      ids[0],
		Aliases: ids[1:],
		Source:  Source,
		Summary: strings.TrimSpace(r.Title),
		Details: strings.TrimSpace(r.Description),
	}
	if r.Date != "" {
		t, err := time.Parse(time.DateOnly, r.Date)
		if err != nil {
			return nil, fmt.Errorf("date: %w", err)
		}
		a.Published = t
	}
	for _, s := range []struct {
		v       *float64
		version string
	}{{r.CVSSv2, "2.0"}, {r.CVSSv3, "3.0"}, {r.CVSSv4, "4.0"}} {
		if s.v == nil {
			continue
		}
		if *s.v < 0 || *s.v > 10 {
			return nil, fmt.Errorf("cvss %s score %v outside [0, 10]", s.version, *s.v)
		}
		a.CVSS = append(a.CVSS, vulndb.CVSS{Source: Source, Version: s.version, Score: *s.v})
		a.Severity = severity(s.version, *s.v)
	}
	seen := map[string]bool{}
	for i, u := range append([]string{r.URL}, r.Related.URL...) {
		u = strings.TrimSpace(u)
		if u == "" || seen[u] {
			continue
		}
		seen[u] = true
		typ := "WEB"
		if i == 0 {
			typ = "ADVISORY"
		}
		a.References = append(a.References, vulndb.Reference{Type: typ, URL: u})
	}
	if len(r.Patched) == 0 && len(r.Unaffected) == 0 {
		af.Status = vulndb.StatusAffected
	} else {
		ranges, excl, none, err := affectedRanges(r.Patched, r.Unaffected)
		if err != nil {
			return nil, err
		}
		af.Ranges = ranges
		if none {
			af.Status = vulndb.StatusNotAffected
		}
		if len(excl) > 0 {
			af.StatusDetail = "introduced exclusive of " + strings.Join(excl, ", ")
		}
	}
	a.Affected = []vulndb.Affected{af}
	return a, nil
}

// severity rates a score on its version's CVSS scale (cvss.SeverityOf);
// CVSS's NONE is vulndb.SeverityNegligible.
func severity(version string, score float64) string {
	if s := cvss.SeverityOf(version, score); s != cvss.SeverityNone {
		return s
	}
	return vulndb.SeverityNegligible
}

// Import reads the advisory files under path (a checkout of the database,
// its gems/ or rubies/ folder, or one .yml file) and adds one advisory per
// file to sink; names starting with a dot (.github, .yamllint.yml) are
// passed over. It returns the number added. A file that cannot be parsed
// is skipped and reported as a *errlist.FileError in the returned error
// (errors.Join'ed, at most 100 listed); an unreadable directory, a sink
// error or a cancelled ctx stop the import.
func Import(ctx context.Context, path string, sink vulndb.Sink) (int, error) {
	added := 0
	errs := errlist.List{Noun: "file errors"}
	err := feedio.Walk(ctx, path, isRecordName, func(p string) error {
		a, err := parseFile(p)
		if err != nil {
			errs.Add(&errlist.FileError{Path: p, Err: err})
			return nil
		}
		if err := sink.Add(ctx, a); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		added++
		return nil
	})
	if err != nil {
		return added, fmt.Errorf("import rubysec %s: %w", path, err)
	}
	return added, errs.Err()
}

func isRecordName(p string) bool {
	ext := strings.ToLower(filepath.Ext(p))
	return ext == ".yml" || ext == ".yaml"
}

func parseFile(p string) (*vulndb.Advisory, error) {
	b, err := feedio.ReadFile(p, maxFileSize)
	if err != nil {
		return nil, err
	}
	return Parse(p, b)
}
