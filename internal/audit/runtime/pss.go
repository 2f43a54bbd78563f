package runtime

import (
	"fmt"
	"slices"
	"strings"

	"github.com/customs-scanner/customs/internal/report"
)

// The Pod Security Standards controls, named as on
// https://kubernetes.io/docs/concepts/security/pod-security-standards/.
func pss(id, control, profile string, sev, impact string, remediation string) rule {
	return rule{id: id, title: control, sev: sev, impact: impact, standard: StandardPSS, profile: profile, remediation: remediation}
}

var (
	pssHostProcess = pss("PSS-BASELINE-HOSTPROCESS", "HostProcess: Windows HostProcess containers have privileged access to the node", "baseline", Critical, HostEscape,
		"Remove securityContext.windowsOptions.hostProcess or set it to false")
	pssHostNS = pss("PSS-BASELINE-HOST-NAMESPACES", "Host Namespaces: sharing the host's namespaces must be disallowed", "baseline", High, PrivilegeEscalation,
		"Remove hostNetwork, hostPID and hostIPC or set them to false")
	pssPrivileged = pss("PSS-BASELINE-PRIVILEGED", "Privileged Containers: privileged pods disable most security mechanisms", "baseline", Critical, HostEscape,
		"Remove securityContext.privileged or set it to false; grant only the capabilities needed")
	pssCaps = pss("PSS-BASELINE-CAPABILITIES", "Capabilities: adding capabilities beyond the baseline set must be disallowed", "baseline", High, PrivilegeEscalation,
		"Add only AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT")
	pssHostPath = pss("PSS-BASELINE-HOSTPATH", "HostPath Volumes: hostPath volumes must be forbidden", "baseline", Medium, PrivilegeEscalation,
		"Use a persistentVolumeClaim, configMap, secret or emptyDir instead of hostPath")
	pssHostPorts = pss("PSS-BASELINE-HOST-PORTS", "Host Ports: host ports should be disallowed or restricted to a known list", "baseline", Medium, Hardening,
		"Remove ports[*].hostPort; expose the pod with a Service")
	pssAppArmor = pss("PSS-BASELINE-APPARMOR", "AppArmor: overriding or disabling the default AppArmor profile must be restricted", "baseline", Medium, PrivilegeEscalation,
		"Set appArmorProfile.type to RuntimeDefault or Localhost")
	pssSELinux = pss("PSS-BASELINE-SELINUX", "SELinux: setting a custom SELinux user or role, or a type outside the container types, must be forbidden", "baseline", Medium, PrivilegeEscalation,
		"Remove seLinuxOptions.user and .role; use type container_t, container_init_t, container_kvm_t or container_engine_t")
	pssProcMount = pss("PSS-BASELINE-PROC-MOUNT", "/proc Mount Type: the default /proc masks are required", "baseline", High, PrivilegeEscalation,
		"Remove securityContext.procMount or set it to Default")
	pssSeccompBase = pss("PSS-BASELINE-SECCOMP", "Seccomp: the seccomp profile must not be explicitly set to Unconfined", "baseline", Medium, PrivilegeEscalation,
		"Set seccompProfile.type to RuntimeDefault or Localhost")
	pssSysctls = pss("PSS-BASELINE-SYSCTLS", "Sysctls: sysctls outside the safe set must be disallowed", "baseline", Medium, PrivilegeEscalation,
		"Set only the safe sysctls (kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, ...)")
	pssVolumes = pss("PSS-RESTRICTED-VOLUME-TYPES", "Volume Types: only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and secret volumes are allowed", "restricted", Low, Hardening,
		"Replace the volume with one of the allowed types (a persistentVolumeClaim for storage)")
	pssEscalation = pss("PSS-RESTRICTED-PRIVILEGE-ESCALATION", "Privilege Escalation: allowPrivilegeEscalation must be false", "restricted", Medium, PrivilegeEscalation,
		"Set securityContext.allowPrivilegeEscalation: false")
	pssNonRoot = pss("PSS-RESTRICTED-RUN-AS-NON-ROOT", "Running as Non-root: containers must set runAsNonRoot: true", "restricted", Medium, PrivilegeEscalation,
		"Set securityContext.runAsNonRoot: true (pod or container) and run as a non-zero UID")
	pssNonRootUser = pss("PSS-RESTRICTED-RUN-AS-USER", "Running as Non-root user: runAsUser must not be 0", "restricted", High, PrivilegeEscalation,
		"Set securityContext.runAsUser to a non-zero UID")
	pssSeccompRes = pss("PSS-RESTRICTED-SECCOMP", "Seccomp: the seccomp profile must be set to RuntimeDefault or Localhost", "restricted", Low, Hardening,
		"Set spec.securityContext.seccompProfile.type: RuntimeDefault")
	pssCapsRes = pss("PSS-RESTRICTED-CAPABILITIES", "Capabilities: containers must drop ALL and may add back only NET_BIND_SERVICE", "restricted", Low, Hardening,
		"Set securityContext.capabilities.drop: [ALL]; add only NET_BIND_SERVICE")
)

