package server_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/customs-scanner/customs/internal/service/servicetest"
)

// TestAdmissionServed plays the Kubernetes API server and Gatekeeper
// against a real customs serve process (config admission.unknown: deny):
// a pod of a scanned image (named by tag: the store's reference record
// gives its digest) is allowed; a pod with an image the store does not
// know is denied and its scan is queued, after which the same pod is
// allowed; a privileged container is denied by the Pod Security Standards'
// baseline profile; the Gatekeeper provider answers per image; the
// endpoints need a token of scope scan.
func TestAdmissionServed(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts customs serve and scans images")
	}
	ctx := t.Context()
	dir := t.TempDir()
	db, err := servicetest.DB(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	host := servicetest.Registry(t)
	refs, digests, err := servicetest.Push(ctx, host, 3)
	if err != nil {
		t.Fatal(err)
	}
	bin := customsBinary(t)
	dsn := "sqlite:" + filepath.Join(dir, "store.db")
	f := &fleet{t: t, bin: bin, dir: dir, dsn: dsn, api: freeAddr(t), procs: map[string]*exec.Cmd{}, started: map[string][]string{}}
	t.Cleanup(func() { f.kill("api") })
	f.env = []string{"HOME=" + dir, "CUSTOMS_CONFIG=" + filepath.Join(dir, "config.yaml")}
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte("serve:\n  dbUpdateEvery: 0s\nadmission:\n  unknown: deny\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	token := func(scope string) string {
		out, err := exec.Command(bin, "token", "create", "--scope", scope, "--store", dsn).Output()
		if err != nil {
			t.Fatalf("token create: %v", err)
		}
		return strings.TrimSpace(string(out))
	}
	f.token = token("scan")
	readToken := token("read")
	f.started["api"] = []string{"serve", "--listen", f.api, "--workers", "1", "--store", dsn, "--db", db, "--allow-registry", host}
	f.run("api")
	f.waitReady()

	waitImage := func(digest string) {
		t.Helper()
		for deadline := time.Now().Add(90 * time.Second); ; {
			code, _, err := f.call("GET", "/v1/images/"+digest, nil)
			if err == nil && code == 200 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s is not stored after 90 s; the server's log:\n%s", digest, f.log("api"))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	if code, b, err := f.call("POST", "/v1/scans", map[string]any{"target": refs[0]}); err != nil || (code != 202 && code != 200) {
		t.Fatalf("POST /v1/scans: %d %s %v", code, b, err)
	}
	waitImage(digests[0])

	pod := func(uid string, privileged bool, images ...string) map[string]any {
		var cs []map[string]any
		for i, im := range images {
			c := map[string]any{"name": "c" + string(rune('0'+i)), "image": im}
			if privileged {
				c["securityContext"] = map[string]any{"privileged": true}
			}
			cs = append(cs, c)
		}
		return map[string]any{
			"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
			"request": map[string]any{
				"uid": uid, "kind": map[string]any{"group": "", "version": "v1", "kind": "Pod"},
				"resource":  map[string]any{"group": "", "version": "v1", "resource": "pods"},
				"namespace": "shop", "operation": "CREATE",
				"object": map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p", "namespace": "shop"},
					"spec": map[string]any{"containers": cs}},
			},
		}
	}
	review := func(body map[string]any) *admissionv1.AdmissionResponse {
		t.Helper()
		code, b, err := f.call("POST", "/v1/admission", body)
		if err != nil || code != 200 {
			t.Fatalf("POST /v1/admission: %d %s %v", code, b, err)
		}
		var out admissionv1.AdmissionReview
		if err := json.Unmarshal(b, &out); err != nil || out.Response == nil {
			t.Fatalf("not an AdmissionReview: %v %s", err, b)
		}
		if want := body["request"].(map[string]any)["uid"]; string(out.Response.UID) != want {
			t.Errorf("response uid %q, want %q", out.Response.UID, want)
		}
		return out.Response
	}

	// The scanned image, named by its tag, is known and passes (no
	// --fail-on: findings deny nothing).
	if r := review(pod("u1", false, refs[0])); !r.Allowed {
		t.Errorf("a pod of the scanned image is denied: %+v", r.Result)
	}
	// With an image the store does not know: denied (admission.unknown:
	// deny), its scan queued by digest.
	r := review(pod("u2", false, refs[0], refs[1]))
	if r.Allowed || r.Result == nil || r.Result.Code != 403 || !strings.Contains(r.Result.Message, refs[1]) {
		t.Fatalf("a pod with an unknown image: allowed %t, %+v; want a 403 naming %s", r.Allowed, r.Result, refs[1])
	}
	if !strings.Contains(r.Result.Message, "scan was requested") {
		t.Errorf("the denial does not say a scan was requested: %s", r.Result.Message)
	}
	waitImage(digests[1])
	if r := review(pod("u3", false, refs[0], refs[1])); !r.Allowed {
		t.Errorf("the pod is still denied once its image is scanned: %+v", r.Result)
	}
	// The Pod Security Standards' baseline profile is enforced.
	r = review(pod("u4", true, refs[0]))
	if r.Allowed || r.Result == nil || !strings.Contains(r.Result.Message, "PSS-BASELINE-PRIVILEGED") {
		t.Errorf("a privileged container: allowed %t, %+v; want denied by PSS-BASELINE-PRIVILEGED", r.Allowed, r.Result)
	}

	// Gatekeeper's provider: one item per image reference.
	code, b, err := f.call("POST", "/v1/admission/external-data", map[string]any{"apiVersion": "externaldata.gatekeeper.sh/v1beta1",
		"kind": "ProviderRequest", "request": map[string]any{"keys": []string{refs[0], refs[2]}}})
	if err != nil || code != 200 {
		t.Fatalf("POST /v1/admission/external-data: %d %s %v", code, b, err)
	}
	var pr struct {
		Kind     string
		Response struct {
			Items []struct {
				Key   string
				Value struct {
					Digest         string
					Known, Allowed bool
				}
				Error string
			}
		}
	}
	if err := json.Unmarshal(b, &pr); err != nil || pr.Kind != "ProviderResponse" || len(pr.Response.Items) != 2 {
		t.Fatalf("ProviderResponse: %v %s", err, b)
	}
	for i, want := range []struct {
		digest         string
		known, allowed bool
	}{{digests[0], true, true}, {digests[2], false, false}} {
		it := pr.Response.Items[i]
		if it.Key != []string{refs[0], refs[2]}[i] || it.Error != "" || it.Value.Digest != want.digest || it.Value.Known != want.known || it.Value.Allowed != want.allowed {
			t.Errorf("item %d: %+v, want digest %s known %t allowed %t", i, it, want.digest, want.known, want.allowed)
		}
	}

	// Both endpoints need a token of scope scan; a review over the
	// general body limit (1 MiB) is still read.
	for _, tt := range []struct {
		token string
		want  int
	}{{"", 401}, {readToken, 403}} {
		for _, path := range []string{"/v1/admission", "/v1/admission/external-data"} {
			scan := f.token
			f.token = tt.token
			code, b, err := f.call("POST", path, pod("u5", false, refs[0]))
			f.token = scan
			if err != nil || code != tt.want || !strings.Contains(string(b), `"status":`+string(rune('0'+tt.want/100))) {
				t.Errorf("POST %s with a token %t: %d %s %v, want %d", path, tt.token != "", code, b, err, tt.want)
			}
		}
	}
	// The answers follow openapi.json.
	c := newContract(t, "http://"+f.api)
	bearer := []string{"Authorization", "Bearer " + f.token}
	for _, tt := range []struct {
		path string
		body any
		hdr  []string
		want int
	}{
		{"/v1/admission", pod("u7", false, refs[0], refs[2]), bearer, 200},
		{"/v1/admission", map[string]any{"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview"}, bearer, 400},
		{"/v1/admission", pod("u8", false, refs[0]), nil, 401},
		{"/v1/admission/external-data", map[string]any{"apiVersion": "externaldata.gatekeeper.sh/v1beta1", "kind": "ProviderRequest",
			"request": map[string]any{"keys": []string{refs[0]}}}, bearer, 200},
		{"/v1/admission/external-data", map[string]any{"apiVersion": "externaldata.gatekeeper.sh/v1beta1", "kind": "ProviderRequest"},
			[]string{"Authorization", "Bearer " + readToken}, 403},
	} {
		if code, b, _ := c.do("POST", tt.path, tt.body, tt.hdr...); code != tt.want {
			t.Errorf("POST %s = %d %s; want %d", tt.path, code, b, tt.want)
		}
	}
	big := pod("u6", false, refs[0])
	big["request"].(map[string]any)["object"].(map[string]any)["metadata"].(map[string]any)["annotations"] =
		map[string]string{"padding": strings.Repeat("x", 2<<20)}
	if r := review(big); !r.Allowed {
		t.Errorf("a 2 MiB review: %+v", r.Result)
	}
}
