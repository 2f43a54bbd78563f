package cli

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/report"
)

func runAuditCmd(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := newAuditCmd(&globals{stderr: &bytes.Buffer{}})
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&bytes.Buffer{})
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(t.Context())
	return out.String(), err
}

const auditCompose = `services:
  agent:
    image: docker:27-cli
    privileged: true
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
  web:
    image: nginx:1.27
    user: "101"
    read_only: true
    cap_drop: [ALL]
    security_opt: [no-new-privileges:true]
    mem_limit: 128m
    cpus: 0.5
    pids_limit: 50
`

const auditPod = `# Source: chart/templates/pod.yaml
apiVersion: v1
kind: Pod
metadata:
  name: debug
spec:
  hostPID: true
  containers:
  - name: c
    image: busybox
    securityContext:
      capabilities:
        add: [SYS_PTRACE]
`

func TestAuditCmd(t *testing.T) {
	dir := t.TempDir()
	compose := filepath.Join(dir, "docker-compose.yml")
	if err := os.WriteFile(compose, []byte(auditCompose), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("json", func(t *testing.T) {
		out, err := runAuditCmd(t, auditPod, compose, "k8s:-", "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		var rep struct {
			SchemaVersion string
			Targets       []report.AuditTarget
			Findings      []map[string]any `json:"misconfigurations"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.SchemaVersion != report.SchemaVersion {
			t.Errorf("schemaVersion = %q", rep.SchemaVersion)
		}
		if diff := cmp.Diff([]report.AuditTarget{{Target: compose, Workloads: 2}, {Target: "k8s:-", Workloads: 1}}, rep.Targets); diff != "" {
			t.Errorf("targets (-want +got):\n%s", diff)
		}
		// Host escapes first, across targets (then by source: "-" sorts first).
		var top []string
		for _, f := range rep.Findings[:4] {
			top = append(top, f["checkID"].(string)+" "+f["workload"].(string))
		}
		want := []string{"CUSTOMS-HOSTPID-PTRACE Pod/debug", "CIS-DOCKER-5.32 service/agent", "CIS-DOCKER-5.5 service/agent", "PSS-BASELINE-HOST-NAMESPACES Pod/debug"}
		if diff := cmp.Diff(want, top); diff != "" {
			t.Errorf("first findings (-want +got):\n%s", diff)
		}
		// A Pod Security Standards finding names its profile and control.
		pss := 0
		for _, f := range rep.Findings {
			if f["checkID"] == "PSS-BASELINE-HOST-NAMESPACES" {
				pss++
				if f["pssProfile"] != "baseline" || f["pssControl"] != "Host Namespaces" || f["target"] != "-#Pod/debug" {
					t.Errorf("PSS finding %v", f)
				}
			}
		}
		if pss == 0 {
			t.Error("no Host Namespaces finding")
		}
		// One severity scale with scan's, and scan's evidence list.
		if f := rep.Findings[0]; f["severity"] != "CRITICAL" || fmt.Sprint(f["evidence"]) != "[spec.hostPID: true; spec.containers[0].securityContext.capabilities.add: [SYS_PTRACE]]" {
			t.Errorf("first finding: severity %v, evidence %v", f["severity"], f["evidence"])
		}
		for _, k := range []string{"checkID", "title", "severity", "target", "standard", "profile", "workload", "evidence", "remediation"} {
			if _, ok := rep.Findings[0][k]; !ok {
				t.Errorf("finding lacks %q: %v", k, rep.Findings[0])
			}
		}
	})
	t.Run("table", func(t *testing.T) {
		out, err := runAuditCmd(t, "", "compose:"+compose)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"HOST ESCAPE", "critical  CIS-DOCKER-5.32  service/agent", "services.agent.volumes[0]: /var/run/docker.sock:/var/run/docker.sock", "REMEDIATION", "findings: 2 critical"} {
			if !strings.Contains(out, s) {
				t.Errorf("table lacks %q:\n%s", s, out)
			}
		}
		if strings.Contains(out, "service/web") {
			t.Errorf("the hardened service has findings:\n%s", out)
		}
	})
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
		gate    bool
	}{
		{"fail-on critical", []string{compose, "--fail-on", "critical"}, "--fail-on critical: 2 findings at or above CRITICAL (worst CRITICAL)", true},
		{"fail-on passes", []string{"k8s:-", "--fail-on", "critical"}, "", false},
		{"bad severity", []string{compose, "--fail-on", "urgent"}, `--fail-on "urgent"`, false},
		{"bad output", []string{compose, "-o", "xml"}, `-o "xml"`, false},
		{"format given to --output", []string{compose, "--output", "json"}, "use -o json", false},
		{"sbom format", []string{compose, "-o", "spdx-json"}, "customs audit does not write spdx-json", false},
		{"missing file", []string{filepath.Join(dir, "nope.yaml")}, "no such file", false},
		{"docker with argument", []string{"docker:nginx"}, "no such container", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runAuditCmd(t, "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers: [{name: c, image: i}]\n", tc.args...)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.wantErr)
			}
			var ef errFindings
			if isGate := errorAs(err, &ef); isGate != tc.gate {
				t.Errorf("gate error = %v, want %v", isGate, tc.gate)
			}
		})
	}
}

func errorAs(err error, ef *errFindings) bool {
	e, ok := err.(errFindings)
	if ok {
		*ef = e
	}
	return ok
}

// TestAuditJoinsImage: a pod that does not require non-root and keeps a
// writable root filesystem, running the real alpine:3.10 image (root user,
// /bin/sh, apk): the joined findings say so.
func TestAuditJoinsImage(t *testing.T) {
	manifest := filepath.Join(t.TempDir(), "pod.yaml")
	if err := os.WriteFile(manifest, []byte(`apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: web
      image: alpine:3.10
`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, "--cache-dir", t.TempDir(), "audit", "-o", "json", "--image", alpineImage, manifest)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var rep struct {
		Findings []struct {
			ID string `json:"checkID"`
		} `json:"misconfigurations"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, f := range rep.Findings {
		ids[f.ID] = true
	}
	for _, want := range []string{"CUSTOMS-JOIN-ROOT-USER", "CUSTOMS-JOIN-WRITABLE-SHELL"} {
		if !ids[want] {
			t.Errorf("findings %v lack %s", ids, want)
		}
	}
}

// TestAuditImageTarget: an image given to customs audit gets the image
// configuration checks (the real alpine:3.10 runs as root).
func TestAuditImageTarget(t *testing.T) {
	r := run(t, "--cache-dir", t.TempDir(), "audit", "-o", "json", alpineImage)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var rep struct {
		Findings []struct {
			ID     string `json:"checkID"`
			Target string `json:"target"`
		} `json:"misconfigurations"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range rep.Findings {
		found = found || f.ID == "image.root-user"
	}
	if !found {
		t.Errorf("findings %+v lack image.root-user", rep.Findings)
	}
}

// TestAuditImageSecret: a secret in an image given to customs audit is in
// the report's secrets, as customs scan reports it, and --fail-on counts
// it as scan's does; the table lists it.
func TestAuditImageSecret(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	writeTree(t, root, map[string]string{"srv/app/tls/key.pem": string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))})
	r := run(t, "--cache-dir", t.TempDir(), "audit", "-o", "json", "dir:"+root)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Secrets) != 1 || rep.Secrets[0].Path != "srv/app/tls/key.pem" || rep.Secrets[0].Severity != "CRITICAL" {
		t.Fatalf("secrets %+v, want the key, CRITICAL", rep.Secrets)
	}
	for _, m := range rep.Misconfigurations {
		if strings.HasPrefix(m.ID, "secret") {
			t.Errorf("a secret reported as a misconfiguration: %+v", m)
		}
	}
	r = run(t, "--cache-dir", t.TempDir(), "audit", "--fail-on", "high", "dir:"+root)
	if r.code != ExitFindings || !strings.Contains(r.stderr, "--fail-on high: 1 findings at or above HIGH (worst CRITICAL)") {
		t.Errorf("--fail-on high: exit %d, stderr %q", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "Secrets\n") || !strings.Contains(r.stdout, "srv/app/tls/key.pem") {
		t.Errorf("table lacks the secret:\n%s", r.stdout)
	}
	// The report carries the verdict, as scan's does.
	r = run(t, "--cache-dir", t.TempDir(), "audit", "-o", "json", "--fail-on", "high", "dir:"+root)
	var judged report.Report
	if err := json.Unmarshal([]byte(r.stdout), &judged); err != nil {
		t.Fatal(err)
	}
	if want := (&report.Verdict{Failed: true, Message: "--fail-on high: 1 findings at or above HIGH (worst CRITICAL)"}); r.code != ExitFindings || !cmp.Equal(want, judged.Verdict) {
		t.Errorf("-o json --fail-on high: exit %d, verdict %+v; want 1, %+v", r.code, judged.Verdict, want)
	}
}
