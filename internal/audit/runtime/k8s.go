package runtime

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxDocs bounds the number of YAML documents (and List items) read from
// one input.
const maxDocs = 10000

type k8sMeta struct {
	Name        string            `yaml:"name"`
	Namespace   string            `yaml:"namespace"`
	Annotations map[string]string `yaml:"annotations"`
}

type k8sTemplate struct {
	Metadata k8sMeta `yaml:"metadata"`
	Spec     podSpec `yaml:"spec"`
}

type k8sDoc struct {
	APIVersion string  `yaml:"apiVersion"`
	Kind       string  `yaml:"kind"`
	Metadata   k8sMeta `yaml:"metadata"`
	Spec       struct {
		podSpec     `yaml:",inline"`
		Template    k8sTemplate `yaml:"template"`
		JobTemplate struct {
			Spec struct {
				Template k8sTemplate `yaml:"template"`
			} `yaml:"spec"`
		} `yaml:"jobTemplate"`
	} `yaml:"spec"`
	Items []yaml.Node `yaml:"items"`
}

type k8sProfile struct {
	Type             string `yaml:"type"`
	LocalhostProfile string `yaml:"localhostProfile"`
}

type k8sSELinux struct {
	User  string `yaml:"user"`
	Role  string `yaml:"role"`
	Type  string `yaml:"type"`
	Level string `yaml:"level"`
}

type k8sWindows struct {
	HostProcess *bool `yaml:"hostProcess"`
}

type podSC struct {
	RunAsNonRoot    *bool       `yaml:"runAsNonRoot"`
	RunAsUser       *int64      `yaml:"runAsUser"`
	SeccompProfile  *k8sProfile `yaml:"seccompProfile"`
	AppArmorProfile *k8sProfile `yaml:"appArmorProfile"`
	SELinuxOptions  *k8sSELinux `yaml:"seLinuxOptions"`
	WindowsOptions  *k8sWindows `yaml:"windowsOptions"`
	Sysctls         []Sysctl    `yaml:"sysctls"`
}

type podSpec struct {
	HostPID             bool             `yaml:"hostPID"`
	HostIPC             bool             `yaml:"hostIPC"`
	HostNetwork         bool             `yaml:"hostNetwork"`
	HostUsers           *bool            `yaml:"hostUsers"`
	SecurityContext     *podSC           `yaml:"securityContext"`
	Volumes             []map[string]any `yaml:"volumes"`
	Containers          []k8sContainer   `yaml:"containers"`
	InitContainers      []k8sContainer   `yaml:"initContainers"`
	EphemeralContainers []k8sContainer   `yaml:"ephemeralContainers"`
}

type k8sContainer struct {
	Name  string `yaml:"name"`
	Image string `yaml:"image"`
	Ports []struct {
		ContainerPort int    `yaml:"containerPort"`
		HostPort      int    `yaml:"hostPort"`
		HostIP        string `yaml:"hostIP"`
		Protocol      string `yaml:"protocol"`
	} `yaml:"ports"`
	SecurityContext *struct {
		podSC                    `yaml:",inline"`
		Privileged               *bool `yaml:"privileged"`
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		Capabilities             *struct {
			Add  []string `yaml:"add"`
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
		ReadOnlyRootFilesystem *bool   `yaml:"readOnlyRootFilesystem"`
		ProcMount              *string `yaml:"procMount"`
	} `yaml:"securityContext"`
	Resources struct {
		Limits map[string]any `yaml:"limits"`
	} `yaml:"resources"`
	VolumeMounts []struct {
		Name             string `yaml:"name"`
		MountPath        string `yaml:"mountPath"`
		ReadOnly         bool   `yaml:"readOnly"`
		MountPropagation string `yaml:"mountPropagation"`
	} `yaml:"volumeMounts"`
}

// ParseKubernetes reads Kubernetes manifests: one or more YAML documents
// (as written by hand, by kubectl get -o yaml, or by helm template) holding
// Pods, workload controllers (Deployment, StatefulSet, DaemonSet,
// ReplicaSet, ReplicationController, Job, CronJob) and Lists of them. Other
// kinds are ignored. source names the input in the workloads.
func ParseKubernetes(source string, data []byte) ([]Workload, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []Workload
	for n := 1; ; n++ {
		if n > maxDocs {
			return nil, fmt.Errorf("more than %d YAML documents", maxDocs)
		}
		var node yaml.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("YAML document %d: %w", n, err)
		}
		ws, err := k8sNode(source, &node, "", 0)
		if err != nil {
			return nil, fmt.Errorf("YAML document %d: %w", n, err)
		}
		out = append(out, ws...)
	}
	return out, nil
}

