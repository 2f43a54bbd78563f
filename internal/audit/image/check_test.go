package image

import (
	"archive/tar"
	"bytes"
	"io/fs"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	imagesrc "github.com/customs-scanner/customs/internal/image"
	"github.com/customs-scanner/customs/internal/layerfs"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/vulndb"
)

func ids(fs []report.Misconfiguration) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID+" "+f.Severity)
	}
	return out
}

func withConfig(c v1.Config, history ...string) *imagesrc.Metadata {
	cfg := &v1.ConfigFile{Config: c}
	for _, h := range history {
		cfg.History = append(cfg.History, v1.History{CreatedBy: h})
	}
	return &imagesrc.Metadata{Ref: "example.com/app:1", Config: cfg}
}

var healthy = &v1.HealthConfig{Test: []string{"CMD", "/app", "-health"}}

func TestCheckConfig(t *testing.T) {
	tests := []struct {
		name string
		meta *imagesrc.Metadata
		want []string
	}{
		{"clean", withConfig(v1.Config{User: "10001", Healthcheck: healthy}), nil},
		{"no user no healthcheck", withConfig(v1.Config{}), []string{"image.root-user MEDIUM", "image.no-healthcheck LOW"}},
		{"user root with group", withConfig(v1.Config{User: "root:root", Healthcheck: healthy}), []string{"image.root-user MEDIUM"}},
		{"uid 0", withConfig(v1.Config{User: "0", Healthcheck: healthy}), []string{"image.root-user MEDIUM"}},
		{"healthcheck NONE", withConfig(v1.Config{User: "app", Healthcheck: &v1.HealthConfig{Test: []string{"NONE"}}}), []string{"image.no-healthcheck LOW"}},
		{"env secret", withConfig(v1.Config{User: "app", Healthcheck: healthy, Env: []string{"PATH=/bin", "DB_PASSWORD=s3cr3t-Pa55w0rd!"}}),
			[]string{"image.config-secret MEDIUM"}},
		{"history", withConfig(v1.Config{User: "app", Healthcheck: healthy},
			"/bin/sh -c #(nop) ADD https://example.com/tool.tar.gz /opt/ ",
			"ADD https://get.example.com/x /x # buildkit",
			"RUN /bin/sh -c curl -fsSL https://get.example.com/install.sh | sh # buildkit",
			"/bin/sh -c wget -qO- https://x.example/i | sudo -E bash -",
			"/bin/sh -c sh -c \"$(curl -fsSL https://raw.example/install.sh)\"",
			"/bin/sh -c curl -o /tmp/x https://example.com/x && sha256sum -c x.sha256",
			"/bin/sh -c #(nop) COPY file:abc in /app"),
			[]string{"image.add-remote-url MEDIUM", "image.pipe-to-shell MEDIUM"}},
		{"ports", withConfig(v1.Config{User: "app", Healthcheck: healthy, ExposedPorts: map[string]struct{}{"8080/tcp": {}, "22/tcp": {}, "2375/tcp": {}, "6379/tcp": {}, "53/udp": {}}}),
			[]string{"image.sensitive-port HIGH", "image.sensitive-port MEDIUM", "image.sensitive-port LOW"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Check(tt.meta, nil, nil)
			if diff := cmp.Diff(tt.want, ids(got)); diff != "" {
				t.Errorf("Check (-want +got):\n%s\n%+v", diff, got)
			}
		})
	}
}

