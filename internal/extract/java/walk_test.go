package java

import (
	"archive/tar"
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/layerfs"
)

// TestWalker runs a layer holding a war through layerfs.Analyze (with
// Prepare) and the walker, as a scan does.
func TestWalker(t *testing.T) {
	war := buildZip(t,
		pomProps("com.example", "shop", "3.1.0"),
		entry{name: "WEB-INF/lib/jul-to-slf4j-1.7.32.jar", data: readTestdata(t, "jul-to-slf4j.jar")},
	)
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	for name, body := range map[string][]byte{"srv/shop.war": war, "srv/readme.txt": []byte("hi")} {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	exts := []extract.Extractor{New()}
	l, err := layerfs.Analyze(t.Context(), &tarBuf, layerfs.Options{Wants: extract.Wants(exts), Prepare: extract.Prepare(exts)})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(l.Files["srv/shop.war"]); got == 0 || got >= len(war) {
		t.Errorf("kept %d bytes for a %d-byte war, want the compact prepared form", got, len(war))
	}
	res, err := extract.Run(t.Context(), []*layerfs.Layer{l}, []extract.LayerInfo{{DiffID: "sha256:a"}}, exts, extract.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got [][3]string
	for _, p := range res.Packages {
		got = append(got, [3]string{p.PURL, p.Locations[0].Path, p.Locations[0].Layer})
	}
	want := [][3]string{
		{"pkg:maven/com.example/shop@3.1.0", "srv/shop.war", "sha256:a"},
		{"pkg:maven/org.slf4j/jul-to-slf4j@1.7.32", "srv/shop.war!WEB-INF/lib/jul-to-slf4j-1.7.32.jar", "sha256:a"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	if len(res.Errors) != 0 {
		t.Errorf("errors: %v", res.Errors)
	}
}