func k8sNode(source string, node *yaml.Node, prefix string, depth int) ([]Workload, error) {
	if depth > 3 {
		return nil, errors.New("Lists nested too deep")
	}
	if node.Kind == 0 || (node.Kind == yaml.DocumentNode && len(node.Content) == 0) {
		return nil, nil // an empty document, e.g. only comments
	}
	var doc k8sDoc
	if err := node.Decode(&doc); err != nil {
		return nil, err
	}
	var spec *podSpec
	var tmeta k8sMeta
	path := prefix + "spec"
	switch doc.Kind {
	case "Pod":
		spec = &doc.Spec.podSpec
		tmeta = doc.Metadata
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job":
		spec, tmeta, path = &doc.Spec.Template.Spec, doc.Spec.Template.Metadata, prefix+"spec.template.spec"
	case "PodTemplate":
		// PodTemplate keeps its template at the top level, not under spec.
		var pt struct {
			Template k8sTemplate `yaml:"template"`
		}
		if err := node.Decode(&pt); err != nil {
			return nil, err
		}
		spec, tmeta, path = &pt.Template.Spec, pt.Template.Metadata, prefix+"template.spec"
	case "CronJob":
		spec, tmeta, path = &doc.Spec.JobTemplate.Spec.Template.Spec, doc.Spec.JobTemplate.Spec.Template.Metadata, prefix+"spec.jobTemplate.spec.template.spec"
	default:
		if strings.HasSuffix(doc.Kind, "List") {
			if len(doc.Items) > maxDocs {
				return nil, fmt.Errorf("more than %d List items", maxDocs)
			}
			var out []Workload
			for i := range doc.Items {
				ws, err := k8sNode(source, &doc.Items[i], fmt.Sprintf("%sitems[%d].", prefix, i), depth+1)
				if err != nil {
					return nil, fmt.Errorf("items[%d]: %w", i, err)
				}
				out = append(out, ws...)
			}
			return out, nil
		}
		return nil, nil
	}
	w := Workload{Format: FormatKubernetes, Source: source, Kind: doc.Kind, Name: doc.Metadata.Name, Namespace: doc.Metadata.Namespace, path: path}
	fillPod(&w, spec, tmeta, path)
	return []Workload{w}, nil
}

