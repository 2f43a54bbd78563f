package runtime

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestParseFacts checks the model the parsers build from the real samples.
func TestParseFacts(t *testing.T) {
	type summary struct {
		Workload, Container, Image string
		HostPID, HostNetwork       bool
		Privileged                 *bool
		CapAdd                     []string
		RunAsUser                  *int64
		ReadOnly                   *bool
		Seccomp                    string
		Memory, Pids               string
		HostPaths                  []string
		Ports                      []Port
	}
	sum := func(ws []Workload) []summary {
		var out []summary
		for _, w := range ws {
			for _, c := range w.Containers {
				s := summary{Workload: w.ID(), Container: c.Name, Image: c.Image, HostPID: w.HostPID, HostNetwork: w.HostNetwork,
					Privileged: c.Privileged, CapAdd: c.CapAdd, RunAsUser: c.RunAsUser, ReadOnly: c.ReadOnlyRootFilesystem,
					Seccomp: c.Seccomp.Type, Memory: c.Limits.Memory, Pids: c.Limits.Pids}
				for _, m := range c.Mounts {
					if m.HostPath != "" {
						s.HostPaths = append(s.HostPaths, m.HostPath+":"+m.Destination)
					}
				}
				s.Ports = c.Ports
				out = append(out, s)
			}
		}
		return out
	}
	i64 := func(v int64) *int64 { return &v }
	yes, no := ptr(true), ptr(false)
	for _, tc := range []struct {
		file  string
		first int // summaries to compare from the start
		want  []summary
	}{
		{"docker-inspect.json", 2, []summary{
			{Workload: "container/web-hardened", Container: "web-hardened", Image: "customs-audit-gen:1", Privileged: no, CapAdd: []string{"CAP_NET_BIND_SERVICE"}, RunAsUser: i64(10001),
				ReadOnly: yes, Seccomp: "RuntimeDefault", Memory: "134217728", Pids: "100", Ports: []Port{{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 8080, Protocol: "tcp"}}},
			{Workload: "container/ops-agent", Container: "ops-agent", Image: "customs-audit-gen:1", HostPID: true, HostNetwork: true, Privileged: no,
				CapAdd: []string{"CAP_SYS_ADMIN", "CAP_SYS_PTRACE"}, RunAsUser: i64(0), ReadOnly: no, Seccomp: "Unconfined",
				HostPaths: []string{"/:/host", "/var/run/docker.sock:/var/run/docker.sock"}},
		}},
		{"oci-docker-ops-agent.json", 1, []summary{
			{Workload: "bundle/oci-docker-ops-agent.json", Container: "oci-docker-ops-agent.json", HostPID: true, HostNetwork: true, Privileged: no,
				CapAdd: []string{"SYS_ADMIN", "SYS_PTRACE"}, RunAsUser: i64(0), ReadOnly: no, Seccomp: "Unconfined",
				HostPaths: []string{"/:/host", "/var/run/docker.sock:/var/run/docker.sock"}},
		}},
		{"oci-docker-web-hardened.json", 1, []summary{
			{Workload: "bundle/oci-docker-web-hardened.json", Container: "oci-docker-web-hardened.json", Privileged: no,
				RunAsUser: i64(10001), ReadOnly: yes, Seccomp: "Localhost", Memory: "134217728", Pids: "100"},
		}},
		{"compose.yaml", 1, []summary{
			{Workload: "service/app", Container: "app", Image: "ghcr.io/example/app:1.4.2", RunAsUser: i64(1000), ReadOnly: yes, Memory: "512m", Pids: "200",
				Ports: []Port{{HostIP: "127.0.0.1", HostPort: 3000, ContainerPort: 3000, Protocol: "tcp"}}},
		}},
		{"helm-template.yaml", 2, []summary{
			{Workload: "DaemonSet/monitoring/monitoring-node-agent", Container: "node-agent", Image: "quay.io/example/node-agent:v1.8.2", HostPID: true, HostNetwork: true,
				CapAdd: []string{"SYS_PTRACE", "NET_ADMIN"}, Memory: "180Mi", HostPaths: []string{"/:/host", "/run/containerd/containerd.sock:/run/containerd/containerd.sock"},
				Ports: []Port{{HostPort: 9100, ContainerPort: 9100}}},
			{Workload: "Deployment/monitoring/monitoring-api", Container: "migrate", Image: "quay.io/example/api:v2.1.0", RunAsUser: i64(65534), Seccomp: "RuntimeDefault"},
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			ws, err := Parse("", tc.file, readSample(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got := sum(ws)
			if len(got) < tc.first {
				t.Fatalf("got %d containers, want at least %d", len(got), tc.first)
			}
			if diff := cmp.Diff(tc.want, got[:tc.first], cmpopts.IgnoreUnexported(Port{})); diff != "" {
				t.Errorf("model (-want +got):\n%s", diff)
			}
		})
	}
}

func TestComposePort(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want Port
		err  string
	}{
		{"80", Port{ContainerPort: 80}, ""},
		{"8080:80", Port{HostPort: 8080, ContainerPort: 80}, ""},
		{"127.0.0.1:8080:80/udp", Port{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, Protocol: "udp"}, ""},
		{"[::1]:8080:80", Port{HostIP: "::1", HostPort: 8080, ContainerPort: 80}, ""},
		{"127.0.0.1::80", Port{HostIP: "127.0.0.1", ContainerPort: 80}, ""},
		{"9090-9091:8080-8081", Port{HostPort: 9090, ContainerPort: 8080}, ""},
		{3000, Port{ContainerPort: 3000}, ""},
		{"x:80", Port{}, `bad port "x"`},
		{"99999", Port{}, `bad port "99999"`},
	} {
		got, err := composePort(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("composePort(%v) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("composePort(%v): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreUnexported(Port{})); diff != "" {
			t.Errorf("composePort(%v) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format Format
		in     string
		err    string
	}{
		{"unknown", "", "hello: world\n", "not a Kubernetes manifest, Compose file"},
		{"bad yaml", FormatKubernetes, "kind: Pod\nspec: [\n", "YAML document 1"},
		{"wrong type", FormatKubernetes, "apiVersion: v1\nkind: Pod\nspec:\n  containers: 3\n", "YAML document 1"},
		{"compose without services", FormatCompose, "version: '3'\n", "no services"},
		{"compose bad volume", FormatCompose, "services:\n  a:\n    volumes: [[1]]\n", "services.a.volumes[0]"},
		{"inspect not JSON", FormatInspect, "[{", "docker inspect JSON"},
		{"oci without version", FormatOCIConfig, "{}", "no ociVersion"},
		{"deep lists", FormatKubernetes, "kind: List\nitems:\n- kind: List\n  items:\n  - kind: List\n    items:\n    - kind: List\n      items:\n      - kind: List\n        items: []\n", "nested too deep"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.format, "x", []byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.err)
			}
		})
	}
}
