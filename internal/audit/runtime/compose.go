package runtime

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
}

type composeService struct {
	Image       string   `yaml:"image"`
	Privileged  bool     `yaml:"privileged"`
	CapAdd      []string `yaml:"cap_add"`
	CapDrop     []string `yaml:"cap_drop"`
	SecurityOpt []string `yaml:"security_opt"`
	User        any      `yaml:"user"`
	ReadOnly    bool     `yaml:"read_only"`
	Pid         string   `yaml:"pid"`
	Ipc         string   `yaml:"ipc"`
	NetworkMode string   `yaml:"network_mode"`
	UTS         string   `yaml:"uts"`
	UsernsMode  string   `yaml:"userns_mode"`
	Volumes     []any    `yaml:"volumes"`
	Ports       []any    `yaml:"ports"`
	MemLimit    any      `yaml:"mem_limit"`
	CPUs        any      `yaml:"cpus"`
	CPUShares   any      `yaml:"cpu_shares"`
	PidsLimit   any      `yaml:"pids_limit"`
	Sysctls     any      `yaml:"sysctls"`
	Devices     []any    `yaml:"devices"`
	Restart     string   `yaml:"restart"`
	CgroupPar   string   `yaml:"cgroup_parent"`
	Deploy      struct {
		Resources struct {
			Limits struct {
				Memory any `yaml:"memory"`
				CPUs   any `yaml:"cpus"`
				Pids   any `yaml:"pids"`
			} `yaml:"limits"`
		} `yaml:"resources"`
		RestartPolicy struct {
			Condition   string `yaml:"condition"`
			MaxAttempts int    `yaml:"max_attempts"`
		} `yaml:"restart_policy"`
	} `yaml:"deploy"`
}

// ParseCompose reads a Docker Compose file (the Compose Specification;
// version 2 and 3 files too) into one workload per service. Variables
// (${VAR}) are not interpolated.
func ParseCompose(source string, data []byte) ([]Workload, error) {
	var f composeFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("compose file: %w", err)
	}
	if f.Services == nil {
		return nil, errors.New("compose file: no services")
	}
	names := make([]string, 0, len(f.Services))
	for n := range f.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []Workload
	for _, name := range names {
		s := f.Services[name]
		sp := "services." + name
		w := Workload{Format: FormatCompose, Source: source, Kind: "service", Name: name, path: sp}
		w.HostPID, w.HostIPC = s.Pid == "host", s.Ipc == "host"
		w.HostNetwork, w.HostUTS = s.NetworkMode == "host", s.UTS == "host"
		if s.UsernsMode == "host" {
			w.HostUsers = ptr(true)
		}
		w.Sysctls = composeSysctls(s.Sysctls)
		w.RestartPolicy = s.Restart
		if c := s.Deploy.RestartPolicy.Condition; c != "" {
			w.RestartPolicy, w.RestartRetries = c, s.Deploy.RestartPolicy.MaxAttempts
			w.at(fRestart, sp+".deploy.restart_policy")
		}
		c := Container{Name: name, Image: s.Image, path: sp}
		if s.Privileged {
			c.Privileged = ptr(true)
		}
		c.CapAdd, c.CapDrop = s.CapAdd, s.CapDrop
		if s.ReadOnly {
			c.ReadOnlyRootFilesystem = ptr(true)
		}
		if u := scalar(s.User); u != "" {
			c.User = u
			c.RunAsUser = numericUser(u)
		}
		securityOpts(&c, s.SecurityOpt)
		c.Limits.Memory = scalar(s.MemLimit)
		if m := scalar(s.Deploy.Resources.Limits.Memory); m != "" {
			c.Limits.Memory = m
			c.at(fMemory, sp+".deploy.resources.limits.memory")
		}
		c.Limits.CPU = scalar(s.CPUs)
		if v := scalar(s.Deploy.Resources.Limits.CPUs); v != "" {
			c.Limits.CPU = v
			c.at(fCPU, sp+".deploy.resources.limits.cpus")
		}
		c.Limits.CPUShares = scalar(s.CPUShares)
		c.Limits.Pids = scalar(s.PidsLimit)
		if v := scalar(s.Deploy.Resources.Limits.Pids); v != "" {
			c.Limits.Pids = v
			c.at(fPids, sp+".deploy.resources.limits.pids")
		}
		for _, d := range s.Devices {
			if d := scalar(d); d != "" {
				c.Devices = append(c.Devices, d)
			}
		}
		c.CgroupParent = s.CgroupPar
		for i, v := range s.Volumes {
			m, err := composeVolume(v)
			if err != nil {
				return nil, fmt.Errorf("%s.volumes[%d]: %w", sp, i, err)
			}
			m.path = fmt.Sprintf("%s.volumes[%d]", sp, i)
			c.Mounts = append(c.Mounts, m)
		}
		for i, v := range s.Ports {
			p, err := composePort(v)
			if err != nil {
				return nil, fmt.Errorf("%s.ports[%d]: %w", sp, i, err)
			}
			p.path = fmt.Sprintf("%s.ports[%d]", sp, i)
			c.Ports = append(c.Ports, p)
		}
		w.Containers = []Container{c}
		out = append(out, w)
	}
	return out, nil
}

