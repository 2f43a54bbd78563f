package runtime

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/customs-scanner/customs/internal/report"
)

// Check runs every check that applies to w: the Pod Security Standards
// for Kubernetes workloads, section 5 of the CIS Docker Benchmark for the
// others, and the customs combined checks for all. Findings come back
// ranked (see Sort).
func Check(w *Workload) []report.Misconfiguration {
	var fs []report.Misconfiguration
	if w.Format == FormatKubernetes {
		fs = checkPSS(w)
	} else {
		fs = checkCIS(w)
	}
	fs = append(fs, checkCustoms(w)...)
	return report.SortMisconfigurations(fs)
}

// CheckAll checks every workload and ranks the findings together.
func CheckAll(ws []Workload) []report.Misconfiguration {
	var fs []report.Misconfiguration
	for i := range ws {
		fs = append(fs, Check(&ws[i])...)
	}
	return report.SortMisconfigurations(fs)
}

// rule is the fixed part of a finding.
type rule struct {
	id, title   string
	sev         string
	impact      string
	standard    string
	profile     string
	remediation string
}

func (r rule) at(w *Workload, c *Container, evidence string) report.Misconfiguration {
	f := report.Misconfiguration{ID: r.id, Title: r.title, Severity: r.sev, Impact: r.impact, Standard: r.standard, Profile: r.profile,
		Source: w.Source, Workload: w.ID(), Evidence: []string{evidence}, Remediation: r.remediation}
	if c != nil {
		f.Container = c.Name
	}
	f.Target = w.Source + "#" + w.ID()
	if f.Container != "" {
		f.Target += "/container/" + f.Container
	}
	if strings.HasPrefix(r.id, "PSS-") {
		f.PSSProfile = r.profile
		f.PSSControl, _, _ = strings.Cut(r.title, ": ")
	}
	return f
}

// with returns r at another severity and impact.
func (r rule) with(sev, impact string) rule {
	r.sev, r.impact = sev, impact
	return r
}

func ev(p string, v any) string {
	switch v := v.(type) {
	case nil:
		return p + ": not set"
	case *bool:
		if v == nil {
			return p + ": not set"
		}
		return p + ": " + strconv.FormatBool(*v)
	case *int64:
		if v == nil {
			return p + ": not set"
		}
		return p + ": " + strconv.FormatInt(*v, 10)
	case []string:
		return p + ": [" + strings.Join(v, ", ") + "]"
	case string:
		if v == "" {
			return p + ": not set"
		}
		return p + ": " + v
	}
	return fmt.Sprintf("%s: %v", p, v)
}

func isTrue(b *bool) bool  { return b != nil && *b }
func isFalse(b *bool) bool { return b != nil && !*b }

// normCap is a capability name without CAP_, upper case.
func normCap(c string) string {
	return strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(c)), "CAP_")
}

// escapeCaps are capabilities that, on their own, let a container root
// break out to the host or read any file on it.
var escapeCaps = []string{"ALL", "SYS_ADMIN", "SYS_MODULE", "SYS_RAWIO", "DAC_READ_SEARCH", "BPF", "SYS_BOOT", "MAC_ADMIN", "MAC_OVERRIDE"}

// capsBeyond is the added capabilities not in allowed, and whether any
// of them is an escape capability.
func capsBeyond(add []string, allowed []string) ([]string, bool) {
	var out []string
	escape := false
	for _, c := range add {
		n := normCap(c)
		if slices.Contains(allowed, n) {
			continue
		}
		out = append(out, c)
		escape = escape || slices.Contains(escapeCaps, n)
	}
	return out, escape
}

func hasCap(list []string, c string) bool {
	for _, x := range list {
		if n := normCap(x); n == c || n == "ALL" {
			return true
		}
	}
	return false
}

// mountClass says how dangerous a host path is inside a container.
type mountClass int

const (
	mountPlain     mountClass = iota
	mountSensitive            // host system directories
	mountSocket               // a container runtime socket, or a directory holding one
)

// runtimeSockets are the API sockets of container runtimes: whoever can
// write to one can start a privileged container on the host.
var runtimeSockets = []string{
	"/var/run/docker.sock", "/run/docker.sock",
	"/run/containerd/containerd.sock", "/var/run/containerd/containerd.sock",
	"/run/crio/crio.sock", "/var/run/crio/crio.sock",
	"/run/podman/podman.sock", "/var/run/podman/podman.sock",
	"/run/k3s/containerd/containerd.sock", "/var/run/cri-dockerd.sock",
}

// sensitiveDirs are host directories whose mount hands over the host:
// CIS Docker 5.6's list plus the kubelet's and runtimes' state.
var sensitiveDirs = []string{"/etc", "/proc", "/sys", "/dev", "/boot", "/lib", "/lib64", "/usr", "/bin", "/sbin",
	"/root", "/var/run", "/run", "/var/lib/kubelet", "/var/lib/docker", "/var/lib/containerd", "/var/log",
	"/etc/kubernetes", "/home"}

func classify(hostPath string) mountClass {
	if hostPath == "" {
		return mountPlain
	}
	p := path.Clean(hostPath)
	for _, s := range runtimeSockets {
		// The socket itself, or a parent directory that holds it.
		if p == s || (p != "/" && strings.HasPrefix(s, p+"/")) {
			return mountSocket
		}
	}
	if p == "/" {
		return mountSensitive
	}
	for _, d := range sensitiveDirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return mountSensitive
		}
	}
	return mountPlain
}

// HasRuntimeSocket reports whether any container of w mounts a container
// runtime socket (or a directory holding one) from the host.
func HasRuntimeSocket(w *Workload) bool {
	for _, c := range w.Containers {
		for _, m := range c.Mounts {
			if classify(m.HostPath) == mountSocket {
				return true
			}
		}
	}
	for _, v := range w.Volumes {
		if classify(v.HostPath) == mountSocket {
			return true
		}
	}
	return false
}

var (
	ruleHostPIDPtrace = rule{"CUSTOMS-HOSTPID-PTRACE", "Host PID namespace with ptrace: can inject into host processes", Critical, HostEscape, StandardCustoms, "host-escape",
		"Drop hostPID/--pid=host, or drop SYS_PTRACE and privileged"}
	ruleRunAsRoot = rule{"CUSTOMS-RUN-AS-ROOT", "Container runs as root", Medium, PrivilegeEscalation, StandardCustoms, "hardening",
		"Set a non-root user (--user 10001, compose user:, or USER in the image)"}
)

// checkCustoms runs the combined checks that no single standard control
// expresses.
func checkCustoms(w *Workload) []report.Misconfiguration {
	var fs []report.Misconfiguration
	for i := range w.Containers {
		c := &w.Containers[i]
		if w.HostPID && (isTrue(c.Privileged) || hasCap(c.CapAdd, "SYS_PTRACE")) {
			what := ev(w.field(c, fCapAdd), c.CapAdd)
			if isTrue(c.Privileged) {
				what = ev(w.field(c, fPrivileged), c.Privileged)
			}
			v := "host"
			if w.Format == FormatKubernetes {
				v = "true"
			}
			fs = append(fs, ruleHostPIDPtrace.at(w, c, ev(w.field(nil, fHostPID), v)+"; "+what))
		}
		if w.Format != FormatKubernetes && c.RunAsUser != nil && *c.RunAsUser == 0 {
			u := c.User
			if u == "" {
				u = `"" (root)`
			}
			fs = append(fs, ruleRunAsRoot.at(w, c, ev(w.field(c, fRunAsUser), u)))
		}
	}
	return fs
}
