package target

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Ref
	}{
		{"docker-archive:alpine.tar", Ref{Kind: DockerArchive, Name: "alpine.tar"}},
		{"oci-dir:layout:v1", Ref{Kind: OCIDir, Name: "layout:v1"}},
		{"registry:ghcr.io/org/app:1.2", Ref{Kind: Registry, Name: "ghcr.io/org/app:1.2"}},
		{"docker:alpine:3.20", Ref{Kind: Docker, Name: "alpine:3.20"}},
		{"rootfs:/", Ref{Kind: Rootfs, Name: "/"}},
		{"sbom:app.cdx.json", Ref{Kind: SBOM, Name: "app.cdx.json"}},
		{"alpine:3.20", Ref{Name: "alpine:3.20"}},
		{"dockr:alpine", Ref{Name: "dockr:alpine"}},
		{"./a.tar", Ref{Name: "./a.tar"}},
		{"", Ref{}},
		{"sbom:", Ref{Kind: SBOM}},
	}
	for _, tt := range tests {
		got := Parse(tt.in)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
		}
		if s := got.String(); s != tt.in {
			t.Errorf("Parse(%q).String() = %q", tt.in, s)
		}
	}
}

func TestImage(t *testing.T) {
	for _, k := range Kinds {
		if got, want := k.Image(), k != SBOM; got != want {
			t.Errorf("%s.Image() = %v", k, got)
		}
	}
	if !Auto.Image() {
		t.Error("Auto.Image() = false")
	}
}
