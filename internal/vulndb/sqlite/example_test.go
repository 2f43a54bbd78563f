package sqlite_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/sqlite"
)

// Build a DB with one advisory, then query it the way matching does.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "vulndb-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "vuln.db")

	w, err := sqlite.Create(ctx, path)
	if err != nil {
		log.Fatal(err)
	}
	defer w.Abort() // no-op after a successful Commit
	err = w.Add(ctx, &vulndb.Advisory{
		ID: "CVE-2019-1547", Source: "alpine-secdb",
		Affected: []vulndb.Affected{{
			Ecosystem: "alpine:3.10", Package: "openssl",
			Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Fixed: "1.1.1d-r0"}},
		}},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Commit(ctx); err != nil {
		log.Fatal(err)
	}

	db, err := sqlite.Open(ctx, path)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	matches, err := db.ByPackage(ctx, "alpine:3.10", "openssl")
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range matches {
		fmt.Println(m.Advisory.ID, m.Affected.Status, "fixed in", m.Affected.Ranges[0].Fixed)
	}
	// Output: CVE-2019-1547 ranges fixed in 1.1.1d-r0
}
