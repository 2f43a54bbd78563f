package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/customs-scanner/customs/internal/vulndb"
)

// Advisories calls fn with every advisory of one source kind, whole (with
// its Affected records), in ID order: what a rebuild needs to carry a
// source over whose feed it can no longer read. It holds the source's
// advisories in memory while it walks the blocks.
func (d *DB) Advisories(ctx context.Context, source string, fn func(*vulndb.Advisory) error) error {
	byID := map[string]*vulndb.Advisory{}
	for c := range len(d.chunkKeys) {
		run, err := d.readRun(ctx, d.chunk, int64(c), "chunk")
		if err != nil {
			return fmt.Errorf("read %s advisories: %w", source, err)
		}
		var derr error
		err = walkRun(run, func(id, src, rec []byte) bool {
			if string(src) != source {
				return true
			}
			a := new(vulndb.Advisory)
			if derr = json.Unmarshal(rec, a); derr != nil {
				return false
			}
			a.ID, a.Source = string(id), source
			byID[a.ID] = a
			return true
		})
		if err == nil {
			err = derr
		}
		if err != nil {
			return fmt.Errorf("read %s advisories: chunk %d: %w", source, c, err)
		}
	}
	for b := range len(d.blockKeys) {
		run, err := d.readRun(ctx, d.block, int64(b), "block")
		if err != nil {
			return fmt.Errorf("read %s advisories: %w", source, err)
		}
		var derr error
		err = walkRun(run, func(pkg, eco, rec []byte) bool {
			var recs []packedRecord
			if derr = json.Unmarshal(rec, &recs); derr != nil {
				return false
			}
			for _, r := range recs {
				a := byID[r.ID]
				if r.Source != source || a == nil {
					continue
				}
				af := r.Affected
				af.Ecosystem, af.Package = string(eco), string(pkg)
				a.Affected = append(a.Affected, af)
			}
			return true
		})
		if err == nil {
			err = derr
		}
		if err != nil {
			return fmt.Errorf("read %s advisories: block %d: %w", source, b, err)
		}
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := fn(byID[id]); err != nil {
			return err
		}
	}
	return nil
}

// KEVs returns the whole KEV catalog the DB holds, sorted by CVE.
func (d *DB) KEVs(ctx context.Context) ([]vulndb.KEV, error) {
	m, err := d.loadKEV(ctx)
	if err != nil {
		return nil, fmt.Errorf("read KEV catalog: %w", err)
	}
	out := make([]vulndb.KEV, 0, len(m))
	for _, k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b vulndb.KEV) int { return strings.Compare(a.CVE, b.CVE) })
	return out, nil
}

// EachEPSS calls fn with every EPSS score the DB holds, in CVE order.
func (d *DB) EachEPSS(ctx context.Context, fn func(vulndb.EPSS) error) error {
	keys, err := d.keys(ctx, `SELECT run, cve, '' FROM epss_keys ORDER BY run`)
	if err != nil {
		return fmt.Errorf("read EPSS scores: %w", err)
	}
	for r := range len(keys) {
		run, err := d.readRun(ctx, d.ep, int64(r), "run")
		if err != nil {
			return fmt.Errorf("read EPSS scores: %w", err)
		}
		var ferr error
		err = walkRun(run, func(cve, date, rec []byte) bool {
			e := vulndb.EPSS{CVE: string(cve), Date: string(date)}
			s, p, _ := strings.Cut(string(rec), ",")
			if e.Score, ferr = strconv.ParseFloat(s, 64); ferr != nil {
				return false
			}
			if e.Percentile, ferr = strconv.ParseFloat(p, 64); ferr != nil {
				return false
			}
			ferr = fn(e)
			return ferr == nil
		})
		if err == nil {
			err = ferr
		}
		if err != nil {
			return fmt.Errorf("read EPSS scores: run %d: %w", r, err)
		}
	}
	return nil
}
