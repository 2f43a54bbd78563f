package sqlite

import (
	"compress/gzip"
	"database/sql"
	"encoding/json"
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
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	rows, err := raw.Query(`SELECT ecosystem, package FROM packages ORDER BY random() LIMIT 1000`)
	if err != nil {
		b.Fatal(err)
	}
	type key struct{ eco, pkg string }
	var keys []key
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.eco, &k.pkg); err != nil {
			b.Fatal(err)
		}
		keys = append(keys, k)
	}
	rows.Close()
	raw.Close()
	for i := 0; i < len(keys); i += 8 {
		keys[i].pkg += "-not-a-package"
	}
	db, err := Open(b.Context(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	i := 0
	var took []time.Duration
	for b.Loop() {
		k := keys[i%len(keys)]
		i++
		start := time.Now()
		if _, err := db.ByPackage(b.Context(), k.eco, k.pkg); err != nil {
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
	rows, err := db.db.QueryContext(b.Context(), `SELECT data FROM chunks ORDER BY chunk`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var blob []byte
		if err := rows.Scan(&blob); err != nil {
			b.Fatal(err)
		}
		raw, err := db.dec.DecodeAll(blob, nil)
		if err != nil {
			b.Fatal(err)
		}
		var advs []vulndb.Advisory
		if err := json.Unmarshal(raw, &advs); err != nil {
			b.Fatal(err)
		}
		for _, a := range advs {
			enc.Encode(a)
		}
	}
	rows.Close()
	rows, err = db.db.QueryContext(b.Context(), `SELECT ecosystem, package FROM packages`)
	if err != nil {
		b.Fatal(err)
	}
	var keys [][2]string
	for rows.Next() {
		var k [2]string
		if err := rows.Scan(&k[0], &k[1]); err != nil {
			b.Fatal(err)
		}
		keys = append(keys, k)
	}
	rows.Close()
	for _, k := range keys {
		ms, err := db.ByPackage(b.Context(), k[0], k[1])
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
	zw.Close()
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(st.Size())/(1<<20), "DB-MB")
	b.ReportMetric(float64(out)/(1<<20), "gzipJSON-MB")
	b.ReportMetric(float64(st.Size())/float64(out), "ratio")
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
