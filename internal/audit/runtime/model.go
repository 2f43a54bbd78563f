// Package runtime audits how containers are, or will be, run: it reads
// Kubernetes manifests, Docker Compose files, docker inspect output, OCI
// runtime config.json files and the live Docker Engine into one Workload
// model, and checks that model against the Kubernetes Pod Security Standards
// and section 5 of the CIS Docker Benchmark.
package runtime

// Format says which kind of input a Workload was read from. It decides which
// standard applies: Kubernetes workloads are checked against the Pod
// Security Standards, the others against the CIS Docker Benchmark.
type Format string

// Input formats.
const (
	FormatKubernetes Format = "k8s"
	FormatCompose    Format = "compose"
	FormatInspect    Format = "inspect"    // docker inspect JSON
	FormatOCIConfig  Format = "oci-config" // OCI runtime config.json
	FormatEngine     Format = "docker"     // live Docker Engine
)

// Workload is one unit that runs containers together: a Kubernetes pod
// template, a Compose service, a Docker container or an OCI bundle. Pointer
// fields are nil when the input leaves them unset, so a check can tell "not
// set" (the platform default) from an explicit value.
type Workload struct {
	Format Format `json:"format"`
	Source string `json:"source"` // file name, or "docker:"
	Kind   string `json:"kind"`   // Deployment, Pod, service, container, bundle...
	Name   string `json:"name"`
	// Namespace is the Kubernetes namespace, if any.
	Namespace string `json:"namespace,omitempty"`

	HostPID     bool `json:"hostPID,omitempty"`
	HostIPC     bool `json:"hostIPC,omitempty"`
	HostNetwork bool `json:"hostNetwork,omitempty"`
	HostUTS     bool `json:"hostUTS,omitempty"`
	// HostUsers is false when the workload runs in its own user namespace
	// (Kubernetes hostUsers: false, Docker userns-remap, an OCI user
	// namespace), true when it shares the host's, nil when unset.
	HostUsers *bool `json:"hostUsers,omitempty"`
	// HostProcess is the Windows HostProcess flag of the pod.
	HostProcess *bool    `json:"hostProcess,omitempty"`
	Sysctls     []Sysctl `json:"sysctls,omitempty"`
	Volumes     []Volume `json:"volumes,omitempty"`
	// RestartPolicy is Docker's restart policy name; RestartRetries its
	// maximum retry count.
	RestartPolicy  string `json:"restartPolicy,omitempty"`
	RestartRetries int    `json:"restartRetries,omitempty"`

	Containers []Container `json:"containers"`

	// path is the field path of the pod-level settings in the input, e.g.
	// "spec.template.spec" or "services.web"; fields holds the exact path
	// of a pod-level fact the parser read.
	path   string
	fields map[string]string
}

// ID names the workload in findings: "Deployment/ns/name", "service web".
func (w *Workload) ID() string {
	switch {
	case w.Namespace != "":
		return w.Kind + "/" + w.Namespace + "/" + w.Name
	case w.Kind != "":
		return w.Kind + "/" + w.Name
	}
	return w.Name
}

// Sysctl is one kernel parameter set for the workload.
type Sysctl struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Volume is a pod-level volume. Type is the Kubernetes volume source name
// (hostPath, emptyDir, configMap...) or, for Docker, "bind", "volume",
// "tmpfs".
type Volume struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	HostPath string `json:"hostPath,omitempty"`
	path     string
}

// Mount is a filesystem mount in a container.
type Mount struct {
	Type        string `json:"type"` // bind, volume, tmpfs, or the k8s volume type
	Source      string `json:"source,omitempty"`
	HostPath    string `json:"hostPath,omitempty"` // the host path for binds and hostPath volumes
	Destination string `json:"destination"`
	ReadOnly    bool   `json:"readOnly,omitempty"`
	Propagation string `json:"propagation,omitempty"`
	path        string
}

// Port is a published or declared port.
type Port struct {
	HostIP        string `json:"hostIP,omitempty"`
	HostPort      int    `json:"hostPort,omitempty"`
	ContainerPort int    `json:"containerPort"`
	Protocol      string `json:"protocol,omitempty"`
	path          string
}

