package runtime

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// dockerContainer is the part of docker inspect (GET /containers/{id}/json)
// that is audited.
type dockerContainer struct {
	ID              string `json:"Id"`
	Name            string `json:"Name"`
	Image           string `json:"Image"`
	AppArmorProfile string `json:"AppArmorProfile"`
	Config          struct {
		User  string `json:"User"`
		Image string `json:"Image"`
	} `json:"Config"`
	HostConfig struct {
		Privileged     bool                `json:"Privileged"`
		CapAdd         []string            `json:"CapAdd"`
		CapDrop        []string            `json:"CapDrop"`
		SecurityOpt    []string            `json:"SecurityOpt"`
		PidMode        string              `json:"PidMode"`
		IpcMode        string              `json:"IpcMode"`
		NetworkMode    string              `json:"NetworkMode"`
		UTSMode        string              `json:"UTSMode"`
		UsernsMode     string              `json:"UsernsMode"`
		Binds          []string            `json:"Binds"`
		PortBindings   map[string][]hostIP `json:"PortBindings"`
		ReadonlyRootfs bool                `json:"ReadonlyRootfs"`
		Memory         int64               `json:"Memory"`
		NanoCpus       int64               `json:"NanoCpus"`
		CPUShares      int64               `json:"CpuShares"`
		CPUQuota       int64               `json:"CpuQuota"`
		PidsLimit      *int64              `json:"PidsLimit"`
		Sysctls        map[string]string   `json:"Sysctls"`
		CgroupParent   string              `json:"CgroupParent"`
		Devices        []struct {
			PathOnHost      string `json:"PathOnHost"`
			PathInContainer string `json:"PathInContainer"`
		} `json:"Devices"`
		RestartPolicy struct {
			Name              string `json:"Name"`
			MaximumRetryCount int    `json:"MaximumRetryCount"`
		} `json:"RestartPolicy"`
		Mounts []struct {
			Type        string `json:"Type"`
			Source      string `json:"Source"`
			Target      string `json:"Target"`
			ReadOnly    bool   `json:"ReadOnly"`
			BindOptions *struct {
				Propagation string `json:"Propagation"`
			} `json:"BindOptions"`
		} `json:"Mounts"`
	} `json:"HostConfig"`
	Mounts []struct {
		Type        string `json:"Type"`
		Name        string `json:"Name"`
		Source      string `json:"Source"`
		Destination string `json:"Destination"`
		RW          bool   `json:"RW"`
		Propagation string `json:"Propagation"`
	} `json:"Mounts"`
}

type hostIP struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

// ParseInspect reads the output of docker inspect CONTAINER...: a JSON
// array of container objects (a single object is accepted too).
func ParseInspect(source string, data []byte) ([]Workload, error) {
	var list []dockerContainer
	if err := json.Unmarshal(data, &list); err != nil {
		var one dockerContainer
		if err2 := json.Unmarshal(data, &one); err2 != nil {
			return nil, fmt.Errorf("docker inspect JSON: %w", err)
		}
		list = []dockerContainer{one}
	}
	out := make([]Workload, 0, len(list))
	for i := range list {
		out = append(out, inspectWorkload(source, FormatInspect, &list[i], fmt.Sprintf("[%d]", i)))
	}
	return out, nil
}

