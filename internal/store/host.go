package store

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// machineIDFiles are where a root keeps its machine-id (machine-id(5));
// D-Bus's copy serves systems without systemd's.
var machineIDFiles = []string{"etc/machine-id", "var/lib/dbus/machine-id"}

// HostOf identifies the host whose root filesystem is root (for `scan
// dir:/`): its machine-id, and hostname, else the root's etc/hostname.
// A root with no machine-id (a container image, a fresh chroot) is not a
// host the store can tell apart from others: that is an error.
func HostOf(root fs.FS, hostname string) (*Host, error) {
	var id string
	for _, name := range machineIDFiles {
		b, err := fs.ReadFile(root, name)
		if err != nil {
			continue
		}
		if v := strings.TrimSpace(string(b)); v != "" && v != "uninitialized" {
			id = v
			break
		}
	}
	if id == "" {
		return nil, errors.New("identify the host: no machine-id in /etc/machine-id or /var/lib/dbus/machine-id (run systemd-machine-id-setup, or scan it as an image)")
	}
	if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
		return nil, fmt.Errorf("identify the host: machine-id %q is not 32 lower-case hex digits", id)
	}
	if hostname == "" {
		if b, err := fs.ReadFile(root, "etc/hostname"); err == nil {
			hostname = strings.TrimSpace(string(b))
		}
	}
	return &Host{MachineID: id, Hostname: hostname}, nil
}
