package scan

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/customs-scanner/customs/internal/inventory"
)

// pkgSummary reduces packages to what must be the same whatever the source.
func pkgSummary(ps []inventory.Package) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.PURL+" "+p.Layer)
	}
	return out
}

// TestScanSourcesAgree scans the same image from a docker-archive, an OCI
// layout and a registry (served in-process on loopback) and expects the same
// inventory, layer attribution included.
func TestScanSourcesAgree(t *testing.T) {
	img, _ := debianImage(t)
	want, err := Scan(t.Context(), "docker-archive:"+writeArchive(t, img), Options{})
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}

	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	ref, err := name.ParseReference(strings.TrimPrefix(srv.URL, "http://") + "/team/debian:12")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}

	for _, target := range []string{"oci-dir:" + dir, "registry:" + ref.String()} {
		t.Run(strings.SplitN(target, ":", 2)[0], func(t *testing.T) {
			cache := t.TempDir()
			var evs []Event
			opts := Options{CacheDir: cache, Handler: progressFunc(func(e Event) { evs = append(evs, e) })}
			got, err := Scan(t.Context(), target, opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(pkgSummary(want.Packages), pkgSummary(got.Packages)); diff != "" {
				t.Errorf("inventory differs from the docker-archive scan (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want.Target.Layers, got.Target.Layers); diff != "" {
				t.Errorf("layers (-want +got):\n%s", diff)
			}
			// Registry blobs are verified against their digest while read,
			// so a second scan reuses the analysis by digest.
			evs = nil
			if _, err := Scan(t.Context(), target, opts); err != nil {
				t.Fatal(err)
			}
			cached := 0
			for _, e := range evs {
				if e.Cached {
					cached++
				}
			}
			if target[:3] == "reg" && cached != 2 {
				t.Errorf("second registry scan: %d cached layers, want 2 (events %+v)", cached, evs)
			}
			if target[:3] == "oci" && cached != 0 {
				t.Errorf("oci-dir blobs are not verified before use, so none may come from the cache; got %d", cached)
			}
		})
	}
}

// TestScanRootFS scans an unpacked root filesystem with a real dpkg status.
func TestScanRootFS(t *testing.T) {
	root := t.TempDir()
	for p, body := range map[string]string{
		"usr/lib/os-release":  bookwormOSRelease,
		"var/lib/dpkg/status": readTestdata(t, "pkgdb/debootstrap-bookworm.status"),
	} {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../usr/lib/os-release", filepath.Join(root, "etc", "os-release")); err != nil {
		if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("../usr/lib/os-release", filepath.Join(root, "etc", "os-release")); err != nil {
			t.Fatal(err)
		}
	}
	r, err := Scan(t.Context(), "dir:"+root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Packages) != 88 || r.OS == nil || r.OS.Codename != "bookworm" || r.Target.Kind != "dir" {
		t.Errorf("packages %d os %+v kind %q; want 88 on bookworm from dir", len(r.Packages), r.OS, r.Target.Kind)
	}
}
