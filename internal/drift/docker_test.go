package drift

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/dockerengine"
	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/shareddata"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/store/sqlite"
	"github.com/customs-scanner/customs/internal/target"
)

// needDocker skips the test when no Docker Engine answers or there is no
// docker CLI to change containers with.
func needDocker(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		shareddata.Missing(t, "no docker CLI in PATH: skipping the Docker Engine test")
	}
	c, err := dockerengine.New("")
	if err != nil {
		shareddata.Missing(t, "no Docker Engine: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	resp, err := c.Get(ctx, "/_ping")
	if err != nil {
		shareddata.Missing(t, "no Docker Engine answers at %s (%v): skipping the Docker Engine test", c.Host, err)
	}
	resp.Body.Close()
}

// docker runs the docker CLI and returns its trimmed stdout.
func docker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "docker", args...).Output()
	if err != nil {
		var stderr []byte
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			stderr = ee.Stderr
		}
		t.Fatalf("docker %s: %v: %s", strings.Join(args, " "), err, stderr)
	}
	return strings.TrimSpace(string(out))
}

func randomName(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, 5)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// importRoot imports a slice of the debootstrap root filesystem (without
// documentation, locales and caches) as an image, removed at the end.
func importRoot(t *testing.T) string {
	t.Helper()
	root := shareddata.DebootstrapRoot(t)
	name := randomName(t, "customs-drift-test:")
	tarCmd := exec.CommandContext(t.Context(), "tar", "-C", root, "-c",
		"--exclude=./usr/share/doc", "--exclude=./usr/share/man", "--exclude=./usr/share/locale",
		"--exclude=./usr/share/info", "--exclude=./usr/share/zoneinfo", "--exclude=./var/cache",
		"--exclude=./var/lib/apt/lists", "--exclude=./proc", "--exclude=./sys", "--exclude=./dev", ".")
	imp := exec.CommandContext(t.Context(), "docker", "import", "-", name)
	pipe, err := tarCmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	imp.Stdin = pipe
	if err := tarCmd.Start(); err != nil {
		t.Fatal(err)
	}
	out, err := imp.CombinedOutput()
	if werr := tarCmd.Wait(); err == nil && werr != nil {
		err = werr
	}
	if err != nil {
		t.Fatalf("docker import of %s: %v: %s", root, err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", name).Run() })
	return name
}

// run starts a container of image that sleeps, removed at the end.
func run(t *testing.T, image string) string {
	t.Helper()
	name := randomName(t, "customs-drift-")
	docker(t, "run", "-d", "--name", name, image, "sleep", "3600")
	t.Cleanup(func() { exec.Command("docker", "rm", "-f", name).Run() })
	return name
}

func testOptions(t *testing.T, cache string) Options {
	return Options{Scan: scan.Options{CacheDir: cache, Secrets: true, Version: "test"}}
}

func one(t *testing.T, ref string, opts Options) *Report {
	t.Helper()
	rs, errs, err := Containers(t.Context(), ref, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) > 0 || len(rs) != 1 {
		t.Fatalf("Containers(%s) = %d reports, errors %v; want one", ref, len(rs), errs)
	}
	return rs[0]
}

// item returns the drift item of kind about subject.
func item(r *Report, kind, subject string) (Item, bool) {
	for _, it := range r.Drift {
		if it.Kind == kind && it.Subject == subject {
			return it, true
		}
	}
	return Item{}, false
}

func file(r *Report, p string) (File, bool) {
	for _, f := range r.Files {
		if f.Path == p {
			return f, true
		}
	}
	return File{}, false
}

// TestDriftDockerEngine changes a container of a Debian image built here
// with docker exec and docker cp, stops it, and checks that each change
// is reported with its kind and severity, and that an untouched container
// of the same image reports no drift.
func TestDriftDockerEngine(t *testing.T) {
	needDocker(t)
	img := importRoot(t)
	cache := t.TempDir()
	opts := testOptions(t, cache)

	clean := run(t, img)
	changed := run(t, img)

	dropped := filepath.Join(t.TempDir(), "dropper")
	bin, err := os.ReadFile(filepath.Join(shareddata.DebootstrapRoot(t), "usr", "bin", "true"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dropped, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	preload := filepath.Join(t.TempDir(), "ld.so.preload")
	if err := os.WriteFile(preload, []byte("/usr/lib/libdrift.so\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	deb, err := filepath.Abs(filepath.Join("..", "..", "testdata", "debs", "age_1.1.1-1+b3_amd64.deb"))
	if err != nil {
		t.Fatal(err)
	}
	docker(t, "exec", changed, "sh", "-c", "echo tampered >> /usr/bin/ls") // owned by coreutils as /bin/ls
	docker(t, "exec", changed, "rm", "/usr/bin/tail")                      // owned by coreutils
	// A patch at the same size, its time set back to the original's: only
	// the package's record tells (the engine's GET /changes does not).
	docker(t, "exec", changed, "sh", "-c", "cp -p /usr/bin/head /root/head.orig && printf X | dd of=/usr/bin/head bs=1 seek=200 conv=notrunc 2>/dev/null && touch -r /root/head.orig /usr/bin/head && rm /root/head.orig")
	docker(t, "exec", changed, "sh", "-c", "echo 'drift:x:0:0::/root:/bin/sh' >> /etc/passwd")
	docker(t, "exec", changed, "sh", "-c", "echo 'token: ghp_R8x2Kq9LmZ4vT7wP3nY6bC1dF5gH0jS2aE4u' > /root/notes.yaml")
	docker(t, "cp", dropped, changed+":/usr/local/bin/dropper")
	docker(t, "cp", deb, changed+":/root/age.deb")
	docker(t, "exec", changed, "dpkg", "-i", "/root/age.deb")
	docker(t, "cp", preload, changed+":/etc/ld.so.preload")
	docker(t, "stop", "-t", "1", changed)

	t.Run("untouched", func(t *testing.T) {
		r := one(t, clean, opts)
		if !r.Clean() {
			t.Errorf("untouched container drifted: %+v", r.Drift)
		}
		if r.Target.State != "running" {
			t.Errorf("state %q, want running", r.Target.State)
		}
	})

	t.Run("changed and stopped", func(t *testing.T) {
		r := one(t, changed, opts)
		if r.Target.State != "exited" {
			t.Errorf("state %q, want exited", r.Target.State)
		}
		for _, want := range []struct{ kind, subject, severity string }{
			{KindIntegrity, "/usr/bin/ls", "HIGH"},
			{KindIntegrity, "/usr/bin/tail", "HIGH"},
			{KindIntegrity, "/usr/bin/head", "HIGH"},
			{KindExecutable, "/usr/local/bin/dropper", "HIGH"},
			{KindSensitive, "/etc/passwd", "HIGH"},
			{KindPreload, "/etc/ld.so.preload", "CRITICAL"},
			{KindPackageAdded, "age@1.1.1-1+b3", "MEDIUM"},
			{KindFileAdded, "/root/age.deb", "NEGLIGIBLE"},
			{KindSecret, "/root/notes.yaml", ""},
		} {
			it, ok := item(r, want.kind, want.subject)
			if !ok {
				t.Errorf("no %s item for %s; drift: %+v", want.kind, want.subject, r.Drift)
				continue
			}
			if want.severity != "" && it.Severity != want.severity {
				t.Errorf("%s %s: severity %s, want %s", want.kind, want.subject, it.Severity, want.severity)
			}
		}
		ls, _ := file(r, "/usr/bin/ls")
		if ls.Owner == nil || ls.Owner.Package != "coreutils" || ls.Integrity != "mismatch" || !strings.HasPrefix(ls.Digest, "sha256:") || ls.Image == nil {
			t.Errorf("/usr/bin/ls = %+v, want a coreutils file whose content mismatches, with its digest and the image's entry", ls)
		}
		tail, _ := file(r, "/usr/bin/tail")
		if tail.Change != Deleted || tail.Integrity != "missing" {
			t.Errorf("/usr/bin/tail = %+v, want deleted, integrity missing", tail)
		}
		age, _ := file(r, "/usr/bin/age")
		if age.Change != Added || age.Integrity != "ok" || age.Kind != KindFileAdded {
			t.Errorf("/usr/bin/age = %+v, want added by a package, integrity ok, kind file-added", age)
		}
		for _, p := range []string{"/var/lib/dpkg/lock", "/var/lib/dpkg/status", "/var/lib/dpkg/info/age.list"} {
			if _, ok := file(r, p); ok {
				t.Errorf("%s reported; the default ignore list has it", p)
			}
		}

		// The same report, judged by the scan's gate.
		sr := r.Scan()
		if err := scan.Judge(t.Context(), sr, scan.Options{Gate: &scan.Gate{FailOn: "critical"}}); err != nil {
			t.Fatal(err)
		}
		if sr.Verdict == nil || !sr.Verdict.Failed {
			t.Errorf("--fail-on critical: verdict %+v, want failed (ld.so.preload)", sr.Verdict)
		}
	})

	t.Run("export and engine agree", func(t *testing.T) {
		// The changes told from the export (the default on a storage
		// driver that keeps no record of them) are the engine's.
		items := func(mode string) []string {
			o := opts
			o.Changes = mode
			r := one(t, changed, o)
			var out []string
			for _, f := range r.Files {
				if f.Path == "/usr/bin/head" {
					continue // the engine misses it (above)
				}
				out = append(out, fmt.Sprintf("%s %s %s %s %s", f.Path, f.Change, f.Kind, f.Integrity, f.Digest))
			}
			for _, it := range r.Drift {
				if it.Subject != "/usr/bin/head" {
					out = append(out, it.Kind+" "+it.Severity+" "+it.Subject)
				}
			}
			return out
		}
		if diff := cmp.Diff(items(ChangesEngine), items(ChangesExport)); diff != "" {
			t.Errorf("changes from the engine (-) and from the export (+):\n%s", diff)
		}
	})

	t.Run("all", func(t *testing.T) {
		// docker: reads the running containers, docker:all the stopped
		// ones too; of the engine's, the test's own are checked.
		o := opts
		o.only = func(c Container) bool { return c.Name == clean || c.Name == changed }
		for _, tc := range []struct {
			ref  string
			want map[string]bool // container: drifted
		}{
			{"", map[string]bool{clean: false}},
			{"all", map[string]bool{clean: false, changed: true}},
		} {
			rs, errs, err := Containers(t.Context(), tc.ref, o)
			if err != nil || len(errs) > 0 {
				t.Fatalf("docker:%s: %v %v", tc.ref, err, errs)
			}
			got := map[string]bool{}
			for _, r := range rs {
				got[r.Target.Name] = !r.Clean()
				if r.Target.Name == changed {
					if _, ok := item(r, KindPreload, "/etc/ld.so.preload"); !ok {
						t.Errorf("docker:%s: %s has no preload item", tc.ref, changed)
					}
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("docker:%s: containers and whether they drifted (-want +got):\n%s", tc.ref, diff)
			}
		}
	})

	t.Run("no such container", func(t *testing.T) {
		_, _, err := Containers(t.Context(), randomName(t, "customs-none-"), opts)
		if !errors.Is(err, ErrNoContainer) {
			t.Errorf("err = %v, want ErrNoContainer", err)
		}
	})

	t.Run("image deleted", func(t *testing.T) {
		// An image of its own, made by committing a container, so that
		// deleting it leaves the test's image alone.
		name := randomName(t, "customs-drift-")
		docker(t, "create", "--name", name, img, "true")
		t.Cleanup(func() { exec.Command("docker", "rm", "-f", name).Run() })
		committed := docker(t, "commit", name, randomName(t, "customs-drift-commit:"))
		docker(t, "rm", "-f", name)
		docker(t, "create", "--name", name, committed, "true")
		// The store records the image before it goes.
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "store.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		sr, err := scan.Run(t.Context(), target.Parse("docker:"+committed), opts.Scan)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := st.Record(t.Context(), store.Input{Report: sr})
		if err != nil {
			t.Fatal(err)
		}
		docker(t, "cp", dropped, name+":/usr/local/bin/dropper")
		docker(t, "cp", deb, name+":/root/age.deb")
		docker(t, "rmi", "-f", committed)
		_, _, err = Containers(t.Context(), name, opts)
		if err == nil || !strings.Contains(err.Error(), "--against") {
			t.Errorf("err = %v, want one that says the image is gone and names --against", err)
		}

		// With the store, the container is compared with its record.
		o := opts
		o.Store = st
		r := one(t, name, o)
		if r.Against.Kind != "snapshot" || r.Against.Snapshot != rec.Snapshot || r.Against.ImageID != sr.Target.ImageID {
			t.Errorf("against %+v, want the store's snapshot %d of image %s", r.Against, rec.Snapshot, sr.Target.ImageID)
		}
		var got []string
		for _, it := range r.Drift {
			got = append(got, it.Kind+" "+it.Subject)
		}
		want := []string{KindExecutable + " /usr/local/bin/dropper", KindFileAdded + " /root/age.deb"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("drift from the stored image (-want +got):\n%s", diff)
		}
	})
}
