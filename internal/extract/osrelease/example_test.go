package osrelease_test

import (
	"fmt"
	"testing/fstest"

	"github.com/customs-scanner/customs/internal/extract/osrelease"
)

func ExampleDetect() {
	fsys := fstest.MapFS{
		"etc/os-release":     {Data: []byte("ID=alpine\nVERSION_ID=3.10.4\nPRETTY_NAME=\"Alpine Linux v3.10\"\n")},
		"etc/alpine-release": {Data: []byte("3.10.4\n")},
	}
	o, err := osrelease.Detect(fsys)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s %s -> %s\n", o.Family, o.Version, osrelease.Ecosystem(o))
	// Output: alpine 3.10.4 -> alpine:3.10
}