// baselineCaps may be added under the baseline profile.
var baselineCaps = []string{"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
	"SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}

// safeSysctls is the baseline profile's safe set (as of Kubernetes 1.32).
var safeSysctls = []string{"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time",
	"net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}

// restrictedVolumes are the volume types the restricted profile allows.
var restrictedVolumes = []string{"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}

var selinuxTypes = []string{"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}

func checkPSS(w *Workload) []report.Misconfiguration {
	var fs []report.Misconfiguration
	// Pod-level controls.
	if isTrue(w.HostProcess) {
		fs = append(fs, pssHostProcess.at(w, nil, ev(w.path+".securityContext.windowsOptions.hostProcess", w.HostProcess)))
	}
	for _, ns := range []struct {
		on   bool
		fact string
		rule rule
	}{
		{w.HostNetwork, fHostNetwork, pssHostNS},
		{w.HostPID, fHostPID, pssHostNS},
		{w.HostIPC, fHostIPC, pssHostNS.with(Medium, PrivilegeEscalation)},
	} {
		if ns.on {
			fs = append(fs, ns.rule.at(w, nil, ev(w.field(nil, ns.fact), "true")))
		}
	}
	for i, s := range w.Sysctls {
		if !slices.Contains(safeSysctls, s.Name) {
			fs = append(fs, pssSysctls.at(w, nil, fmt.Sprintf("%s.securityContext.sysctls[%d]: %s=%s", w.path, i, s.Name, s.Value)))
		}
	}
	for _, v := range w.Volumes {
		if v.Type == "hostPath" {
			r := pssHostPath
			note := ""
			switch classify(v.HostPath) {
			case mountSocket:
				r, note = r.with(Critical, HostEscape), " (container runtime socket: full control of the node)"
			case mountSensitive:
				r, note = r.with(High, HostEscape), " (sensitive host directory)"
				if v.HostPath == "/" || v.HostPath == "/etc" || v.HostPath == "/proc" || v.HostPath == "/var/lib/kubelet" {
					r.sev = Critical
				}
			}
			fs = append(fs, r.at(w, nil, ev(v.path, v.HostPath)+note))
			continue
		}
		if !slices.Contains(restrictedVolumes, v.Type) {
			fs = append(fs, pssVolumes.at(w, nil, ev(v.path, v.Type)))
		}
	}
	// User namespaces exempt a pod from the two non-root controls.
	userns := isFalse(w.HostUsers)
	for i := range w.Containers {
		c := &w.Containers[i]
		if isTrue(c.HostProcess) {
			fs = append(fs, pssHostProcess.at(w, c, ev(w.field(c, fHostProcess), c.HostProcess)))
		}
		if isTrue(c.Privileged) {
			fs = append(fs, pssPrivileged.at(w, c, ev(w.field(c, fPrivileged), c.Privileged)))
		}
		if extra, escape := capsBeyond(c.CapAdd, baselineCaps); len(extra) > 0 {
			r := pssCaps
			if escape {
				r = r.with(Critical, HostEscape)
			}
			fs = append(fs, r.at(w, c, ev(w.field(c, fCapAdd), extra)))
		}
		for _, p := range c.Ports {
			if p.HostPort != 0 {
				fs = append(fs, pssHostPorts.at(w, c, fmt.Sprintf("%s: %d", p.path, p.HostPort)))
			}
		}
		if t := c.AppArmor.Type; t != "" && t != "RuntimeDefault" && t != "Localhost" {
			fs = append(fs, pssAppArmor.at(w, c, ev(w.field(c, fAppArmor), t)))
		}
		if s := c.SELinux; s.User != "" || s.Role != "" || !slices.Contains(selinuxTypes, s.Type) {
			fs = append(fs, pssSELinux.at(w, c, fmt.Sprintf("%s: user=%q role=%q type=%q", w.field(c, fSELinux), s.User, s.Role, s.Type)))
		}
		if c.ProcMount != "" && c.ProcMount != "Default" {
			fs = append(fs, pssProcMount.at(w, c, ev(w.field(c, fProcMount), c.ProcMount)))
		}
		if c.Seccomp.Type == "Unconfined" {
			fs = append(fs, pssSeccompBase.at(w, c, ev(w.field(c, fSeccomp), "Unconfined")))
		} else if c.Seccomp.Type != "RuntimeDefault" && c.Seccomp.Type != "Localhost" {
			fs = append(fs, pssSeccompRes.at(w, c, ev(w.field(c, fSeccomp), c.Seccomp.Type)))
		}
		// Restricted.
		if !isFalse(c.AllowPrivilegeEscalation) && !isTrue(c.Privileged) {
			fs = append(fs, pssEscalation.at(w, c, ev(w.field(c, fAllowPE), c.AllowPrivilegeEscalation)))
		}
		if !userns && !isTrue(c.RunAsNonRoot) {
			fs = append(fs, pssNonRoot.at(w, c, ev(w.field(c, fRunAsNonRoot), c.RunAsNonRoot)))
		}
		if !userns && c.RunAsUser != nil && *c.RunAsUser == 0 {
			fs = append(fs, pssNonRootUser.at(w, c, ev(w.field(c, fRunAsUser), c.RunAsUser)))
		}
		dropsAll := slices.ContainsFunc(c.CapDrop, func(s string) bool { return strings.EqualFold(s, "ALL") })
		var addRes []string
		for _, a := range c.CapAdd {
			if n := normCap(a); n != "NET_BIND_SERVICE" && slices.Contains(baselineCaps, n) {
				addRes = append(addRes, a)
			}
		}
		switch {
		case !dropsAll:
			fs = append(fs, pssCapsRes.at(w, c, ev(w.field(c, fCapDrop), c.CapDrop)))
		case len(addRes) > 0:
			fs = append(fs, pssCapsRes.at(w, c, ev(w.field(c, fCapAdd), addRes)))
		}
	}
	return fs
}
