package sqlite

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/vulndb"
)

func TestEcosystems(t *testing.T) {
	// The fixture's ecosystems, plus two spread over many blocks.
	advs := fixture()
	for i := range 1000 {
		pkg := fmt.Sprintf("pkg-%04d", i)
		advs = append(advs, &vulndb.Advisory{ID: fmt.Sprintf("ID-%04d", i), Source: "test", Affected: []vulndb.Affected{
			{Ecosystem: "debian:12", Package: pkg, Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Fixed: fmt.Sprint(i)}}},
			{Ecosystem: "npm", Package: pkg + "-js", Status: vulndb.StatusAffected},
		}})
		if i%2 == 0 {
			// A second record of the same package does not count twice.
			advs = append(advs, &vulndb.Advisory{ID: fmt.Sprintf("ID-%04d-b", i), Source: "test", Affected: []vulndb.Affected{
				{Ecosystem: "debian:12", Package: pkg, Status: vulndb.StatusWontFix},
			}})
		}
	}
	want := map[string]int{"alpine:3.10": 3, "Go": 2, "debian:12": 1000, "npm": 1000}
	path := filepath.Join(t.TempDir(), "vuln.db")
	buildDB(t, path, advs)

	db := openDB(t, path)
	if len(db.blockKeys) < 3 {
		t.Fatalf("%d blocks: the test needs several", len(db.blockKeys))
	}
	got, err := db.Ecosystems(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Ecosystems from the table (-want +got):\n%s", diff)
	}

	// A DB built before the table existed is answered from its blocks.
	sqlExec(t, path, `DROP TABLE ecosystems`)
	db = openDB(t, path)
	defer db.Close()
	got, err = db.Ecosystems(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Ecosystems from the blocks (-want +got):\n%s", diff)
	}
}

func TestEcosystemsEmptyDB(t *testing.T) {
	// A DB of KEV entries only holds no package records at all.
	path := filepath.Join(t.TempDir(), "vuln.db")
	buildDB(t, path, nil)
	db := openDB(t, path)
	defer db.Close()
	got, err := db.Ecosystems(t.Context())
	if err != nil || len(got) != 0 {
		t.Errorf("Ecosystems = %v, %v; want none", got, err)
	}
}
