package ubuntu_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/customs-scanner/customs/internal/vulndb/feeds/ubuntu"
	"github.com/customs-scanner/customs/internal/vulndb/sqlite"
)

// Import a tracker checkout into a DB and look up one package the way
// matching does.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "ubuntu-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	w, err := sqlite.Create(ctx, filepath.Join(dir, "vuln.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer w.Abort()
	n, err := ubuntu.Import(ctx, filepath.Join("testdata", "tracker"), w)
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "vuln.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	fmt.Println(n, "advisories")
	for _, eco := range []string{"ubuntu:16.04", "ubuntu:18.04"} {
		matches, err := db.ByPackage(ctx, eco, "gnupg1")
		if err != nil {
			log.Fatal(err)
		}
		for _, m := range matches {
			fmt.Println(eco, m.Advisory.ID, m.Affected.Status, m.Affected.Severity)
		}
	}
	// Output:
	// 5 advisories
	// ubuntu:18.04 CVE-2018-12020 affected MEDIUM
}
