package layerfs_test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io/fs"

	"github.com/customs-scanner/customs/internal/layerfs"
)

func layerTar(files map[string]string) *bytes.Reader {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range []string{"etc/os-release", "etc/.wh.motd", "etc/motd"} {
		body, ok := files[name]
		if !ok {
			continue
		}
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
	}
	tw.Close()
	return bytes.NewReader(buf.Bytes())
}

func Example() {
	ctx := context.Background()
	opts := layerfs.Options{Wants: func(p string, _ fs.FileMode) bool { return p == "etc/os-release" }}
	base, _ := layerfs.Analyze(ctx, layerTar(map[string]string{"etc/os-release": "ID=alpine\n", "etc/motd": "hi"}), opts)
	top, _ := layerfs.Analyze(ctx, layerTar(map[string]string{"etc/.wh.motd": ""}), opts)

	fsys := layerfs.Merge([]*layerfs.Layer{base, top})
	release, _ := fs.ReadFile(fsys, "etc/os-release")
	_, err := fs.Stat(fsys, "etc/motd")
	layer, _ := fsys.Origin("etc/os-release")
	fmt.Printf("%q from layer %d; motd deleted: %v\n", release, layer, err != nil)
	// Output: "ID=alpine\n" from layer 0; motd deleted: true
}
