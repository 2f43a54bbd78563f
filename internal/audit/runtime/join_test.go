package runtime

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/report"
)

func TestJoin(t *testing.T) {
	compose := func(t *testing.T, svc string) Workload {
		t.Helper()
		ws, err := ParseCompose("c.yaml", []byte("services:\n  s:\n    image: app:1\n"+svc))
		if err != nil {
			t.Fatal(err)
		}
		return ws[0]
	}
	k8s := func(t *testing.T, y string) Workload {
		t.Helper()
		ws, err := ParseKubernetes("k.yaml", []byte(y))
		if err != nil {
			t.Fatal(err)
		}
		return ws[0]
	}
	const sockPod = `apiVersion: v1
kind: Pod
metadata: {name: ci}
spec:
  containers:
  - name: build
    image: docker:27-cli
    volumeMounts: [{name: sock, mountPath: /var/run/docker.sock}]
  volumes:
  - name: sock
    hostPath: {path: /var/run/docker.sock}
`
	for _, tc := range []struct {
		name string
		w    Workload
		img  report.ImageFacts
		want []string // "ID evidence" of the added findings
	}{
		{"root image, runAsNonRoot unset", k8s(t, sockPod), report.ImageFacts{User: "", RunsAsRoot: true},
			[]string{"CUSTOMS-JOIN-ROOT-USER spec.containers[0].securityContext.runAsNonRoot: not set; image USER \"\""}},
		{"non-root image", k8s(t, sockPod), report.ImageFacts{User: "65532:65532"}, nil},
		{"docker CLI with the socket", k8s(t, sockPod), report.ImageFacts{User: "1000", HasDockerCLI: true},
			[]string{"CUSTOMS-JOIN-DOCKER-CLI-SOCKET spec.containers[0].volumeMounts[0]: /var/run/docker.sock; image has the docker CLI"}},
		{"writable root with shell and apk", k8s(t, sockPod), report.ImageFacts{User: "app", HasShell: true, HasPackageManager: true},
			[]string{"CUSTOMS-JOIN-WRITABLE-SHELL spec.containers[0].securityContext.readOnlyRootFilesystem: not set; image has a shell and a package manager"}},
		{"compose socket mount, docker CLI, root", compose(t, "    volumes: [\"/var/run/docker.sock:/var/run/docker.sock\"]\n"), report.ImageFacts{User: "root", RunsAsRoot: true, HasDockerCLI: true}, []string{
			"CUSTOMS-JOIN-DOCKER-CLI-SOCKET services.s.volumes[0]: /var/run/docker.sock; image has the docker CLI",
			"CUSTOMS-JOIN-ROOT-USER services.s.runAsNonRoot: not set; image USER root",
		}},
		{"read-only root, no socket, user set", compose(t, "    read_only: true\n    user: \"0\"\n"), report.ImageFacts{User: "root", RunsAsRoot: true, HasShell: true, HasDockerCLI: true}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := Check(&tc.w)
			got := Join(before, tc.w, tc.img)
			if len(got) < len(before) {
				t.Fatalf("Join dropped findings: %d -> %d", len(before), len(got))
			}
			var added []string
			for _, f := range got {
				if len(f.ID) > 12 && f.ID[:12] == "CUSTOMS-JOIN" {
					added = append(added, f.ID+" "+strings.Join(f.Evidence, "; "))
				}
			}
			if diff := cmp.Diff(tc.want, added); diff != "" {
				t.Errorf("joined findings (-want +got):\n%s", diff)
			}
			if len(got) != len(before)+len(added) {
				t.Errorf("got %d findings, want %d + %d", len(got), len(before), len(added))
			}
		})
	}
}
