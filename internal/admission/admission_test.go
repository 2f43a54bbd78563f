package admission_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/customs-scanner/customs/internal/admission"
	"github.com/customs-scanner/customs/internal/policy"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/service"
	"github.com/customs-scanner/customs/internal/service/servicetest"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/store/backend"
	"github.com/customs-scanner/customs/internal/store/storetest"
)

// env is a real single-node service: a SQLite store, River on its file,
// one worker, a DB built from the Alpine test feed, and a loopback
// registry holding test images.
type env struct {
	svc     *service.Service
	store   store.Store
	refs    []string
	digests []string
}

func newEnv(t *testing.T, images int) *env {
	t.Helper()
	ctx := t.Context()
	e := servicetest.SQLite(t)
	svc := servicetest.Start(t, service.Config{DSN: e.DSN, Store: e.Store, Workers: 1, Version: "test",
		Scan: e.Scan, RescueAfter: 3 * time.Second})
	host := servicetest.Registry(t)
	refs, digests, err := servicetest.Push(ctx, host, images)
	if err != nil {
		t.Fatal(err)
	}
	return &env{svc: svc, store: e.Store, refs: refs, digests: digests}
}

// enqueuer submits through the service, as the server wires it.
func (e *env) enqueuer() admission.Enqueuer {
	return admission.EnqueueFunc(func(ctx context.Context, ref string) error {
		_, err := e.svc.Submit(ctx, service.Request{Target: ref, Origin: service.OriginAdmission})
		return err
	})
}

// scanned scans ref through the service and waits for the store to hold it.
func (e *env) scanned(t *testing.T, ref string) {
	t.Helper()
	j, err := e.svc.Submit(t.Context(), service.Request{Target: ref, Origin: service.OriginAPI})
	if err != nil {
		t.Fatal(err)
	}
	e.wait(t, j.Digest)
}

func (e *env) wait(t *testing.T, digest string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := e.store.Report(t.Context(), digest); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s not in the store after 90 s", digest)
}

func (e *env) handler(t *testing.T, cfg admission.Config) *admission.Handler {
	t.Helper()
	h, err := admission.New(cfg, e.store, e.enqueuer())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// review posts an AdmissionReview and decodes the answer.
func review(t *testing.T, h http.Handler, body string) (int, *admissionv1.AdmissionResponse, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", admission.ReviewPath, strings.NewReader(body)))
	if rec.Code != http.StatusOK {
		return rec.Code, nil, rec.Body.String()
	}
	var out admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("decode the response: %v\n%s", err, rec.Body)
	}
	if out.APIVersion != "admission.k8s.io/v1" || out.Kind != "AdmissionReview" || out.Response == nil {
		t.Fatalf("response is not an AdmissionReview v1 with a response: %s", rec.Body)
	}
	return rec.Code, out.Response, rec.Body.String()
}

// reviewOf wraps an object of kind into an AdmissionReview.
func reviewOf(uid, group, kind, object string, dryRun bool) string {
	return fmt.Sprintf(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":%q,
"kind":{"group":%q,"version":"v1","kind":%q},"resource":{"group":%q,"version":"v1","resource":"x"},
"namespace":"shop","operation":"CREATE","userInfo":{"username":"dev"},"dryRun":%t,"object":%s}}`,
		uid, group, kind, group, dryRun, object)
}

func pod(containers string) string {
	return `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"shop"},"spec":{` + containers + `}}`
}

const restrictedSC = `"securityContext":{"runAsNonRoot":true,"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]},"seccompProfile":{"type":"RuntimeDefault"}}`

func mux(h *admission.Handler) *http.ServeMux {
	m := http.NewServeMux()
	h.Register(m)
	return m
}

// TestUnknownThenKnown follows an image from first sight to verdict: the
// store does not know it, so admission warns (the default), resolves its
// tag with a registry HEAD and enqueues a scan through the real service;
// once the worker recorded the scan, the same review is answered from the
// stored report (the test image has no finding the test DB knows, so it
// passes --fail-on high). A dry run enqueues nothing.
func TestUnknownThenKnown(t *testing.T) {
	e := newEnv(t, 2)
	h := e.handler(t, admission.Config{Gate: &scan.Gate{FailOn: "high"}})
	m := mux(h)
	body := reviewOf("uid-1", "", "Pod", pod(`"containers":[{"name":"app","image":"`+e.refs[0]+`",`+restrictedSC+`}]`), false)

	code, resp, raw := review(t, m, body)
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, raw)
	}
	if !resp.Allowed || resp.UID != "uid-1" {
		t.Fatalf("unknown image under warn: allowed %v uid %q, want allowed and the request's uid: %s", resp.Allowed, resp.UID, raw)
	}
	want := "customs: image " + e.refs[0] + ": no stored scan of " + report.ShortDigest(e.digests[0]) + "; a scan was requested"
	if len(resp.Warnings) != 1 || resp.Warnings[0] != want {
		t.Fatalf("warnings %q, want [%q]", resp.Warnings, want)
	}
	// The enqueued scan runs on the service's worker.
	e.wait(t, e.digests[0])
	code, resp, raw = review(t, m, body)
	if code != http.StatusOK || !resp.Allowed || len(resp.Warnings) != 0 {
		t.Fatalf("scanned image without findings: status %d allowed %v warnings %q, want allowed silently: %s", code, resp.Allowed, resp.Warnings, raw)
	}

	// A dry run of another unknown image: the same warning, no scan.
	dry := reviewOf("uid-2", "", "Pod", pod(`"containers":[{"name":"app","image":"`+e.refs[1]+`",`+restrictedSC+`}]`), true)
	_, resp, raw = review(t, m, dry)
	want = "customs: image " + e.refs[1] + ": no stored scan of " + report.ShortDigest(e.digests[1])
	if !resp.Allowed || resp.UID != "uid-2" || len(resp.Warnings) != 1 || resp.Warnings[0] != want {
		t.Fatalf("dry run: %s, want allowed with the warning %q and no scan requested", raw, want)
	}

	// --admission-unknown deny denies the unknown image, naming it.
	deny := e.handler(t, admission.Config{Unknown: admission.UnknownDeny})
	_, resp, raw = review(t, mux(deny), dry)
	if resp.Allowed || resp.Result.Code != http.StatusForbidden ||
		!strings.Contains(resp.Result.Message, "container app: image "+e.refs[1]+": no stored scan of "+report.ShortDigest(e.digests[1])+" (--admission-unknown deny)") {
		t.Fatalf("unknown under deny: %s", raw)
	}
}

