package harbor

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/customs-scanner/customs/internal/service"
)

func TestNegotiate(t *testing.T) {
	for _, tc := range []struct {
		accept string
		want   string
		ok     bool
	}{
		{"", MIMEVulnReport10, true},
		{"*/*", MIMEVulnReport10, true},
		{MIMEVulnReport11, MIMEVulnReport11, true},
		{"application/vnd.security.vulnerability.report;version=1.1", MIMEVulnReport11, true},
		{MIMEVulnReport10, MIMEVulnReport10, true},
		{MIMESBOMReport, MIMESBOMReport, true},
		{MIMERawReport, MIMERawReport, true},
		{"application/vnd.security.vulnerability.report; version=2.0", "", false},
		{"text/html, " + MIMEVulnReport11, MIMEVulnReport11, true},
		{"application/json", "", false},
	} {
		got, ok := negotiate(tc.accept)
		if got != tc.want || ok != tc.ok {
			t.Errorf("negotiate(%q) = %q, %v; want %q, %v", tc.accept, got, ok, tc.want, tc.ok)
		}
	}
}

func TestArtifactOf(t *testing.T) {
	d := "sha256:" + "ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34"
	for ref, want := range map[string]Artifact{
		"core.harbor.domain/library/mongo:3.14@" + d: {Repository: "library/mongo", Tag: "3.14", Digest: d},
		"127.0.0.1:5000/library/mongo@" + d:          {Repository: "library/mongo", Digest: d},
		"not a reference":                            {},
	} {
		if diff := cmp.Diff(want, ArtifactOf(ref)); diff != "" {
			t.Errorf("ArtifactOf(%q) (-want +got):\n%s", ref, diff)
		}
	}
}

func TestRegistryAuth(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    *authn.AuthConfig
		wantErr bool
	}{
		{"", nil, false},
		{"Basic cm9ib3Qkc2Nhbm5lcjpzM2NyZXQ=", &authn.AuthConfig{Username: "robot$scanner", Password: "s3cret"}, false},
		{"Bearer eyJhbGciOi.J9", &authn.AuthConfig{RegistryToken: "eyJhbGciOi.J9"}, false},
		{"Basic not-base64!", nil, true},
		{"Basic bm9jb2xvbg==", nil, true}, // "nocolon"
		{"Digest abc", nil, true},
		{"s3cret", nil, true},
	} {
		got, err := RegistryAuth(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("RegistryAuth(%q): error %v, want error %v", tc.in, err, tc.wantErr)
		}
		if err != nil && len(tc.in) > 6 && strings.Contains(err.Error(), tc.in[6:]) {
			t.Errorf("RegistryAuth(%q): the error repeats the credentials: %v", tc.in, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("RegistryAuth(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestTurnaround(t *testing.T) {
	now := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)
	ta := newTurnaround(func() time.Time { return now })
	queued := service.Job{ID: "9", Status: service.Queued, Created: now.Add(-2 * time.Second)}
	if got := ta.remaining(queued); got != defaultTurnaround {
		t.Errorf("remaining before any job = %v, want %v", got, defaultTurnaround)
	}
	ta.done(service.Job{ID: "1", Created: now.Add(-time.Minute), Updated: now.Add(-time.Minute + 20*time.Second)})
	ta.done(service.Job{ID: "1", Created: now.Add(-time.Minute), Updated: now.Add(-time.Minute + 20*time.Second)}) // counted once
	ta.done(service.Job{ID: "sha256:ab", Created: now, Updated: now})                                              // from the store
	if got := ta.remaining(queued); got != 18*time.Second {
		t.Errorf("remaining = %v, want 18s (20s turnaround, 2s old)", got)
	}
	ta.done(service.Job{ID: "2", Created: now.Add(-time.Minute), Updated: now.Add(-time.Minute + 10*time.Second)})
	if got := ta.remaining(queued); got != 16*time.Second {
		t.Errorf("remaining = %v, want 16s (0.2*10s + 0.8*20s = 18s turnaround, 2s old)", got)
	}
	old := service.Job{ID: "8", Status: service.Running, Created: now.Add(-time.Hour)}
	if got := ta.remaining(old); got != 1800*time.Millisecond {
		t.Errorf("remaining of a job older than the turnaround = %v, want a tenth of it", got)
	}
	for d, want := range map[time.Duration]int{0: 1, 1500 * time.Millisecond: 2, 18 * time.Second: 18, time.Hour: 300} {
		if got := RefreshAfter(d); got != want {
			t.Errorf("RefreshAfter(%v) = %d, want %d", d, got, want)
		}
	}
}
