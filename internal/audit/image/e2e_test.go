package image

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/customs-scanner/customs/internal/audit/secrets"
	"github.com/customs-scanner/customs/internal/extract"
	imagesrc "github.com/customs-scanner/customs/internal/image"
	"github.com/customs-scanner/customs/internal/layerfs"
	"github.com/customs-scanner/customs/internal/report"
)

func ggcrLayer(t *testing.T, entries []tarEntry, files map[string]string) v1.Layer {
	t.Helper()
	b := layerTar(t, entries, files)
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestImageEndToEnd builds an image with go-containerregistry, writes it as
// a docker save archive, reads it through internal/image and layerfs the way
// the scan does (secret Preparer included), and runs Check and Collect.
func TestImageEndToEnd(t *testing.T) {
	pw := "Zx9" + "kQ2vLw7"
	l1 := ggcrLayer(t, []tarEntry{
		{name: "busybox/sh", mode: 0o755},
		{name: "usr/local/bin/helper", mode: 0o4755},
		{name: "app/.env", mode: 0o644},
		{name: "app/settings.yml", mode: 0o644},
	}, map[string]string{
		"busybox/sh":           "\x7fELF\x00binary",
		"usr/local/bin/helper": "\x7fELF\x00binary",
		"app/.env":             "DATABASE_URL=postgres://app:" + pw + "@db:5432/app\n",
		"app/settings.yml":     "db:\n  password: hY7#kL9pQ2wE\n",
	})
	l2 := ggcrLayer(t, []tarEntry{{name: "app/.wh..env", mode: 0o644}}, nil)
	img, err := mutate.Append(empty.Image,
		mutate.Addendum{Layer: l1, History: v1.History{CreatedBy: "COPY . / # buildkit"}},
		mutate.Addendum{Layer: l2, History: v1.History{CreatedBy: "RUN /bin/sh -c rm /app/.env && curl -fsSL https://x.example/i.sh | sh # buildkit"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Config.Env = []string{"PATH=/busybox", "REDIS_URL=redis://:Qw3rTy8zP1@cache:6379/0"}
	cf.Config.ExposedPorts = map[string]struct{}{"2375/tcp": {}}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag("gcr.io/distroless/base-debian12:debug")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "img.tar")
	if err := tarball.WriteToFile(path, tag, img); err != nil {
		t.Fatal(err)
	}

	sc := secrets.New(secrets.DefaultRules())
	src, err := imagesrc.Open(t.Context(), "docker-archive:"+path, imagesrc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var mu sync.Mutex
	byKey := map[string]*layerfs.Layer{}
	found := map[string]*secrets.LayerResult{}
	meta, err := src.Read(t.Context(), func(ctx context.Context, b imagesrc.Blob) error {
		rc, err := b.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		exts := []extract.Extractor{sc.Layer()}
		l, err := layerfs.Analyze(ctx, rc, layerfs.Options{Wants: extract.Wants(exts), Prepare: extract.Prepare(exts)})
		if err != nil {
			return err
		}
		mu.Lock()
		byKey[b.Key], found[b.Key] = l, exts[0].(*secrets.LayerScan).Result(l)
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var layers []*layerfs.Layer
	var results []*secrets.LayerResult
	var infos []extract.LayerInfo
	for _, lm := range meta.Layers {
		layers = append(layers, byKey[lm.Key])
		results = append(results, found[lm.Key])
		infos = append(infos, extract.LayerInfo{DiffID: byKey[lm.Key].DiffID, CreatedBy: lm.CreatedBy})
	}
	final := layerfs.Merge(layers)

	got := ids(Check(meta, final, nil))
	want := []string{
		"image.config-secret HIGH",
		"image.sensitive-port HIGH",
		"image.pipe-to-shell MEDIUM",
		"image.root-user MEDIUM",
		"image.setuid-unexpected MEDIUM",
		"image.shell-in-minimal MEDIUM",
		"image.no-healthcheck LOW",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Check (-want +got):\n%s", diff)
	}
	type short struct {
		Rule, Path, CreatedBy string
		StillPresent          bool
	}
	var gotSecrets []short
	for _, f := range secrets.Collect(results, infos, final) {
		gotSecrets = append(gotSecrets, short{f.Rule, f.Path, f.CreatedBy, f.StillPresent})
	}
	wantSecrets := []short{
		{"database-url-password", "app/.env", "COPY . / # buildkit", false},
		{"generic-secret-assignment", "app/settings.yml", "COPY . / # buildkit", true},
	}
	if diff := cmp.Diff(wantSecrets, gotSecrets); diff != "" {
		t.Errorf("Collect (-want +got):\n%s", diff)
	}
	if st := secrets.Tally(results); st.SkippedBinary != 2 || st.Scanned != 2 {
		t.Errorf("Stats = %+v, want 2 scanned, 2 binary", st)
	}
	facts := Facts(meta, final)
	if diff := cmp.Diff(report.ImageFacts{RunsAsRoot: true, HasShell: true}, facts); diff != "" {
		t.Errorf("Facts (-want +got):\n%s", diff)
	}
}
