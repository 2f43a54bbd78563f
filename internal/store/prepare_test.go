package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"testing"
)

// TestContentHash: ContentHash writes the finding lines fmt wrote, so
// the hashes of snapshots recorded before stay what a new recording of
// the same report computes.
func TestContentHash(t *testing.T) {
	layers := []Layer{{DiffID: "sha256:aa", Hash: "sha256:bb", CreatedBy: `RUN apt-get install "x"`}, {DiffID: "sha256:cc", Hash: "sha256:dd"}}
	var fs []PreparedFinding
	for i, epss := range []float64{0, 0.1, 0.97531, 1e-7, 12345678.5, math.SmallestNonzeroFloat64, 1} {
		fs = append(fs, PreparedFinding{Layer: i % 2, Package: i * 7, VulnerabilityID: fmt.Sprintf("CVE-2024-%d", i), Status: "fixed",
			FixedVersion: "1.2.3-1~deb12u1", Severity: []string{"", "HIGH"}[i%2], KEV: i%3 == 0, EPSS: epss})
	}
	h := sha256.New()
	fmt.Fprintf(h, "db %s\n", `{"built":"2026-12-06T00:00:00Z"}`)
	for _, l := range layers {
		fmt.Fprintf(h, "layer %s %s %q\n", l.DiffID, l.Hash, l.CreatedBy)
	}
	for _, f := range fs {
		fmt.Fprintf(h, "finding %d %d %s %s %s %s %t %g\n", f.Layer, f.Package, f.VulnerabilityID, f.Status, f.FixedVersion, f.Severity, f.KEV, f.EPSS)
	}
	want := "sha256:" + hex.EncodeToString(h.Sum(nil))
	if got := ContentHash(`{"built":"2026-12-06T00:00:00Z"}`, layers, fs); got != want {
		t.Errorf("ContentHash = %s, want %s (fmt's lines)", got, want)
	}
}
