package store

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestHostOf(t *testing.T) {
	const id = "4c4c4544004e3610804cb8c04f4e3132"
	tests := []struct {
		name     string
		files    fstest.MapFS
		hostname string
		want     Host
		err      string
	}{
		{"systemd", fstest.MapFS{"etc/machine-id": {Data: []byte(id + "\n")}, "etc/hostname": {Data: []byte("db-1\n")}}, "", Host{id, "db-1"}, ""},
		{"given name", fstest.MapFS{"etc/machine-id": {Data: []byte(id + "\n")}, "etc/hostname": {Data: []byte("db-1\n")}}, "db-1.example", Host{id, "db-1.example"}, ""},
		{"dbus", fstest.MapFS{"etc/machine-id": {Data: []byte("\n")}, "var/lib/dbus/machine-id": {Data: []byte(id)}}, "", Host{id, ""}, ""},
		{"uninitialized", fstest.MapFS{"etc/machine-id": {Data: []byte("uninitialized\n")}}, "", Host{}, "no machine-id"},
		{"image", fstest.MapFS{"etc/os-release": {Data: []byte("ID=alpine\n")}}, "", Host{}, "no machine-id"},
		{"garbage", fstest.MapFS{"etc/machine-id": {Data: []byte("not-an-id")}}, "", Host{}, "not 32 lower-case hex digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := HostOf(tt.files, tt.hostname)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("HostOf: %v, %v; want an error with %q", got, err, tt.err)
				}
				return
			}
			if err != nil || *got != tt.want {
				t.Errorf("HostOf = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
