package drift

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// Kinds of drift, each with a default severity (Severities); a report's
// items carry one each. Docs: docs/drift.md.
const (
	// KindFileAdded, KindFileChanged and KindFileDeleted: a file the
	// other kinds say nothing more about.
	KindFileAdded   = "file-added"
	KindFileChanged = "file-changed"
	KindFileDeleted = "file-deleted"
	// KindExecutable: a new ELF file, script with a shebang, or a file
	// made executable.
	KindExecutable = "executable"
	// KindIntegrity: a file a package installed whose content no longer
	// matches what the package manager recorded (or which is gone).
	KindIntegrity = "integrity"
	// KindSensitive: accounts, privileges, scheduled jobs, services,
	// SSH keys.
	KindSensitive = "sensitive-path"
	// KindPreload: /etc/ld.so.preload, which loads a library into every
	// dynamically linked process.
	KindPreload = "preload"
	// KindPackageAdded, KindPackageRemoved, KindPackageChanged: packages
	// installed, removed or upgraded (or downgraded) at run time.
	KindPackageAdded   = "package-added"
	KindPackageRemoved = "package-removed"
	KindPackageChanged = "package-changed"
	// KindVulnerability: a finding of the container's inventory the image
	// does not have; its severity is the finding's.
	KindVulnerability = "vulnerability"
	// KindSecret: a secret in a file the container wrote; its severity is
	// the secret rule's.
	KindSecret = "secret"
)

// DefaultSeverities are the severities of the kinds of drift
// (vulnerabilities and secrets keep their own).
func DefaultSeverities() map[string]string {
	return map[string]string{
		KindFileAdded:      "NEGLIGIBLE",
		KindFileChanged:    "LOW",
		KindFileDeleted:    "LOW",
		KindExecutable:     "HIGH",
		KindIntegrity:      "HIGH",
		KindSensitive:      "HIGH",
		KindPreload:        "CRITICAL",
		KindPackageAdded:   "MEDIUM",
		KindPackageRemoved: "LOW",
		KindPackageChanged: "MEDIUM",
	}
}

// severityNames are the severities a kind may be given, the gate's scale.
var severityNames = []string{"UNKNOWN", "NEGLIGIBLE", "LOW", "MEDIUM", "HIGH", "CRITICAL"}

// severityRank orders severityNames.
func severityRank(s string) int { return slices.Index(severityNames, strings.ToUpper(s)) }

// CheckSeverities checks a kind: severity map given by a user.
func CheckSeverities(m map[string]string) error {
	def := DefaultSeverities()
	for k, v := range m {
		if _, ok := def[k]; !ok {
			kinds := make([]string, 0, len(def))
			for k := range def {
				kinds = append(kinds, k)
			}
			slices.Sort(kinds)
			return fmt.Errorf("unknown kind of drift %q; want one of %s", k, strings.Join(kinds, ", "))
		}
		if severityRank(v) < 0 {
			return fmt.Errorf("kind %s: unknown severity %q; want one of %s", k, v, strings.ToLower(strings.Join(severityNames, ", ")))
		}
	}
	return nil
}

// DefaultIgnore are the paths a container writes as it runs, whose changes
// say nothing, and the package databases, whose changes the package drift
// says. An ignored path is not reported, but still read: the inventory of
// the container sees it. Patterns are glob patterns (path.Match) on the
// root-relative path or one of its parent directories, or with a wildcard
// and no slash on the base name; listed in docs/drift.md.
func DefaultIgnore() []string {
	return []string{
		"proc", "sys", "dev", "run", "var/run", "tmp", "var/tmp",
		"var/log", "var/cache",
		"var/lib/apt/lists", "var/lib/dpkg/lock*", "var/lib/dpkg/triggers/Lock", "var/lib/dpkg/*-old",
		// The package databases: their changes are the packages'.
		"var/lib/dpkg/status", "var/lib/dpkg/available", "var/lib/dpkg/info", "var/lib/dpkg/updates",
		"lib/apk/db", "var/lib/rpm", "usr/lib/sysimage/rpm",
		"*.pid",
		"etc/hostname", "etc/hosts", "etc/resolv.conf", "etc/mtab", ".dockerenv",
	}
}

// ignorer matches paths against ignore patterns.
type ignorer []string

// CheckIgnore checks an ignore pattern.
func CheckIgnore(p string) error {
	if _, err := path.Match(strings.TrimPrefix(p, "/"), ""); err != nil {
		return fmt.Errorf("ignore pattern %q: %w", p, err)
	}
	return nil
}

func newIgnorer(patterns []string) ignorer {
	out := make(ignorer, 0, len(patterns))
	for _, p := range patterns {
		p = strings.Trim(p, "/")
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ignored reports whether p (root-relative) or one of its parents matches
// a pattern. A pattern with a wildcard and no slash ("*.pid") matches the
// base name of p at any depth; any other pattern matches from the root.
func (ig ignorer) ignored(p string) bool {
	for _, pat := range ig {
		if !strings.Contains(pat, "/") && strings.ContainsAny(pat, "*?[") {
			if ok, _ := path.Match(pat, path.Base(p)); ok {
				return true
			}
			continue
		}
		for q := p; q != "." && q != "" && q != "/"; q = path.Dir(q) {
			if ok, _ := path.Match(pat, q); ok {
				return true
			}
		}
	}
	return false
}

// sensitive returns the kind of drift and a reason when p is a path
// attackers change to keep or widen access, else "".
func sensitive(p string) (kind, why string) {
	base := path.Base(p)
	switch {
	case p == "etc/ld.so.preload":
		return KindPreload, "loads a library into every dynamically linked process"
	case p == "etc/passwd" || p == "etc/group":
		return KindSensitive, "accounts"
	case p == "etc/shadow" || p == "etc/gshadow":
		return KindSensitive, "passwords"
	case p == "etc/sudoers" || strings.HasPrefix(p, "etc/sudoers.d/") || p == "etc/sudoers.d":
		return KindSensitive, "sudo rights"
	case p == "etc/crontab" || strings.HasPrefix(p, "etc/cron.") || strings.HasPrefix(p, "var/spool/cron/"):
		return KindSensitive, "scheduled jobs"
	case base == "authorized_keys" || base == "authorized_keys2":
		return KindSensitive, "SSH keys that may log in"
	case strings.HasPrefix(p, "etc/systemd/system/") || strings.HasPrefix(p, "usr/lib/systemd/system/") ||
		strings.HasPrefix(p, "lib/systemd/system/") || strings.HasPrefix(p, "etc/init.d/"):
		return KindSensitive, "services started at boot"
	case p == "etc/ld.so.conf" || strings.HasPrefix(p, "etc/ld.so.conf.d/"):
		return KindSensitive, "library search path"
	case strings.HasPrefix(p, "etc/pam.d/") || strings.HasPrefix(p, "etc/security/"):
		return KindSensitive, "authentication"
	case p == "etc/ssh/sshd_config" || strings.HasPrefix(p, "etc/ssh/sshd_config.d/"):
		return KindSensitive, "SSH server"
	}
	return "", ""
}
