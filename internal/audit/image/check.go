package image

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/customs-scanner/customs/internal/audit/secrets"
	imagesrc "github.com/customs-scanner/customs/internal/image"
	"github.com/customs-scanner/customs/internal/layerfs"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/vulndb"
)

// Check runs every check on the image (meta may have a nil Config; fsys
// may be nil for config-only checks) and, when dockerfile is not empty,
// lints it too. Findings are sorted by severity then ID.
func Check(meta *imagesrc.Metadata, fsys *layerfs.FS, dockerfile []byte) []report.Misconfiguration {
	var out []report.Misconfiguration
	var cfg *v1.ConfigFile
	if meta != nil {
		cfg = meta.Config
	}
	if cfg != nil {
		out = append(out, checkConfig(cfg)...)
	}
	if fsys != nil {
		out = append(out, checkFS(fsys)...)
		out = append(out, checkMinimal(meta, fsys)...)
	}
	if len(bytes.TrimSpace(dockerfile)) > 0 {
		out = append(out, LintDockerfile(dockerfile)...)
	}
	sortFindings(out)
	return out
}

// Facts derives the image properties the runtime audit joins on from the
// config and the final file system.
func Facts(meta *imagesrc.Metadata, fsys *layerfs.FS) report.ImageFacts {
	var f report.ImageFacts
	if meta != nil && meta.Config != nil {
		f.User = meta.Config.Config.User
	}
	f.RunsAsRoot = isRoot(f.User)
	if fsys != nil {
		f.HasShell = len(present(fsys, shells)) > 0
		f.HasPackageManager = len(present(fsys, packageManagers)) > 0
		f.HasDockerCLI = len(present(fsys, []string{"docker"})) > 0
	}
	return f
}

// isRoot reports whether a USER value runs as uid 0: unset, "root", "0",
// optionally with a group. A name other than root is trusted to be
// unprivileged (its uid is in the image's /etc/passwd, not read here).
func isRoot(user string) bool {
	u, _, _ := strings.Cut(strings.TrimSpace(user), ":")
	return u == "" || u == "root" || u == "0"
}

var binDirs = []string{"bin", "usr/bin", "sbin", "usr/sbin", "usr/local/bin", "usr/local/sbin", "busybox"}

var (
	shells          = []string{"sh", "bash", "ash", "dash", "zsh", "ksh", "busybox"}
	packageManagers = []string{"apt-get", "apt", "dpkg", "apk", "yum", "dnf", "microdnf", "rpm", "zypper", "pacman", "tdnf"}
)

// present returns the paths of the named programs found in the usual
// directories (existence only; a symlink counts).
func present(fsys *layerfs.FS, names []string) []string {
	var out []string
	for _, n := range names {
		for _, d := range binDirs {
			p := d + "/" + n
			if _, ok := fsys.Origin(p); ok {
				out = append(out, p)
			} else if _, err := fsys.Lstat(p); err == nil {
				out = append(out, p) // through a symlinked directory (usrmerge bin -> usr/bin)
			}
		}
	}
	return dedupe(out)
}

func dedupe(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

var (
	addURL = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)(?:^|\s|#\(nop\)\s*)ADD\s+(?:--\S+\s+)*["']?(https?://[^\s"']+)`)
	})
	// pipeShell matches a download piped into an interpreter, or run
	// through command or process substitution.
	pipeShell = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)\b(?:curl|wget|fetch)\b[^|;&\n]*\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:env\s+\S+\s+)?(?:/usr)?(?:/bin/)?(?:ba|z|da|k|a)?sh\b|\b(?:curl|wget)\b[^|;&\n]*\|\s*(?:sudo\s+)?(?:python[0-9.]*|perl|ruby|node)\b|(?:ba|z)?sh\s+(?:-c\s+)?["']?\$\(\s*(?:curl|wget)\b|<\(\s*(?:curl|wget)\b`)
	})
)