// SELinux holds SELinux options; Disabled is Docker's label=disable.
type SELinux struct {
	User     string `json:"user,omitempty"`
	Role     string `json:"role,omitempty"`
	Type     string `json:"type,omitempty"`
	Level    string `json:"level,omitempty"`
	Disabled bool   `json:"disabled,omitempty"`
}

// Profile is a seccomp or AppArmor profile setting, normalised to the
// Kubernetes type names: RuntimeDefault, Unconfined, Localhost ("" = unset).
type Profile struct {
	Type string `json:"type,omitempty"`
	// Name is the Localhost profile name, or the Docker profile name.
	Name string `json:"name,omitempty"`
}

// Limits are resource limits as written in the input ("" = no limit).
type Limits struct {
	Memory string `json:"memory,omitempty"`
	CPU    string `json:"cpu,omitempty"`
	// CPUShares is Docker's relative CPU weight.
	CPUShares string `json:"cpuShares,omitempty"`
	Pids      string `json:"pids,omitempty"`
}

// Container is one container of a workload with its security settings,
// after pod-level defaults have been applied.
type Container struct {
	Name  string `json:"name"`
	Image string `json:"image,omitempty"`
	// Init is true for init and ephemeral containers.
	Init bool `json:"init,omitempty"`

	Privileged *bool    `json:"privileged,omitempty"`
	CapAdd     []string `json:"capAdd,omitempty"`
	CapDrop    []string `json:"capDrop,omitempty"`
	// AllowPrivilegeEscalation is the inverse of no-new-privileges.
	AllowPrivilegeEscalation *bool   `json:"allowPrivilegeEscalation,omitempty"`
	Seccomp                  Profile `json:"seccomp"`
	AppArmor                 Profile `json:"appArmor"`
	SELinux                  SELinux `json:"seLinux"`
	RunAsNonRoot             *bool   `json:"runAsNonRoot,omitempty"`
	// RunAsUser is the numeric UID when the input fixes it.
	RunAsUser *int64 `json:"runAsUser,omitempty"`
	// User is Docker's user string (name or uid[:gid]) as written.
	User                   string   `json:"user,omitempty"`
	ReadOnlyRootFilesystem *bool    `json:"readOnlyRootFilesystem,omitempty"`
	ProcMount              string   `json:"procMount,omitempty"`
	Limits                 Limits   `json:"limits"`
	Mounts                 []Mount  `json:"mounts,omitempty"`
	Ports                  []Port   `json:"ports,omitempty"`
	Devices                []string `json:"devices,omitempty"`
	CgroupParent           string   `json:"cgroupParent,omitempty"`
	HostProcess            *bool    `json:"hostProcess,omitempty"`

	path   string
	fields map[string]string
}

// Fact names: keys of the field paths a parser records.
const (
	fPrivileged   = "privileged"
	fCapAdd       = "capAdd"
	fCapDrop      = "capDrop"
	fAllowPE      = "allowPrivilegeEscalation"
	fSeccomp      = "seccomp"
	fAppArmor     = "appArmor"
	fSELinux      = "seLinux"
	fRunAsNonRoot = "runAsNonRoot"
	fRunAsUser    = "runAsUser"
	fReadOnly     = "readOnlyRootFilesystem"
	fProcMount    = "procMount"
	fMemory       = "memory"
	fCPU          = "cpu"
	fPids         = "pids"
	fDevices      = "devices"
	fCgroup       = "cgroupParent"
	fHostProcess  = "hostProcess"
	fHostPID      = "hostPID"
	fHostIPC      = "hostIPC"
	fHostNetwork  = "hostNetwork"
	fHostUTS      = "hostUTS"
	fHostUsers    = "hostUsers"
	fSysctls      = "sysctls"
	fRestart      = "restart"
)

func (c *Container) at(fact, path string) {
	if c.fields == nil {
		c.fields = map[string]string{}
	}
	c.fields[fact] = path
}

func (w *Workload) at(fact, path string) {
	if w.fields == nil {
		w.fields = map[string]string{}
	}
	w.fields[fact] = path
}

// field is where fact lives for c: the path the parser recorded, else the
// format's default place for it.
func (w *Workload) field(c *Container, fact string) string {
	if c != nil {
		if p, ok := c.fields[fact]; ok {
			return p
		}
	}
	if p, ok := w.fields[fact]; ok {
		return p
	}
	rel := defaultFields[w.Format][fact]
	if rel == "" {
		rel = fact
	}
	base := w.path
	if c != nil && !podLevel[fact] {
		base = c.path
	}
	if base == "" {
		return rel
	}
	return base + "." + rel
}

