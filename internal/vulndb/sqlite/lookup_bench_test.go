package sqlite

import (
	"database/sql"
	"os"
	"testing"
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
	rows, err := raw.Query(`SELECT DISTINCT ecosystem, package FROM affected ORDER BY random() LIMIT 1000`)
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
	for b.Loop() {
		k := keys[i%len(keys)]
		i++
		if _, err := db.ByPackage(b.Context(), k.eco, k.pkg); err != nil {
			b.Fatal(err)
		}
	}
}
