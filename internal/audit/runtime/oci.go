package runtime

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

type ociSpec struct {
	OCIVersion string `json:"ociVersion"`
	Hostname   string `json:"hostname"`
	Process    *struct {
		User struct {
			UID uint32 `json:"uid"`
		} `json:"user"`
		Capabilities *struct {
			Bounding []string `json:"bounding"`
		} `json:"capabilities"`
		NoNewPrivileges bool   `json:"noNewPrivileges"`
		ApparmorProfile string `json:"apparmorProfile"`
		SelinuxLabel    string `json:"selinuxLabel"`
	} `json:"process"`
	Root *struct {
		Readonly bool `json:"readonly"`
	} `json:"root"`
	Mounts []struct {
		Destination string   `json:"destination"`
		Type        string   `json:"type"`
		Source      string   `json:"source"`
		Options     []string `json:"options"`
	} `json:"mounts"`
	Annotations map[string]string `json:"annotations"`
	Linux       *struct {
		Namespaces []struct {
			Type string `json:"type"`
			Path string `json:"path"`
		} `json:"namespaces"`
		Seccomp *struct {
			DefaultAction string `json:"defaultAction"`
		} `json:"seccomp"`
		Sysctl    map[string]string `json:"sysctl"`
		Resources *struct {
			Memory *struct {
				Limit *int64 `json:"limit"`
			} `json:"memory"`
			CPU *struct {
				Shares *uint64 `json:"shares"`
				Quota  *int64  `json:"quota"`
			} `json:"cpu"`
			Pids *struct {
				Limit int64 `json:"limit"`
			} `json:"pids"`
		} `json:"resources"`
		Devices []struct {
			Path string `json:"path"`
		} `json:"devices"`
		CgroupsPath string   `json:"cgroupsPath"`
		MaskedPaths []string `json:"maskedPaths"`
	} `json:"linux"`
}

// dockerDefaultCaps is the capability set Docker and containerd grant a
// container by default (moby oci/caps/defaults.go).
var dockerDefaultCaps = []string{"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
	"NET_BIND_SERVICE", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}

// runtimePlumbing are files every runtime bind-mounts from its own state
// directory; they are not the user's mounts.
var runtimePlumbing = map[string]bool{"/etc/resolv.conf": true, "/etc/hostname": true, "/etc/hosts": true}

// hostNamespace reports whether a namespace path is the host's: PID 1's,
// or Docker's "default" (host) network namespace.
func hostNamespace(p string) bool {
	return strings.HasPrefix(p, "/proc/1/ns/") || strings.HasSuffix(p, "/netns/default")
}

