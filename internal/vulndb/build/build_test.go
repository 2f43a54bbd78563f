package build

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/sqlite"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The feeds' testdata: real slices of each feed (see their README.md).
const (
	alpineData = "../feeds/alpine/testdata"
	osvData    = "../feeds/osv/testdata"
	debianData = "../feeds/debian/testdata"
	sharedData = "../../../../shared/data/advisories"
)

func TestParseSource(t *testing.T) {
	tests := []struct {
		in      string
		want    Source
		wantErr string
	}{
		{in: "osv=./all.zip", want: Source{Kind: "osv", Path: "./all.zip"}},
		{in: "alpine-secdb=/data/secdb", want: Source{Kind: "alpine-secdb", Path: "/data/secdb"}},
		{in: "debian-tracker=a=b.json", want: Source{Kind: "debian-tracker", Path: "a=b.json"}},
		{in: "debian-lists=data", want: Source{Kind: "debian-lists", Path: "data"}},
		{in: "nvd=x", want: Source{Kind: "nvd", Path: "x"}},
		{in: "trivy-db=x", wantErr: `unknown kind "trivy-db"; valid kinds: debian-tracker, debian-lists, alpine-secdb, osv, ubuntu-tracker, redhat-csaf, nvd, kev, epss, rubysec, friendsofphp, rustsec`},
		{in: "osv", wantErr: "want KIND=PATH, where KIND is one of debian-tracker, debian-lists, alpine-secdb, osv, ubuntu-tracker, redhat-csaf, nvd, kev, epss, rubysec, friendsofphp, rustsec"},
		{in: "osv=", wantErr: "want KIND=PATH"},
		{in: "=x", wantErr: "want KIND=PATH"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSource(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseSource(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseSource (-want +got):\n%s", diff)
			}
		})
	}
}