var podLevel = map[string]bool{fHostPID: true, fHostIPC: true, fHostNetwork: true, fHostUTS: true, fHostUsers: true, fSysctls: true, fRestart: true}

// defaultFields is where each format keeps a fact, relative to the
// container (or pod, for pod-level facts) path.
var defaultFields = map[Format]map[string]string{
	FormatKubernetes: {
		fPrivileged: "securityContext.privileged", fCapAdd: "securityContext.capabilities.add",
		fCapDrop: "securityContext.capabilities.drop", fAllowPE: "securityContext.allowPrivilegeEscalation",
		fSeccomp: "securityContext.seccompProfile.type", fAppArmor: "securityContext.appArmorProfile.type",
		fSELinux: "securityContext.seLinuxOptions", fRunAsNonRoot: "securityContext.runAsNonRoot",
		fRunAsUser: "securityContext.runAsUser", fReadOnly: "securityContext.readOnlyRootFilesystem",
		fProcMount: "securityContext.procMount", fMemory: "resources.limits.memory", fCPU: "resources.limits.cpu",
		fHostProcess: "securityContext.windowsOptions.hostProcess",
		fHostPID:     "hostPID", fHostIPC: "hostIPC", fHostNetwork: "hostNetwork", fHostUsers: "hostUsers",
		fSysctls: "securityContext.sysctls",
	},
	FormatCompose: {
		fPrivileged: "privileged", fCapAdd: "cap_add", fCapDrop: "cap_drop", fAllowPE: "security_opt",
		fSeccomp: "security_opt", fAppArmor: "security_opt", fSELinux: "security_opt", fRunAsUser: "user",
		fReadOnly: "read_only", fMemory: "mem_limit", fCPU: "cpus", fPids: "pids_limit", fDevices: "devices",
		fCgroup: "cgroup_parent", fHostPID: "pid", fHostIPC: "ipc", fHostNetwork: "network_mode", fHostUTS: "uts",
		fHostUsers: "userns_mode", fSysctls: "sysctls", fRestart: "restart",
	},
	FormatInspect: inspectFields,
	FormatEngine:  inspectFields,
	FormatOCIConfig: {
		fCapAdd: "process.capabilities.bounding", fCapDrop: "process.capabilities.bounding",
		fAllowPE: "process.noNewPrivileges", fSeccomp: "linux.seccomp", fAppArmor: "process.apparmorProfile",
		fSELinux: "process.selinuxLabel", fRunAsUser: "process.user.uid", fReadOnly: "root.readonly",
		fMemory: "linux.resources.memory.limit", fCPU: "linux.resources.cpu", fPids: "linux.resources.pids.limit",
		fDevices: "linux.devices", fCgroup: "linux.cgroupsPath", fHostPID: "linux.namespaces", fHostIPC: "linux.namespaces",
		fHostNetwork: "linux.namespaces", fHostUTS: "linux.namespaces", fHostUsers: "linux.namespaces", fSysctls: "linux.sysctl",
		fProcMount: "linux.maskedPaths",
	},
}

var inspectFields = map[string]string{
	fPrivileged: "HostConfig.Privileged", fCapAdd: "HostConfig.CapAdd", fCapDrop: "HostConfig.CapDrop",
	fAllowPE: "HostConfig.SecurityOpt", fSeccomp: "HostConfig.SecurityOpt", fAppArmor: "AppArmorProfile",
	fSELinux: "HostConfig.SecurityOpt", fRunAsUser: "Config.User", fReadOnly: "HostConfig.ReadonlyRootfs",
	fMemory: "HostConfig.Memory", fCPU: "HostConfig.NanoCpus", fPids: "HostConfig.PidsLimit", fDevices: "HostConfig.Devices",
	fCgroup: "HostConfig.CgroupParent", fHostPID: "HostConfig.PidMode", fHostIPC: "HostConfig.IpcMode",
	fHostNetwork: "HostConfig.NetworkMode", fHostUTS: "HostConfig.UTSMode", fHostUsers: "HostConfig.UsernsMode",
	fSysctls: "HostConfig.Sysctls", fRestart: "HostConfig.RestartPolicy",
}

func ptr[T any](v T) *T { return &v }
