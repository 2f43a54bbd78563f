package admission_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/admission"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/scan"
)

// TestKinds checks every kind with a pod spec, and where its images are:
// the failing image of the stored fixtures in an init, regular or
// ephemeral container of a Pod, or in the template of each controller, is
// denied; kinds without a pod spec, DELETE and other subresources are
// allowed without a look.
func TestKinds(t *testing.T) {
	st, app := known(t)
	h, err := admission.New(admission.Config{Gate: &scan.Gate{FailOn: "high"}, ResolveTimeout: -1, PSS: map[string]admission.Mode{}}, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	m := mux(h)
	const bad = "registry.test/shop/app:1.0"
	good := "customs-testdata/debian-bookworm-dpkg:12.5"
	c := func(name, image string) string { return `{"name":"` + name + `","image":"` + image + `"}` }
	spec := `{"containers":[` + c("app", bad) + `]}`
	tmpl := `{"template":{"spec":` + spec + `}}`
	for _, tc := range []struct {
		name, group, kind, object string
		op, sub                   string
		denied                    string // container named in the message; "" = allowed
	}{
		{"pod", "", "Pod", `{"kind":"Pod","apiVersion":"v1","spec":` + spec + `}`, "", "", "container app:"},
		{"pod without kind in the object", "", "Pod", `{"spec":` + spec + `}`, "", "", "container app:"},
		{"init container", "", "Pod", `{"kind":"Pod","apiVersion":"v1","spec":{"initContainers":[` + c("init", bad) + `],"containers":[` + c("app", good) + `]}}`, "", "", "container init:"},
		{"ephemeral container", "", "Pod", `{"kind":"Pod","apiVersion":"v1","spec":{"containers":[` + c("app", good) + `],"ephemeralContainers":[` + c("debug", bad) + `]}}`, "UPDATE", "ephemeralcontainers", "container debug:"},
		{"two containers, one image", "", "Pod", `{"kind":"Pod","apiVersion":"v1","spec":{"containers":[` + c("a", bad) + `,` + c("b", bad) + `]}}`, "", "", "container a, b:"},
		{"clean pod", "", "Pod", `{"kind":"Pod","apiVersion":"v1","spec":{"containers":[` + c("app", good) + `]}}`, "", "", ""},
		{"deployment", "apps", "Deployment", `{"kind":"Deployment","apiVersion":"apps/v1","spec":` + tmpl + `}`, "", "", "container app:"},
		{"statefulset", "apps", "StatefulSet", `{"kind":"StatefulSet","apiVersion":"apps/v1","spec":` + tmpl + `}`, "", "", "container app:"},
		{"daemonset", "apps", "DaemonSet", `{"kind":"DaemonSet","apiVersion":"apps/v1","spec":` + tmpl + `}`, "", "", "container app:"},
		{"replicaset", "apps", "ReplicaSet", `{"kind":"ReplicaSet","apiVersion":"apps/v1","spec":` + tmpl + `}`, "", "", "container app:"},
		{"replicationcontroller", "", "ReplicationController", `{"kind":"ReplicationController","apiVersion":"v1","spec":` + tmpl + `}`, "", "", "container app:"},
		{"job", "batch", "Job", `{"kind":"Job","apiVersion":"batch/v1","spec":` + tmpl + `}`, "", "", "container app:"},
		{"cronjob", "batch", "CronJob", `{"kind":"CronJob","apiVersion":"batch/v1","spec":{"schedule":"@daily","jobTemplate":{"spec":` + tmpl + `}}}`, "", "", "container app:"},
		{"update", "apps", "Deployment", `{"kind":"Deployment","apiVersion":"apps/v1","spec":` + tmpl + `}`, "UPDATE", "", "container app:"},
		{"configmap", "", "ConfigMap", `{"kind":"ConfigMap","apiVersion":"v1","data":{"image":"` + bad + `"}}`, "", "", ""},
		{"delete", "", "Pod", `null`, "DELETE", "", ""},
		{"status subresource", "", "Pod", `{"kind":"Pod","apiVersion":"v1","spec":` + spec + `}`, "UPDATE", "status", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op := tc.op
			if op == "" {
				op = "CREATE"
			}
			body := `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-` + tc.kind + `",
"kind":{"group":"` + tc.group + `","version":"v1","kind":"` + tc.kind + `"},"resource":{"group":"","version":"v1","resource":"x"},
"subResource":"` + tc.sub + `","operation":"` + op + `","userInfo":{},"object":` + tc.object + `}}`
			code, resp, raw := review(t, m, body)
			if code != http.StatusOK || string(resp.UID) != "u-"+tc.kind {
				t.Fatalf("status %d: %s", code, raw)
			}
			if tc.denied == "" {
				if !resp.Allowed {
					t.Fatalf("denied: %s", raw)
				}
				return
			}
			want := "customs: " + tc.denied + " image " + bad + " (" + report.ShortDigest(app.Target.Digest()) + "): --fail-on high"
			if resp.Allowed || !strings.HasPrefix(resp.Result.Message, want) {
				t.Fatalf("got %s\nwant a denial starting %q", raw, want)
			}
		})
	}
}