// known records real scans (the store suite's fixtures: the Alpine image
// with the quick start's Python layer, HIGH 1, MEDIUM 2 and UNKNOWN 10
// findings, tagged registry.test/shop/app:1.0) into a real SQLite store.
func known(t *testing.T) (store.Store, *report.Report) {
	t.Helper()
	st, err := backend.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := storetest.Fixtures(t)
	for _, r := range []*report.Report{f.AlpineApp, f.Debian} {
		if _, err := st.Record(t.Context(), store.Input{Report: r}); err != nil {
			t.Fatal(err)
		}
	}
	return st, f.AlpineApp
}

// TestGateSettings runs one stored report through the gate settings the
// CLI has: --fail-on counts, exceptions suppress what they cover, a CEL
// policy's fail rule fails and its warn rule warns. The tag is resolved
// by the store's reference record (registry HEAD disabled).
func TestGateSettings(t *testing.T) {
	st, app := known(t)
	var ids []string
	for _, f := range app.Findings {
		ids = append(ids, fmt.Sprintf("  - id: %s\n    reason: accepted in the test\n", f.VulnerabilityID))
	}
	exs, err := policy.ParseExceptions("ignore.yaml", []byte("exceptions:\n"+strings.Join(ids, "")))
	if err != nil {
		t.Fatal(err)
	}
	failRule, err := policy.ParsePolicy("policy.yaml", []byte("rules:\n  - name: no-high\n    action: fail\n    expr: finding.severity >= HIGH\n"))
	if err != nil {
		t.Fatal(err)
	}
	warnRule, err := policy.ParsePolicy("policy.yaml", []byte("rules:\n  - name: any-medium\n    action: warn\n    expr: finding.severity == MEDIUM\n"))
	if err != nil {
		t.Fatal(err)
	}
	var high report.Finding
	for _, f := range app.Findings {
		if f.Severity == "HIGH" {
			high = f
		}
	}
	named := fmt.Sprintf("%s %s %s (HIGH)", high.VulnerabilityID, high.PackageName, high.PackageVersion)
	body := reviewOf("u", "apps", "Deployment", `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"template":{"spec":{
"containers":[{"name":"app","image":"registry.test/shop/app:1.0",`+restrictedSC+`}]}}}}`, false)
	for _, tc := range []struct {
		name    string
		gate    *scan.Gate
		allowed bool
		want    string // the message, or the warnings when allowed
	}{
		{"fail-on high", &scan.Gate{FailOn: "high"}, false, "customs: container app: image registry.test/shop/app:1.0 (" +
			report.ShortDigest(app.Target.Digest()) + "): --fail-on high: 1 findings at or above HIGH (worst HIGH): " + named},
		{"fail-on critical", &scan.Gate{FailOn: "critical"}, true, ""},
		{"exceptions", &scan.Gate{FailOn: "negligible", FailOnUnknown: true, Exceptions: exs}, true, ""},
		{"policy fail", &scan.Gate{Policy: failRule}, false, "customs: container app: image registry.test/shop/app:1.0 (" +
			report.ShortDigest(app.Target.Digest()) + "): --policy: fail rules matched: no-high (1): rule no-high: " + high.VulnerabilityID + " " + high.PURL},
		{"policy warn", &scan.Gate{Policy: warnRule}, true, "customs: image registry.test/shop/app:1.0: policy rule any-medium: 2 findings ("},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := admission.New(admission.Config{Gate: tc.gate, ResolveTimeout: -1}, st, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			_, resp, raw := review(t, mux(h), body)
			if resp.Allowed != tc.allowed {
				t.Fatalf("allowed %v, want %v: %s", resp.Allowed, tc.allowed, raw)
			}
			got := strings.Join(resp.Warnings, "\n")
			if !tc.allowed {
				got = resp.Result.Message
			}
			if !strings.HasPrefix(got, tc.want) {
				t.Fatalf("got  %q\nwant %q...", got, tc.want)
			}
		})
	}
}
