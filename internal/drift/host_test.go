package drift

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/shareddata"
	"github.com/customs-scanner/customs/internal/target"
)

// copyRoot copies the slice of the debootstrap root filesystem importRoot
// imports into a new directory.
func copyRoot(t *testing.T, root string) string {
	t.Helper()
	dst := t.TempDir()
	cmd := exec.CommandContext(t.Context(), "sh", "-c", `tar -C "$1" -c --exclude=./usr/share/doc --exclude=./usr/share/man --exclude=./usr/share/locale \
		--exclude=./usr/share/info --exclude=./usr/share/zoneinfo --exclude=./var/cache --exclude=./var/lib/apt/lists \
		--exclude=./proc --exclude=./sys --exclude=./dev . | tar -C "$2" -x`, "sh", root, dst)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("copy %s: %v: %s", root, err, out)
	}
	return dst
}

// TestDriftHostDockerEngine compares a real root filesystem (the
// debootstrap slice) with the image imported from it: untouched, no
// drift; after dpkg --root installs a real .deb into it, that package and
// the Go standard library of its binaries.
func TestDriftHostDockerEngine(t *testing.T) {
	needDocker(t)
	base := shareddata.DebootstrapRoot(t)
	img := importRoot(t)
	root := copyRoot(t, base)
	opts := testOptions(t, t.TempDir())
	opts.Against = "docker:" + img

	r, err := Host(t.Context(), target.Parse("dir:"+root), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Clean() || r.Against.Kind != "image" || r.Against.ImageID == "" || r.Target.Kind != "host" {
		t.Errorf("untouched root: %+v against %+v, drift %+v; want no drift against the image", r.Target, r.Against, r.Drift)
	}

	deb, err := filepath.Abs(filepath.Join("..", "..", "testdata", "debs", "age_1.1.1-1+b3_amd64.deb"))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.CommandContext(t.Context(), "dpkg", "--root", root, "--force-script-chrootless", "--force-not-root", "-i", deb).CombinedOutput(); err != nil {
		t.Fatalf("dpkg --root -i %s: %v: %s", deb, err, out)
	}
	if _, err := os.Stat(filepath.Join(root, "usr", "bin", "age")); err != nil {
		t.Fatal(err)
	}
	r, err = Host(t.Context(), target.Parse("dir:"+root), opts)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range r.Drift {
		got = append(got, it.Kind+" "+it.Subject)
	}
	// age, and the Go standard library its two binaries were built with.
	var added []string
	for _, p := range r.Packages.Added {
		added = append(added, p.Type+" "+p.Name+" "+p.Version+" "+p.Path)
	}
	want := []string{"deb age 1.1.1-1+b3 var/lib/dpkg/status", "golang stdlib v1.19.8 usr/bin/age", "golang stdlib v1.19.8 usr/bin/age-keygen"}
	if diff := cmp.Diff(want, added); diff != "" || len(r.Packages.Removed)+len(r.Packages.Changed) != 0 {
		t.Errorf("packages added (-want +got):\n%s\nremoved %+v, changed %+v; want none", diff, r.Packages.Removed, r.Packages.Changed)
	}
	if _, ok := item(r, KindPackageAdded, "age@1.1.1-1+b3"); !ok {
		t.Errorf("drift %v, want package-added age@1.1.1-1+b3", got)
	}
}