// TestPodSecurity runs customs audit's Pod Security Standards checks on
// the pod spec: baseline enforced and restricted warned about by default,
// each mode per profile; controls come ranked as customs audit ranks them
// (host escape first), each with the containers it concerns.
func TestPodSecurity(t *testing.T) {
	st, _ := known(t)
	good := "customs-testdata/debian-bookworm-dpkg:12.5"
	privileged := pod(`"hostNetwork":true,"containers":[{"name":"app","image":"` + good + `","securityContext":{"privileged":true}},
{"name":"side","image":"` + good + `","securityContext":{"privileged":true}}]`)
	plain := pod(`"containers":[{"name":"app","image":"` + good + `"}]`)
	for _, tc := range []struct {
		name     string
		pss      []string
		object   string
		allowed  bool
		message  string
		warnings []string
	}{
		{"baseline enforced", nil, privileged, false,
			"customs: PSS baseline Privileged Containers (PSS-BASELINE-PRIVILEGED): container app, container side; PSS baseline Host Namespaces (PSS-BASELINE-HOST-NAMESPACES): pod",
			[]string{
				"customs: PSS restricted Running as Non-root (PSS-RESTRICTED-RUN-AS-NON-ROOT): container app, container side",
				"customs: PSS restricted Capabilities (PSS-RESTRICTED-CAPABILITIES): container app, container side",
				"customs: PSS restricted Seccomp (PSS-RESTRICTED-SECCOMP): container app, container side",
			}},
		{"restricted warned", nil, plain, true, "", []string{
			"customs: PSS restricted Privilege Escalation (PSS-RESTRICTED-PRIVILEGE-ESCALATION): container app",
			"customs: PSS restricted Running as Non-root (PSS-RESTRICTED-RUN-AS-NON-ROOT): container app",
			"customs: PSS restricted Capabilities (PSS-RESTRICTED-CAPABILITIES): container app",
			"customs: PSS restricted Seccomp (PSS-RESTRICTED-SECCOMP): container app",
		}},
		{"baseline warned", []string{"baseline=warn", "restricted=off"}, privileged, true, "", []string{
			"customs: PSS baseline Privileged Containers (PSS-BASELINE-PRIVILEGED): container app, container side",
			"customs: PSS baseline Host Namespaces (PSS-BASELINE-HOST-NAMESPACES): pod",
		}},
		{"off", []string{"baseline=off", "restricted=off"}, privileged, true, "", nil},
		{"restricted compliant", []string{"restricted=enforce"}, pod(`"containers":[{"name":"app","image":"` + good + `",` + restrictedSC + `}]`), true, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pss, err := admission.ParsePSS(tc.pss)
			if err != nil {
				t.Fatal(err)
			}
			h, err := admission.New(admission.Config{PSS: pss, ResolveTimeout: -1}, st, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			_, resp, raw := review(t, mux(h), reviewOf("u", "", "Pod", tc.object, false))
			if resp.Allowed != tc.allowed {
				t.Fatalf("allowed %v, want %v: %s", resp.Allowed, tc.allowed, raw)
			}
			if !tc.allowed && resp.Result.Message != tc.message {
				t.Errorf("message\n got %q\nwant %q", resp.Result.Message, tc.message)
			}
			if strings.Join(resp.Warnings, "\n") != strings.Join(tc.warnings, "\n") {
				t.Errorf("warnings\n got %q\nwant %q", resp.Warnings, tc.warnings)
			}
		})
	}
	if _, err := admission.ParsePSS([]string{"privileged=enforce"}); err == nil {
		t.Error("ParsePSS took an unknown profile")
	}
	if _, err := admission.ParseUnknown("block"); err == nil {
		t.Error("ParseUnknown took block")
	}
}

