package sqlite

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/vulndb"
)

// BenchmarkLookup measures ByPackage over a DB named by CUSTOMS_BENCH_DB
// (scripts/dbbench.sh builds one from every shared feed): each op looks up
// one (ecosystem, package) pair drawn from the DB's own rows, with one miss
// in eight, the way a scan asks.
func BenchmarkLookup(b *testing.B) {
	path := os.Getenv("CUSTOMS_BENCH_DB")
	if path == "" {
		b.Skip("set CUSTOMS_BENCH_DB to a DB file (scripts/dbbench.sh does)")
	}
	db, err := Open(b.Context(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	all, err := db.packageKeys(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	keys := make([]runKey, 1000)
	for i := range keys {
		keys[i] = all[r.IntN(len(all))]
	}
	for i := 0; i < len(keys); i += 8 {
		keys[i].a += "-not-a-package"
	}
	i := 0
	var took []time.Duration
	for b.Loop() {
		k := keys[i%len(keys)]
		i++
		start := time.Now()
		if _, err := db.ByPackage(b.Context(), k.b, k.a); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(took[len(took)*99/100].Nanoseconds())/1e3, "p99-µs")
}

// BenchmarkSizeAgainstGzipJSON compares the DB named by CUSTOMS_BENCH_DB with the
// same data written as JSON (every advisory, every affected record) and
// gzipped; scripts/dbbench.sh runs it.
func BenchmarkSizeAgainstGzipJSON(b *testing.B) {
	path := os.Getenv("CUSTOMS_BENCH_DB")
	if path == "" {
		b.Skip("set CUSTOMS_BENCH_DB to a DB file (scripts/dbbench.sh does)")
	}
	db, err := Open(b.Context(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var out countWriter
	zw := gzip.NewWriter(&out)
	enc := json.NewEncoder(zw)
	for c := range db.chunkKeys {
		run, err := db.chunkData(b.Context(), int64(c))
		if err != nil {
			b.Fatal(err)
		}
		err = walkRun(run, func(id, source, rec []byte) bool {
			var a vulndb.Advisory
			if err := json.Unmarshal(rec, &a); err != nil {
				b.Fatal(err)
			}
			a.ID, a.Source = string(id), string(source)
			enc.Encode(a)
			return true
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	keys, err := db.packageKeys(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	for _, k := range keys {
		ms, err := db.ByPackage(b.Context(), k.b, k.a)
		if err != nil {
			b.Fatal(err)
		}
		for _, m := range ms {
			enc.Encode(struct {
				ID       string          `json:"id"`
				Source   string          `json:"source"`
				Affected vulndb.Affected `json:"affected"`
			}{m.Advisory.ID, m.Advisory.Source, m.Affected})
		}
	}
	// The exploitation signals are in the DB too.
	kevs, err := db.loadKEV(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	for _, cve := range slices.Sorted(maps.Keys(kevs)) {
		enc.Encode(kevs[cve])
	}
	rows, err := db.db.QueryContext(b.Context(), `SELECT cve FROM epss_keys ORDER BY run`)
	if err != nil {
		b.Fatal(err)
	}
	var firsts []string
	for rows.Next() {
		var cve string
		if err := rows.Scan(&cve); err != nil {
			b.Fatal(err)
		}
		firsts = append(firsts, cve)
	}
	rows.Close()
	for r := range firsts {
		run, err := db.epssRun(b.Context(), r)
		if err != nil {
			b.Fatal(err)
		}
		walkRun(run, func(cve, _, _ []byte) bool {
			e, err := db.EPSS(b.Context(), string(cve))
			if err != nil || e == nil {
				b.Fatalf("EPSS(%s) = %v, %v", cve, e, err)
			}
			enc.Encode(e)
			return true
		})
	}
	zw.Close()
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(st.Size())/(1<<20), "DB-MB")
	b.ReportMetric(float64(out)/(1<<20), "gzipJSON-MB")
	b.ReportMetric(float64(st.Size())/float64(out), "ratio")
}

// packageKeys lists every (package, ecosystem) of the DB.
func (d *DB) packageKeys(ctx context.Context) ([]runKey, error) {
	var out []runKey
	for blk := range d.blockKeys {
		run, err := d.blockData(ctx, int64(blk))
		if err != nil {
			return nil, err
		}
		if err := walkRun(run, func(a, b, _ []byte) bool {
			out = append(out, runKey{string(a), string(b)})
			return true
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

// BenchmarkLookupImage measures ByPackage the way a scan of a real image
// asks: the source packages of a debootstrap bookworm install (dpkg status
// in CUSTOMS_BENCH_STATUS) in ecosystem debian:12, against the DB in
// CUSTOMS_BENCH_DB.
func BenchmarkLookupImage(b *testing.B) {
	path, status := os.Getenv("CUSTOMS_BENCH_DB"), os.Getenv("CUSTOMS_BENCH_STATUS")
	if path == "" || status == "" {
		b.Skip("set CUSTOMS_BENCH_DB and CUSTOMS_BENCH_STATUS (scripts/dbbench.sh does)")
	}
	st, err := os.ReadFile(status)
	if err != nil {
		b.Fatal(err)
	}
	seen := map[string]bool{}
	var names []string
	for _, stanza := range strings.Split(string(st), "\n\n") {
		name, src := "", ""
		for _, line := range strings.Split(stanza, "\n") {
			if v, ok := strings.CutPrefix(line, "Package: "); ok {
				name = v
			}
			if v, ok := strings.CutPrefix(line, "Source: "); ok {
				src, _, _ = strings.Cut(v, " ")
			}
		}
		if src == "" {
			src = name
		}
		if src != "" && !seen[src] {
			seen[src] = true
			names = append(names, src)
		}
	}
	db, err := Open(b.Context(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	i := 0
	for b.Loop() {
		if _, err := db.ByPackage(b.Context(), "debian:12", names[i%len(names)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(len(names)), "packages")
}
