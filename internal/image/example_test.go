package image_test

import (
	"context"
	"fmt"
	"io"

	"github.com/customs-scanner/customs/internal/image"
)

// Open a docker save archive and list its layers; each blob arrives
// through the LayerFunc while the archive is read once.
func ExampleOpen() {
	ctx := context.Background()
	src, err := image.Open(ctx, "testdata/alpine-310.tar.gz", image.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close()
	sizes := map[string]int64{}
	m, err := src.Read(ctx, func(ctx context.Context, b image.Blob) error {
		rc, err := b.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		n, err := io.Copy(io.Discard, rc)
		sizes[b.Key] = n
		return err
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Kind, m.RepoTags, m.ConfigDigest[:19])
	for _, l := range m.Layers {
		fmt.Println(l.ClaimedDiffID[:19], sizes[l.Key], l.CreatedBy[:31])
	}
	// Output:
	// docker-archive [alpine:3.10] sha256:af341ccd2df8
	// sha256:531743b7098c 5818880 /bin/sh -c #(nop) ADD file:d48c
}
