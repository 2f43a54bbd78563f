package osrelease

import (
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// contentManifest has the shape of a Red Hat image content manifest,
// written here after atomic-reactor's content_manifest.json schema and the
// example in Red Hat's documentation
// (root/buildinfo/content_manifests/python-312-container-1-25.json).
const contentManifest = `{
  "metadata": {
    "icm_version": 1,
    "icm_spec": "https://raw.githubusercontent.com/containerbuildsystem/atomic-reactor/master/atomic_reactor/schemas/content_manifest.json",
    "image_layer_index": 1
  },
  "content_sets": ["rhel-9-for-aarch64-baseos-rpms", "rhel-9-for-aarch64-appstream-rpms"],
  "image_contents": []
}`

func TestContentSets(t *testing.T) {
	tests := []struct {
		name string
		fsys fstest.MapFS
		want []string
	}{
		{"none", fstest.MapFS{"etc/os-release": {Data: []byte("ID=rhel\n")}}, nil},
		{
			name: "osbs manifests, one broken, plus konflux",
			fsys: fstest.MapFS{
				ContentManifestDir + "/ubi9-container-9.4-1123.json":   {Data: []byte(contentManifest)},
				ContentManifestDir + "/python-312-container-1-25.json": {Data: []byte(`{"content_sets":["rhel-9-for-aarch64-appstream-rpms"]}`)},
				ContentManifestDir + "/broken.json":                    {Data: []byte("{")},
				ContentManifestDir + "/notes.txt":                      {Data: []byte("x")},
				ContentSetsFile:                                        {Data: []byte(`{"metadata":{"icm_version":1},"from_dnf_hint":true,"content_sets":["releases","ubi-9-appstream-rpms"]}`)},
			},
			want: []string{"releases", "rhel-9-for-aarch64-appstream-rpms", "rhel-9-for-aarch64-baseos-rpms", "ubi-9-appstream-rpms"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ContentSets(tt.fsys)); diff != "" {
				t.Errorf("ContentSets (-want +got):\n%s", diff)
			}
		})
	}
	for p, want := range map[string]bool{
		ContentManifestDir + "/a.json": true, ContentSetsFile: true,
		ContentManifestDir + "/a.txt": false, "root/buildinfo/Dockerfile-ubi9": false,
	} {
		if got := Wants(p); got != want {
			t.Errorf("Wants(%q) = %v, want %v", p, got, want)
		}
	}
}

func FuzzParseContentManifest(f *testing.F) {
	f.Add([]byte(contentManifest))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseContentManifest(b)
	})
}
