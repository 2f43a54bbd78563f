package osrelease

import (
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/customs-scanner/customs/internal/inventory"
)

func TestDetectRPMDistros(t *testing.T) {
	runDetect(t, []detectCase{
		{
			name:    "ubi9",
			fsys:    fstest.MapFS{"etc/os-release": fixture(t, "rhel-9.4.os-release"), RedHatRelease: {Data: []byte("Red Hat Enterprise Linux release 9.4 (Plow)\n")}},
			want:    inventory.OS{Family: "rhel", Version: "9.4", Codename: "plow", Name: "Red Hat Enterprise Linux 9.4 (Plow)"},
			wantEco: "redhat:9",
		},
		{
			name:    "centos 7",
			fsys:    fstest.MapFS{"etc/os-release": fixture(t, "centos-7.os-release")},
			want:    inventory.OS{Family: "centos", Version: "7", Codename: "core", Name: "CentOS Linux 7 (Core)"},
			wantEco: "redhat:7",
		},
		{
			name:    "rocky 9.3",
			fsys:    fstest.MapFS{"etc/os-release": fixture(t, "rocky-9.3.os-release")},
			want:    inventory.OS{Family: "rocky", Version: "9.3", Codename: "blue", Name: "Rocky Linux 9.3 (Blue Onyx)"},
			wantEco: "rocky:9",
		},
		{
			name:    "almalinux 9.3",
			fsys:    fstest.MapFS{"etc/os-release": fixture(t, "almalinux-9.3.os-release")},
			want:    inventory.OS{Family: "almalinux", Version: "9.3", Codename: "shamrock", Name: "AlmaLinux 9.3 (Shamrock Pampas Cat)"},
			wantEco: "almalinux:9",
		},
		{
			name:    "fedora 39",
			fsys:    fstest.MapFS{"etc/os-release": fixture(t, "fedora-39.os-release")},
			want:    inventory.OS{Family: "fedora", Version: "39", Codename: "container", Name: "Fedora Linux 39 (Container Image)"},
			wantEco: "fedora:39",
		},
		{
			name:    "amazon linux 2023",
			fsys:    fstest.MapFS{"etc/os-release": fixture(t, "amzn-2023.os-release"), SystemRelease: {Data: []byte("Amazon Linux release 2023.3.20240131 (Amazon Linux)\n")}},
			want:    inventory.OS{Family: "amzn", Version: "2023", Name: "Amazon Linux 2023.3.20240131"},
			wantEco: "amzn:2023",
		},
		{
			name:    "amazon linux 2",
			fsys:    fstest.MapFS{"etc/os-release": fixture(t, "amzn-2.os-release")},
			want:    inventory.OS{Family: "amzn", Version: "2", Name: "Amazon Linux 2"},
			wantEco: "amzn:2",
		},
		{
			name:    "sles 15 sp5",
			fsys:    fstest.MapFS{"etc/os-release": fixture(t, "sles-15.5.os-release")},
			want:    inventory.OS{Family: "sles", Version: "15.5", Name: "SUSE Linux Enterprise Server 15 SP5"},
			wantEco: "sles:15.5",
		},
		{
			name:    "opensuse leap 15.5",
			fsys:    fstest.MapFS{"usr/lib/os-release": fixture(t, "opensuse-leap-15.5.os-release")},
			want:    inventory.OS{Family: "opensuse-leap", Version: "15.5", Name: "openSUSE Leap 15.5"},
			wantEco: "opensuse-leap:15.5",
		},
		{
			name:    "oracle linux 9.3",
			fsys:    fstest.MapFS{"etc/os-release": fixture(t, "ol-9.3.os-release")},
			want:    inventory.OS{Family: "ol", Version: "9.3", Name: "Oracle Linux Server 9.3"},
			wantEco: "ol:9.3",
		},
		{
			name:    "cbl-mariner 2.0",
			fsys:    fstest.MapFS{"etc/os-release": fixture(t, "mariner-2.0.os-release")},
			want:    inventory.OS{Family: "mariner", Version: "2.0", Name: "CBL-Mariner/Linux"},
			wantEco: "mariner:2.0",
		},
		{
			name:    "azure linux 3.0",
			fsys:    fstest.MapFS{"etc/os-release": fixture(t, "azurelinux-3.0.os-release")},
			want:    inventory.OS{Family: "azurelinux", Version: "3.0", Name: "Microsoft Azure Linux 3.0"},
			wantEco: "azurelinux:3.0",
		},
		{
			name:    "photon 5.0",
			fsys:    fstest.MapFS{"etc/os-release": fixture(t, "photon-5.0.os-release")},
			want:    inventory.OS{Family: "photon", Version: "5.0", Name: "VMware Photon OS/Linux"},
			wantEco: "photon:5.0",
		},
		{
			name: "centos 6: centos-release, no os-release",
			fsys: fstest.MapFS{
				CentOSRelease: {Data: []byte("CentOS release 6.10 (Final)\n")},
				RedHatRelease: {Data: []byte("centos-release"), Mode: fs.ModeSymlink | 0o777},
			},
			want:    inventory.OS{Family: "centos", Version: "6.10", Name: "CentOS release 6.10 (Final)"},
			wantEco: "redhat:6",
		},
		{
			name:    "rhel 7 redhat-release only",
			fsys:    fstest.MapFS{RedHatRelease: {Data: []byte("Red Hat Enterprise Linux Server release 7.9 (Maipo)\n")}},
			want:    inventory.OS{Family: "rhel", Version: "7.9", Name: "Red Hat Enterprise Linux Server release 7.9 (Maipo)"},
			wantEco: "redhat:7",
		},
		{
			name:    "amazon linux ami system-release only",
			fsys:    fstest.MapFS{SystemRelease: {Data: []byte("Amazon Linux AMI release 2018.03\n")}},
			want:    inventory.OS{Family: "amzn", Version: "2018.03", Name: "Amazon Linux AMI release 2018.03"},
			wantEco: "amzn:2018.03",
		},
		{
			name:    "unknown release file",
			fsys:    fstest.MapFS{SystemRelease: {Data: []byte("Something else 1.0\n")}},
			want:    inventory.OS{},
			wantEco: "",
		},
		{
			name:    "rhel without a numeric version",
			fsys:    fstest.MapFS{"etc/os-release": {Data: []byte("ID=rhel\nVERSION_ID=rawhide\n")}},
			want:    inventory.OS{Family: "rhel", Version: "rawhide"},
			wantEco: "",
		},
	})
}

func TestWantsReleaseFiles(t *testing.T) {
	for _, p := range []string{CentOSRelease, RedHatRelease, SystemRelease} {
		if !Wants(p) {
			t.Errorf("Wants(%q) = false", p)
		}
	}
}

func FuzzParseReleaseFile(f *testing.F) {
	for _, s := range []string{"CentOS release 6.10 (Final)", "Red Hat Enterprise Linux Server release 7.9 (Maipo)", "Amazon Linux AMI release 2018.03", "Fedora release", "AlmaLinux release 9.x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		o, ok := ParseReleaseFile(line)
		if !ok && o != (inventory.OS{}) {
			t.Fatalf("ParseReleaseFile(%q) = %+v, false", line, o)
		}
		_ = Ecosystem(o)
	})
}
