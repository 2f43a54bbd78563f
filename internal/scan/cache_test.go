package scan

import (
	"bytes"
	"io"
	"log"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/customs-scanner/customs/internal/audit/secrets"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/shareddata"
	"github.com/customs-scanner/customs/internal/vulndb/build"
)

// secretImage writes secretImg to an archive.
func secretImage(t *testing.T) string {
	t.Helper()
	return writeArchive(t, secretImg(t))
}

// secretRegistry serves secretImg from a registry on loopback, whose
// layers the cache serves by their verified digests.
func secretRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	ref, err := name.ParseReference(strings.TrimPrefix(srv.URL, "http://") + "/team/secrets:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, secretImg(t)); err != nil {
		t.Fatal(err)
	}
	return "registry:" + ref.String()
}

// secretImg is the Debian test image with a layer of secrets on top (one
// deleted by the layer after it), a binary and a file too large to scan,
// and a secret in its config.
func secretImg(t *testing.T) v1.Image {
	t.Helper()
	img, _ := debianImage(t)
	secrets := layerTar(t, []file{
		{name: "app/.env", body: "DATABASE_URL=postgres://app:Zx9kQ2vLw7@db:5432/app\n"},
		{name: "app/config.yml", body: "name: x\npassword: hY7#kL9pQ2wE\n"},
		{name: "app/tool", body: "\x7fELF\x00\x00password=hY7#kL9pQ2wE\n", mode: 0o755},
		{name: "app/dump.sql", body: strings.Repeat("-- password: hY7#kL9pQ2wE\n", 50000)},
	})
	rm := layerTar(t, []file{{name: "app/.wh..env"}})
	img, err := mutate.Append(img,
		mutate.Addendum{Layer: secrets, History: v1.History{CreatedBy: "COPY app /app"}},
		mutate.Addendum{Layer: rm, History: v1.History{CreatedBy: "RUN rm /app/.env"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Config.Env = []string{"PATH=/usr/bin", "REDIS_URL=redis://:Qw3rTy8zP1@cache:6379/0"}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return img
}

// TestCachedReportEqualsCold: a second scan, answered from the cache, gives
// the report the first one gave, every field but the time it was made, with
// the default scanners (vuln, secret, config) and a DB.
func TestCachedReportEqualsCold(t *testing.T) {
	dbPath := bookwormDB(t, build.Source{Kind: "alpine-secdb", Path: filepath.Join("..", "..", "testdata", "feeds", "alpine-secdb", "v3.10")})
	tests := []struct {
		name     string
		ref      func(t *testing.T) string
		secrets  bool // the image holds secrets in files
		findings bool // the DB has advisories that affect it
	}{
		// The secdb's fixes are all older than the image's packages.
		{"alpine 3.10", func(*testing.T) string { return filepath.Join("..", "..", "testdata", "images", "alpine-310.tar.gz") }, false, false},
		{"secrets", secretImage, true, true},
		{"secrets from a registry", secretRegistry, true, true},
		{"bench debian bookworm", func(t *testing.T) string { return shareddata.BenchImage(t, "debian-bookworm-plain.tar") }, false, true},
		// A JDK, a toolchain, Node with npm, Python with pip, Go programs:
		// the metadata of every kind of package comes back as it was.
		{"bench debian bookworm large", func(t *testing.T) string { return shareddata.BenchImage(t, "debian-bookworm-large-plain.tar") }, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref := tt.ref(t)
			cache := t.TempDir()
			clock := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
			var log bytes.Buffer
			scan := func() (*report.Report, int) {
				t.Helper()
				read := 0
				clock = clock.Add(time.Minute)
				log.Reset()
				r, err := Scan(t.Context(), ref, Options{
					DBPath: dbPath, CacheDir: cache, Secrets: true, Config: true,
					Now:     func() time.Time { return clock },
					Handler: progressFunc(func(e Event) { read += btoi(e.Done && !e.Cached) }),
					Logger:  slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug})),
				})
				if err != nil {
					t.Fatal(err)
				}
				return r, read
			}
			cold, read := scan()
			if read == 0 {
				t.Fatal("the first scan read no layer")
			}
			if cold.SecretStats == nil || cold.SecretStats.Scanned == 0 || cold.DB == nil || tt.findings != (len(cold.Findings) > 0) || len(cold.Misconfigurations) == 0 {
				t.Fatalf("first scan: secret stats %+v, %d findings, misconfigurations %v; want all scanners to have run", cold.SecretStats, len(cold.Findings), cold.Misconfigurations)
			}
			if files := countFileSecrets(cold); tt.secrets != (files > 0) {
				t.Fatalf("first scan found %d secrets in files, want some: %v", files, tt.secrets)
			}
			warm, read := scan()
			if read != 0 {
				t.Errorf("the second scan read %d layers, want all from the cache", read)
			}
			if diff := cmp.Diff(cold, warm, cmpopts.IgnoreFields(report.Report{}, "CreatedAt")); diff != "" {
				t.Errorf("cached report differs (-cold +cached):\n%s", diff)
			}
			if cold.CreatedAt.Equal(warm.CreatedAt) {
				t.Error("both reports have the same time: the clock was not used")
			}
			if strings.HasPrefix(ref, "registry:") {
				return // no file identity: the layers are found by digest
			}
			// The match result of an unchanged archive against an
			// unchanged DB is cached too (TestMatchCacheFollowsDB).
			if !strings.Contains(log.String(), "match cache hit") {
				t.Errorf("the second scan matched again: its match result did not come from the cache")
			}
			// An unchanged archive's analysis is one record: the third
			// scan needs no cached layer.
			layers, err := filepath.Glob(filepath.Join(cache, "*.layer.zst"))
			if err != nil || len(layers) == 0 {
				t.Fatalf("no cached layers (%v)", err)
			}
			for _, p := range layers {
				if err := os.Remove(p); err != nil {
					t.Fatal(err)
				}
			}
			third, read := scan()
			if read != 0 {
				t.Errorf("the third scan read %d layers, want its analysis from the cache", read)
			}
			if diff := cmp.Diff(cold, third, cmpopts.IgnoreFields(report.Report{}, "CreatedAt")); diff != "" {
				t.Errorf("report from the cached analysis differs (-cold +cached):\n%s", diff)
			}
		})
	}
}

