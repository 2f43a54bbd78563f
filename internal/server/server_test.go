package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/customs-scanner/customs/internal/server"
	"github.com/customs-scanner/customs/internal/service"
	"github.com/customs-scanner/customs/internal/service/servicetest"
)

// contract validates requests and responses against openapi.json.
type contract struct {
	t      *testing.T
	router routers.Router
	base   string
	c      *http.Client
}

func newContract(t *testing.T, base string) *contract {
	t.Helper()
	openapi3filter.RegisterBodyDecoder("text/markdown", openapi3filter.PlainBodyDecoder)
	l := openapi3.NewLoader()
	doc, err := l.LoadFromData(server.OpenAPI())
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if err := doc.Validate(l.Context); err != nil {
		t.Fatalf("openapi.json is not valid: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: base}}
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &contract{t: t, router: r, base: base, c: &http.Client{Timeout: 30 * time.Second}}
}

// do sends a request and checks the response against the document; it
// returns the status and body.
func (c *contract) do(method, path string, body any, header ...string) (int, []byte, http.Header) {
	c.t.Helper()
	var rd io.Reader
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	vreq, _ := http.NewRequest(method, c.base+path, bytes.NewReader(raw))
	vreq.Header = req.Header.Clone()
	route, params, err := c.router.FindRoute(vreq)
	if err != nil {
		c.t.Errorf("%s %s: not in openapi.json: %v", method, path, err)
		return resp.StatusCode, b, resp.Header
	}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	out.SetBodyBytes(b)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		c.t.Errorf("%s %s: %d response does not follow openapi.json: %v\n%s", method, path, resp.StatusCode, err, b)
	}
	return resp.StatusCode, b, resp.Header
}

// start runs a service with one worker on a SQLite store behind the
// server.
func start(t *testing.T) (*service.Service, *contract) {
	t.Helper()
	e := servicetest.SQLite(t)
	srv := server.New(nil, server.Options{})
	svc := servicetest.Start(t, service.Config{DSN: e.DSN, Store: e.Store, Workers: 1, Version: "test", Metrics: srv.Registry(),
		Scan: e.Scan})
	srv.SetService(svc)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return svc, newContract(t, hs.URL)
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

type scanDoc struct {
	ID, Status, Digest, Reason string
	Links                      map[string]string
}

// TestAPI plays the API's endpoints against the OpenAPI document, with a
// real scan of a registry image.
func TestAPI(t *testing.T) {
	_, c := start(t)
	host := servicetest.Registry(t)
	refs, digests, err := servicetest.Push(t.Context(), host, 1)
	if err != nil {
		t.Fatal(err)
	}
	code, b, h := c.do("POST", "/v1/scans", map[string]any{"target": refs[0], "scanners": []string{"vuln"}})
	if code != http.StatusAccepted {
		t.Fatalf("POST /v1/scans = %d %s; want 202", code, b)
	}
	sc := decode[scanDoc](t, b)
	if h.Get("Location") != "/v1/scans/"+sc.ID || sc.Status != "queued" && sc.Status != "running" {
		t.Errorf("202 = %s, Location %q", b, h.Get("Location"))
	}
	deadline := time.Now().Add(60 * time.Second)
	for sc.Status != "done" && sc.Status != "failed" && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		_, b, _ = c.do("GET", "/v1/scans/"+sc.ID, nil)
		sc = decode[scanDoc](t, b)
	}
	if sc.Status != "done" || sc.Digest != digests[0] {
		t.Fatalf("scan = %s; want done with %s", b, digests[0])
	}
	code, b, _ = c.do("POST", "/v1/scans", map[string]any{"target": refs[0], "scanners": []string{"vuln"}})
	if code != http.StatusOK || decode[scanDoc](t, b).Status != "done" {
		t.Errorf("POST of a scanned digest = %d %s; want 200 done", code, b)
	}
	code, b, _ = c.do("GET", "/v1/images/"+digests[0], nil)
	if code != http.StatusOK || !strings.Contains(string(b), `"packages":`) {
		t.Errorf("GET image = %d %s", code, b)
	}
	for _, q := range []struct{ path, accept, want string }{
		{"/report", "", "application/json"},
		{"/report?format=cyclonedx-json", "", "application/vnd.cyclonedx+json"},
		{"/report?format=spdx-json", "", "application/spdx+json"},
		{"/report?format=sarif", "", "application/sarif+json"},
		{"/report", "text/markdown", "text/markdown; charset=utf-8"},
		{"/report", "application/spdx+json", "application/spdx+json"},
	} {
		code, b, h := c.do("GET", "/v1/images/"+digests[0]+q.path, nil, "Accept", q.accept)
		if code != http.StatusOK || h.Get("Content-Type") != q.want || h.Get("ETag") == "" {
			t.Errorf("GET %s (Accept %q) = %d %q ETag %q; want 200 %s\n%.300s", q.path, q.accept, code, h.Get("Content-Type"), h.Get("ETag"), q.want, b)
			continue
		}
		if code, _, _ := c.do("GET", "/v1/images/"+digests[0]+q.path, nil, "Accept", q.accept, "If-None-Match", h.Get("ETag")); code != http.StatusNotModified {
			t.Errorf("GET %s with its ETag = %d; want 304", q.path, code)
		}
	}
	if code, _, _ := c.do("GET", "/v1/images/"+digests[0]+"/report?format=xml", nil); code != http.StatusNotAcceptable {
		t.Errorf("unknown format = %d; want 406", code)
	}
	code, b, _ = c.do("GET", "/v1/packages/musl/spread?limit=1", nil)
	if code != http.StatusOK || !strings.Contains(string(b), `"images":1`) {
		t.Errorf("spread = %d %s", code, b)
	}
	code, b, _ = c.do("GET", "/v1/vulnerabilities/CVE-2019-14697/exposure?limit=1", nil)
	if code != http.StatusOK {
		t.Errorf("exposure = %d %s", code, b)
	}
	ex := decode[struct {
		Total int
		Next  string
	}](t, b)
	if ex.Total > 1 {
		code, b, _ = c.do("GET", "/v1/vulnerabilities/CVE-2019-14697/exposure?limit=1&next="+ex.Next, nil)
		if code != http.StatusOK {
			t.Errorf("exposure page 2 = %d %s", code, b)
		}
	}
	for _, p := range []string{"/v1/db", "/healthz", "/readyz", "/v1/openapi.json"} {
		if code, b, _ := c.do("GET", p, nil); code != http.StatusOK {
			t.Errorf("GET %s = %d %s", p, code, b)
		}
	}
	for _, bad := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"GET", "/v1/scans/999999", nil, 404},
		{"GET", "/v1/images/sha256:0000", nil, 404},
		{"POST", "/v1/scans", map[string]any{"target": host + "/missing:1"}, 422},
		{"POST", "/v1/scans", map[string]any{"target": "docker-archive:/etc/passwd"}, 422},
		{"POST", "/v1/scans", map[string]any{"image": "x"}, 400},
		{"GET", "/v1/packages/musl/spread?limit=0", nil, 400},
	} {
		code, b, h := c.do(bad.method, bad.path, bad.body)
		if code != bad.want || h.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s = %d %q %s; want %d problem+json", bad.method, bad.path, code, h.Get("Content-Type"), b, bad.want)
		}
	}
	resp, err := http.Get(c.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"customs_http_request_duration_seconds_bucket", "customs_queue_jobs{state=\"completed\"} 1", "customs_scan_jobs_total{outcome=\"done\"} 1", "customs_db_age_seconds", "customs_scan_job_duration_seconds"} {
		if !strings.Contains(string(m), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
