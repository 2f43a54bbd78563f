package image

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// mountinfoSample is /proc/self/mountinfo of a developer's machine (proc(5)
// format): proc, sysfs and cgroups, a tmpfs /run, Docker's data root on a
// disk of its own with one running container's overlay, a WSL-style 9p
// drive, an NFS home, and a mount point with a space (escaped \040).
const mountinfoSample = `22 27 0:21 / /proc rw,relatime - proc proc rw
23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=12334792k,nr_inodes=3083698,mode=755
25 24 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24683784k
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
28 27 0:25 / /run rw,nosuid,nodev shared:5 - tmpfs tmpfs rw,size=3290740k,mode=755
31 23 0:28 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw
40 27 254:16 / /var/lib/docker rw,relatime - ext4 /dev/vdb rw
41 40 0:44 / /var/lib/docker/overlay2/3f1c/merged rw,relatime - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/AB:/var/lib/docker/overlay2/l/CD
42 27 0:45 / /mnt/c rw,noatime - 9p drvfs rw,aname=drvfs;path=C:\;uid=1000
43 27 0:46 / /home/ann rw,relatime - nfs4 fs1:/home/ann rw,vers=4.2
44 27 7:1 / /snap/core22/1380 ro,nodev,relatime - squashfs /dev/loop1 ro
45 27 0:47 / /media/My\040Disk rw - tmpfs tmpfs rw
not a mountinfo line
`

func TestMountSkips(t *testing.T) {
	got := mountSkips(strings.NewReader(mountinfoSample), "/")
	want := []Skip{
		{"proc", "kernel pseudo-filesystem (proc)", true},
		{"sys", "kernel pseudo-filesystem (sysfs)", true},
		{"dev", "kernel pseudo-filesystem (devtmpfs)", true},
		{"dev/shm", "memory-backed runtime state (tmpfs)", true},
		{"run", "memory-backed runtime state (tmpfs)", true},
		{"sys/fs/cgroup/unified", "kernel pseudo-filesystem (cgroup2)", true},
		// var/lib/docker is ext4: walked unless DefaultSkips names it.
		{"var/lib/docker/overlay2/3f1c/merged", "container filesystem (overlay)", true},
		{"mnt/c", "network or host-shared filesystem (9p)", true},
		{"home/ann", "network or host-shared filesystem (nfs4)", true},
		// squashfs snaps hold installed software: walked.
		{"media/My Disk", "memory-backed runtime state (tmpfs)", true},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("root / (-want +got):\n%s", d)
	}
	// Below another root only its own mount points count, and the root
	// itself is walked whatever its type.
	got = mountSkips(strings.NewReader(mountinfoSample), "/home/ann")
	if len(got) != 0 {
		t.Errorf("root /home/ann: %v, want nothing skipped", got)
	}
	got = mountSkips(strings.NewReader(mountinfoSample), "/var/lib/docker")
	if d := cmp.Diff([]Skip{{"overlay2/3f1c/merged", "container filesystem (overlay)", true}}, got); d != "" {
		t.Errorf("root /var/lib/docker (-want +got):\n%s", d)
	}
}

func TestDirSkips(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		walkAll bool
		want    bool
	}{{false, true}, {true, false}} {
		src, err := Open(t.Context(), "dir:"+dir, Options{WalkAll: tc.walkAll})
		if err != nil {
			t.Fatal(err)
		}
		m, _ := readSource(t, src)
		var patterns []string
		for _, s := range m.Skip {
			patterns = append(patterns, s.Pattern)
		}
		if got := slices.Contains(patterns, "var/lib/docker") && slices.Contains(patterns, "**/go/pkg/mod"); got != tc.want {
			t.Errorf("WalkAll %v: skips %v, want the defaults %v", tc.walkAll, patterns, tc.want)
		}
	}
}
