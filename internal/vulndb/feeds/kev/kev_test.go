package kev

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/shareddata"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/google/go-cmp/cmp"
)

// collect is an in-memory vulndb.KEVSink.
type collect []vulndb.KEV

func (c *collect) AddKEV(_ context.Context, k vulndb.KEV) error {
	*c = append(*c, k)
	return nil
}

var sharePoint = vulndb.KEV{
	CVE:                        "CVE-2025-49704",
	VendorProject:              "Microsoft",
	Product:                    "SharePoint",
	Name:                       "Microsoft SharePoint Code Injection Vulnerability",
	DateAdded:                  "2025-07-22",
	DueDate:                    "2025-07-23",
	RequiredAction:             "Disconnect public-facing versions of SharePoint Server that have reached their end-of-life (EOL) or end-of-service (EOS) to include SharePoint Server 2013 and earlier versions. For supported versions, please follow the mitigations according to CISA (URL listed below in Notes) and vendor instructions (URL listed below in Notes). Adhere to the applicable BOD 22-01 guidance for cloud services or discontinue use of the product if mitigations are not available.",
	KnownRansomwareCampaignUse: "Known",
}

func TestImport(t *testing.T) {
	for _, path := range []string{"testdata/kev-slice.json", "testdata/kev-slice.csv"} {
		t.Run(path, func(t *testing.T) {
			var got collect
			n, err := Import(t.Context(), path, &got)
			if err != nil {
				t.Fatal(err)
			}
			if n != 12 || len(got) != 12 {
				t.Errorf("Import = %d, sink got %d, want 12", n, len(got))
			}
			if diff := cmp.Diff(sharePoint, got[10]); diff != "" {
				t.Errorf("entry 10 (-want +got):\n%s", diff)
			}
			if got[0].CVE != "CVE-2025-48384" || got[11].CVE != "CVE-2025-49706" {
				t.Errorf("first, last = %s, %s", got[0].CVE, got[11].CVE)
			}
		})
	}
}

// TestImportCSVMatchesJSON checks that both forms of one catalog give the
// same entries: on the slice, and on the full catalog when present.
func TestImportCSVMatchesJSON(t *testing.T) {
	tests := []struct {
		name, json, csv string
		want            int
	}{
		{"slice", "testdata/kev-slice.json", "testdata/kev-slice.csv", 12},
		{"full", "advisories/cisa-kev/known_exploited_vulnerabilities.json", "advisories/cisa-kev/known_exploited_vulnerabilities.csv", 1404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "full" {
				tt.json = shareddata.Path(t, tt.json)
				tt.csv = shareddata.Path(t, tt.csv)
			}
			var fromJSON, fromCSV collect
			if n, err := Import(t.Context(), tt.json, &fromJSON); err != nil || n != tt.want {
				t.Fatalf("json: %d, %v; want %d", n, err, tt.want)
			}
			if n, err := Import(t.Context(), tt.csv, &fromCSV); err != nil || n != tt.want {
				t.Fatalf("csv: %d, %v; want %d", n, err, tt.want)
			}
			if diff := cmp.Diff(fromJSON, fromCSV); diff != "" {
				t.Errorf("json vs csv (-json +csv):\n%s", diff)
			}
		})
	}
}

func TestImportErrors(t *testing.T) {
	// vunnel's fixture is a real catalog cut to 3 entries with its count (1273) kept.
	var got collect
	n, err := Import(t.Context(), "testdata/vunnel-valid-catalog-1.json", &got)
	var ee *EntryError
	if n != 3 || !errors.As(err, &ee) || !strings.Contains(err.Error(), "count is 1273 but it holds 3") {
		t.Errorf("truncated catalog: %d, %v", n, err)
	}

	tests := []struct {
		name, data string
		n          int
		errs       []string // substrings of the error; none means nil
		fatal      bool
	}{
		{"bad entries", `{"count":5,"vulnerabilities":[{"cveID":"CVE-2020-1234","dateAdded":"2021-11-03","dueDate":""},
			{"cveID":"nope","dateAdded":"2021-11-03"},{"cveID":"CVE-2020-1235","dateAdded":"3 Nov"},{"cveID":7},
			{"cveID":"CVE-2020-1236","dateAdded":"2021-11-03","dueDate":"soon"}]}`, 1,
			[]string{"entry 1: bad cveID", "entry 2 (CVE-2020-1235): bad dateAdded", "entry 3: json", "bad dueDate"}, false},
		{"not kev json", `{"hello":1}`, 0, []string{"not a KEV catalog"}, true},
		{"truncated json", `{"vulnerabilities":[{"cveID":"CVE-2020-1234","dateAdded":"2021-11-03"},{"cve`, 1, []string{"entry 1"}, true},
		{"csv", "\ufeffcveID,dateAdded,dueDate\nCVE-2020-1234,2021-11-03,2021-11-17\nCVE-x,2021-11-03,\n", 1, []string{"entry 1: bad cveID"}, false},
		{"not kev csv", "a,b\n1,2\n", 0, []string{"no cveID column"}, true},
		{"empty", "", 0, []string{"empty file"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "kev")
			if err := os.WriteFile(p, []byte(tt.data), 0o644); err != nil {
				t.Fatal(err)
			}
			var got collect
			n, err := Import(t.Context(), p, &got)
			if n != tt.n || len(got) != tt.n {
				t.Errorf("Import = %d, sink got %d, want %d", n, len(got), tt.n)
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.errs)
			}
			var ee *EntryError
			if isEntry := errors.As(err, &ee); isEntry == tt.fatal {
				t.Errorf("error %v: *EntryError = %v, want %v", err, isEntry, !tt.fatal)
			}
			for _, want := range tt.errs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not mention %q:\n%v", want, err)
				}
			}
		})
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Import(ctx, "testdata/kev-slice.json", &got); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func FuzzImport(f *testing.F) {
	for _, name := range []string{"testdata/kev-slice.json", "testdata/kev-slice.csv", "testdata/vunnel-valid-catalog-1.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "kev")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		var got collect
		n, _ := Import(context.Background(), p, &got)
		if n != len(got) {
			t.Fatalf("Import = %d, sink got %d", n, len(got))
		}
	})
}
