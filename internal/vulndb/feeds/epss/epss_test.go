package epss

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/google/go-cmp/cmp"
)

// collect is an in-memory vulndb.EPSSSink.
type collect []vulndb.EPSS

func (c *collect) AddEPSS(_ context.Context, e vulndb.EPSS) error {
	*c = append(*c, e)
	return nil
}

func gzipFile(t testing.TB, dir, src string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	p := filepath.Join(dir, filepath.Base(src)+".gz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImport(t *testing.T) {
	want := collect{
		{CVE: "CVE-1999-0001", Score: 0.00383, Percentile: 0.73075, Date: "2025-02-20"},
		{CVE: "CVE-1999-0002", Score: 0.01328, Percentile: 0.85996, Date: "2025-02-20"},
		{CVE: "CVE-1999-0003", Score: 0.04409, Percentile: 0.92440, Date: "2025-02-20"},
		{CVE: "CVE-1999-0004", Score: 0.00917, Percentile: 0.82963, Date: "2025-02-20"},
		{CVE: "CVE-1999-0005", Score: 0.91963, Percentile: 0.99214, Date: "2025-02-20"},
	}
	for _, path := range []string{"testdata/example-1.csv", gzipFile(t, t.TempDir(), "testdata/example-1.csv")} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			var got collect
			n, err := Import(t.Context(), path, &got)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(want) {
				t.Errorf("Import = %d, want %d", n, len(want))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestImportErrors(t *testing.T) {
	tests := []struct {
		name string // file name: the date fallback reads it
		data string // empty: name is a testdata file
		n    int
		errs []string
		row  bool // the errors are *RowError
	}{
		{name: "testdata/invalid-header.csv", errs: []string{"want columns cve and epss"}},
		{name: "testdata/missing-date.csv", errs: []string{"no score_date"}},
		{name: "epss_scores-2021-04-14.csv", data: "cve,epss\nCVE-2020-0001,0.5\n", n: 1},
		{name: "x.csv", data: "#score_date:tomorrow\ncve,epss\n", errs: []string{`bad score_date "tomorrow"`}},
		{name: "x.csv", data: "", errs: []string{"empty file"}},
		{name: "x.csv", data: "#model_version:v1,score_date:2025-08-25T00:00:00+0000\n", errs: []string{"no header"}},
		{name: "x.csv", data: "#model_version:v1,score_date:2025-08-25T00:00:00+0000\r\npercentile,epss,cve\r\n" +
			"0.5,0.1,CVE-2020-0001\r\n\r\n0.5,0.1,GHSA-x\r\n0.5,1.5,CVE-2020-0002\r\n0.5,NaN,CVE-2020-0003\r\nx,0.1,CVE-2020-0004\r\n0.1\r\n0.2,0.3,CVE-2020-0005\r\n",
			n: 2, row: true, errs: []string{`line 5: bad CVE ID "GHSA-x"`, "line 6: CVE-2020-0002: epss: 1.5 outside [0, 1]",
				"line 7: CVE-2020-0003: epss: NaN", "line 8: CVE-2020-0004: percentile", "line 9: 1 fields, want 3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.name
			if tt.data != "" || !strings.HasPrefix(p, "testdata/") {
				p = filepath.Join(t.TempDir(), tt.name)
				if err := os.WriteFile(p, []byte(tt.data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var got collect
			n, err := Import(t.Context(), p, &got)
			if n != tt.n || len(got) != tt.n {
				t.Errorf("Import = %d, sink got %d, want %d", n, len(got), tt.n)
			}
			if len(tt.errs) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.errs)
			}
			var re *RowError
			if errors.As(err, &re) != tt.row {
				t.Errorf("error %v: *RowError = %v, want %v", err, !tt.row, tt.row)
			}
			for _, want := range tt.errs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not mention %q:\n%v", want, err)
				}
			}
		})
	}
	t.Run("date from name", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "epss_scores-2021-04-14.csv")
		os.WriteFile(p, []byte("cve,epss\nCVE-2020-0001,0.5\n"), 0o644)
		var got collect
		if _, err := Import(t.Context(), p, &got); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(collect{{CVE: "CVE-2020-0001", Score: 0.5, Date: "2021-04-14"}}, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

// writeLarge writes a gzip'ed EPSS file of n rows, the size of the real one.
func writeLarge(t testing.TB, n int) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	fmt.Fprintf(zw, "#model_version:v2025.03.14,score_date:2025-08-25T00:00:00+0000\ncve,epss,percentile\n")
	for i := range n {
		fmt.Fprintf(zw, "CVE-%d-%04d,0.%05d,0.%05d\n", 1999+i/20000, i%20000, i%99991, (i*7)%99991)
	}
	zw.Close()
	p := filepath.Join(t.TempDir(), "epss_scores-2025-08-25.csv.gz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type count int

func (c *count) AddEPSS(context.Context, vulndb.EPSS) error { *c++; return nil }

// TestImportLarge reads a gzipped file of many rows; BenchmarkImport300k
// measures the full file's size.
func TestImportLarge(t *testing.T) {
	const rows = 50_000
	p := writeLarge(t, rows)
	var c count
	n, err := Import(t.Context(), p, &c)
	if err != nil || n != rows || c != rows {
		t.Errorf("Import = %d, %v; sink %d; want %d", n, err, c, rows)
	}
}

// BenchmarkImport300k imports a generated file of 300,000 rows, about the
// size of the real daily file.
func BenchmarkImport300k(b *testing.B) {
	p := writeLarge(b, 300_000)
	b.ResetTimer()
	for b.Loop() {
		var c count
		if _, err := Import(b.Context(), p, &c); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzImport(f *testing.F) {
	for _, name := range []string{"testdata/example-1.csv", "testdata/invalid-header.csv", "testdata/missing-date.csv"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "epss_scores-2025-01-01.csv")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		var got collect
		n, _ := Import(context.Background(), p, &got)
		if n != len(got) {
			t.Fatalf("Import = %d, sink got %d", n, len(got))
		}
		for _, e := range got {
			if e.Date == "" || e.Score < 0 || e.Score > 1 || !isCVE(e.CVE) {
				t.Fatalf("bad score %+v", e)
			}
		}
	})
}
