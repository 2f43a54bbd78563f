package redhat_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/customs-scanner/customs/internal/vulndb/feeds/redhat"
	"github.com/customs-scanner/customs/internal/vulndb/sqlite"
)

// Import CSAF documents into a DB and look up one package the way matching
// does: the records whose CPEs meet the image's content-set CPEs apply.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "redhat-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	w, err := sqlite.Create(ctx, filepath.Join(dir, "vuln.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer w.Abort()
	n, err := redhat.Import(ctx, "testdata", w)
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
	matches, err := db.ByPackage(ctx, "redhat:8", "curl")
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range matches {
		fmt.Println(m.Advisory.ID, m.Affected.Status, m.Affected.Ranges[0].Fixed, m.Affected.CPEs)
	}
	// Output:
	// 5 advisories
	// CVE-2099-0001 ranges 0:7.61.1-30.el8_8.2 [cpe:/a:redhat:enterprise_linux:8::appstream]
}
