package runtime

import "strings"

// ImageFacts are what the image scan knows about a container's image.
type ImageFacts struct {
	// User is the image config's USER ("" means root).
	User string
	// HasShell: /bin/sh or another shell is in the image.
	HasShell bool
	// HasPackageManager: apt, apk, dnf, yum, pip... is in the image.
	HasPackageManager bool
	// HasDockerCLI: a docker (or nerdctl, crictl, ctr, podman) binary.
	HasDockerCLI bool
}

var (
	joinRootUser = rule{"CUSTOMS-JOIN-ROOT-USER", "Runs as root: the workload does not require non-root and the image user is root", High, PrivilegeEscalation, StandardCustoms, "image+runtime",
		"Set runAsNonRoot: true and runAsUser, or a non-root USER in the image"}
	joinWritableShell = rule{"CUSTOMS-JOIN-WRITABLE-SHELL", "Writable root filesystem in an image with a shell: an intruder can write and run tools", Medium, PrivilegeEscalation, StandardCustoms, "image+runtime",
		"Set readOnlyRootFilesystem: true / --read-only, or use an image without a shell (distroless)"}
	joinDockerCLI = rule{"CUSTOMS-JOIN-DOCKER-CLI-SOCKET", "Container runtime socket mounted into an image that ships the docker CLI: one command to a privileged host container", Critical, HostEscape, StandardCustoms, "image+runtime",
		"Do not mount the runtime socket; if a tool needs the API, use a scoped proxy and an image without the CLI"}
)

// isRootUser reports whether a Docker USER string means UID 0.
func isRootUser(u string) bool {
	name, _, _ := strings.Cut(strings.TrimSpace(u), ":")
	return name == "" || name == "root" || name == "0"
}

// Join adds the findings that need both the runtime settings of w and the
// facts of its image: the workload does not require non-root and the image
// user is root; a writable root filesystem with a shell in the image; a
// runtime socket mounted into an image with the docker CLI. The facts
// apply to every container of w (give a Workload with only the containers
// running that image). It returns findings plus the new ones, ranked, and
// leaves findings unchanged.
func Join(findings []Finding, w Workload, img ImageFacts) []Finding {
	out := make([]Finding, 0, len(findings)+3)
	out = append(out, findings...)
	socket := HasRuntimeSocket(&w)
	for i := range w.Containers {
		c := &w.Containers[i]
		if !isTrue(c.RunAsNonRoot) && c.RunAsUser == nil && isRootUser(img.User) && !isFalse(w.HostUsers) {
			u := img.User
			if u == "" {
				u = `""`
			}
			out = append(out, joinRootUser.at(&w, c, ev(w.field(c, fRunAsNonRoot), c.RunAsNonRoot)+"; image USER "+u))
		}
		if !isTrue(c.ReadOnlyRootFilesystem) && img.HasShell {
			e := ev(w.field(c, fReadOnly), c.ReadOnlyRootFilesystem) + "; image has a shell"
			if img.HasPackageManager {
				e += " and a package manager"
			}
			out = append(out, joinWritableShell.at(&w, c, e))
		}
		if socket && img.HasDockerCLI {
			out = append(out, joinDockerCLI.at(&w, c, socketEvidence(&w, c)+"; image has the docker CLI"))
		}
	}
	return Sort(out)
}

func socketEvidence(w *Workload, c *Container) string {
	for _, m := range c.Mounts {
		if classify(m.HostPath) == mountSocket {
			return ev(m.path, m.HostPath)
		}
	}
	for _, v := range w.Volumes {
		if classify(v.HostPath) == mountSocket {
			return ev(v.path, v.HostPath)
		}
	}
	return "runtime socket mounted"
}
