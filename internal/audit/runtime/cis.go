package runtime

import (
	"fmt"
	"strings"

	"github.com/customs-scanner/customs/internal/report"
)

// cis builds a rule for a CIS Docker Benchmark v1.6.0 recommendation;
// the ID carries its number.
func cis(num, title, level string, sev, impact string, remediation string) rule {
	return rule{id: "CIS-DOCKER-" + num, title: num + " " + title, sev: sev, impact: impact, standard: StandardCIS, profile: level, remediation: remediation}
}

// Section 5 (Container Runtime) of the CIS Docker Benchmark v1.6.0.
// Skipped: 5.1 swarm mode (a daemon setting), 5.7 sshd (needs the process
// list), 5.9 needed ports only (needs intent), 5.19 ulimits, 5.23/5.24
// docker exec (an action, not a configuration), 5.27 health checks (an
// image property), 5.28 latest image, 5.30 docker0 bridge.
var (
	cisAppArmor = cis("5.2", "Ensure that, if applicable, an AppArmor Profile is enabled", "Level 1", Medium, PrivilegeEscalation,
		"Drop --security-opt apparmor=unconfined; run with docker-default or a custom profile")
	cisSELinux = cis("5.3", "Ensure that, if applicable, SELinux security options are set", "Level 2", Medium, PrivilegeEscalation,
		"Drop --security-opt label=disable; run with SELinux labels")
	cisCaps = cis("5.4", "Ensure that Linux kernel capabilities are restricted within containers", "Level 1", High, PrivilegeEscalation,
		"Remove --cap-add of capabilities beyond Docker's default set; --cap-drop ALL and add back only what is needed")
	cisPrivileged = cis("5.5", "Ensure that privileged containers are not used", "Level 1", Critical, HostEscape,
		"Remove --privileged / privileged: true; add only the capabilities and devices needed")
	cisSensitive = cis("5.6", "Ensure sensitive host system directories are not mounted on containers", "Level 1", High, HostEscape,
		"Do not bind-mount host system directories; use named volumes")
	cisPrivPorts = cis("5.8", "Ensure that privileged ports are not mapped within containers", "Level 1", Low, Hardening,
		"Publish on a host port above 1023")
	cisHostNet = cis("5.10", "Ensure that the host's network namespace is not shared", "Level 1", High, PrivilegeEscalation,
		"Remove --network host / network_mode: host")
	cisMemory = cis("5.11", "Ensure that the memory usage for containers is limited", "Level 1", Low, Hardening,
		"Set --memory / mem_limit / deploy.resources.limits.memory")
	cisCPU = cis("5.12", "Ensure that CPU priority is set appropriately on containers", "Level 1", Low, Hardening,
		"Set --cpus or --cpu-shares / cpus / deploy.resources.limits.cpus")
	cisReadOnly = cis("5.13", "Ensure that the container's root filesystem is mounted as read only", "Level 1", Low, Hardening,
		"Run with --read-only / read_only: true and tmpfs or volumes for writable paths")
	cisBindIface = cis("5.14", "Ensure that incoming container traffic is bound to a specific host interface", "Level 1", Low, Hardening,
		"Publish as HOST_IP:HOST_PORT:PORT, e.g. 127.0.0.1:8080:80")
	cisRestart = cis("5.15", "Ensure that the 'on-failure' container restart policy is set to '5'", "Level 1", Low, Hardening,
		"Use --restart on-failure:5")
	cisHostPID = cis("5.16", "Ensure that the host's process namespace is not shared", "Level 1", High, PrivilegeEscalation,
		"Remove --pid host / pid: host")
	cisHostIPC = cis("5.17", "Ensure that the host's IPC namespace is not shared", "Level 1", Medium, PrivilegeEscalation,
		"Remove --ipc host / ipc: host")
	cisDevices = cis("5.18", "Ensure that host devices are not directly exposed to containers", "Level 1", High, HostEscape,
		"Remove --device / devices:, or limit it to the device and permissions needed (e.g. :r)")
	cisPropagation = cis("5.20", "Ensure mount propagation mode is not set to shared", "Level 1", Medium, PrivilegeEscalation,
		"Use the default private propagation; drop shared/rshared from the mount")
	cisUTS = cis("5.21", "Ensure that the host's UTS namespace is not shared", "Level 1", Low, Hardening,
		"Remove --uts host / uts: host")
	cisSeccomp = cis("5.22", "Ensure the default seccomp profile is not Disabled", "Level 1", Medium, PrivilegeEscalation,
		"Drop --security-opt seccomp=unconfined; use the default profile or a custom one")
	cisCgroup = cis("5.25", "Ensure that cgroup usage is confirmed", "Level 1", Info, Hardening,
		"Confirm the --cgroup-parent is intended; by default containers run under the Docker cgroup")
	cisNoNewPriv = cis("5.26", "Ensure that the container is restricted from acquiring additional privileges", "Level 1", Medium, PrivilegeEscalation,
		"Run with --security-opt no-new-privileges / security_opt: [no-new-privileges:true]")
	cisPids = cis("5.29", "Ensure that the PIDs cgroup limit is used", "Level 1", Low, Hardening,
		"Set --pids-limit / pids_limit")
	cisUserns = cis("5.31", "Ensure that the host's user namespaces are not shared", "Level 1", Medium, PrivilegeEscalation,
		"Remove --userns host / userns_mode: host")
	cisSocket = cis("5.32", "Ensure that the Docker socket is not mounted inside any containers", "Level 1", Critical, HostEscape,
		"Do not mount the container runtime socket; use a narrowly scoped API proxy if a tool needs it")
)