func fillPod(w *Workload, spec *podSpec, meta k8sMeta, path string) {
	w.HostPID, w.HostIPC, w.HostNetwork, w.HostUsers = spec.HostPID, spec.HostIPC, spec.HostNetwork, spec.HostUsers
	psc := spec.SecurityContext
	if psc == nil {
		psc = &podSC{}
	}
	w.Sysctls = psc.Sysctls
	if psc.WindowsOptions != nil {
		w.HostProcess = psc.WindowsOptions.HostProcess
	}
	vols := map[string]Volume{}
	for i, v := range spec.Volumes {
		vol := Volume{path: fmt.Sprintf("%s.volumes[%d]", path, i)}
		vol.Name, _ = v["name"].(string)
		var keys []string
		for k := range v {
			if k != "name" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		if len(keys) > 0 {
			vol.Type = keys[0]
		}
		if hp, ok := v["hostPath"].(map[string]any); ok {
			vol.HostPath, _ = hp["path"].(string)
			vol.path += ".hostPath.path"
		}
		w.Volumes = append(w.Volumes, vol)
		vols[vol.Name] = vol
	}
	add := func(list []k8sContainer, field string, init bool) {
		for i, kc := range list {
			cp := fmt.Sprintf("%s.%s[%d]", path, field, i)
			c := Container{Name: kc.Name, Image: kc.Image, Init: init, path: cp}
			// Pod-level settings first; the container's own override them.
			setPodSC(&c, psc, path)
			if sc := kc.SecurityContext; sc != nil {
				setPodSC(&c, &sc.podSC, cp)
				c.Privileged, c.AllowPrivilegeEscalation = sc.Privileged, sc.AllowPrivilegeEscalation
				c.ReadOnlyRootFilesystem = sc.ReadOnlyRootFilesystem
				if sc.ProcMount != nil {
					c.ProcMount = *sc.ProcMount
				}
				if sc.Capabilities != nil {
					c.CapAdd, c.CapDrop = sc.Capabilities.Add, sc.Capabilities.Drop
				}
			}
			// Legacy AppArmor annotation, still honoured by the kubelet.
			if a, ok := meta.Annotations["container.apparmor.security.beta.kubernetes.io/"+kc.Name]; ok && c.AppArmor.Type == "" {
				c.AppArmor = apparmorAnnotation(a)
				c.at(fAppArmor, "metadata.annotations[container.apparmor.security.beta.kubernetes.io/"+kc.Name+"]")
			}
			c.Limits.Memory = scalar(kc.Resources.Limits["memory"])
			c.Limits.CPU = scalar(kc.Resources.Limits["cpu"])
			for j, p := range kc.Ports {
				c.Ports = append(c.Ports, Port{HostIP: p.HostIP, HostPort: p.HostPort, ContainerPort: p.ContainerPort, Protocol: p.Protocol, path: fmt.Sprintf("%s.ports[%d].hostPort", cp, j)})
			}
			for j, m := range kc.VolumeMounts {
				v := vols[m.Name]
				c.Mounts = append(c.Mounts, Mount{Type: v.Type, Source: m.Name, HostPath: v.HostPath, Destination: m.MountPath, ReadOnly: m.ReadOnly, Propagation: m.MountPropagation, path: fmt.Sprintf("%s.volumeMounts[%d]", cp, j)})
			}
			w.Containers = append(w.Containers, c)
		}
	}
	add(spec.InitContainers, "initContainers", true)
	add(spec.Containers, "containers", false)
	add(spec.EphemeralContainers, "ephemeralContainers", true)
}

// setPodSC applies the fields shared by the pod and container security
// contexts, recording where each came from.
func setPodSC(c *Container, sc *podSC, path string) {
	if sc.RunAsNonRoot != nil {
		c.RunAsNonRoot = sc.RunAsNonRoot
		c.at(fRunAsNonRoot, path+".securityContext.runAsNonRoot")
	}
	if sc.RunAsUser != nil {
		c.RunAsUser = sc.RunAsUser
		c.at(fRunAsUser, path+".securityContext.runAsUser")
	}
	if p := sc.SeccompProfile; p != nil {
		c.Seccomp = Profile{Type: p.Type, Name: p.LocalhostProfile}
		c.at(fSeccomp, path+".securityContext.seccompProfile.type")
	}
	if p := sc.AppArmorProfile; p != nil {
		c.AppArmor = Profile{Type: p.Type, Name: p.LocalhostProfile}
		c.at(fAppArmor, path+".securityContext.appArmorProfile.type")
	}
	if s := sc.SELinuxOptions; s != nil {
		c.SELinux = SELinux{User: s.User, Role: s.Role, Type: s.Type, Level: s.Level}
		c.at(fSELinux, path+".securityContext.seLinuxOptions")
	}
	if sc.WindowsOptions != nil && sc.WindowsOptions.HostProcess != nil {
		c.HostProcess = sc.WindowsOptions.HostProcess
		c.at(fHostProcess, path+".securityContext.windowsOptions.hostProcess")
	}
}

func apparmorAnnotation(a string) Profile {
	switch {
	case a == "runtime/default":
		return Profile{Type: "RuntimeDefault"}
	case a == "unconfined":
		return Profile{Type: "Unconfined"}
	case strings.HasPrefix(a, "localhost/"):
		return Profile{Type: "Localhost", Name: strings.TrimPrefix(a, "localhost/")}
	}
	return Profile{Type: a}
}

// scalar renders a YAML scalar (string, int, float, bool) as text.
func scalar(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case uint64:
		return strconv.FormatUint(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return fmt.Sprint(v)
}
