// Package osrelease detects the distribution an image is built on from
// os-release(5) and the distribution-specific release files, and names the
// advisory namespace its OS packages are matched in.
package osrelease

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/customs-scanner/customs/internal/inventory"
)

// Paths of the files Detect reads, in the order it tries them.
const (
	EtcOSRelease    = "etc/os-release"
	UsrLibOSRelease = "usr/lib/os-release"
	AlpineRelease   = "etc/alpine-release"
	DebianVersion   = "etc/debian_version"
)

// maxFileSize bounds how much of a release file is read; real ones are a
// few hundred bytes.
const maxFileSize = 64 << 10

// Wants reports whether path (root-relative, no leading slash) is one of
// the files Detect or ContentSets reads.
func Wants(path string) bool {
	switch path {
	case EtcOSRelease, UsrLibOSRelease, AlpineRelease, DebianVersion,
		CentOSRelease, RedHatRelease, SystemRelease:
		return true
	}
	return isContentManifest(path)
}

// Detect identifies the distribution in fsys. It reads etc/os-release, or
// usr/lib/os-release when the former is absent, then refines the result with
// etc/alpine-release (full Alpine version, e.g. 3.10.4) and, for Debian,
// etc/debian_version (version and codename when os-release lacks them, as on
// testing and sid). Without an os-release, etc/centos-release,
// etc/redhat-release or etc/system-release name rpm distributions (CentOS 6,
// Amazon Linux AMI). When none of the files exist it returns the zero OS and
// no error. fsys resolves symlinks such as etc/os-release ->
// ../usr/lib/os-release.
func Detect(fsys fs.FS) (inventory.OS, error) {
	var osr inventory.OS
	found := false
	for _, p := range []string{EtcOSRelease, UsrLibOSRelease} {
		b, err := readFile(fsys, p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return inventory.OS{}, err
		}
		osr = FromOSRelease(Parse(b))
		found = true
		break
	}

	if !found {
		o, ok, err := detectRelease(fsys)
		if err != nil {
			return inventory.OS{}, err
		}
		if ok {
			osr, found = o, true
		}
	}

	if !found || osr.Family == "alpine" {
		b, err := readFile(fsys, AlpineRelease)
		switch {
		case err == nil:
			if v := firstLine(b); v != "" {
				osr.Family = "alpine"
				osr.Version = v
				found = true
			}
		case !errors.Is(err, fs.ErrNotExist):
			return inventory.OS{}, err
		}
	}

	if !found || osr.Family == "debian" {
		b, err := readFile(fsys, DebianVersion)
		switch {
		case err == nil:
			if dv := firstLine(b); dv != "" {
				osr.Family = "debian"
				applyDebianVersion(&osr, dv)
			}
		case !errors.Is(err, fs.ErrNotExist):
			return inventory.OS{}, err
		}
	}
	return osr, nil
}

func readFile(fsys fs.FS, p string) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", p, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return b, nil
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(s)
}

// FromOSRelease builds an OS from parsed os-release fields: Family is ID in
// lower case, Version is VERSION_ID, Codename is VERSION_CODENAME (or
// UBUNTU_CODENAME, or the first word in parentheses in VERSION, as in
// "12 (bookworm)" or "22.04.5 LTS (Jammy Jellyfish)"), Name is PRETTY_NAME.
func FromOSRelease(kv map[string]string) inventory.OS {
	o := inventory.OS{
		Family:   strings.ToLower(kv["ID"]),
		Version:  kv["VERSION_ID"],
		Codename: kv["VERSION_CODENAME"],
		Name:     kv["PRETTY_NAME"],
	}
	if o.Codename == "" {
		o.Codename = kv["UBUNTU_CODENAME"]
	}
	if o.Codename == "" {
		o.Codename = codenameFromVersion(kv["VERSION"])
	}
	o.Codename = strings.ToLower(o.Codename)
	return o
}

func codenameFromVersion(v string) string {
	_, rest, ok := strings.Cut(v, "(")
	if !ok {
		return ""
	}
	inside, _, ok := strings.Cut(rest, ")")
	if !ok {
		return ""
	}
	f := strings.Fields(inside)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// Parse parses os-release(5) content: KEY=VALUE lines, values optionally in
// double quotes (with \\ escapes for \", \\, \$ and \`) or single quotes.
// Comments, blank lines and malformed lines are skipped.
func Parse(b []byte) map[string]string {
	kv := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			continue
		}
		kv[k] = unquote(v)
	}
	return kv
}

func unquote(v string) string {
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		return v[1 : len(v)-1]
	}
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
		var sb strings.Builder
		for i := 0; i < len(v); i++ {
			if v[i] == '\\' && i+1 < len(v) && strings.IndexByte("\"\\$`", v[i+1]) >= 0 {
				i++
			}
			sb.WriteByte(v[i])
		}
		return sb.String()
	}
	return v
}