func composeSysctls(v any) []Sysctl {
	var out []Sysctl
	switch v := v.(type) {
	case map[string]any:
		for k, val := range v {
			out = append(out, Sysctl{Name: k, Value: scalar(val)})
		}
	case []any:
		for _, e := range v {
			k, val, _ := strings.Cut(scalar(e), "=")
			out = append(out, Sysctl{Name: k, Value: val})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// composeVolume reads the short ("SRC:DST[:MODE]") or long volume syntax.
func composeVolume(v any) (Mount, error) {
	switch v := v.(type) {
	case string:
		parts := strings.Split(v, ":")
		if len(parts) == 1 {
			return Mount{Type: "volume", Destination: parts[0]}, nil
		}
		m := Mount{Source: parts[0], Destination: parts[1]}
		if len(parts) > 2 {
			for _, o := range strings.Split(parts[2], ",") {
				switch o {
				case "ro":
					m.ReadOnly = true
				case "shared", "rshared", "slave", "rslave", "private", "rprivate":
					m.Propagation = o
				}
			}
		}
		m.Type = "volume"
		if isHostPath(m.Source) {
			m.Type, m.HostPath = "bind", m.Source
		}
		return m, nil
	case map[string]any:
		m := Mount{Type: scalar(v["type"]), Source: scalar(v["source"]), Destination: scalar(v["target"])}
		m.ReadOnly = scalar(v["read_only"]) == "true"
		if b, ok := v["bind"].(map[string]any); ok {
			m.Propagation = scalar(b["propagation"])
		}
		if m.Type == "bind" {
			m.HostPath = m.Source
		}
		return m, nil
	}
	return Mount{}, fmt.Errorf("volume of type %T, want a string or a mapping", v)
}

func isHostPath(s string) bool {
	return strings.HasPrefix(s, "/") || strings.HasPrefix(s, ".") || strings.HasPrefix(s, "~")
}

// composePort reads "[[HOST_IP:]HOST_PORT:]CONTAINER_PORT[/PROTO]" or the
// long syntax. A port range yields its first port.
func composePort(v any) (Port, error) {
	if m, ok := v.(map[string]any); ok {
		p := Port{HostIP: scalar(m["host_ip"]), Protocol: scalar(m["protocol"])}
		p.ContainerPort, _ = firstPort(scalar(m["target"]))
		p.HostPort, _ = firstPort(scalar(m["published"]))
		return p, nil
	}
	s := scalar(v)
	if s == "" {
		return Port{}, fmt.Errorf("port of type %T, want a string, a number or a mapping", v)
	}
	var p Port
	if i := strings.LastIndex(s, "/"); i >= 0 {
		s, p.Protocol = s[:i], s[i+1:]
	}
	i := strings.LastIndex(s, ":")
	cport := s[i+1:]
	var err error
	if p.ContainerPort, err = firstPort(cport); err != nil {
		return Port{}, err
	}
	if i < 0 {
		return p, nil
	}
	rest := s[:i]
	if j := strings.LastIndex(rest, ":"); j >= 0 && !strings.HasSuffix(rest, "]") {
		p.HostIP, rest = strings.Trim(rest[:j], "[]"), rest[j+1:]
	}
	if rest != "" {
		if p.HostPort, err = firstPort(rest); err != nil {
			return Port{}, err
		}
	}
	return p, nil
}

func firstPort(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	s, _, _ = strings.Cut(s, "-")
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 65535 {
		return 0, fmt.Errorf("bad port %q", s)
	}
	return n, nil
}

// numericUser is the UID of a Docker user string "uid[:gid]" when numeric;
// "root" is 0.
func numericUser(u string) *int64 {
	name, _, _ := strings.Cut(u, ":")
	if name == "root" {
		return ptr(int64(0))
	}
	if n, err := strconv.ParseInt(name, 10, 64); err == nil {
		return &n
	}
	return nil
}

// securityOpts applies Docker --security-opt values, in either the "k=v"
// or the older "k:v" form.
func securityOpts(c *Container, opts []string) {
	for _, o := range opts {
		k, v, ok := strings.Cut(o, "=")
		if !ok {
			k, v, _ = strings.Cut(o, ":")
		}
		switch k {
		case "no-new-privileges":
			if v == "" || v == "true" {
				c.AllowPrivilegeEscalation = ptr(false)
			} else if v == "false" {
				c.AllowPrivilegeEscalation = ptr(true)
			}
		case "seccomp":
			switch v {
			case "unconfined":
				c.Seccomp = Profile{Type: "Unconfined"}
			case "", "builtin":
				c.Seccomp = Profile{Type: "RuntimeDefault"}
			default:
				c.Seccomp = Profile{Type: "Localhost", Name: v}
			}
		case "apparmor":
			switch v {
			case "unconfined":
				c.AppArmor = Profile{Type: "Unconfined"}
			case "docker-default", "":
				c.AppArmor = Profile{Type: "RuntimeDefault", Name: v}
			default:
				c.AppArmor = Profile{Type: "Localhost", Name: v}
			}
		case "label":
			lk, lv, _ := strings.Cut(v, ":")
			if lv == "" {
				lk, lv, _ = strings.Cut(v, "=")
			}
			switch lk {
			case "disable":
				c.SELinux.Disabled = true
			case "user":
				c.SELinux.User = lv
			case "role":
				c.SELinux.Role = lv
			case "type":
				c.SELinux.Type = lv
			case "level":
				c.SELinux.Level = lv
			}
		}
	}
}
