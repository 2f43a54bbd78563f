package harbor

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The robot account Harbor hands the adapter in registry.authorization.
const (
	robotUser     = "robot$customs-test"
	robotPassword = "s3cret-robot-password"
)

func init() {
	// The report MIME types whose names do not end in +json: the 1.1
	// vulnerability report is JSON, the raw report a string (the spec's
	// schema).
	openapi3filter.RegisterBodyDecoder("application/vnd.security.vulnerability.report", openapi3filter.JSONBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/vnd.scanner.adapter.vuln.report.raw", openapi3filter.PlainBodyDecoder)
}

// brokenRepository is where the test registry fails every blob download,
// so a scan of an image there fails.
const brokenRepository = "library/broken"

// pushed is an image in a loopback registry.
type pushed struct {
	registry   string // http://127.0.0.1:port
	repository string
	tag        string
	digest     string
}

// authRegistry serves go-containerregistry's registry on loopback behind
// HTTP Basic auth: every request without the robot's credentials is 401.
func authRegistry(t *testing.T) *httptest.Server {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != robotUser || p != robotPassword {
			w.Header().Set("WWW-Authenticate", `Basic realm="customs-test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/"+brokenRepository+"/blobs/") {
			http.Error(w, "disk on fire", http.StatusInternalServerError)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// pushBookworm pushes testdata/images/debian-bookworm-dpkg.tar.gz into the
// registry as library/debian:bookworm.
func pushBookworm(t *testing.T, reg *httptest.Server) pushed {
	t.Helper()
	gz, err := os.Open(filepath.Join("..", "..", "testdata", "images", "debian-bookworm-dpkg.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer gz.Close()
	zr, err := gzip.NewReader(gz)
	if err != nil {
		t.Fatal(err)
	}
	tarPath := filepath.Join(t.TempDir(), "image.tar")
	if err := writeFile(tarPath, zr); err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(tarPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(reg.URL)
	if err != nil {
		t.Fatal(err)
	}
	p := pushed{registry: reg.URL, repository: "library/debian", tag: "bookworm"}
	tag, err := name.NewTag(u.Host + "/" + p.repository + ":" + p.tag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img, remote.WithAuth(&authn.Basic{Username: robotUser, Password: robotPassword}), remote.WithContext(t.Context())); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	p.digest = d.String()
	return p
}

// pushBroken pushes the image of p, with a label of its own (so another
// digest), into brokenRepository.
func pushBroken(t *testing.T, reg *httptest.Server, p pushed) pushed {
	t.Helper()
	u, err := url.Parse(reg.URL)
	if err != nil {
		t.Fatal(err)
	}
	opt := remote.WithAuth(&authn.Basic{Username: robotUser, Password: robotPassword})
	src, err := name.NewDigest(u.Host + "/" + p.repository + "@" + p.digest)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(src, opt)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg := cf.Config
	cfg.Labels = map[string]string{"test": "broken"}
	img, err = mutate.Config(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	q := pushed{registry: p.registry, repository: brokenRepository, tag: "1"}
	tag, err := name.NewTag(u.Host + "/" + q.repository + ":" + q.tag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img, opt); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	q.digest = d.String()
	return q
}

func writeFile(path string, r io.Reader) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// harborClient plays Harbor's side of the API: its requests, and every
// request and response checked against the spec's OpenAPI document.
type harborClient struct {
	t      *testing.T
	base   string // http://host:port
	header http.Header
	http   *http.Client
	router routers.Router
}

func newHarborClient(t *testing.T, base string, header http.Header) *harborClient {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(filepath.Join("testdata", "scanner-adapter-openapi-v1.2.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Two slips of the upstream document are let pass: examples written
	// as strings of JSON (ScanRequest's parameters, the capabilities),
	// which do not match their schemas, and "descriptions" (for
	// "description") beside additional_attributes.
	lax := []openapi3.ValidationOption{openapi3.DisableExamplesValidation(), openapi3.AllowExtraSiblingFields("descriptions")}
	if err := doc.Validate(loader.Context, lax...); err != nil {
		t.Fatalf("the spec's OpenAPI document: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: base + Prefix}}
	router, err := legacy.NewRouter(doc, lax...)
	if err != nil {
		t.Fatal(err)
	}
	// Harbor's client does not follow redirects: a 302 means "poll again".
	hc := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &harborClient{t: t, base: base, header: header, http: hc, router: router}
}

// do sends a request, validates it and the response against the spec
// (undocumented status codes included), and returns the response with its
// body read.
func (c *harborClient) do(method, path string, header http.Header, body []byte) (*http.Response, []byte) {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	for k, v := range header {
		req.Header[k] = v
	}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		c.t.Fatalf("%s %s: not in the spec: %v", method, path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	reqErr := openapi3filter.ValidateRequest(c.t.Context(), in)
	req.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if reqErr != nil && resp.StatusCode < 400 {
		c.t.Errorf("%s %s: the request breaks the spec (%v) but was answered %d", method, path, reqErr, resp.StatusCode)
	}
	if route.Operation.Responses.Status(resp.StatusCode) == nil {
		c.t.Errorf("%s %s: status %d is not in the spec's responses of %s: %s", method, path, resp.StatusCode, route.Operation.OperationID, got)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(got)), Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	if err := openapi3filter.ValidateResponse(c.t.Context(), out); err != nil {
		c.t.Errorf("%s %s: the %d response breaks the spec: %v\n%s", method, path, resp.StatusCode, err, got)
	}
	return resp, got
}

// scanRequest is a ScanRequest as Harbor writes it.
func scanRequest(p pushed, auth string) []byte {
	b, _ := json.Marshal(map[string]any{
		"registry": map[string]string{"url": p.registry, "authorization": auth},
		"artifact": map[string]string{"repository": p.repository, "digest": p.digest, "tag": p.tag, "mime_type": MIMEDockerManifest},
		"enabled_capabilities": []map[string]any{
			{"type": "vulnerability", "produces_mime_types": []string{MIMEVulnReport11, MIMEVulnReport10}},
			{"type": "sbom", "produces_mime_types": []string{MIMESBOMReport}, "parameters": map[string]any{"sbom_media_types": []string{MediaTypeSPDX, MediaTypeCycloneDX}}},
		},
	})
	return b
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// pollReport polls a report as Harbor does until it is not 302, honouring
// Refresh-After (capped at 200 ms to keep the test short), and returns
// the final response and the Refresh-After values seen.
func (c *harborClient) pollReport(id, accept, query string) (*http.Response, []byte, []int) {
	c.t.Helper()
	var waits []int
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, body := c.do("GET", Prefix+"/scan/"+url.PathEscape(id)+"/report"+query, http.Header{"Accept": {accept}}, nil)
		if resp.StatusCode != http.StatusFound {
			return resp, body, waits
		}
		s := resp.Header.Get("Refresh-After")
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			c.t.Fatalf("302 with Refresh-After %q, want a whole number of seconds", s)
		}
		waits = append(waits, n)
		if time.Now().After(deadline) {
			c.t.Fatalf("report %s still not ready after 2 minutes", id)
		}
		time.Sleep(min(time.Duration(n)*time.Second, 200*time.Millisecond))
	}
}

// conformance plays Harbor against the adapter at base, with the image p
// in a registry behind the robot's Basic auth.
func conformance(t *testing.T, c *harborClient, p, broken pushed, dbBuilt time.Time) {
	// Registration: the metadata, in both versions.
	for _, accept := range []string{MIMEMetadata11, MIMEMetadata10, ""} {
		resp, body := c.do("GET", Prefix+"/metadata", http.Header{"Accept": {accept}}, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("metadata (Accept %q): %d %s", accept, resp.StatusCode, body)
		}
		var md Metadata
		if err := json.Unmarshal(body, &md); err != nil {
			t.Fatal(err)
		}
		if got, want := md.Properties[PropDBUpdatedAt], dbBuilt.UTC().Format(time.RFC3339); got != want {
			t.Errorf("metadata %s = %q, want the DB's build time %q", PropDBUpdatedAt, got, want)
		}
		if len(md.Capabilities) != 2 || md.Scanner.Name != "customs" {
			t.Errorf("metadata = %s", body)
		}
	}

	// A scan request with the robot's credentials, in both request versions.
	var id string
	for _, ct := range []string{MIMEScanRequest11, MIMEScanRequest10} {
		resp, body := c.do("POST", Prefix+"/scan", http.Header{"Content-Type": {ct}}, scanRequest(p, basic(robotUser, robotPassword)))
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("scan (%s): %d %s", ct, resp.StatusCode, body)
		}
		if got := resp.Header.Get("Content-Type"); got != MIMEScanResponse {
			t.Errorf("scan response Content-Type = %q, want %q", got, MIMEScanResponse)
		}
		var sr ScanResponse
		if err := json.Unmarshal(body, &sr); err != nil || sr.ID == "" {
			t.Fatalf("scan response %s: %v", body, err)
		}
		id = sr.ID
	}

	// The reports, in every MIME type the metadata lists, and the raw one.
	resp, body, waits := c.pollReport(id, MIMEVulnReport11, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("report: %d %s", resp.StatusCode, body)
	}
	t.Logf("Refresh-After values while the scan ran: %v", waits)
	var v11 VulnerabilityReport
	if err := json.Unmarshal(body, &v11); err != nil {
		t.Fatal(err)
	}
	if len(v11.Vulnerabilities) == 0 {
		t.Error("the 1.1 report has no vulnerabilities; the bookworm image has some")
	}
	if v11.Artifact.Digest != p.digest || v11.Artifact.Repository != p.repository {
		t.Errorf("report artifact = %+v, want %s@%s", v11.Artifact, p.repository, p.digest)
	}
	for _, it := range v11.Vulnerabilities {
		if it.VendorAttributes["layer"] == nil {
			t.Errorf("%s %s: no layer in vendor_attributes", it.ID, it.Package)
		}
	}
	resp, body, _ = c.pollReport(id, MIMEVulnReport10, "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != MIMEVulnReport10 {
		t.Fatalf("1.0 report: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var v10 VulnerabilityReport
	if err := json.Unmarshal(body, &v10); err != nil {
		t.Fatal(err)
	}
	if len(v10.Vulnerabilities) != len(v11.Vulnerabilities) {
		t.Errorf("1.0 report: %d vulnerabilities, 1.1: %d", len(v10.Vulnerabilities), len(v11.Vulnerabilities))
	}
	for _, mt := range []string{MediaTypeSPDX, MediaTypeCycloneDX} {
		resp, body, _ := c.pollReport(id, MIMESBOMReport, "?sbom_media_type="+url.QueryEscape(mt))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("sbom %s: %d %s", mt, resp.StatusCode, body)
		}
		var sb SBOMReport
		if err := json.Unmarshal(body, &sb); err != nil {
			t.Fatal(err)
		}
		if sb.MediaType != mt || len(sb.SBOM) == 0 {
			t.Errorf("sbom %s: media_type %q, %d bytes", mt, sb.MediaType, len(sb.SBOM))
		}
	}
	resp, body, _ = c.pollReport(id, MIMERawReport, "")
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"schemaVersion"`)) {
		t.Errorf("raw report: %d %.200s", resp.StatusCode, body)
	}
	// No Accept: the legacy report.
	resp, _ = c.do("GET", Prefix+"/scan/"+url.PathEscape(id)+"/report", nil, nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != MIMEVulnReport10 {
		t.Errorf("report without Accept: %d %s, want 200 %s", resp.StatusCode, resp.Header.Get("Content-Type"), MIMEVulnReport10)
	}

	// The errors the spec names.
	good := scanRequest(p, basic(robotUser, robotPassword))
	for _, tc := range []struct {
		name   string
		ct     string
		body   []byte
		status int
	}{
		{"invalid JSON", MIMEScanRequest11, []byte(`{"registry":`), http.StatusBadRequest},
		{"wrong JSON type", MIMEScanRequest11, []byte(`{"registry":"x","artifact":{}}`), http.StatusBadRequest},
		{"not a scan request", "text/plain", good, http.StatusBadRequest},
		{"no registry url", MIMEScanRequest11, bytes.Replace(good, []byte(p.registry), []byte("ftp://x"), 1), http.StatusUnprocessableEntity},
		{"cloud metadata registry (SSRF guard)", MIMEScanRequest11, bytes.Replace(good, []byte(p.registry), []byte("http://169.254.169.254"), 1), http.StatusUnprocessableEntity},
		{"no digest", MIMEScanRequest11, bytes.Replace(good, []byte(p.digest), []byte(""), 1), http.StatusUnprocessableEntity},
		{"bad digest", MIMEScanRequest11, bytes.Replace(good, []byte(p.digest), []byte("sha256:123"), 1), http.StatusUnprocessableEntity},
		{"bad authorization", MIMEScanRequest11, bytes.Replace(good, []byte("Basic "), []byte("Digest "), 1), http.StatusUnprocessableEntity},
		{"helm chart", MIMEScanRequest11, bytes.Replace(good, []byte(MIMEDockerManifest), []byte("application/vnd.cncf.helm.config.v1+json"), 1), http.StatusNotImplemented},
		{"raw report asked", MIMEScanRequest11, bytes.Replace(good, []byte(`"`+MIMEVulnReport10+`"`), []byte(`"application/x-unknown"`), 1), http.StatusNotImplemented},
	} {
		resp, body := c.do("POST", Prefix+"/scan", http.Header{"Content-Type": {tc.ct}}, tc.body)
		if resp.StatusCode != tc.status {
			t.Errorf("scan, %s: %d %s, want %d", tc.name, resp.StatusCode, body, tc.status)
		}
		if resp.Header.Get("Content-Type") != MIMEError {
			t.Errorf("scan, %s: Content-Type %q, want %q", tc.name, resp.Header.Get("Content-Type"), MIMEError)
		}
	}
	for _, tc := range []struct {
		name, id, accept, query string
		status                  int
	}{
		{"unknown id", "no-such-scan", MIMEVulnReport11, "", http.StatusNotFound},
		{"sbom without media type", id, MIMESBOMReport, "", http.StatusBadRequest},
		{"unknown accept", id, "application/vnd.example.report+json", "", http.StatusNotImplemented},
	} {
		resp, body := c.do("GET", Prefix+"/scan/"+url.PathEscape(tc.id)+"/report"+tc.query, http.Header{"Accept": {tc.accept}}, nil)
		if resp.StatusCode != tc.status {
			t.Errorf("report, %s: %d %s, want %d", tc.name, resp.StatusCode, body, tc.status)
		}
	}

	// Wrong registry credentials: the scan fails, the report is a 500 whose
	// message does not repeat them.
	resp, body = c.do("POST", Prefix+"/scan", http.Header{"Content-Type": {MIMEScanRequest11}}, scanRequest(otherDigest(t, p), basic(robotUser, "wrong-password")))
	if resp.StatusCode == http.StatusAccepted {
		var sr ScanResponse
		if err := json.Unmarshal(body, &sr); err != nil {
			t.Fatal(err)
		}
		resp, body, _ = c.pollReport(sr.ID, MIMEVulnReport11, "")
	}
	if resp.StatusCode != http.StatusInternalServerError && resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("scan with wrong credentials: %d %s, want 500 (or 422 at submission)", resp.StatusCode, body)
	}
	if bytes.Contains(body, []byte("wrong-password")) || bytes.Contains(body, []byte(base64.StdEncoding.EncodeToString([]byte(robotUser+":wrong-password")))) {
		t.Errorf("the error repeats the credentials: %s", body)
	}

	// A scan that fails (the registry cannot serve the image's blobs): the
	// report is a 500 with the reason.
	resp, body = c.do("POST", Prefix+"/scan", http.Header{"Content-Type": {MIMEScanRequest11}}, scanRequest(broken, basic(robotUser, robotPassword)))
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("scan of the broken image: %d %s", resp.StatusCode, body)
	}
	var sr ScanResponse
	if err := json.Unmarshal(body, &sr); err != nil {
		t.Fatal(err)
	}
	resp, body, _ = c.pollReport(sr.ID, MIMEVulnReport11, "")
	var e ErrorResponse
	if resp.StatusCode != http.StatusInternalServerError || json.Unmarshal(body, &e) != nil || e.Error.Message == "" {
		t.Errorf("report of a failed scan: %d %s, want 500 with the reason", resp.StatusCode, body)
	}
	t.Logf("failed scan: %s", e.Error.Message)
}

// otherDigest is p with a digest the registry holds no manifest for, so
// the scan cannot be answered from the earlier one.
func otherDigest(t *testing.T, p pushed) pushed {
	t.Helper()
	q := p
	q.digest = "sha256:" + strings.Repeat("0", 64)
	return q
}