// ParseOCIConfig reads an OCI runtime bundle's config.json (runtime-spec
// config.md). Capabilities are turned into additions to and drops from
// Docker's default set, and missing Linux namespaces into host sharing.
func ParseOCIConfig(source string, data []byte) ([]Workload, error) {
	var s ociSpec
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("OCI config.json: %w", err)
	}
	if s.OCIVersion == "" {
		return nil, fmt.Errorf("OCI config.json: no ociVersion")
	}
	// The hostname is the host's own under a shared UTS namespace, so the
	// bundle is named after its file.
	name := source
	w := Workload{Format: FormatOCIConfig, Source: source, Kind: "bundle", Name: name}
	c := Container{Name: name, Privileged: ptr(false)}
	if p := s.Process; p != nil {
		c.RunAsUser = ptr(int64(p.User.UID))
		c.User = strconv.FormatUint(uint64(p.User.UID), 10)
		c.AllowPrivilegeEscalation = ptr(!p.NoNewPrivileges)
		if p.Capabilities != nil {
			have := map[string]bool{}
			for _, cp := range p.Capabilities.Bounding {
				cp = strings.TrimPrefix(strings.ToUpper(cp), "CAP_")
				have[cp] = true
				if !slices.Contains(dockerDefaultCaps, cp) {
					c.CapAdd = append(c.CapAdd, cp)
				}
			}
			for _, cp := range dockerDefaultCaps {
				if !have[cp] {
					c.CapDrop = append(c.CapDrop, cp)
				}
			}
			if len(have) == 0 {
				c.CapDrop = []string{"ALL"}
			}
		}
		switch p.ApparmorProfile {
		case "":
		case "unconfined":
			c.AppArmor = Profile{Type: "Unconfined"}
		default:
			c.AppArmor = Profile{Type: "Localhost", Name: p.ApparmorProfile}
		}
		if p.SelinuxLabel != "" {
			parts := strings.Split(p.SelinuxLabel, ":")
			if len(parts) >= 3 {
				c.SELinux = SELinux{User: parts[0], Role: parts[1], Type: parts[2], Level: strings.Join(parts[3:], ":")}
			}
		}
	}
	if s.Root != nil {
		c.ReadOnlyRootFilesystem = ptr(s.Root.Readonly)
	}
	for i, m := range s.Mounts {
		if runtimePlumbing[m.Destination] {
			continue
		}
		mt := Mount{Type: m.Type, Source: m.Source, Destination: m.Destination, path: fmt.Sprintf("mounts[%d]", i)}
		isBind := m.Type == "bind"
		for _, o := range m.Options {
			switch o {
			case "ro":
				mt.ReadOnly = true
			case "bind", "rbind":
				isBind = true
			case "shared", "rshared":
				mt.Propagation = o
			}
		}
		if isBind {
			mt.Type, mt.HostPath = "bind", m.Source
		}
		c.Mounts = append(c.Mounts, mt)
	}
	c.Seccomp = Profile{Type: "Unconfined"}
	if l := s.Linux; l != nil {
		ns := map[string]bool{}
		for _, n := range l.Namespaces {
			// A namespace given by path joins an existing one: the host's
			// when the path is PID 1's or Docker's host netns.
			ns[n.Type] = n.Path == "" || !hostNamespace(n.Path)
		}
		w.HostPID, w.HostIPC, w.HostNetwork, w.HostUTS = !ns["pid"], !ns["ipc"], !ns["network"], !ns["uts"]
		// No user namespace is the runtime default, not an explicit
		// --userns=host, so it stays unset.
		if ns["user"] {
			w.HostUsers = ptr(false)
		}
		if l.Seccomp != nil && l.Seccomp.DefaultAction != "SCMP_ACT_ALLOW" {
			c.Seccomp = Profile{Type: "Localhost", Name: "config.json linux.seccomp"}
		}
		for k, v := range l.Sysctl {
			w.Sysctls = append(w.Sysctls, Sysctl{Name: k, Value: v})
		}
		slices.SortFunc(w.Sysctls, func(a, b Sysctl) int { return strings.Compare(a.Name, b.Name) })
		if r := l.Resources; r != nil {
			if r.Memory != nil && r.Memory.Limit != nil && *r.Memory.Limit > 0 {
				c.Limits.Memory = strconv.FormatInt(*r.Memory.Limit, 10)
			}
			if r.CPU != nil && r.CPU.Quota != nil && *r.CPU.Quota > 0 {
				c.Limits.CPU = "quota " + strconv.FormatInt(*r.CPU.Quota, 10)
			}
			if r.CPU != nil && r.CPU.Shares != nil && *r.CPU.Shares > 0 {
				c.Limits.CPUShares = strconv.FormatUint(*r.CPU.Shares, 10)
			}
			if r.Pids != nil && r.Pids.Limit > 0 {
				c.Limits.Pids = strconv.FormatInt(r.Pids.Limit, 10)
			}
		}
		for _, d := range l.Devices {
			c.Devices = append(c.Devices, d.Path)
		}
		if len(l.MaskedPaths) == 0 {
			c.ProcMount = "Unmasked"
		}
	} else {
		w.HostPID, w.HostIPC, w.HostNetwork, w.HostUTS = true, true, true, true
	}
	w.Containers = []Container{c}
	return []Workload{w}, nil
}