var sensitivePorts = map[int]struct {
	service, severity string
}{
	22:    {"SSH", vulndb.SeverityMedium},
	23:    {"Telnet", vulndb.SeverityHigh},
	2375:  {"Docker API without TLS", vulndb.SeverityHigh},
	2376:  {"Docker API", vulndb.SeverityMedium},
	2379:  {"etcd", vulndb.SeverityMedium},
	3306:  {"MySQL", vulndb.SeverityLow},
	3389:  {"RDP", vulndb.SeverityMedium},
	5432:  {"PostgreSQL", vulndb.SeverityLow},
	5900:  {"VNC", vulndb.SeverityMedium},
	5984:  {"CouchDB", vulndb.SeverityLow},
	6379:  {"Redis", vulndb.SeverityLow},
	9200:  {"Elasticsearch", vulndb.SeverityLow},
	9300:  {"Elasticsearch transport", vulndb.SeverityLow},
	10250: {"Kubelet", vulndb.SeverityMedium},
	11211: {"Memcached", vulndb.SeverityLow},
	27017: {"MongoDB", vulndb.SeverityLow},
}

func checkConfig(cfg *v1.ConfigFile) []report.Misconfiguration {
	var out []report.Misconfiguration
	c := cfg.Config
	if isRoot(c.User) {
		ev := "USER is not set (defaults to root)"
		if strings.TrimSpace(c.User) != "" {
			ev = fmt.Sprintf("USER %s", c.User)
		}
		out = append(out, report.Misconfiguration{
			ID: IDRootUser, Title: "Container runs as root", Severity: vulndb.SeverityMedium, Evidence: []string{ev},
			Remediation: "Add a non-root user and end the Dockerfile with USER <uid> (a numeric uid lets Kubernetes verify runAsNonRoot).",
		})
	}
	for _, s := range secrets.ScanConfig(cfg) {
		out = append(out, report.Misconfiguration{
			ID: IDConfigSecret, Title: "Secret in the image " + s.Source + " (" + s.Rule + ")", Severity: s.Severity,
			Evidence:    []string{s.Path + ": " + s.Match},
			Remediation: "Do not bake secrets into ENV, LABEL or build arguments: they are readable by anyone who can pull the image. Use build secrets (RUN --mount=type=secret) and inject runtime secrets at run time; rotate this one.",
		})
	}
	var adds, pipes []string
	for i, h := range cfg.History {
		if m := addURL().FindStringSubmatch(h.CreatedBy); m != nil {
			adds = append(adds, fmt.Sprintf("History[%d]: ADD %s", i, m[1]))
		}
		if m := pipeShell().FindString(h.CreatedBy); m != "" {
			pipes = append(pipes, fmt.Sprintf("History[%d]: %s", i, clip(m)))
		}
	}
	if len(adds) > 0 {
		out = append(out, report.Misconfiguration{
			ID: IDAddRemoteURL, Title: "ADD fetches a remote URL", Severity: vulndb.SeverityMedium, Evidence: capEvidence(adds),
			Remediation: "Download with a pinned checksum (ADD --checksum=sha256:... or curl + sha256sum -c) so a changed or hijacked file fails the build.",
		})
	}
	if len(pipes) > 0 {
		out = append(out, report.Misconfiguration{
			ID: IDPipeToShell, Title: "Downloaded script piped into a shell", Severity: vulndb.SeverityMedium, Evidence: capEvidence(pipes),
			Remediation: "Download the script, verify its checksum or signature, then run it; or install from a package repository.",
		})
	}
	if hc := c.Healthcheck; hc == nil || len(hc.Test) == 0 || strings.EqualFold(hc.Test[0], "NONE") {
		out = append(out, report.Misconfiguration{
			ID: IDNoHealthcheck, Title: "No HEALTHCHECK", Severity: vulndb.SeverityLow, Evidence: []string{"the image config has no Healthcheck"},
			Remediation: "Add a HEALTHCHECK (or rely on orchestrator probes, e.g. Kubernetes liveness/readiness) so a hung process is restarted.",
		})
	}
	ports := make([]string, 0, len(c.ExposedPorts))
	for p := range c.ExposedPorts {
		ports = append(ports, p)
	}
	sort.Strings(ports)
	for _, p := range ports {
		num, proto, _ := strings.Cut(p, "/")
		var n int
		if _, err := fmt.Sscanf(num, "%d", &n); err != nil {
			continue
		}
		if sp, ok := sensitivePorts[n]; ok && (proto == "" || proto == "tcp") {
			out = append(out, report.Misconfiguration{
				ID: IDSensitivePort, Title: fmt.Sprintf("Exposes %s port %d", sp.service, n), Severity: sp.severity,
				Evidence:    []string{"ExposedPorts: " + p},
				Remediation: "Do not expose administrative or data-store ports from application images; reach them over a private network and require authentication.",
			})
		}
	}
	return out
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		return s[:160] + "..."
	}
	return s
}

