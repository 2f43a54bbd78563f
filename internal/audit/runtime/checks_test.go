package runtime

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/report"
)

func ids(fs []report.Misconfiguration) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// podYAML wraps a container securityContext and pod spec lines into a Pod.
func podYAML(podSpec, containerSC string) string {
	return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n" + podSpec +
		"  containers:\n  - name: c\n    image: app:1\n    securityContext:\n" + containerSC
}

// restrictedSC passes every restricted control.
const restrictedSC = `      runAsNonRoot: true
      allowPrivilegeEscalation: false
      seccompProfile: {type: RuntimeDefault}
      capabilities: {drop: [ALL]}
`

// TestPSSControls checks each Pod Security Standards control on a pod that
// otherwise passes the restricted profile, so each case shows exactly the
// control it breaks.
func TestPSSControls(t *testing.T) {
	for _, tc := range []struct {
		name, pod, sc string
		want          []string
	}{
		{"restricted pod passes", "", restrictedSC, nil},
		{"privileged", "", restrictedSC + "      privileged: true\n", []string{"PSS-BASELINE-PRIVILEGED"}},
		{"hostNetwork", "  hostNetwork: true\n", restrictedSC, []string{"PSS-BASELINE-HOST-NAMESPACES"}},
		{"hostProcess", "  securityContext:\n    windowsOptions: {hostProcess: true}\n", restrictedSC, []string{"PSS-BASELINE-HOSTPROCESS"}},
		{"cap beyond baseline", "", restrictedSC + "      capabilities: {drop: [ALL], add: [NET_ADMIN]}\n", []string{"PSS-BASELINE-CAPABILITIES"}},
		{"baseline cap but not restricted", "", restrictedSC + "      capabilities: {drop: [ALL], add: [CHOWN]}\n", []string{"PSS-RESTRICTED-CAPABILITIES"}},
		{"NET_BIND_SERVICE allowed", "", restrictedSC + "      capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}\n", nil},
		{"no drop ALL", "", restrictedSC + "      capabilities: {drop: [NET_RAW]}\n", []string{"PSS-RESTRICTED-CAPABILITIES"}},
		{"hostPath", "  volumes:\n  - name: d\n    hostPath: {path: /data}\n", restrictedSC, []string{"PSS-BASELINE-HOSTPATH"}},
		{"nfs volume", "  volumes:\n  - name: d\n    nfs: {server: x, path: /}\n", restrictedSC, []string{"PSS-RESTRICTED-VOLUME-TYPES"}},
		{"apparmor unconfined", "", restrictedSC + "      appArmorProfile: {type: Unconfined}\n", []string{"PSS-BASELINE-APPARMOR"}},
		{"selinux custom user", "", restrictedSC + "      seLinuxOptions: {user: system_u}\n", []string{"PSS-BASELINE-SELINUX"}},
		{"selinux container_t ok", "", restrictedSC + "      seLinuxOptions: {type: container_t, level: \"s0:c1,c2\"}\n", nil},
		{"procMount", "", restrictedSC + "      procMount: Unmasked\n", []string{"PSS-BASELINE-PROC-MOUNT"}},
		{"seccomp unconfined", "", restrictedSC + "      seccompProfile: {type: Unconfined}\n", []string{"PSS-BASELINE-SECCOMP"}},
		{"seccomp from pod", "  securityContext:\n    seccompProfile: {type: Localhost, localhostProfile: p.json}\n",
			"      runAsNonRoot: true\n      allowPrivilegeEscalation: false\n      capabilities: {drop: [ALL]}\n", nil},
		{"seccomp unset", "", "      runAsNonRoot: true\n      allowPrivilegeEscalation: false\n      capabilities: {drop: [ALL]}\n", []string{"PSS-RESTRICTED-SECCOMP"}},
		{"unsafe sysctl", "  securityContext:\n    sysctls: [{name: kernel.msgmax, value: \"1\"}, {name: net.ipv4.tcp_syncookies, value: \"1\"}]\n", restrictedSC, []string{"PSS-BASELINE-SYSCTLS"}},
		{"escalation allowed", "", strings.Replace(restrictedSC, "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true", 1), []string{"PSS-RESTRICTED-PRIVILEGE-ESCALATION"}},
		{"runAsNonRoot unset", "", strings.Replace(restrictedSC, "runAsNonRoot: true", "runAsUser: 1000", 1), []string{"PSS-RESTRICTED-RUN-AS-NON-ROOT"}},
		{"runAsUser 0", "", restrictedSC + "      runAsUser: 0\n", []string{"PSS-RESTRICTED-RUN-AS-USER"}},
		{"user namespace exempts non-root", "  hostUsers: false\n", strings.Replace(restrictedSC, "runAsNonRoot: true", "runAsUser: 0", 1), nil},
		{"hostPID and SYS_PTRACE", "  hostPID: true\n", restrictedSC + "      capabilities: {drop: [ALL], add: [SYS_PTRACE]}\n",
			[]string{"CUSTOMS-HOSTPID-PTRACE", "PSS-BASELINE-CAPABILITIES", "PSS-BASELINE-HOST-NAMESPACES"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := tc.sc
			if extra, ok := strings.CutPrefix(sc, restrictedSC); ok {
				sc = override(restrictedSC, extra)
			}
			ws, err := ParseKubernetes("t.yaml", []byte(podYAML(tc.pod, sc)))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, ids(CheckAll(ws))); diff != "" {
				t.Errorf("finding IDs (-want +got):\n%s", diff)
			}
		})
	}
}

