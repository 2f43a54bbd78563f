package runtime

import (
	"github.com/customs-scanner/customs/internal/report"
)

var (
	joinRootUser = rule{"CUSTOMS-JOIN-ROOT-USER", "Runs as root: the workload does not require non-root and the image user is root", High, PrivilegeEscalation, StandardCustoms, "image+runtime",
		"Set runAsNonRoot: true and runAsUser, or a non-root USER in the image"}
	joinWritableShell = rule{"CUSTOMS-JOIN-WRITABLE-SHELL", "Writable root filesystem in an image with a shell: an intruder can write and run tools", Medium, PrivilegeEscalation, StandardCustoms, "image+runtime",
		"Set readOnlyRootFilesystem: true / --read-only, or use an image without a shell (distroless)"}
	joinDockerCLI = rule{"CUSTOMS-JOIN-DOCKER-CLI-SOCKET", "Container runtime socket mounted into an image that ships the docker CLI: one command to a privileged host container", Critical, HostEscape, StandardCustoms, "image+runtime",
		"Do not mount the runtime socket; if a tool needs the API, use a scoped proxy and an image without the CLI"}
)

// Join adds the findings that need both the runtime settings of w and the
// facts of its image: the workload does not require non-root and the image
// user is root; a writable root filesystem with a shell in the image; a
// runtime socket mounted into an image with the docker CLI. The facts
// apply to every container of w (give a Workload with only the containers
// running that image). It returns findings plus the new ones, ranked, and
// leaves findings unchanged.
func Join(findings []report.Misconfiguration, w Workload, img report.ImageFacts) []report.Misconfiguration {
	out := make([]report.Misconfiguration, 0, len(findings)+3)
	out = append(out, findings...)
	socket := HasRuntimeSocket(&w)
	for i := range w.Containers {
		c := &w.Containers[i]
		if !isTrue(c.RunAsNonRoot) && c.RunAsUser == nil && img.RunsAsRoot && !isFalse(w.HostUsers) {
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
	return report.SortMisconfigurations(out)
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