// knownSetuid are setuid/setgid programs that distributions ship on
// purpose; they are still attack surface, so they are listed at LOW.
var knownSetuid = map[string]bool{
	"passwd": true, "su": true, "sudo": true, "mount": true, "umount": true, "chsh": true, "chfn": true,
	"newgrp": true, "gpasswd": true, "chage": true, "expiry": true, "wall": true, "write": true, "bsd-write": true,
	"ssh-agent": true, "crontab": true, "ping": true, "ping6": true, "unix_chkpwd": true, "ssh-keysign": true,
	"dbus-daemon-launch-helper": true, "pkexec": true, "polkit-agent-helper-1": true, "fusermount": true,
	"fusermount3": true, "newuidmap": true, "newgidmap": true, "at": true, "dotlockfile": true, "pam_timestamp_check": true,
	"mount.nfs": true, "staprun": true, "Xorg.wrap": true, "chromium-sandbox": true, "busybox": true,
}

func checkFS(fsys *layerfs.FS) []report.Misconfiguration {
	var known, unexpected, writable []string
	var caches = map[string]*cacheUse{}
	var creds []string
	fsys.Entries(func(p string, e layerfs.Entry, _ int) bool {
		m := e.Mode
		if m.IsRegular() && m&(fs.ModeSetuid|fs.ModeSetgid) != 0 {
			ev := fmt.Sprintf("%s (%s, owner %d:%d, mode %s)", p, suidKind(m), e.UID, e.GID, m)
			if knownSetuid[path.Base(p)] {
				known = append(known, ev)
			} else {
				unexpected = append(unexpected, ev)
			}
		}
		if m&fs.ModeSymlink == 0 && m.Perm()&0o002 != 0 && !tmpDir(p) && !(m.IsDir() && m&fs.ModeSticky != 0) {
			writable = append(writable, fmt.Sprintf("%s (%s)", p, m))
		}
		if c, ok := cacheOf(p, e); ok {
			u := caches[c]
			if u == nil {
				u = &cacheUse{}
				caches[c] = u
			}
			u.files++
			u.bytes += e.Size
		}
		if m.IsRegular() && credentialFile(p) {
			creds = append(creds, p)
		}
		return true
	})
	var out []report.Misconfiguration
	if len(unexpected) > 0 {
		out = append(out, report.Misconfiguration{
			ID: IDSetuidUnexpected, Title: "Unexpected setuid/setgid files", Severity: vulndb.SeverityMedium, Evidence: capEvidence(unexpected),
			Remediation: "Remove the setuid/setgid bits (RUN chmod u-s,g-s FILE) unless the program needs them; a non-root container user cannot gain privileges without them.",
		})
	}
	if len(known) > 0 {
		out = append(out, report.Misconfiguration{
			ID: IDSetuidKnown, Title: "Distribution setuid/setgid programs", Severity: vulndb.SeverityLow, Evidence: capEvidence(known),
			Remediation: "Containers rarely need passwd, su or mount: strip the bits (find / -xdev -perm /6000 -type f -exec chmod a-s {} +) or run with no-new-privileges.",
		})
	}
	if len(writable) > 0 {
		out = append(out, report.Misconfiguration{
			ID: IDWorldWritable, Title: "World-writable files or directories", Severity: vulndb.SeverityMedium, Evidence: capEvidence(writable),
			Remediation: "Remove write permission for others (chmod o-w), or set the sticky bit on shared directories.",
		})
	}
	if len(caches) > 0 {
		names := make([]string, 0, len(caches))
		for c := range caches {
			names = append(names, c)
		}
		sort.Strings(names)
		var ev []string
		for _, c := range names {
			ev = append(ev, fmt.Sprintf("%s: %d files, %d bytes", c, caches[c].files, caches[c].bytes))
		}
		out = append(out, report.Misconfiguration{
			ID: IDPackageCache, Title: "Package manager caches left in the image", Severity: vulndb.SeverityLow, Evidence: ev,
			Remediation: "Clean caches in the same RUN that fills them (apt-get clean && rm -rf /var/lib/apt/lists/*, apk --no-cache, pip --no-cache-dir, npm cache clean --force) or use a cache mount.",
		})
	}
	if len(creds) > 0 {
		out = append(out, report.Misconfiguration{
			ID: IDCredentialFile, Title: "Credential or registry configuration files in the image", Severity: vulndb.SeverityMedium, Evidence: capEvidence(creds),
			Remediation: "Pass registry credentials as build secrets (RUN --mount=type=secret,id=npmrc,target=/root/.npmrc) so they never land in a layer; deleting them in a later layer does not remove them from the image.",
		})
	}
	return out
}

