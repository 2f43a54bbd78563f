package main

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/customs-scanner/customs/internal/vulndb/build"
	"github.com/customs-scanner/customs/internal/vulndb/sqlite"
)

// buildDBs builds the DB the fleet is matched with (db1) and an update of
// it (db2) in which 1% of the advisories changed: Go and RustSec records
// whose fixed versions moved up. It returns how many changed.
func buildDBs(ctx context.Context, c config) (db1, db2 string, changed int, err error) {
	adv := filepath.Join(c.shared, "advisories")
	db1, db2 = filepath.Join(c.work, "db1.db"), filepath.Join(c.work, "db2.db")
	note := filepath.Join(c.work, "db2.changed")
	if b, err := os.ReadFile(note); err == nil && exists(db1) && exists(db2) {
		n, _ := strconv.Atoi(string(b))
		return db1, db2, n, nil
	}
	// Debian: the bookworm slice of testdata/feeds (the full
	// changelog-derived tracker rates some 2,800 findings on every
	// bookworm image, more than this fleet's 2 cores record in time).
	tracker := filepath.Join(c.work, "tracker.json")
	if err := gunzip("testdata/feeds/debian-tracker/bookworm-changelog-derived.json.gz", tracker); err != nil {
		return "", "", 0, err
	}
	common := []build.Source{
		{Kind: "debian-tracker", Path: tracker},
		{Kind: "alpine-secdb", Path: filepath.Join(adv, "alpine-secdb-legacy")},
		{Kind: "osv", Path: filepath.Join(adv, "pypa-advisory-database")},
		{Kind: "rubysec", Path: filepath.Join(adv, "rubysec")},
		{Kind: "friendsofphp", Path: filepath.Join(adv, "friendsofphp")},
		{Kind: "kev", Path: filepath.Join(adv, "cisa-kev", "known_exploited_vulnerabilities.json")},
	}
	moving := []string{filepath.Join(adv, "golang-vulndb", "data", "osv"), filepath.Join(adv, "rustsec-osv", "crates")}
	var srcs []build.Source
	for _, m := range moving {
		srcs = append(srcs, build.Source{Kind: "osv", Path: m})
	}
	if _, err := build.Build(ctx, db1, append(slices.Clone(common), srcs...), nil); err != nil {
		return "", "", 0, fmt.Errorf("build %s: %w", db1, err)
	}
	d, err := sqlite.Open(ctx, db1)
	if err != nil {
		return "", "", 0, err
	}
	info, err := d.Info(ctx)
	d.Close()
	if err != nil {
		return "", "", 0, err
	}
	total := 0
	for _, s := range info.Sources {
		total += s.Advisories
	}
	want := total / 100
	// Copies of the moving feeds, the first records by a hash of their
	// name changed until 1% of all advisories are.
	var files []string
	srcs = nil
	for _, m := range moving {
		dst := filepath.Join(c.work, "db2-"+filepath.Base(filepath.Dir(m))+"-"+filepath.Base(m))
		if err := os.RemoveAll(dst); err != nil {
			return "", "", 0, err
		}
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return "", "", 0, err
		}
		names, err := filepath.Glob(filepath.Join(m, "*.json"))
		if err != nil {
			return "", "", 0, err
		}
		for _, n := range names {
			out := filepath.Join(dst, filepath.Base(n))
			if err := copyFile(n, out); err != nil {
				return "", "", 0, err
			}
			files = append(files, out)
		}
		srcs = append(srcs, build.Source{Kind: "osv", Path: dst})
	}
	slices.SortFunc(files, func(a, b string) int {
		x, y := h("change", filepath.Base(a)), h("change", filepath.Base(b))
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	for _, f := range files {
		if changed >= want {
			break
		}
		ok, err := moveFixed(f)
		if err != nil {
			return "", "", 0, err
		}
		if ok {
			changed++
		}
	}
	if _, err := build.Build(ctx, db2, append(slices.Clone(common), srcs...), nil); err != nil {
		return "", "", 0, fmt.Errorf("build %s: %w", db2, err)
	}
	fmt.Printf("DBs: %d advisories; the update changes %d of them\n", total, changed)
	return db1, db2, changed, os.WriteFile(note, []byte(strconv.Itoa(changed)), 0o644)
}

// moveFixed raises every fixed version of an OSV record by one step and
// reports whether it had any.
func moveFixed(path string) (bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	var rec map[string]any
	if err := json.Unmarshal(b, &rec); err != nil {
		return false, nil // not a record this changes
	}
	moved := false
	affected, _ := rec["affected"].([]any)
	for _, a := range affected {
		am, _ := a.(map[string]any)
		ranges, _ := am["ranges"].([]any)
		for _, r := range ranges {
			rm, _ := r.(map[string]any)
			events, _ := rm["events"].([]any)
			for _, e := range events {
				em, _ := e.(map[string]any)
				if v, ok := em["fixed"].(string); ok && v != "" {
					em["fixed"] = bump("", v, 1)
					moved = true
				}
			}
		}
	}
	if !moved {
		return false, nil
	}
	rec["modified"] = "2026-12-06T00:00:00Z"
	out, err := json.Marshal(rec)
	if err != nil {
		return false, err
	}
	return true, os.WriteFile(path, out, 0o644)
}

func gunzip(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, zr); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
