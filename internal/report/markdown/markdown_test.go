package markdown

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/golden"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/report/reporttest"
)

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		enc  Encoder
		r    func(testing.TB) *report.Report
		file string
	}{
		{"default", Encoder{}, reporttest.Sample, "sample.md"},
		{"limit 2", Encoder{Limit: 2}, reporttest.Sample, "sample-limit2.md"},
		{"clean", Encoder{}, func(t testing.TB) *report.Report {
			r := reporttest.Sample(t)
			r.Findings = nil
			return r
		}, "clean.md"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.enc.Encode(&b, tc.r(t)); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", tc.file), b.Bytes())
		})
	}
}

// TestShort: a big report stays short enough for a PR comment (GitHub
// caps comments at 65536 characters) and keeps the limit.
func TestShort(t *testing.T) {
	r := reporttest.Sample(t)
	base := r.Findings[0]
	r.Findings = nil
	for i := range 2000 {
		f := base
		f.VulnerabilityID = fmt.Sprintf("CVE-2024-%05d", i)
		r.Findings = append(r.Findings, f)
	}
	var b bytes.Buffer
	if err := (Encoder{}).Encode(&b, r); err != nil {
		t.Fatal(err)
	}
	main, _, _ := strings.Cut(b.String(), "<details>")
	if got := strings.Count(main, "\n| CRITICAL |"); got != DefaultLimit {
		t.Errorf("main table has %d rows, want %d", got, DefaultLimit)
	}
	if !strings.Contains(b.String(), "<summary>1950 more findings") {
		t.Error("the folded block does not count the other 1950 findings")
	}
	if got := strings.Count(b.String(), "\n| CRITICAL |"); got != DefaultLimit+MaxFolded {
		t.Errorf("%d rows in all, want %d", got, DefaultLimit+MaxFolded)
	}
	if b.Len() > 65536 {
		t.Errorf("%d bytes, more than a GitHub comment holds", b.Len())
	}
}
