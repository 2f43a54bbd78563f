package extract_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/extract/dpkg"
	"github.com/customs-scanner/customs/internal/extract/python"
	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/layerfs"
)

func readTD(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestOwnership: Debian's python3-requests installs requests' egg-info, so
// requests is reported once, as part of the dpkg package, unless both views
// are asked for; with merged /usr the dpkg list may name the file through a
// symlinked directory.
func TestOwnership(t *testing.T) {
	const egg = "usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO"
	list := readTD(t, "python3-requests.list")
	for _, tc := range []struct {
		name   string
		list   string
		linked bool
	}{
		{"paths as installed", list, false},
		{"merged /usr", strings.ReplaceAll(list, "/usr/lib/python3", "/lib/python3"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &layerfs.Layer{Files: map[string][]byte{
				"var/lib/dpkg/status":                     []byte(readTD(t, "python3-requests.status")),
				"var/lib/dpkg/info/python3-requests.list": []byte(tc.list),
				egg: []byte(readTD(t, "requests-2.28.1.PKG-INFO")),
			}}
			for p, b := range l.Files {
				l.Entries = append(l.Entries, layerfs.Entry{Path: p, Mode: 0o644, Size: int64(len(b))})
			}
			if tc.linked {
				l.Entries = append(l.Entries, layerfs.Entry{Path: "lib", Mode: 0o777 | 1<<27, Linkname: "usr/lib"})
			}
			exts := []extract.Extractor{dpkg.New(), python.New()}
			infos := []extract.LayerInfo{{DiffID: "sha256:aa"}}
			for _, keep := range []bool{false, true} {
				res, err := extract.Run(t.Context(), []*layerfs.Layer{l}, infos, exts, extract.Options{KeepOwned: keep})
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, p := range res.Packages {
					names = append(names, p.Type+":"+p.Name)
				}
				want := []string{"deb:python3-requests"}
				if keep {
					want = []string{"deb:python3-requests", "pypi:requests"}
				}
				if diff := cmp.Diff(want, names); diff != "" {
					t.Errorf("keep=%v packages (-want +got):\n%s", keep, diff)
				}
				if len(res.Owned) != 1 || res.Owned[0].Name != "requests" || res.Owned[0].Version != "2.28.1" {
					t.Fatalf("owned = %+v", res.Owned)
				}
				var deb inventory.Package
				for _, p := range res.Packages {
					if p.Type == "deb" {
						deb = p
					}
				}
				want2 := []inventory.Relationship{{From: deb.ID, To: res.Owned[0].ID, Type: inventory.Contains}}
				if diff := cmp.Diff(want2, res.Relationships); diff != "" {
					t.Errorf("relationships (-want +got):\n%s", diff)
				}
			}
		})
	}
}
