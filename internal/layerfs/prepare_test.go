package layerfs

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"

	"github.com/customs-scanner/customs/internal/inventory"
)

// TestAnalyzePrepareOrder checks that preparing files on the preparer
// gives the layer tar order would: a replaced file, hard links to prepared
// files, errors of the parser and of Prepare in order, and the contents of
// files small and large, read through the ring while earlier ones are
// still being prepared, intact. Plain and gzip.
func TestAnalyzePrepareOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sum := func(p string, b []byte) string { return fmt.Sprintf("%s:%x", p, sha256.Sum256(b)) }
	files := []tf{
		reg("a/one", "1"),
		reg("../evil", "e"),
		reg("a/big", strings.Repeat("x", ringFile+10)),
		reg("a/bad", "z"),
		hardlink("a/link", "a/big"),
		reg("a/one", "2"),
		hardlink("a/link2", "a/one"),
	}
	want := map[string][]byte{
		"a/big":   []byte(sum("a/big", []byte(strings.Repeat("x", ringFile+10)))),
		"a/link":  []byte(sum("a/big", []byte(strings.Repeat("x", ringFile+10)))),
		"a/one":   []byte(sum("a/one", []byte("2"))),
		"a/link2": []byte(sum("a/one", []byte("2"))),
	}
	// Enough small files to go round the ring several times, runs of three
	// large ones among them.
	for i := range 600 {
		size := rng.IntN(64 << 10)
		if i%50 == 7 || i%50 == 8 || i%50 == 9 {
			size = ringFile + rng.IntN(2<<20)
		}
		body := make([]byte, size)
		for j := range body {
			body[j] = byte(rng.Uint32())
		}
		p := fmt.Sprintf("d/f%03d", i)
		files = append(files, tf{name: p, body: string(body)})
		want[p] = []byte(sum(p, body))
	}
	prepare := func(p string, _ fs.FileMode, b []byte) ([]byte, error) {
		if p == "a/bad" {
			return nil, errors.New("not a zip file")
		}
		if rng := len(b) % 7; rng == 0 {
			time.Sleep(100 * time.Microsecond) // let the parser run ahead
		}
		return []byte(sum(p, b)), nil
	}
	wantErrs := []inventory.FileError{
		{Path: "../evil", Err: "skipped: path escapes the root"},
		{Path: "a/bad", Err: "not a zip file"},
	}
	in := tarBytes(t, files...)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(in)
	zw.Close()
	for name, b := range map[string][]byte{"plain": in, "gzip": gz.Bytes()} {
		t.Run(name, func(t *testing.T) {
			l, err := Analyze(t.Context(), bytes.NewReader(b), Options{Wants: wantAll, Prepare: prepare})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, l.Files); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantErrs, l.Errors); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}