func checkCIS(w *Workload) []report.Misconfiguration {
	var fs []report.Misconfiguration
	pod := func(on bool, fact string, r rule) {
		if on {
			fs = append(fs, r.at(w, nil, ev(w.field(nil, fact), "host")))
		}
	}
	pod(w.HostNetwork, fHostNetwork, cisHostNet)
	pod(w.HostPID, fHostPID, cisHostPID)
	pod(w.HostIPC, fHostIPC, cisHostIPC)
	pod(w.HostUTS, fHostUTS, cisUTS)
	pod(isTrue(w.HostUsers), fHostUsers, cisUserns)
	switch w.RestartPolicy {
	case "always", "unless-stopped", "any":
		fs = append(fs, cisRestart.at(w, nil, ev(w.field(nil, fRestart), w.RestartPolicy)))
	case "on-failure":
		if w.RestartRetries > 5 || w.RestartRetries == 0 && w.Format != FormatCompose {
			fs = append(fs, cisRestart.at(w, nil, fmt.Sprintf("%s: on-failure:%d", w.field(nil, fRestart), w.RestartRetries)))
		}
	}
	for i := range w.Containers {
		c := &w.Containers[i]
		if c.AppArmor.Type == "Unconfined" {
			fs = append(fs, cisAppArmor.at(w, c, ev(w.field(c, fAppArmor), optValue(w, c, fAppArmor, "apparmor=unconfined"))))
		}
		if c.SELinux.Disabled {
			fs = append(fs, cisSELinux.at(w, c, ev(w.field(c, fSELinux), "label=disable")))
		}
		if extra, escape := capsBeyond(c.CapAdd, dockerDefaultCaps); len(extra) > 0 {
			r := cisCaps
			if escape {
				r = r.with(Critical, HostEscape)
			}
			fs = append(fs, r.at(w, c, ev(w.field(c, fCapAdd), extra)))
		}
		if isTrue(c.Privileged) {
			fs = append(fs, cisPrivileged.at(w, c, ev(w.field(c, fPrivileged), c.Privileged)))
		}
		for _, m := range c.Mounts {
			desc := m.HostPath + ":" + m.Destination
			if m.ReadOnly {
				desc += ":ro"
			}
			switch classify(m.HostPath) {
			case mountSocket:
				fs = append(fs, cisSocket.at(w, c, ev(m.path, desc)))
			case mountSensitive:
				r := cisSensitive
				if !m.ReadOnly || m.HostPath == "/" {
					r.sev = Critical
				}
				fs = append(fs, r.at(w, c, ev(m.path, desc)))
			}
			if m.Propagation == "shared" || m.Propagation == "rshared" {
				fs = append(fs, cisPropagation.at(w, c, ev(m.path, desc+" propagation="+m.Propagation)))
			}
		}
		for _, p := range c.Ports {
			if p.HostPort > 0 && p.HostPort < 1024 {
				fs = append(fs, cisPrivPorts.at(w, c, fmt.Sprintf("%s: host port %d -> %d", p.path, p.HostPort, p.ContainerPort)))
			}
			if p.HostPort > 0 && (p.HostIP == "" || p.HostIP == "0.0.0.0" || p.HostIP == "::") {
				ip := p.HostIP
				if ip == "" {
					ip = "all interfaces"
				}
				fs = append(fs, cisBindIface.at(w, c, fmt.Sprintf("%s: %s:%d -> %d", p.path, ip, p.HostPort, p.ContainerPort)))
			}
		}
		if c.Limits.Memory == "" {
			fs = append(fs, cisMemory.at(w, c, ev(w.field(c, fMemory), "")))
		}
		if c.Limits.CPU == "" && c.Limits.CPUShares == "" {
			fs = append(fs, cisCPU.at(w, c, ev(w.field(c, fCPU), "")))
		}
		if !isTrue(c.ReadOnlyRootFilesystem) {
			fs = append(fs, cisReadOnly.at(w, c, ev(w.field(c, fReadOnly), c.ReadOnlyRootFilesystem)))
		}
		if len(c.Devices) > 0 {
			fs = append(fs, cisDevices.at(w, c, ev(w.field(c, fDevices), c.Devices)))
		}
		if c.Seccomp.Type == "Unconfined" {
			fs = append(fs, cisSeccomp.at(w, c, ev(w.field(c, fSeccomp), optValue(w, c, fSeccomp, "seccomp=unconfined"))))
		}
		if c.CgroupParent != "" {
			fs = append(fs, cisCgroup.at(w, c, ev(w.field(c, fCgroup), c.CgroupParent)))
		}
		if !isFalse(c.AllowPrivilegeEscalation) && !isTrue(c.Privileged) {
			v := "not set"
			if isTrue(c.AllowPrivilegeEscalation) {
				v = "no-new-privileges=false"
			}
			fs = append(fs, cisNoNewPriv.at(w, c, w.field(c, fAllowPE)+": "+v))
		}
		if c.Limits.Pids == "" {
			fs = append(fs, cisPids.at(w, c, ev(w.field(c, fPids), "")))
		}
	}
	return fs
}

// cisImplemented lists the recommendation numbers checked, for the docs
// and tests.
var cisImplemented = []string{"5.2", "5.3", "5.4", "5.5", "5.6", "5.8", "5.10", "5.11", "5.12", "5.13", "5.14", "5.15",
	"5.16", "5.17", "5.18", "5.20", "5.21", "5.22", "5.25", "5.26", "5.29", "5.31", "5.32"}

// optValue names a --security-opt value when the field is the option
// list, and the bare value otherwise (AppArmorProfile: unconfined).
func optValue(w *Workload, c *Container, fact, opt string) string {
	if p := w.field(c, fact); strings.HasSuffix(p, "SecurityOpt") || strings.HasSuffix(p, "security_opt") {
		return opt
	}
	_, v, _ := strings.Cut(opt, "=")
	return v
}