func countFileSecrets(r *report.Report) int {
	n := 0
	for _, s := range r.Secrets {
		n += btoi(s.Source == "file")
	}
	return n
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestSecretsCacheKeyHasRules: a scan with another rules file does not
// take the secrets the default rules found from the cache, in files or in
// the config.
func TestSecretsCacheKeyHasRules(t *testing.T) {
	ref := secretImage(t)
	cache := t.TempDir()
	rulesFile := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(rulesFile, []byte("disable: [database-url-password]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rules, err := secrets.LoadRules(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	rulesSeen := func(rules []secrets.Rule) map[string]bool {
		t.Helper()
		r, err := Scan(t.Context(), ref, Options{CacheDir: cache, Secrets: true, SecretRules: rules})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, s := range r.Secrets {
			seen[s.Rule+" "+s.Source] = true
		}
		return seen
	}
	if seen := rulesSeen(nil); !seen["database-url-password file"] {
		t.Fatalf("default rules: secrets %v, want database-url-password in a file", seen)
	}
	if seen := rulesSeen(rules); seen["database-url-password file"] || seen["database-url-password env"] {
		t.Errorf("rules that disable database-url-password: secrets %v", seen)
	}
}

// TestCachedAnalysisFollowsOptions: the analysis cached for one set of
// options is not served to a scan with others; each scan through the
// shared cache reports what a scan without a cache does.
func TestCachedAnalysisFollowsOptions(t *testing.T) {
	ref := secretImage(t)
	cache := t.TempDir()
	now := func() time.Time { return time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC) }
	for i, o := range []Options{
		{Secrets: true, Config: true},
		{},
		{Secrets: true},
		{Config: true, Dockerfile: []byte("FROM scratch\nUSER root\n")},
		{Secrets: true, Config: true, SkipDirs: []string{"app"}},
		{Secrets: true, Config: true, KeepOwned: true},
		{Secrets: true, Config: true, SecretRules: secrets.DefaultRules()[:1]},
	} {
		o.Now = now
		want, err := Scan(t.Context(), ref, o)
		if err != nil {
			t.Fatal(err)
		}
		o.CacheDir = cache
		for range 2 { // the first may write the cache, the second reads it
			got, err := Scan(t.Context(), ref, o)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("options %d: scan through the cache differs (-uncached +cached):\n%s", i, diff)
			}
		}
	}
}
