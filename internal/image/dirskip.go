package image

import (
	"bufio"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Skip is a part of an unpacked root filesystem that a scan passes over,
// and why: runtime storage, caches and pseudo-filesystems are not the
// software installed on the machine, and walking them costs minutes
// (Docker's storage alone holds every image's files) and reports packages
// and secrets of things that are not installed.
type Skip struct {
	// Pattern is a directory glob relative to the root, in the syntax of
	// layerfs.SkipRule ("**" spans directories); with Exact, a path taken
	// as it is (a mount point may hold glob characters).
	Pattern string
	Reason  string
	Exact   bool
}

// Reasons of the default skips.
const (
	reasonRuntime = "container runtime storage"
	reasonState   = "runtime state, not installed software"
	reasonCache   = "package or build cache, not installed software"
	reasonVCS     = "version control metadata, not installed software"
)

// DefaultSkips are the directories of a dir: or rootfs: target that a scan
// passes over unless Options.WalkAll is set. Each is anchored at the
// target's root unless it starts with "**/". docs/skips.md lists them.
var DefaultSkips = slices.Concat(
	skips(reasonState, "proc", "sys", "dev", "run", "var/run", "var/lock"),
	skips(reasonRuntime,
		"var/lib/docker",
		"var/lib/containerd",
		"var/lib/containers", // podman, buildah, CRI-O
		"var/lib/kubelet",
		"var/lib/rancher", // k3s and RKE2 keep containerd here
		"var/lib/buildkit",
		"var/lib/lxc",
		"var/lib/lxd",
		"var/lib/incus",
		"var/snap/docker/common/var-lib-docker",
		"var/snap/lxd",
		"**/.local/share/containers", // rootless podman
		"**/.local/share/docker",     // rootless Docker
	),
	skips(reasonCache,
		"var/cache",
		"**/.cache", // XDG cache dirs: pip, go-build, yarn v1, composer, ...
		"**/go/pkg/mod",
		"**/.npm",
		"**/.pnpm-store",
		"**/.yarn/berry/cache",
		"**/.bun/install/cache",
		"**/.cargo/registry",
		"**/.cargo/git",
		"**/.m2/repository",
		"**/.gradle/caches",
		"**/.nuget/packages",
	),
	// A checkout's objects are compressed; nothing in them can be read
	// as a package or a secret.
	skips(reasonVCS, "**/.git"),
)

func skips(reason string, patterns ...string) []Skip {
	out := make([]Skip, len(patterns))
	for i, p := range patterns {
		out[i] = Skip{Pattern: p, Reason: reason}
	}
	return out
}

// mountKinds names the file system types whose mount points below the
// root a scan never enters, by what they hold. Everything else (ext4,
// xfs, btrfs, squashfs of snaps, ...) is walked like the root.
var mountKinds = byType(map[string][]string{
	"kernel pseudo-filesystem":          {"proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "securityfs", "debugfs", "tracefs", "pstore", "bpf", "configfs", "fusectl", "mqueue", "hugetlbfs", "autofs", "binfmt_misc", "efivarfs", "nsfs", "rpc_pipefs", "nfsd", "selinuxfs"},
	"memory-backed runtime state":       {"tmpfs", "ramfs"},
	"container filesystem":              {"overlay", "aufs", "shiftfs", "fuse.fuse-overlayfs"},
	"network or host-shared filesystem": {"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "virtiofs", "fuse.sshfs", "fuse.rclone", "ceph", "glusterfs", "afs", "davfs"},
})

func byType(kinds map[string][]string) map[string]string {
	m := map[string]string{}
	for kind, types := range kinds {
		for _, t := range types {
			m[t] = kind
		}
	}
	return m
}

// mountSkips reads a mountinfo table (proc(5), /proc/self/mountinfo) and
// returns a skip for each mount point strictly below root whose file system
// type is in mountKinds. The root itself is walked whatever it is.
func mountSkips(r io.Reader, root string) []Skip {
	var out []Skip
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		// 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw
		before, after, ok := strings.Cut(sc.Text(), " - ")
		fields, tail := strings.Fields(before), strings.Fields(after)
		if !ok || len(fields) < 5 || len(tail) < 1 {
			continue
		}
		kind, ok := mountKinds[tail[0]]
		if !ok {
			continue
		}
		rel, err := filepath.Rel(root, unescapeMount(fields[4]))
		if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
			continue
		}
		out = append(out, Skip{Pattern: filepath.ToSlash(rel), Reason: kind + " (" + tail[0] + ")", Exact: true})
	}
	return out
}

// unescapeMount undoes mountinfo's octal escapes of space, tab, newline
// and backslash ("\040").
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
