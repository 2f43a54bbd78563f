package match

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/vulndb"
)

// enricher rates findings with what every source says about their
// vulnerability, caching per ID: many packages share a CVE.
type enricher struct {
	db    vulndb.Enricher
	byID  map[string][]*vulndb.Advisory
	kev   map[string]*vulndb.KEV
	epss  map[string]*vulndb.EPSS
	score func(vector string) (float64, bool)
}

func newEnricher(db vulndb.Enricher, score func(string) (float64, bool)) *enricher {
	return &enricher{db: db, byID: map[string][]*vulndb.Advisory{}, kev: map[string]*vulndb.KEV{}, epss: map[string]*vulndb.EPSS{}, score: score}
}

func (e *enricher) records(ctx context.Context, id string) ([]*vulndb.Advisory, error) {
	if r, ok := e.byID[id]; ok {
		return r, nil
	}
	r, err := e.db.ByID(ctx, id)
	if err != nil {
		return nil, err
	}
	e.byID[id] = r
	return r, nil
}

// enrich sets a finding's severity and its source (see rate), its CVSS
// list, KEV and EPSS. rt holds what the matched records say.
func (e *enricher) enrich(ctx context.Context, f *report.Finding, rt *ratings) error {
	ids := append([]string{f.VulnerabilityID}, f.Aliases...)
	var recs []*vulndb.Advisory
	recs = append(recs, rt.matched...)
	if e.db != nil {
		for _, id := range ids {
			r, err := e.records(ctx, id)
			if err != nil {
				return err
			}
			recs = append(recs, r...)
		}
	}

	if f.Title == "" {
		f.Title = title(f.VulnerabilityID, recs)
	}
	for _, a := range recs {
		// The earliest publication any source gives is the advisory's age.
		if !a.Published.IsZero() && (f.Published.IsZero() || a.Published.Before(f.Published)) {
			f.Published = a.Published
		}
	}

	f.Severity, f.SeveritySource = rate(rt, recs, e.score)

	f.CVSS = []report.CVSS{}
	seen := map[string]bool{}
	for _, a := range recs {
		for _, c := range a.CVSS {
			k := c.Source + "\x00" + c.Version + "\x00" + c.Vector
			if seen[k] {
				continue
			}
			seen[k] = true
			score := c.Score
			if score == 0 && e.score != nil {
				if s, ok := e.score(c.Vector); ok {
					score = s
				}
			}
			src := c.Source
			if src == "" {
				src = a.Source
			}
			f.CVSS = append(f.CVSS, report.CVSS{Source: src, Version: c.Version, Vector: c.Vector, Score: score})
		}
	}
	sort.SliceStable(f.CVSS, func(i, j int) bool {
		if f.CVSS[i].Source != f.CVSS[j].Source {
			return f.CVSS[i].Source < f.CVSS[j].Source
		}
		return f.CVSS[i].Version > f.CVSS[j].Version
	})

	if e.db == nil {
		return nil
	}
	for _, id := range ids {
		if !strings.HasPrefix(id, "CVE-") {
			continue
		}
		if f.KEV == nil {
			k, ok := e.kev[id]
			if !ok {
				var err error
				if k, err = e.db.KEV(ctx, id); err != nil {
					return fmt.Errorf("KEV %s: %w", id, err)
				}
				e.kev[id] = k
			}
			if k != nil {
				f.KEV = &report.KEV{DateAdded: k.DateAdded, DueDate: k.DueDate}
			}
		}
		if f.EPSS == nil {
			s, ok := e.epss[id]
			if !ok {
				var err error
				if s, err = e.db.EPSS(ctx, id); err != nil {
					return fmt.Errorf("EPSS %s: %w", id, err)
				}
				e.epss[id] = s
			}
			if s != nil {
				f.EPSS = &report.EPSS{Score: s.Score, Percentile: s.Percentile, Date: s.Date}
			}
		}
	}
	return nil
}

// title is the first summary the records give, the finding's own ID first.
func title(id string, recs []*vulndb.Advisory) string {
	t := ""
	for _, a := range recs {
		if a.Summary == "" {
			continue
		}
		if a.ID == id {
			t = a.Summary
			break
		}
		if t == "" {
			t = a.Summary
		}
	}
	if len(t) > 200 {
		t = t[:197] + "..."
	}
	return t
}