func testLogger(buf *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// TestBuildRealFeeds builds a DB from every feed kind's real testdata,
// reopens it and checks what matching will see.
func TestBuildRealFeeds(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "vuln.db")
	sources := []Source{
		{Kind: "alpine-secdb", Path: alpineData + "/v3.10"},
		{Kind: "osv", Path: osvData},
		{Kind: "debian-tracker", Path: debianData + "/tracker/bookworm-slice.json"},
		{Kind: "debian-lists", Path: debianData + "/lists/happy"}, // has a malformed DLA header: a warning
	}
	var logs bytes.Buffer
	info, err := Build(t.Context(), dbPath, sources, testLogger(&logs))
	if err != nil {
		t.Fatal(err)
	}
	t.Log(logs.String())
	if !strings.Contains(logs.String(), "record warning") {
		t.Error("no warning logged for the malformed DLA header of lists/happy")
	}

	db, err := sqlite.Open(t.Context(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reopened, err := db.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(info, reopened); diff != "" {
		t.Errorf("Info from Build and from Open differ (-build +open):\n%s", diff)
	}
	if time.Since(info.Built) > time.Minute {
		t.Errorf("Built = %v, want about now", info.Built)
	}
	var kinds []string
	sum := vulndb.SourceInfo{}
	for _, s := range info.Sources {
		kinds = append(kinds, s.Kind)
		sum.Advisories += s.Advisories
		sum.Affected += s.Affected
	}
	if diff := cmp.Diff([]string{"alpine-secdb", "osv", "debian-tracker", "debian-lists"}, kinds); diff != "" {
		t.Errorf("source kinds (-want +got):\n%s", diff)
	}
	if info.Advisories != sum.Advisories || info.Affected != sum.Affected {
		t.Errorf("Info counts %d/%d, sources sum to %d/%d", info.Advisories, info.Affected, sum.Advisories, sum.Affected)
	}
	// v3.10/main.yaml has 1,111 distinct IDs (see the alpine tests); the OSV
	// slice 46 records.
	if got := info.Sources[0].Advisories; got != 1111 {
		t.Errorf("alpine-secdb advisories = %d, want 1111", got)
	}
	if got := info.Sources[1].Advisories; got != 46 {
		t.Errorf("osv advisories = %d, want 46", got)
	}

	// alpine:3.10 openssl: the six CVEs of v3.10/main.yaml lines 1272-1282.
	matches, err := db.ByPackage(t.Context(), "alpine:3.10", "openssl")
	if err != nil {
		t.Fatal(err)
	}
	type fix struct{ ID, Source, Fixed string }
	var got []fix
	for _, m := range matches {
		got = append(got, fix{m.Advisory.ID, m.Advisory.Source, m.Affected.Ranges[0].Fixed})
	}
	want := []fix{
		{"CVE-2018-0734", "alpine-secdb", "1.1.1a-r0"},
		{"CVE-2018-0735", "alpine-secdb", "1.1.1a-r0"},
		{"CVE-2019-1543", "alpine-secdb", "1.1.1b-r1"},
		{"CVE-2019-1547", "alpine-secdb", "1.1.1d-r0"},
		{"CVE-2019-1549", "alpine-secdb", "1.1.1d-r0"},
		{"CVE-2019-1563", "alpine-secdb", "1.1.1d-r0"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ByPackage(alpine:3.10, openssl) (-want +got):\n%s", diff)
	}

	for _, q := range []struct{ eco, name, id string }{
		{"Go", "stdlib", "GO-2022-0191"},
		{"rocky:8", "firefox", "RLSA-2023:3220"},
		{"ubuntu:14.04", "tpp", "UBUNTU-CVE-2013-2208"},
		{"Maven", "de.tum.in.ase:artemis-java-test-sandbox", "GHSA-23rx-79r7-6cpx"},
	} {
		ms, err := db.ByPackage(t.Context(), q.eco, q.name)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, m := range ms {
			found = found || m.Advisory.ID == q.id
		}
		if !found {
			t.Errorf("ByPackage(%s, %s) has no %s: %d matches", q.eco, q.name, q.id, len(ms))
		}
	}
	ms, err := db.ByPackage(t.Context(), "debian:12", "openssl")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 {
		t.Error("ByPackage(debian:12, openssl) is empty; the tracker slice has openssl records")
	}
}

func TestBuildErrorsKeepOldDB(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "vuln.db")
	if _, err := Build(t.Context(), dbPath, []Source{{Kind: "alpine-secdb", Path: alpineData + "/v3.10"}}, nil); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	emptyDir := t.TempDir()
	for name, sources := range map[string][]Source{
		"no sources":   nil,
		"unknown kind": {{Kind: "nvd", Path: "x"}},
		"missing path": {{Kind: "osv", Path: filepath.Join(emptyDir, "missing.zip")}},
		"all missing":  {{Kind: "osv", Path: filepath.Join(emptyDir, "missing.zip")}, {Kind: "kev", Path: filepath.Join(emptyDir, "kev.json")}},
		"broken zip":   {{Kind: "osv", Path: writeFile(t, "all.zip", "PK broken")}},
		"nothing read": {{Kind: "osv", Path: writeFile(t, "bad.json", "{")}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Build(t.Context(), dbPath, sources, nil)
			if err == nil {
				t.Fatal("Build succeeded")
			}
			t.Log(err)
			after, err := os.ReadFile(dbPath)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Error("DB changed by a failed build")
			}
			entries, _ := os.ReadDir(filepath.Dir(dbPath))
			if len(entries) != 1 {
				t.Errorf("%d files beside the DB after a failed build, want none", len(entries)-1)
			}
		})
	}
}