func TestCheckConfigEvidence(t *testing.T) {
	got := Check(withConfig(v1.Config{User: "app", Healthcheck: healthy},
		"/bin/sh -c #(nop) ADD https://example.com/tool.tar.gz /opt/ ",
		"/bin/sh -c curl -fsSL https://get.example.com/install.sh | sh"), nil, nil)
	want := []report.Misconfiguration{
		{ID: IDAddRemoteURL, Title: "ADD fetches a remote URL", Severity: vulndb.SeverityMedium, Evidence: []string{"History[0]: ADD https://example.com/tool.tar.gz"}},
		{ID: IDPipeToShell, Title: "Downloaded script piped into a shell", Severity: vulndb.SeverityMedium, Evidence: []string{"History[1]: curl -fsSL https://get.example.com/install.sh | sh"}},
	}
	if diff := cmp.Diff(want, got, cmpIgnoreRemediation); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

var cmpIgnoreRemediation = cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Remediation" }, cmp.Ignore())

type tarEntry struct {
	name     string
	mode     int64
	typ      byte
	link     string
	size     int
	uid, gid int
}

// layerTar writes the entries as a layer tar; a regular file's body is
// files[name], else size zero bytes.
func layerTar(t *testing.T, entries []tarEntry, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		body := files[e.name]
		if body == "" && typ == tar.TypeReg {
			body = string(make([]byte, e.size))
		}
		h := &tar.Header{Name: e.name, Mode: e.mode, Typeflag: typ, Linkname: e.link, Uid: e.uid, Gid: e.gid}
		if typ == tar.TypeReg {
			h.Size = int64(len(body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write([]byte(body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// analyse builds a layer tar and reads it the way the scan does.
func analyse(t *testing.T, entries []tarEntry, files map[string]string) *layerfs.Layer {
	t.Helper()
	l, err := layerfs.Analyze(t.Context(), bytes.NewReader(layerTar(t, entries, files)), layerfs.Options{Wants: func(p string, _ fs.FileMode) bool { return p == "etc/os-release" }})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

const dir = tar.TypeDir

func TestCheckFS(t *testing.T) {
	l := analyse(t, []tarEntry{
		{name: "etc/os-release", mode: 0o644},
		{name: "var/lib/dpkg/status", mode: 0o644},
		{name: "tmp/", mode: 0o1777, typ: dir},
		{name: "tmp/x", mode: 0o666},
		{name: "var/tmp/", mode: 0o1777, typ: dir},
		{name: "run/shared/", mode: 0o1777, typ: dir},
		{name: "app/uploads/", mode: 0o777, typ: dir},
		{name: "app/app.log", mode: 0o666},
		{name: "app/link", mode: 0o777, typ: tar.TypeSymlink, link: "app.log"},
		{name: "usr/bin/passwd", mode: 0o4755, size: 10},
		{name: "usr/bin/wall", mode: 0o2755, gid: 5, size: 10},
		{name: "usr/local/bin/helper", mode: 0o6755, size: 10},
		{name: "var/cache/apt/archives/curl_8.0_amd64.deb", mode: 0o644, size: 300},
		{name: "var/cache/apt/archives/lock", mode: 0o640},
		{name: "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease", mode: 0o644, size: 100},
		{name: "var/lib/apt/lists/lock", mode: 0o640},
		{name: "root/.cache/pip/http/a/b", mode: 0o644, size: 20},
		{name: "root/.npmrc", mode: 0o600, size: 5},
		{name: "home/dev/.docker/config.json", mode: 0o600, size: 5},
		{name: "app/config.json", mode: 0o644, size: 5},
		{name: "etc/pip.conf", mode: 0o644, size: 5},
		{name: "root/.git-credentials", mode: 0o600, size: 5},
	}, map[string]string{"etc/os-release": "ID=debian\n"})
	fsys := layerfs.Merge([]*layerfs.Layer{l})
	got := Check(withConfig(v1.Config{User: "app", Healthcheck: healthy}), fsys, nil)
	want := []report.Misconfiguration{
		{ID: IDCredentialFile, Title: "Credential or registry configuration files in the image", Severity: vulndb.SeverityMedium,
			Evidence: []string{"etc/pip.conf", "home/dev/.docker/config.json", "root/.git-credentials", "root/.npmrc"}},
		{ID: IDSetuidUnexpected, Title: "Unexpected setuid/setgid files", Severity: vulndb.SeverityMedium,
			Evidence: []string{"usr/local/bin/helper (setuid+setgid, owner 0:0, mode ugrwxr-xr-x)"}},
		{ID: IDWorldWritable, Title: "World-writable files or directories", Severity: vulndb.SeverityMedium,
			Evidence: []string{"app/app.log (-rw-rw-rw-)", "app/uploads (drwxrwxrwx)"}},
		{ID: IDPackageCache, Title: "Package manager caches left in the image", Severity: vulndb.SeverityLow,
			Evidence: []string{"root/.cache/pip: 1 files, 20 bytes", "var/cache/apt/archives: 1 files, 300 bytes", "var/lib/apt/lists: 1 files, 100 bytes"}},
		{ID: IDSetuidKnown, Title: "Distribution setuid/setgid programs", Severity: vulndb.SeverityLow,
			Evidence: []string{"usr/bin/passwd (setuid, owner 0:0, mode urwxr-xr-x)", "usr/bin/wall (setgid, owner 0:5, mode grwxr-xr-x)"}},
	}
	if diff := cmp.Diff(want, got, cmpIgnoreRemediation); diff != "" {
		t.Errorf("Check (-want +got):\n%s", diff)
	}
}

func TestMinimalAndFacts(t *testing.T) {
	busybox := []tarEntry{
		{name: "bin/busybox", mode: 0o755, size: 10},
		{name: "bin/sh", typ: tar.TypeSymlink, link: "/bin/busybox", mode: 0o777},
	}
	debian := []tarEntry{
		{name: "etc/os-release", mode: 0o644},
		{name: "var/lib/dpkg/status", mode: 0o644},
		{name: "usr/bin/apt-get", mode: 0o755, size: 1},
		{name: "usr/bin/docker", mode: 0o755, size: 1},
		{name: "bin", typ: tar.TypeSymlink, link: "usr/bin", mode: 0o777},
		{name: "usr/bin/bash", mode: 0o755, size: 1},
	}
	distroless := []tarEntry{
		{name: "etc/os-release", mode: 0o644},
		{name: "var/lib/dpkg/status.d/base", mode: 0o644},
		{name: "busybox/sh", mode: 0o755, size: 1},
	}
	tests := []struct {
		name    string
		ref     string
		labels  map[string]string
		entries []tarEntry
		osrel   string
		want    []string
		facts   report.ImageFacts
	}{
		{"debian is not minimal", "debian:12", nil, debian, "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n", nil,
			report.ImageFacts{User: "app", HasShell: true, HasPackageManager: true, HasDockerCLI: true}},
		{"scratch with busybox", "example.com/tool:1", nil, busybox, "",
			[]string{"image.shell-in-minimal MEDIUM"}, report.ImageFacts{User: "app", HasShell: true}},
		{"distroless debug by os-release", "example.com/app:1", nil, distroless, "PRETTY_NAME=\"Distroless\"\n",
			[]string{"image.shell-in-minimal MEDIUM"}, report.ImageFacts{User: "app", HasShell: true}},
		{"distroless by name, apt inside", "gcr.io/distroless/base-debian12:debug", nil, debian, "ID=debian\n",
			[]string{"image.package-manager-in-minimal MEDIUM", "image.shell-in-minimal MEDIUM"},
			report.ImageFacts{User: "app", HasShell: true, HasPackageManager: true, HasDockerCLI: true}},
		{"distroless by label", "example.com/app:1", map[string]string{"org.opencontainers.image.base.name": "gcr.io/distroless/static"}, busybox, "ID=x\n",
			[]string{"image.shell-in-minimal MEDIUM"}, report.ImageFacts{User: "app", HasShell: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{}
			if tt.osrel != "" {
				files["etc/os-release"] = tt.osrel
			}
			fsys := layerfs.Merge([]*layerfs.Layer{analyse(t, tt.entries, files)})
			meta := withConfig(v1.Config{User: "app", Healthcheck: healthy, Labels: tt.labels})
			meta.Ref = tt.ref
			if diff := cmp.Diff(tt.want, ids(Check(meta, fsys, nil))); diff != "" {
				t.Errorf("Check (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.facts, Facts(meta, fsys)); diff != "" {
				t.Errorf("Facts (-want +got):\n%s", diff)
			}
		})
	}
	if f := Facts(withConfig(v1.Config{}), nil); !f.RunsAsRoot {
		t.Errorf("Facts with no USER: RunsAsRoot false")
	}
}
