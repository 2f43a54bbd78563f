package runtime

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// engineCall sends one request and decodes a JSON answer into out (if not nil).
func engineCall(ctx context.Context, e *Engine, method, p string, body io.Reader, out any) error {
	resp, err := e.Do(ctx, method, p, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, p, resp.Status, b)
	}
	if bytes.Contains(b, []byte(`"error"`)) {
		return fmt.Errorf("%s %s: %s", method, p, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// sleeperTar builds a static Go program that sleeps, into a one-file tar
// for docker import.
func sleeperTar(t *testing.T) []byte {
	t.Helper()
	dir := t.TempDir()
	src := "package main\n\nimport \"time\"\n\nfunc main() { time.Sleep(10 * time.Minute) }\n"
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module sleeper\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), "go", "build", "-ldflags=-s -w", "-o", "sleep", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the sleeper: %v\n%s", err, out)
	}
	bin, err := os.ReadFile(filepath.Join(dir, "sleep"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "sleep", Mode: 0o755, Size: int64(len(bin)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(bin); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDockerEngineAudit imports a one-binary image into the local Docker
// Engine, runs containers with a mounted docker.sock, privileged and with
// host PID plus SYS_PTRACE, and audits docker:. It skips only when the
// engine does not answer /_ping. Where the engine cannot start a
// privileged container (a sandboxed daemon), that container is created but
// not started and audited through docker:all.
func TestDockerEngineAudit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary and runs containers; skipped with -short")
	}
	eng, err := NewEngine("")
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Ping(t.Context()); err != nil {
		t.Skipf("Docker Engine at %s does not answer /_ping (%v); start it to run this test", eng.Host(), err)
	}
	ctx := t.Context()
	tag := fmt.Sprintf("t%d-%d", os.Getpid(), time.Now().UnixNano())
	ref := "customs-test/audit:" + tag
	q := url.Values{"fromSrc": {"-"}, "repo": {"customs-test/audit"}, "tag": {tag}}
	if err := engineCall(ctx, eng, http.MethodPost, "/images/create?"+q.Encode(), bytes.NewReader(sleeperTar(t)), nil); err != nil {
		t.Fatalf("import test image: %v", err)
	}
	cleanup := func(p string) {
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := engineCall(ctx, eng, http.MethodDelete, p, nil, nil); err != nil {
				t.Errorf("clean up: %v", err)
			}
		})
	}
	cleanup("/images/" + ref + "?force=1") // registered first, runs last
	run := func(name string, hc map[string]any) (started bool) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"Image": ref, "Cmd": []string{"/sleep"}, "HostConfig": hc})
		var created struct {
			ID string `json:"Id"`
		}
		if err := engineCall(ctx, eng, http.MethodPost, "/containers/create?name="+name, bytes.NewReader(body), &created); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		cleanup("/containers/" + created.ID + "?force=1")
		if err := engineCall(ctx, eng, http.MethodPost, "/containers/"+created.ID+"/start", nil, nil); err != nil {
			t.Logf("start %s: %v", name, err)
			return false
		}
		return true
	}
	sock := "/var/run/docker.sock:/var/run/docker.sock"
	privName := "customs-audit-priv-" + tag
	ptraceName := "customs-audit-ptrace-" + tag
	privStarted := run(privName, map[string]any{"Privileged": true, "Binds": []string{sock}})
	if !run(ptraceName, map[string]any{"PidMode": "host", "CapAdd": []string{"SYS_PTRACE"}, "Binds": []string{sock}}) {
		t.Fatal("the host-PID container did not start")
	}

	find := func(target, name string) []string {
		t.Helper()
		ws, err := Load(ctx, target, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ws {
			if ws[i].Name == name {
				if ws[i].Source != "docker:" || ws[i].Format != FormatEngine {
					t.Errorf("Source, Format = %q, %q", ws[i].Source, ws[i].Format)
				}
				return ids(Check(&ws[i]))
			}
		}
		t.Fatalf("%s: no container %s among %d", target, name, len(ws))
		return nil
	}
	check := func(got []string, want ...string) {
		t.Helper()
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("findings %v lack %s", got, w)
			}
		}
	}
	check(find("docker:", ptraceName), "CIS-DOCKER-5.32", "CIS-DOCKER-5.16", "CUSTOMS-HOSTPID-PTRACE", "CIS-DOCKER-5.4")
	privTarget := "docker:"
	if !privStarted {
		t.Log("this engine cannot start privileged containers; auditing the created one with docker:all")
		privTarget = "docker:all"
	}
	check(find(privTarget, privName), "CIS-DOCKER-5.5", "CIS-DOCKER-5.32")

	t.Run("unreachable", func(t *testing.T) {
		_, err := Load(ctx, "docker:", "unix://"+filepath.Join(t.TempDir(), "no.sock"), nil)
		if err == nil || !strings.Contains(err.Error(), "does not answer") {
			t.Fatalf("error = %v, want it to say the engine does not answer", err)
		}
	})
}