type cacheUse struct {
	files int
	bytes int64
}

func suidKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSetuid != 0 && m&fs.ModeSetgid != 0:
		return "setuid+setgid"
	case m&fs.ModeSetuid != 0:
		return "setuid"
	}
	return "setgid"
}

func tmpDir(p string) bool {
	for _, d := range []string{"tmp", "var/tmp", "dev/shm", "run/lock", "var/lock"} {
		if p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// cacheOf names the package cache a regular file belongs to.
func cacheOf(p string, e layerfs.Entry) (string, bool) {
	if !e.Mode.IsRegular() {
		return "", false
	}
	switch {
	case strings.HasPrefix(p, "var/cache/apt/archives/") && strings.HasSuffix(p, ".deb"):
		return "var/cache/apt/archives", true
	case strings.HasPrefix(p, "var/cache/apt/") && strings.HasSuffix(p, ".bin"):
		return "var/cache/apt", true
	case strings.HasPrefix(p, "var/lib/apt/lists/") && !strings.HasPrefix(p, "var/lib/apt/lists/partial/") && path.Base(p) != "lock":
		return "var/lib/apt/lists", true
	case strings.HasPrefix(p, "var/cache/apk/"):
		return "var/cache/apk", true
	case strings.HasPrefix(p, "var/cache/yum/"), strings.HasPrefix(p, "var/cache/dnf/"):
		return p[:len("var/cache/dnf")], true
	}
	if !strings.Contains(p, "/.") {
		return "", false // the common case: every cache below is a dot directory
	}
	for _, c := range homeCaches {
		if i := strings.Index(p, c); i >= 0 && homeLike(p[:i]) {
			return p[:i+len(c)-1], true
		}
	}
	return "", false
}

// homeCaches are package manager caches in a home directory, as
// "/DIR/" to search paths for (every file of the image is checked).
var homeCaches = []string{"/.npm/_cacache/", "/.cache/pip/", "/.cache/yarn/", "/.cache/go-build/", "/.m2/repository/", "/.gradle/caches/", "/.composer/cache/", "/.cache/composer/"}

// homeLike is a home directory: root, home/NAME, or any other single
// directory (service users' homes such as app or opt/app are not).
func homeLike(dir string) bool {
	return dir == "root" || (strings.HasPrefix(dir, "home/") && !strings.Contains(dir[5:], "/"))
}

// credentialFile reports files that hold registry or service credentials
// by convention.
func credentialFile(p string) bool {
	base := path.Base(p)
	switch base {
	case ".npmrc", ".pypirc", ".git-credentials", ".netrc", "_netrc", ".dockercfg", ".pgpass", ".my.cnf", ".s3cfg":
		return true
	case "pip.conf":
		return p == "etc/pip.conf" || strings.HasSuffix(p, "/.pip/pip.conf") || strings.HasSuffix(p, "/.config/pip/pip.conf")
	case "config.json":
		return strings.HasSuffix(p, "/.docker/config.json")
	case "credentials":
		return strings.HasSuffix(p, "/.aws/credentials")
	case "application_default_credentials.json":
		return true
	}
	return false
}

// minimalClaim says why an image claims to be minimal, or "" if it does not.
// An image claims it when its reference, a tag or a label mentions
// "distroless", when its os-release names Distroless (gcr.io/distroless),
// or when it has neither an os-release nor an OS package database (built
// FROM scratch).
func minimalClaim(meta *imagesrc.Metadata, fsys *layerfs.FS) string {
	if meta != nil {
		names := append([]string{meta.Ref}, meta.RepoTags...)
		for _, n := range names {
			if strings.Contains(strings.ToLower(n), "distroless") {
				return "image name " + n + " says distroless"
			}
		}
		if meta.Config != nil {
			keys := make([]string, 0, len(meta.Config.Config.Labels))
			for k := range meta.Config.Config.Labels {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if v := meta.Config.Config.Labels[k]; strings.Contains(strings.ToLower(k+"="+v), "distroless") {
					return "label " + k + "=" + v + " says distroless"
				}
			}
		}
	}
	osr := ""
	for _, p := range []string{"etc/os-release", "usr/lib/os-release"} {
		if b, err := fsys.ReadFile(p); err == nil {
			osr = string(b)
			break
		} else if _, ok := fsys.Origin(p); ok {
			osr = "?" // present but not captured
		}
	}
	for _, line := range strings.Split(osr, "\n") {
		if (strings.HasPrefix(line, "PRETTY_NAME=") || strings.HasPrefix(line, "NAME=")) && strings.Contains(strings.ToLower(line), "distroless") {
			return "os-release: " + line
		}
	}
	if osr == "" {
		for _, db := range []string{"var/lib/dpkg/status", "lib/apk/db/installed", "var/lib/rpm", "usr/lib/sysimage/rpm", "var/lib/dpkg/status.d"} {
			if _, ok := fsys.Origin(db); ok {
				return ""
			}
		}
		return "no os-release and no OS package database (FROM scratch)"
	}
	return ""
}

func checkMinimal(meta *imagesrc.Metadata, fsys *layerfs.FS) []report.Misconfiguration {
	claim := minimalClaim(meta, fsys)
	if claim == "" {
		return nil
	}
	var out []report.Misconfiguration
	if sh := present(fsys, shells); len(sh) > 0 {
		out = append(out, report.Misconfiguration{
			ID: IDShellInMinimal, Title: "Shell in an image that claims to be minimal", Severity: vulndb.SeverityMedium,
			Evidence:    append([]string{claim}, sh...),
			Remediation: "Use the non-debug variant of the base image, or remove the shell in the final stage; a shell turns a code-execution bug into an interactive foothold.",
		})
	}
	if pm := present(fsys, packageManagers); len(pm) > 0 {
		out = append(out, report.Misconfiguration{
			ID: IDPkgMgrInMinimal, Title: "Package manager in an image that claims to be minimal", Severity: vulndb.SeverityMedium,
			Evidence:    append([]string{claim}, pm...),
			Remediation: "Install packages in a build stage and copy only the results into the final stage.",
		})
	}
	return out
}