// TestMalformed: what is not an AdmissionReview v1 with a request and a
// uid is a 400 problem that says what is wrong; an object that does not
// decode as its kind is denied with 400 in the review.
func TestMalformed(t *testing.T) {
	st, _ := known(t)
	h, err := admission.New(admission.Config{ResolveTimeout: -1}, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	m := mux(h)
	for _, tc := range []struct{ name, body, detail string }{
		{"not JSON", `apiVersion: admission.k8s.io/v1`, "not JSON of the expected shape"},
		{"v1beta1", `{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"u"}}`, "admission.k8s.io/v1beta1"},
		{"no request", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`, "no request"},
		{"no uid", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}}`, "without a uid"},
		{"too big", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"` + strings.Repeat("x", admission.MaxReviewBytes) + `"}}`, "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, raw := review(t, m, tc.body)
			if code != http.StatusBadRequest || !strings.Contains(raw, tc.detail) || !strings.Contains(raw, `"status":400`) {
				t.Fatalf("status %d %s, want a 400 problem saying %q", code, raw, tc.detail)
			}
		})
	}
	_, resp, raw := review(t, m, reviewOf("u", "", "Pod", `{"kind":"Pod","spec":{"containers":"app"}}`, false))
	if resp.Allowed || resp.Result.Code != http.StatusBadRequest || !strings.Contains(resp.Result.Message, "the Pod object does not decode") {
		t.Fatalf("bad object: %s", raw)
	}
}

// TestProvider plays Gatekeeper's external-data client: one item per key,
// the verdict of a known image with the findings that decided it, an
// unknown one as configured.
func TestProvider(t *testing.T) {
	st, app := known(t)
	h, err := admission.New(admission.Config{Gate: &scan.Gate{FailOn: "high"}, ResolveTimeout: -1}, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	m := mux(h)
	post := func(body string) (int, string) {
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, httptest.NewRequest("POST", admission.ProviderPath, strings.NewReader(body)))
		return rec.Code, rec.Body.String()
	}
	code, raw := post(`{"apiVersion":"externaldata.gatekeeper.sh/v1beta1","kind":"ProviderRequest","request":{"keys":
["registry.test/shop/app:1.0","customs-testdata/debian-bookworm-dpkg:12.5","registry.test/unknown:1"]}}`)
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, raw)
	}
	var resp struct {
		APIVersion, Kind string
		Response         struct {
			Idempotent  bool
			SystemError string
			Items       []struct {
				Key   string
				Value admission.Image
				Error string
			}
		}
	}
	if err := json.Unmarshal([]byte(raw), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.APIVersion != "externaldata.gatekeeper.sh/v1beta1" || resp.Kind != "ProviderResponse" || !resp.Response.Idempotent || len(resp.Response.Items) != 3 {
		t.Fatalf("response %s", raw)
	}
	bad, clean, unknown := resp.Response.Items[0], resp.Response.Items[1], resp.Response.Items[2]
	if bad.Key != "registry.test/shop/app:1.0" || bad.Value.Allowed || !bad.Value.Known || bad.Value.Digest != app.Target.Digest() ||
		!strings.HasPrefix(bad.Value.Message, "--fail-on high: 1 findings") || len(bad.Value.Findings) != 1 {
		t.Errorf("failing image: %+v", bad)
	}
	if !clean.Value.Allowed || !clean.Value.Known {
		t.Errorf("clean image: %+v", clean)
	}
	if unknown.Value.Known || !unknown.Value.Allowed || unknown.Value.Message != "not in the store" {
		t.Errorf("unknown image under warn: %+v", unknown)
	}
	if code, raw := post(`{"apiVersion":"v1","kind":"AdmissionReview"}`); code != http.StatusBadRequest || !strings.Contains(raw, "ProviderRequest") {
		t.Errorf("not a ProviderRequest: %d %s", code, raw)
	}
}
