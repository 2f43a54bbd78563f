package secrets

import (
	"archive/tar"
	"bytes"
	"context"
	"io/fs"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/extract/dpkg"
	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/layerfs"
)

// rawExt wants one file raw, so secret parts must share it with raw content.
type rawExt struct{ path string }

func (rawExt) Name() string                                                        { return "test/raw" }
func (rawExt) Version() int                                                        { return 1 }
func (r rawExt) Wants(p string, _ fs.FileMode) bool                                { return p == r.path }
func (rawExt) Extract(context.Context, extract.Input) ([]inventory.Package, error) { return nil, nil }

// layer builds a layer tar from path -> content ("" content with a
// ".wh." base name is a whiteout) and analyses it as the scan does: the
// Scanner among exts prepares the walk's files through a LayerScan, whose
// result is returned with the layer.
func layer(t *testing.T, exts []extract.Extractor, files [][2]string) (*layerfs.Layer, *LayerResult) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f[0], Mode: 0o600, Size: int64(len(f[1])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(f[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	walk := slices.Clone(exts)
	var ls *LayerScan
	for i, e := range walk {
		if s, ok := e.(*Scanner); ok {
			ls = s.Layer()
			walk[i] = ls
		}
	}
	if ls == nil {
		t.Fatal("no Scanner among the extractors")
	}
	l, err := layerfs.Analyze(t.Context(), &buf, layerfs.Options{Wants: extract.Wants(walk), Prepare: extract.Prepare(walk)})
	if err != nil {
		t.Fatal(err)
	}
	return l, ls.Result(l)
}

func TestCollectEveryLayer(t *testing.T) {
	s := New(DefaultRules())
	exts := []extract.Extractor{s, rawExt{"app/config.yml"}}
	gh := fake(50, "ghp_", 36, alnum)
	l0, r0 := layer(t, exts, [][2]string{
		{"app/.env", "DATABASE_URL=postgres://app:Zx9kQ2vLw7@db:5432/app\n"},
		{"root/.ssh/id_rsa", rsaPEM(t)},
		{"app/config.yml", "name: x\npassword: hY7#kL9pQ2wE\n"},
		{"app/README", "nothing to see"},
	})
	l1, r1 := layer(t, exts, [][2]string{
		{"app/.wh..env", ""},
		{"app/config.yml", "name: x\npassword: ${DB_PASSWORD}\n"},
		{"app/token.txt", "GH=" + gh + "\n"},
	})
	layers := []*layerfs.Layer{l0, l1}
	infos := []extract.LayerInfo{
		{DiffID: l0.DiffID, CreatedBy: "COPY . /"},
		{DiffID: l1.DiffID, CreatedBy: "RUN rm /app/.env"},
	}
	got := Collect([]*LayerResult{r0, r1}, infos, layerfs.Merge(layers))
	want := []Finding{
		{Rule: "database-url-password", Severity: SeverityHigh, Source: "file", Layer: l0.DiffID, LayerIndex: 0, CreatedBy: "COPY . /", Path: "app/.env", Line: 1, Match: "postgres://app:Zx9****@db", StillPresent: false},
		{Rule: "generic-secret-assignment", Severity: SeverityMedium, Source: "file", Layer: l0.DiffID, LayerIndex: 0, CreatedBy: "COPY . /", Path: "app/config.yml", Line: 2, Match: "password: hY7#****", StillPresent: false},
		{Rule: "private-key", Severity: SeverityCritical, Source: "file", Layer: l0.DiffID, LayerIndex: 0, CreatedBy: "COPY . /", Path: "root/.ssh/id_rsa", Line: 2, Match: "-----BEGIN RSA PRIVATE KEY----- MIIC****", StillPresent: true},
		{Rule: "github-token", Severity: SeverityHigh, Source: "file", Layer: l1.DiffID, LayerIndex: 1, CreatedBy: "RUN rm /app/.env", Path: "app/token.txt", Line: 1, Match: "ghp_****", StillPresent: true},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Finding{}, "Match")); diff != "" {
		t.Errorf("Collect (-want +got):\n%s", diff)
	}
	for i, f := range got {
		if i < len(want) && want[i].Match != "" && f.Match != want[i].Match {
			t.Errorf("finding %d Match = %q, want %q", i, f.Match, want[i].Match)
		}
	}
	// The raw extractor still gets the raw file.
	if _, ok := extract.PartFor("", l0.Files["app/config.yml"]); !ok {
		t.Errorf("raw part of app/config.yml missing")
	}
	// The walk keeps nothing of the files only the secret scanner reads,
	// whether they hold a secret or not.
	for _, p := range []string{"app/README", "app/.env", "root/.ssh/id_rsa"} {
		if _, ok := l0.Files[p]; ok {
			t.Errorf("%s kept, want dropped", p)
		}
	}
	if want := (Stats{Scanned: 6}); Tally([]*LayerResult{r0, r1}) != want {
		t.Errorf("Tally = %+v, want %+v", Tally([]*LayerResult{r0, r1}), want)
	}
}

func TestScanConfig(t *testing.T) {
	cfg := &v1.ConfigFile{
		Config: v1.Config{
			Env:    []string{"PATH=/usr/bin", "DB_PASSWORD=s3cr3t-Pa55w0rd!", "API_KEY=${API_KEY}"},
			Labels: map[string]string{"maintainer": "x@example.com", "deploy.token": fake(51, "glpat-", 20, alnum)},
		},
		History: []v1.History{
			{CreatedBy: "/bin/sh -c #(nop) ADD file:abc in / "},
			{CreatedBy: "|1 NPM_TOKEN=" + fake(52, "npm_", 36, alnum) + " /bin/sh -c npm ci"},
		},
	}
	got := ScanConfig(cfg)
	want := []Finding{
		{Rule: "generic-secret-assignment", Severity: SeverityMedium, Source: "env", LayerIndex: -1, Path: "Env[1]", Line: 1, Match: "DB_PASSWORD=s3cr****", StillPresent: true},
		{Rule: "gitlab-token", Severity: SeverityHigh, Source: "label", LayerIndex: -1, Path: "Labels[deploy.token]", Line: 1, Match: "glpa****", StillPresent: true},
		{Rule: "npm-token", Severity: SeverityHigh, Source: "history", LayerIndex: -1, Path: "History[1]", Line: 1, Match: "npm_****", StillPresent: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ScanConfig (-want +got):\n%s", diff)
	}
	if ScanConfig(nil) != nil {
		t.Errorf("ScanConfig(nil) != nil")
	}
}

// TestWithWalker runs the secret Preparer beside a real extractor through
// extract.Run, as the scan does: OS detection and dpkg still see their raw
// files, and the walker reports no errors for secret parts.
func TestWithWalker(t *testing.T) {
	s := New(DefaultRules())
	exts := []extract.Extractor{dpkg.New(), s}
	status := "Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\n\n"
	l, r := layer(t, exts, [][2]string{
		{"etc/os-release", "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n"},
		{"var/lib/dpkg/status", status},
		{"app/.env", "API_TOKEN=" + fake(70, "glpat-", 20, alnum) + "\n"},
	})
	infos := []extract.LayerInfo{{DiffID: l.DiffID}}
	res, err := extract.Run(t.Context(), []*layerfs.Layer{l}, infos, exts, extract.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.OS.Family != "debian" || len(res.Packages) != 1 || len(res.Errors) != 0 {
		t.Errorf("Run: OS %+v, %d packages, errors %v; want debian, 1, none", res.OS, len(res.Packages), res.Errors)
	}
	got := Collect([]*LayerResult{r}, infos, layerfs.Merge([]*layerfs.Layer{l}))
	if len(got) != 1 || got[0].Rule != "gitlab-token" || !got[0].StillPresent {
		t.Errorf("Collect = %+v, want one present gitlab-token", got)
	}
}
