package nvd

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/customs-scanner/customs/internal/vulndb"
)

type count int

func (c *count) Add(context.Context, *vulndb.Advisory) error { *c++; return nil }

// BenchmarkImportPage streams one gzip'ed API 2.0 page of 38,000 CVEs (the
// 38 real ones of testdata/full-page.json.gz, 1,000 times), about a
// seventh of NVD.
func BenchmarkImportPage(b *testing.B) {
	f, err := os.Open("testdata/full-page.json.gz")
	if err != nil {
		b.Fatal(err)
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	var page struct {
		Vulnerabilities []json.RawMessage `json:"vulnerabilities"`
	}
	if err := json.Unmarshal(raw, &page); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	io.WriteString(zw, `{"resultsPerPage":38000,"startIndex":0,"totalResults":38000,"format":"NVD_CVE","version":"2.0","vulnerabilities":[`)
	for i := range 1000 {
		for j, v := range page.Vulnerabilities {
			if i+j > 0 {
				zw.Write([]byte{','})
			}
			zw.Write(v)
		}
	}
	io.WriteString(zw, "]}")
	zw.Close()
	p := filepath.Join(b.TempDir(), "page.json.gz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		var c count
		if n, err := Import(b.Context(), p, &c); err != nil || n != 38000 {
			b.Fatalf("Import = %d, %v", n, err)
		}
	}
}
