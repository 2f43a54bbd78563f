package image

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// engineRequest sends one request to the local Docker Engine.
func engineRequest(ctx context.Context, e *engine, method, p string, body io.Reader) error {
	req, err := http.NewRequestWithContext(ctx, method, e.base+p, body)
	if err != nil {
		return err
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("%s %s: %s: %s", method, p, resp.Status, out)
	}
	if bytes.Contains(out, []byte(`"error"`)) {
		return fmt.Errorf("%s %s: %s", method, p, out)
	}
	return nil
}

// TestDockerEngine imports a tiny image into the local Docker Engine (the
// API call behind docker import) and opens it with docker:NAME and by bare
// name. It skips only when the engine does not answer /_ping.
func TestDockerEngine(t *testing.T) {
	eng, err := newEngine("")
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.ping(t.Context()); err != nil {
		t.Skipf("Docker Engine at %s does not answer /_ping (%v); start it to run this test", eng.host, err)
	}
	repo := "customs-test/engine"
	tag := fmt.Sprintf("t%d-%d", os.Getpid(), time.Now().UnixNano())
	ref := repo + ":" + tag
	layer := makeTar(t, []tarEntry{
		{Name: "etc/os-release", Body: []byte("ID=customs-test\n")},
		{Name: "bin/hello", Body: []byte("#!/bin/sh\necho hello\n")},
	}, false)
	q := url.Values{"fromSrc": {"-"}, "repo": {repo}, "tag": {tag}}
	if err := engineRequest(t.Context(), eng, http.MethodPost, "/images/create?"+q.Encode(), bytes.NewReader(layer)); err != nil {
		t.Fatalf("import test image: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := engineRequest(ctx, eng, http.MethodDelete, strings.TrimSuffix(imagePath(ref, ""), "/")+"?force=1", nil); err != nil {
			t.Errorf("remove test image: %v", err)
		}
	})
	ins, err := eng.inspect(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, ref string }{
		{"scheme", "docker:" + ref},
		{"detected", ref},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := Open(t.Context(), tc.ref, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			// The identity is the engine's image ID, a digest of the
			// image's content.
			if id := src.Identity(); !strings.Contains(id, "\x00sha256:") {
				t.Errorf("Identity = %q, want one naming the image ID", id)
			}
			m, seen := readSource(t, src)
			if m.Kind != KindDocker || m.Ref != ref {
				t.Errorf("Kind, Ref = %q, %q; want %q, %q", m.Kind, m.Ref, KindDocker, ref)
			}
			if !slices.Contains(m.RepoTags, ref) {
				t.Errorf("RepoTags = %v, want it to hold %s", m.RepoTags, ref)
			}
			if len(m.Layers) != 1 {
				t.Fatalf("got %d layers, want 1", len(m.Layers))
			}
			if want := sha(layer); m.Layers[0].ClaimedDiffID != want {
				t.Errorf("ClaimedDiffID = %s, want the imported tar's %s", m.Layers[0].ClaimedDiffID, want)
			}
			if strings.HasPrefix(ins.ID, "sha256:") && m.ConfigDigest != ins.ID && m.ManifestDigest != ins.ID {
				t.Errorf("ConfigDigest %s / ManifestDigest %s, want one to be the engine's image ID %s", m.ConfigDigest, m.ManifestDigest, ins.ID)
			}
			checkLayers(t, m, seen)
			t.Logf("engine image: ID %s, manifest %s, layer %+v", ins.ID, m.ManifestDigest, m.Layers[0])
		})
	}
	t.Run("platform", func(t *testing.T) {
		// The engine keeps one platform of an imported image; asking for
		// it works (through API versions that do not know the platform
		// parameter too), asking for another is an error that names it.
		resp, err := eng.get(t.Context(), imagePath(ref, "json"))
		if err != nil {
			t.Fatal(err)
		}
		var plat struct{ Os, Architecture, Variant string }
		err = json.NewDecoder(resp.Body).Decode(&plat)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		have := v1.Platform{OS: plat.Os, Architecture: plat.Architecture, Variant: plat.Variant}
		other := "linux/s390x"
		if have.Architecture == "s390x" {
			other = "linux/riscv64"
		}
		for _, tc := range []struct{ platform, wantErr string }{
			{have.String(), ""},
			{other, "no image for platform " + other + "; the image has only " + have.String()},
		} {
			src, err := Open(t.Context(), "docker:"+ref, Options{Platform: tc.platform})
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = tryRead(t.Context(), src)
			src.Close()
			if tc.wantErr == "" && err != nil {
				t.Errorf("platform %s: %v", tc.platform, err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("platform %s: error %v, want it to contain %q", tc.platform, err, tc.wantErr)
			}
		}
	})
	t.Run("not found", func(t *testing.T) {
		_, err := Open(t.Context(), "docker:"+repo+":no-such-tag", Options{})
		want := "the Docker Engine has no image " + repo + ":no-such-tag; docker pull it first"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("Open error = %v, want it to contain %q", err, want)
		}
	})
}

func TestDockerEngineUnreachable(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "no.sock")
	for _, tc := range []struct{ name, host, wantErr string }{
		{"no socket", "unix://" + sock, "the Docker Engine at unix://" + sock + " does not answer"},
		{"bad scheme", "ssh://host", "unsupported Docker host"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(t.Context(), "docker:alpine:3.10", Options{DockerHost: tc.host})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Open error = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}