func inspectWorkload(source string, f Format, d *dockerContainer, base string) Workload {
	name := strings.TrimPrefix(d.Name, "/")
	if name == "" && len(d.ID) >= 12 {
		name = d.ID[:12]
	}
	hc := &d.HostConfig
	w := Workload{Format: f, Source: source, Kind: "container", Name: name, path: base}
	w.HostPID, w.HostIPC = hc.PidMode == "host", hc.IpcMode == "host"
	w.HostNetwork, w.HostUTS = hc.NetworkMode == "host", hc.UTSMode == "host"
	if hc.UsernsMode == "host" {
		w.HostUsers = ptr(true)
	}
	for k, v := range hc.Sysctls {
		w.Sysctls = append(w.Sysctls, Sysctl{Name: k, Value: v})
	}
	sort.Slice(w.Sysctls, func(i, j int) bool { return w.Sysctls[i].Name < w.Sysctls[j].Name })
	w.RestartPolicy, w.RestartRetries = hc.RestartPolicy.Name, hc.RestartPolicy.MaximumRetryCount

	image := d.Config.Image
	if image == "" {
		image = d.Image
	}
	c := Container{Name: name, Image: image, Privileged: ptr(hc.Privileged), CapAdd: hc.CapAdd, CapDrop: hc.CapDrop, path: base}
	for fact, p := range inspectFields {
		if !podLevel[fact] {
			c.at(fact, join(base, p))
		}
	}
	c.ReadOnlyRootFilesystem = ptr(hc.ReadonlyRootfs)
	// Config.User is the image's USER merged with --user: empty is root.
	c.User = d.Config.User
	if c.User == "" {
		c.RunAsUser = ptr(int64(0))
	} else {
		c.RunAsUser = numericUser(c.User)
	}
	switch d.AppArmorProfile {
	case "":
	case "unconfined":
		c.AppArmor = Profile{Type: "Unconfined"}
	case "docker-default":
		c.AppArmor = Profile{Type: "RuntimeDefault", Name: d.AppArmorProfile}
	default:
		c.AppArmor = Profile{Type: "Localhost", Name: d.AppArmorProfile}
	}
	securityOpts(&c, hc.SecurityOpt)
	if c.Seccomp.Type == "" {
		c.Seccomp = Profile{Type: "RuntimeDefault"} // Docker's default profile
	}
	if hc.Memory > 0 {
		c.Limits.Memory = strconv.FormatInt(hc.Memory, 10)
	}
	switch {
	case hc.NanoCpus > 0:
		c.Limits.CPU = strconv.FormatFloat(float64(hc.NanoCpus)/1e9, 'f', -1, 64)
	case hc.CPUQuota > 0:
		c.Limits.CPU = "quota " + strconv.FormatInt(hc.CPUQuota, 10)
		c.at(fCPU, join(base, "HostConfig.CpuQuota"))
	}
	if hc.CPUShares > 0 {
		c.Limits.CPUShares = strconv.FormatInt(hc.CPUShares, 10)
	}
	if hc.PidsLimit != nil && *hc.PidsLimit > 0 {
		c.Limits.Pids = strconv.FormatInt(*hc.PidsLimit, 10)
	}
	for _, dv := range hc.Devices {
		c.Devices = append(c.Devices, dv.PathOnHost+":"+dv.PathInContainer)
	}
	c.CgroupParent = hc.CgroupParent
	if len(d.Mounts) > 0 {
		for i, m := range d.Mounts {
			mt := Mount{Type: m.Type, Source: m.Source, Destination: m.Destination, ReadOnly: !m.RW, Propagation: m.Propagation, path: join(base, fmt.Sprintf("Mounts[%d]", i))}
			if m.Type == "bind" {
				mt.HostPath = m.Source
			} else if m.Name != "" {
				mt.Source = m.Name
			}
			c.Mounts = append(c.Mounts, mt)
		}
	} else {
		for i, b := range hc.Binds {
			mt, _ := composeVolume(b)
			mt.path = join(base, fmt.Sprintf("HostConfig.Binds[%d]", i))
			c.Mounts = append(c.Mounts, mt)
		}
		for i, m := range hc.Mounts {
			mt := Mount{Type: m.Type, Source: m.Source, Destination: m.Target, ReadOnly: m.ReadOnly, path: join(base, fmt.Sprintf("HostConfig.Mounts[%d]", i))}
			if m.Type == "bind" {
				mt.HostPath = m.Source
			}
			if m.BindOptions != nil {
				mt.Propagation = m.BindOptions.Propagation
			}
			c.Mounts = append(c.Mounts, mt)
		}
	}
	keys := make([]string, 0, len(hc.PortBindings))
	for k := range hc.PortBindings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		port, proto, _ := strings.Cut(k, "/")
		cp, _ := strconv.Atoi(port)
		for j, b := range hc.PortBindings[k] {
			hp, _ := strconv.Atoi(b.HostPort)
			c.Ports = append(c.Ports, Port{HostIP: b.HostIP, HostPort: hp, ContainerPort: cp, Protocol: proto, path: join(base, fmt.Sprintf("HostConfig.PortBindings[%q][%d]", k, j))})
		}
	}
	w.Containers = []Container{c}
	return w
}

// join appends a field path to base, which may be empty.
func join(base, p string) string {
	if base == "" {
		return p
	}
	return base + "." + p
}