// override returns base with the lines of extra appended, minus the base
// lines whose key extra sets again (YAML forbids duplicate keys).
func override(base, extra string) string {
	keys := map[string]bool{}
	for _, l := range strings.Split(extra, "\n") {
		if k, _, ok := strings.Cut(strings.TrimSpace(l), ":"); ok {
			keys[k] = true
		}
	}
	var b strings.Builder
	for _, l := range strings.SplitAfter(base, "\n") {
		if k, _, ok := strings.Cut(strings.TrimSpace(l), ":"); ok && keys[k] {
			continue
		}
		b.WriteString(l)
	}
	return b.String() + extra
}

// TestCISControls checks each CIS Docker recommendation on a Compose
// service that otherwise passes them all.
func TestCISControls(t *testing.T) {
	const good = `    image: app:1
    user: "1000"
    read_only: true
    cap_drop: [ALL]
    security_opt: [no-new-privileges:true]
    mem_limit: 256m
    cpus: 0.5
    pids_limit: 100
`
	for _, tc := range []struct {
		name, extra string
		want        []string
	}{
		{"hardened passes", "", nil},
		{"apparmor", "    security_opt: [no-new-privileges:true, apparmor=unconfined]\n", []string{"CIS-DOCKER-5.2"}},
		{"selinux", "    security_opt: [no-new-privileges:true, label:disable]\n", []string{"CIS-DOCKER-5.3"}},
		{"cap_add", "    cap_add: [NET_ADMIN]\n", []string{"CIS-DOCKER-5.4"}},
		{"default cap ok", "    cap_add: [CHOWN]\n", nil},
		{"privileged", "    privileged: true\n", []string{"CIS-DOCKER-5.5"}},
		{"sensitive dir", "    volumes: [\"/etc:/host-etc:ro\"]\n", []string{"CIS-DOCKER-5.6"}},
		{"named volume ok", "    volumes: [\"data:/data\"]\n", nil},
		{"privileged port on all interfaces", "    ports: [\"443:8443\"]\n", []string{"CIS-DOCKER-5.14", "CIS-DOCKER-5.8"}},
		{"bound high port ok", "    ports: [\"127.0.0.1:8443:8443/tcp\"]\n", nil},
		{"host network", "    network_mode: host\n", []string{"CIS-DOCKER-5.10"}},
		{"no memory limit", "    mem_limit: \"\"\n", []string{"CIS-DOCKER-5.11"}},
		{"no cpu limit", "    cpus: \"\"\n", []string{"CIS-DOCKER-5.12"}},
		{"writable root", "    read_only: false\n", []string{"CIS-DOCKER-5.13"}},
		{"restart always", "    restart: always\n", []string{"CIS-DOCKER-5.15"}},
		{"restart on-failure:5 ok", "    restart: on-failure\n    deploy: {restart_policy: {condition: on-failure, max_attempts: 5}}\n", nil},
		{"host pid", "    pid: host\n", []string{"CIS-DOCKER-5.16"}},
		{"host ipc", "    ipc: host\n", []string{"CIS-DOCKER-5.17"}},
		{"devices", "    devices: [/dev/sda:/dev/sda]\n", []string{"CIS-DOCKER-5.18"}},
		{"shared propagation", "    volumes: [\"/srv/x:/x:rshared\"]\n", []string{"CIS-DOCKER-5.20"}},
		{"host uts", "    uts: host\n", []string{"CIS-DOCKER-5.21"}},
		{"seccomp", "    security_opt: [no-new-privileges:true, seccomp=unconfined]\n", []string{"CIS-DOCKER-5.22"}},
		{"cgroup parent", "    cgroup_parent: x.slice\n", []string{"CIS-DOCKER-5.25"}},
		{"no-new-privileges missing", "    security_opt: []\n", []string{"CIS-DOCKER-5.26"}},
		{"no pids limit", "    pids_limit: \"\"\n", []string{"CIS-DOCKER-5.29"}},
		{"userns host", "    userns_mode: host\n", []string{"CIS-DOCKER-5.31"}},
		{"docker.sock", "    volumes: [\"/var/run/docker.sock:/var/run/docker.sock\"]\n", []string{"CIS-DOCKER-5.32"}},
		{"/run holds the socket", "    volumes: [\"/run:/host-run\"]\n", []string{"CIS-DOCKER-5.32"}},
		{"root user", "    user: root\n", []string{"CUSTOMS-RUN-AS-ROOT"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws, err := ParseCompose("c.yaml", []byte("services:\n  s:\n"+override(good, tc.extra)))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, ids(CheckAll(ws))); diff != "" {
				t.Errorf("finding IDs (-want +got):\n%s", diff)
			}
		})
	}
}
