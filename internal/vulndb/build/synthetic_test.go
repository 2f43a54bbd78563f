package build

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/vulndb/sqlite"
)

// BenchmarkSyntheticBuild estimates a build of full OSV (about 500k records):
// it writes CUSTOMS_BENCH_SYNTHETIC records shaped like real ones (one to
// three affected packages across the big ecosystems, ECOSYSTEM and SEMVER
// ranges, aliases, references, a few hundred bytes of details) into an
// all.zip, builds a DB from it and reports time, size and lookup latency.
// It runs only when that variable is set (scripts/dbbench.sh sets it).
func BenchmarkSyntheticBuild(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("CUSTOMS_BENCH_SYNTHETIC"))
	if n == 0 {
		b.Skip("set CUSTOMS_BENCH_SYNTHETIC=N to build a DB from N synthetic OSV records")
	}
	dir := os.Getenv("CUSTOMS_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	zipPath := filepath.Join(dir, "synthetic-osv.zip")
	f, err := os.Create(zipPath)
	if err != nil {
		b.Fatal(err)
	}
	zw := zip.NewWriter(f)
	rng := rand.New(rand.NewPCG(1, 2))
	ecos := []string{"PyPI", "npm", "Go", "Maven", "crates.io", "RubyGems", "Packagist", "NuGet", "Debian:12", "Ubuntu:22.04", "Alpine:v3.19"}
	words := strings.Fields("a crafted request allows remote attackers to cause a denial of service or execute arbitrary code via a heap based buffer overflow in the parser when handling malformed input which leads to memory corruption")
	for i := range n {
		id := fmt.Sprintf("OSV-SYN-%07d", i)
		var affected []map[string]any
		for range 1 + rng.IntN(3) {
			eco := ecos[rng.IntN(len(ecos))]
			maj := rng.IntN(10)
			affected = append(affected, map[string]any{
				"package": map[string]any{"ecosystem": eco, "name": fmt.Sprintf("pkg-%d", rng.IntN(n/4+1))},
				"ranges": []map[string]any{{"type": "ECOSYSTEM", "events": []map[string]string{
					{"introduced": fmt.Sprintf("%d.0.0", maj)}, {"fixed": fmt.Sprintf("%d.%d.%d", maj, rng.IntN(20), rng.IntN(30))}}}},
				"database_specific": map[string]any{"source": "https://osv.invalid/" + id},
			})
		}
		var details []string
		for range 40 + rng.IntN(60) {
			details = append(details, words[rng.IntN(len(words))])
		}
		rec := map[string]any{
			"schema_version": "1.6.0", "id": id,
			"aliases":   []string{fmt.Sprintf("CVE-2024-%d", 10000+i)},
			"summary":   strings.Join(details[:8], " "),
			"details":   strings.Join(details, " "),
			"published": "2024-05-01T12:00:00Z", "modified": "2025-01-02T03:04:05Z",
			"affected":          affected,
			"references":        []map[string]string{{"type": "ADVISORY", "url": "https://advisories.invalid/" + id}, {"type": "FIX", "url": "https://code.invalid/commit/" + strconv.Itoa(i)}},
			"database_specific": map[string]any{"severity": []string{"LOW", "MODERATE", "HIGH", "CRITICAL"}[rng.IntN(4)]},
		}
		w, err := zw.Create(id + ".json")
		if err != nil {
			b.Fatal(err)
		}
		if err := json.NewEncoder(w).Encode(rec); err != nil {
			b.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	zst, _ := os.Stat(zipPath)

	dbPath := filepath.Join(dir, "synthetic.db")
	start := time.Now()
	info, err := Build(b.Context(), dbPath, []Source{{Kind: "osv", Path: zipPath}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	st, _ := os.Stat(dbPath)
	db, err := sqlite.Open(b.Context(), dbPath)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const lookups = 20000
	lstart := time.Now()
	for i := range lookups {
		if _, err := db.ByPackage(b.Context(), ecos[i%len(ecos)], fmt.Sprintf("pkg-%d", i%(n/4+1))); err != nil {
			b.Fatal(err)
		}
	}
	per := time.Since(lstart) / lookups
	b.Logf("synthetic: %d records, %d affected rows", info.Advisories, info.Affected)
	b.ReportMetric(took.Seconds(), "build-s")
	b.ReportMetric(float64(st.Size())/(1<<20), "DB-MB")
	b.ReportMetric(float64(zst.Size())/(1<<20), "allzip-MB")
	b.ReportMetric(float64(per.Nanoseconds())/1e3, "lookup-µs")
}