// TestBuildPartial: a corrupt feed file is reported, naming the feed, and
// the other feeds still import.
func TestBuildPartial(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "vuln.db")
	broken := writeFile(t, "kev.json", `{"catalogVersion": "2025.08.25", "vulnerabilities": [`)
	info, err := Build(t.Context(), dbPath, []Source{{Kind: "alpine-secdb", Path: alpineData + "/v3.10"}, {Kind: "kev", Path: broken}}, nil)
	var partial *PartialError
	if !errors.As(err, &partial) || len(partial.Failed) != 1 || partial.Failed[0].Source.Kind != "kev" {
		t.Fatalf("err = %v, want a PartialError naming the kev source", err)
	}
	if !strings.Contains(err.Error(), "kev="+broken) {
		t.Errorf("error %q does not name the feed", err)
	}
	if len(info.Sources) != 1 || info.Sources[0].Kind != "alpine-secdb" || info.Advisories == 0 {
		t.Errorf("info = %+v, want the alpine source imported", info)
	}
	db, err := sqlite.Open(t.Context(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms, err := db.ByPackage(t.Context(), "alpine:3.10", "openssl")
	if err != nil || len(ms) == 0 {
		t.Errorf("ByPackage(alpine:3.10, openssl) = %d matches, %v", len(ms), err)
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBuildSharedData(t *testing.T) {
	if testing.Short() {
		t.Skip("imports the shared feeds")
	}
	if _, err := os.Stat(sharedData); err != nil {
		t.Skip("shared data not present:", err)
	}
	dbPath := filepath.Join(t.TempDir(), "vuln.db")
	start := time.Now()
	info, err := Build(t.Context(), dbPath, []Source{
		{Kind: "alpine-secdb", Path: sharedData + "/alpine-secdb-legacy"},
		{Kind: "osv", Path: sharedData + "/golang-vulndb/data/osv"},
		{Kind: "osv", Path: sharedData + "/rustsec-osv/crates"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(dbPath)
	t.Logf("built %d advisories, %d affected in %v, %d bytes", info.Advisories, info.Affected, time.Since(start), st.Size())
	// alpine: 11,456 per-file advisories merge into fewer (id, source) rows;
	// osv: 4,291 Go + 1,206 RustSec records.
	got := []int{info.Sources[1].Advisories, info.Sources[2].Advisories}
	if diff := cmp.Diff([]int{4291, 1206}, got); diff != "" {
		t.Errorf("osv advisories (-want +got):\n%s", diff)
	}
	db, err := sqlite.Open(t.Context(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms, err := db.ByPackage(t.Context(), "alpine:3.11", "openssl")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.Advisory.ID)
	}
	want := []string{"CVE-2018-0734", "CVE-2018-0735", "CVE-2019-1543", "CVE-2019-1547", "CVE-2019-1549", "CVE-2019-1551", "CVE-2019-1563"}
	if diff := cmp.Diff(want, ids, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("alpine:3.11 openssl (-want +got):\n%s", diff)
	}
}

// BenchmarkByPackageRealDB queries a DB built from the real Alpine and Go
// feeds (shared data) or, on a fresh clone, from the feeds' testdata.
func BenchmarkByPackageRealDB(b *testing.B) {
	sources := []Source{{Kind: "alpine-secdb", Path: alpineData}, {Kind: "osv", Path: osvData}}
	if _, err := os.Stat(sharedData); err == nil {
		sources = []Source{{Kind: "alpine-secdb", Path: sharedData + "/alpine-secdb-legacy"}, {Kind: "osv", Path: sharedData + "/golang-vulndb/data/osv"}}
	}
	dbPath := filepath.Join(b.TempDir(), "vuln.db")
	if _, err := Build(b.Context(), dbPath, sources, nil); err != nil {
		b.Fatal(err)
	}
	db, err := sqlite.Open(b.Context(), dbPath)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for _, q := range []struct{ eco, name string }{
		{"alpine:3.10", "openssl"}, // 6 matches
		{"Go", "stdlib"},           // every Go standard library advisory
		{"alpine:3.10", "no-such-package"},
	} {
		b.Run(q.eco+"/"+q.name, func(b *testing.B) {
			var n int
			for b.Loop() {
				ms, err := db.ByPackage(b.Context(), q.eco, q.name)
				if err != nil {
					b.Fatal(err)
				}
				n = len(ms)
			}
			b.ReportMetric(float64(n), "matches")
		})
	}
}

func TestBuildCancelled(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "new", "dir", "vuln.db")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Build(ctx, dbPath, []Source{{Kind: "osv", Path: osvData}}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Build with cancelled ctx = %v, want context.Canceled", err)
	}
	if _, err := os.Stat(dbPath); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("DB after a cancelled build: %v, want none", err)
	}
	// The directory was created; a build into it works.
	if _, err := Build(t.Context(), dbPath, []Source{{Kind: "osv", Path: osvData}}, nil); err != nil {
		t.Fatal(err)
	}
}
