package vulndb

import "testing"

func TestIsDistro(t *testing.T) {
	for eco, want := range map[string]bool{
		"debian:12": true, "alpine:3.10": true, "ubuntu:pro:18.04": true, "redhat:9": true,
		"PyPI": false, "Go": false, "crates.io": false, "cpe": false, "": false, "debian": false, ":12": false,
	} {
		if got := IsDistro(eco); got != want {
			t.Errorf("IsDistro(%q) = %v, want %v", eco, got, want)
		}
	}
}
