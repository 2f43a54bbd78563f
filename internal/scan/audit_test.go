package scan

import (
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// TestScanSecretsInHistory: a token written by one layer and deleted by the
// next is still in the image; the scan reports it with its layer and says it
// is gone from the final filesystem. The config checks run too.
func TestScanSecretsInHistory(t *testing.T) {
	const token = "ghp_Zq8xW3vT6nR1mK5pL9sD2fH7jB4cY0aE1gUi"
	l1 := layerTar(t, []file{
		{name: "usr/lib/os-release", body: bookwormOSRelease},
		{name: "root/.config/gh/hosts.yml", body: "github.com:\n    oauth_token: " + token + "\n"},
		{name: "app/config.env", body: "GITHUB_TOKEN=" + token + "\n"},
	})
	l2 := layerTar(t, []file{{name: "root/.config/gh/.wh.hosts.yml"}})
	img, err := mutate.Append(empty.Image,
		mutate.Addendum{Layer: l1, History: v1.History{CreatedBy: "COPY . /"}},
		mutate.Addendum{Layer: l2, History: v1.History{CreatedBy: "RUN rm /root/.config/gh/hosts.yml"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Scan(t.Context(), "docker-archive:"+writeArchive(t, img), Options{Secrets: true, Config: true})
	if err != nil {
		t.Fatal(err)
	}
	state := map[string]bool{}
	for _, s := range r.Secrets {
		if s.Rule == "github-token" {
			state[s.Path] = s.StillPresent
			if s.Match == "" || contains(s.Match, token) {
				t.Errorf("%s: match %q is not redacted", s.Path, s.Match)
			}
			if s.CreatedBy != "COPY . /" || s.Layer != r.Target.Layers[0].DiffID {
				t.Errorf("%s: layer %s createdBy %q", s.Path, s.Layer, s.CreatedBy)
			}
		}
	}
	want := map[string]bool{"root/.config/gh/hosts.yml": false, "app/config.env": true}
	for p, present := range want {
		got, ok := state[p]
		if !ok || got != present {
			t.Errorf("secret in %s: found %v stillPresent %v; want found, stillPresent %v (all: %+v)", p, ok, got, present, r.Secrets)
		}
	}
	if r.SecretStats == nil || r.SecretStats.Scanned == 0 {
		t.Errorf("secret stats %+v", r.SecretStats)
	}
	ids := map[string]bool{}
	for _, m := range r.Misconfigurations {
		ids[m.ID] = true
	}
	if !ids["image.root-user"] {
		t.Errorf("misconfigurations %v lack image.root-user", ids)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
