package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/spf13/pflag"

	"github.com/customs-scanner/customs/internal/service/servicetest"
	"github.com/customs-scanner/customs/internal/store/backend"
)

// lockedBuffer is a buffer a running command writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testPKI writes a CA, a server certificate for 127.0.0.1 and a client
// certificate into dir; it returns the CA pool and the client's pair.
func testPKI(t *testing.T, dir string) (*x509.CertPool, tls.Certificate) {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey := newKey()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(cn string, serial int64, usage x509.ExtKeyUsage) ([]byte, []byte) {
		k := newKey()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now().Add(-time.Hour),
			NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kb, _ := x509.MarshalECPrivateKey(k)
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
	}
	sc, sk := issue("customs", 2, x509.ExtKeyUsageServerAuth)
	cc, ck := issue("ci-runner", 3, x509.ExtKeyUsageClientAuth)
	for name, b := range map[string][]byte{"tls.crt": sc, "tls.key": sk, "ca.pem": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pair, err := tls.X509KeyPair(cc, ck)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool, pair
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeSecurity runs customs serve with mutual TLS, tokens, the
// SSRF guard with a loopback registry allow-listed, a small rate limit
// and an audit log, and plays its clients over loopback.
func TestServeSecurity(t *testing.T) {
	if testing.Short() {
		t.Skip("starts customs serve and scans an image")
	}
	dir := t.TempDir()
	db, err := servicetest.DB(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	host := servicetest.Registry(t)
	refs, digests, err := servicetest.Push(t.Context(), host, 2)
	if err != nil {
		t.Fatal(err)
	}
	roots, clientCert := testPKI(t, dir)
	dsn := "sqlite:" + filepath.Join(dir, "store.db")
	tokens := map[string]string{}
	for _, scope := range []string{"read", "scan", "admin"} {
		r := run(t, "token", "create", "--scope", scope, "--name", scope+"-client", "--store", dsn)
		if r.code != 0 {
			t.Fatalf("token create: %s", r.stderr)
		}
		tokens[scope] = strings.TrimSpace(r.stdout)
	}
	addr := freePort(t)
	audit := filepath.Join(dir, "audit.log")
	ctx, cancel := context.WithCancel(t.Context())
	var stdout, stderr lockedBuffer
	done := make(chan int)
	go func() {
		done <- Main(ctx, []string{"serve", "--listen", addr, "--store", dsn, "--db", db, "--cache-dir", filepath.Join(dir, "cache"), "--workers", "1",
			"--db-update-every", "0", "--tls-cert", filepath.Join(dir, "tls.crt"), "--tls-key", filepath.Join(dir, "tls.key"),
			"--tls-client-ca", filepath.Join(dir, "ca.pem"), "--allow-registry", host, "--audit-log", audit, "--rate", "0.5", "--burst", "20",
			"--admission-client-cert", "ci-runner"},
			strings.NewReader(""), &stdout, &stderr)
	}()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			t.Error("customs serve did not stop within 60 s")
		}
	}
	t.Cleanup(stop)

	base := "https://" + addr
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{clientCert}}}}
	do := func(method, path, token, body string) (int, http.Header, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), method, base+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/healthz", nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("customs serve is not up after 60 s: %v\n%s", err, stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Mutual TLS: no client certificate, no connection.
	anon := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	if resp, err := anon.Get(base + "/healthz"); err == nil {
		resp.Body.Close()
		t.Error("a client without a certificate was served")
	}

	for _, tt := range []struct {
		method, path, token, body string
		want                      int
	}{
		{"GET", "/readyz", "", "", 200},
		{"GET", "/v1/db", "", "", 401},
		{"GET", "/v1/db", "customs_0123456789abcdef_" + strings.Repeat("A", 43), "", 401},
		{"GET", "/metrics", "", "", 401},
		{"GET", "/v1/openapi.json", "", "", 401},
		{"GET", "/v1/openapi.json", tokens["read"], "", 200},
		{"GET", "/metrics", tokens["read"], "", 200},
		{"POST", "/v1/scans", tokens["read"], `{"target":"` + refs[0] + `"}`, 403},
		// localhost names the allow-listed registry's address, not its name.
		{"POST", "/v1/scans", tokens["scan"], `{"target":"localhost:` + strings.Split(host, ":")[1] + `/app:1"}`, 422},
		{"POST", "/v1/scans", tokens["scan"], `{"target":"169.254.169.254/latest:meta-data"}`, 422},
		{"POST", "/v1/scans", tokens["scan"], `{"target":"docker-archive:/etc/passwd"}`, 422},
		{"POST", "/v1/scans", tokens["scan"], `{"target":"` + strings.Repeat("a", 2<<20) + `"}`, 413},
	} {
		code, h, body := do(tt.method, tt.path, tt.token, tt.body)
		if code != tt.want {
			t.Errorf("%s %s: %d %s, want %d", tt.method, tt.path, code, clip(body, 300), tt.want)
		}
		if code >= 400 && h.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s: %d as %s, want application/problem+json", tt.method, tt.path, code, h.Get("Content-Type"))
		}
	}

	// The admission endpoints also take the client certificate named by
	// --admission-client-cert (Gatekeeper sends no token); the rest of the
	// API does not.
	gk := `{"apiVersion":"externaldata.gatekeeper.sh/v1beta1","kind":"ProviderRequest","request":{"keys":["` + refs[1] + `"]}}`
	if code, _, body := do("POST", "/v1/admission/external-data", "", gk); code != 200 || !strings.Contains(body, `"known":false`) {
		t.Errorf("Gatekeeper over mutual TLS without a token: %d %s, want 200 with the image unknown", code, clip(body, 300))
	}

	// The allow-listed loopback registry's image is scanned.
	code, _, body := do("POST", "/v1/scans", tokens["scan"], `{"target":"`+refs[0]+`"}`)
	var job struct{ ID, Status, Error string }
	if err := json.Unmarshal([]byte(body), &job); err != nil || (code != 202 && code != 200) {
		t.Fatalf("POST /v1/scans: %d %s", code, body)
	}
	for deadline := time.Now().Add(90 * time.Second); job.Status != "done"; {
		if job.Status == "failed" || time.Now().After(deadline) {
			t.Fatalf("scan %s: %s %s", job.ID, job.Status, job.Error)
		}
		time.Sleep(300 * time.Millisecond)
		_, _, body := do("GET", "/v1/scans/"+job.ID, tokens["read"], "")
		json.Unmarshal([]byte(body), &job)
	}

	// Harbor asks for a scan of the second image with a robot account's
	// credentials and its scanner API key; the scan runs (the registry
	// asks for none, so they are carried, sealed, and not used).
	const robot, secret = "robot$library+scanner", "Zq8-registry-password-7Hk"
	cred := base64.StdEncoding.EncodeToString([]byte(robot + ":" + secret))
	repo := strings.TrimPrefix(strings.Split(refs[1], ":")[1], strings.Split(host, ":")[1]+"/")
	hreq, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/api/v1/scan", strings.NewReader(
		`{"registry":{"url":"http://`+host+`","authorization":"Basic `+cred+`"},"artifact":{"repository":"`+repo+`","digest":"`+digests[1]+`","mime_type":"application/vnd.oci.image.manifest.v1+json"}}`))
	hreq.Header.Set("Content-Type", "application/vnd.scanner.adapter.scan.request+json; version=1.1")
	hreq.Header.Set("X-ScannerAdapter-API-Key", tokens["scan"])
	hresp, err := client.Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	hb, _ := io.ReadAll(hresp.Body)
	hresp.Body.Close()
	var hjob struct{ ID string }
	if hresp.StatusCode != 202 || json.Unmarshal(hb, &hjob) != nil {
		t.Fatalf("Harbor POST /api/v1/scan: %d %s", hresp.StatusCode, hb)
	}
	for deadline := time.Now().Add(90 * time.Second); ; {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/api/v1/scan/"+hjob.ID+"/report", nil)
		req.Header.Set("Accept", "application/vnd.security.vulnerability.report; version=1.1")
		req.SetBasicAuth("harbor", tokens["scan"])
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 {
			break
		}
		if resp.StatusCode != 302 || time.Now().After(deadline) {
			t.Fatalf("Harbor report: %d %s", resp.StatusCode, clip(string(b), 300))
		}
		time.Sleep(300 * time.Millisecond)
	}

	// The admin token's bucket: 20 at once, then 429 with Retry-After.
	limited := 0
	for range 25 {
		code, h, _ := do("GET", "/v1/db", tokens["admin"], "")
		if code == 429 {
			limited++
			if h.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		}
	}
	if limited < 4 {
		t.Errorf("25 requests at once with a burst of 20: %d refused, want at least 4", limited)
	}
	if code, _, _ := do("GET", "/v1/db", tokens["read"], ""); code != 200 {
		t.Errorf("another token while admin is limited: %d, want 200", code)
	}
	// Its scan requests have a bucket of their own.
	if code, _, body := do("POST", "/v1/scans", tokens["admin"], `{"target":"`+refs[0]+`"}`); code != 200 {
		t.Errorf("admin's scan request while its reads are limited: %d %s, want 200 (stored)", code, clip(body, 200))
	}

	// Harbor's adapter answers the shared middleware's errors (tokens,
	// body limit, rate limit) in the spec's error MIME type, with a body
	// its ErrorResponse schema accepts.
	specErr := harborErrorSchema(t)
	harbor := func(method, path, token, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), method, base+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("X-ScannerAdapter-API-Key", token)
		}
		req.Header.Set("Content-Type", "application/vnd.scanner.adapter.scan.request+json; version=1.1")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 400 {
			if ct := resp.Header.Get("Content-Type"); ct != "application/vnd.scanner.adapter.error+json; version=1.0" {
				t.Errorf("Harbor %s %s: %d as %q, want the spec's error MIME type", method, path, resp.StatusCode, ct)
			}
			// The schema requires nothing; Harbor shows error.message.
			var v any
			var e struct{ Error struct{ Message string } }
			if err := json.Unmarshal(b, &v); err != nil || specErr.VisitJSON(v) != nil || json.Unmarshal(b, &e) != nil || e.Error.Message == "" {
				t.Errorf("Harbor %s %s: %d %s is not the spec's ErrorResponse with a message: %v", method, path, resp.StatusCode, clip(string(b), 200), err)
			}
		}
		return resp.StatusCode, string(b)
	}
	for _, tt := range []struct {
		method, path, token, body string
		want                      int
	}{
		{"GET", "/api/v1/metadata", "", "", 401},
		{"GET", "/api/v1/metadata", tokens["read"], "", 403},
		{"POST", "/api/v1/scan", tokens["scan"], `{"registry":{"url":"` + strings.Repeat("a", 2<<20) + `"}}`, 413},
		{"POST", "/api/v1/scan", tokens["scan"], `{"registry":`, 400},
		{"GET", "/api/v1/scan/999999/report", tokens["scan"], "", 404},
	} {
		if code, body := harbor(tt.method, tt.path, tt.token, tt.body); code != tt.want {
			t.Errorf("Harbor %s %s: %d %s, want %d", tt.method, tt.path, code, clip(body, 200), tt.want)
		}
	}
	limited = 0
	for range 25 {
		if code, _ := harbor("GET", "/api/v1/metadata", tokens["admin"], ""); code == 429 {
			limited++
		}
	}
	if limited == 0 {
		t.Error("Harbor: 25 requests at once with a burst of 20 were all served")
	}
	stop()

	b, err := os.ReadFile(audit)
	if err != nil {
		t.Fatal(err)
	}
	logs := string(b)
	var sawScan, sawRefused bool
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		if e["method"] == "POST" && e["path"] == "/v1/scans" && e["target"] == refs[0] && e["tokenName"] == "scan-client" && e["status"] == float64(202) {
			sawScan = true
		}
		if e["path"] == "/v1/db" && e["status"] == float64(401) && e["tokenID"] == "" {
			sawRefused = true
		}
		if strings.Contains(line, "/healthz") {
			t.Errorf("the probes are audited: %s", line)
		}
		if _, ok := e["clientCert"]; !ok {
			t.Errorf("audit line without the client certificate: %s", line)
		}
	}
	if !sawScan || !sawRefused {
		t.Errorf("audit log lacks the scan request (%v) or the refused request (%v):\n%s", sawScan, sawRefused, clip(logs, 3000))
	}
	st, err := backend.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stored := sqliteDump(t, filepath.Join(dir, "store.db"))
	for what, s := range map[string]string{"registry password": secret, "registry credential": cred} {
		for where, text := range map[string]string{"audit log": logs, "server log": stderr.String() + stdout.String(), "store": stored} {
			if strings.Contains(text, s) {
				t.Errorf("the %s holds the %s", where, what)
			}
		}
	}
	if !strings.Contains(logs, `"path":"/api/v1/scan"`) {
		t.Error("the audit log lacks Harbor's scan request")
	}
	for scope, tok := range tokens {
		secret := tok[len(tok)-43:] // the base64url secret, which may hold "_" itself
		for where, text := range map[string]string{"audit log": logs, "server log": stderr.String() + stdout.String(), "store": stored} {
			if strings.Contains(text, secret) {
				t.Errorf("the %s holds the %s token", where, scope)
			}
		}
	}
	toks, err := st.Tokens(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range toks {
		if tk.LastUsed.IsZero() {
			t.Errorf("token %s (%s): no last use recorded", tk.ID, tk.Name)
		}
	}
}

// sqliteDump returns the bytes of a SQLite store and its write-ahead log:
// every table (the queue's too) and the free pages.
func sqliteDump(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	wal, _ := os.ReadFile(path + "-wal")
	return string(b) + string(wal)
}

// TestSecurityConfig: the config file's serve keys fill the flags the
// command line leaves unset; flags win; bad combinations are errors.
func TestSecurityConfig(t *testing.T) {
	c, err := parseConfig([]byte("serve:\n  listen: :8443\n  allowRegistries: [registry.internal, 10.0.0.5:5000]\n  tlsCert: /etc/customs/tls.crt\n  tlsKey: /etc/customs/tls.key\n  auditLog: /var/log/customs/audit.log\n  rate: 5\n  burst: 10\n"))
	if err != nil {
		t.Fatal(err)
	}
	serve := &serveFlags{}
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	serve.add(fs, true)
	if err := fs.Parse([]string{"--burst", "30"}); err != nil {
		t.Fatal(err)
	}
	if err := serve.sec.resolve(fs, c.Serve.SecurityConfig, true); err != nil {
		t.Fatal(err)
	}
	want := securityFlags{tlsCert: "/etc/customs/tls.crt", tlsKey: "/etc/customs/tls.key", allowRegistries: []string{"registry.internal", "10.0.0.5:5000"},
		auditLog: "/var/log/customs/audit.log", rate: 5, burst: 30}
	if fmt.Sprint(serve.sec) != fmt.Sprint(want) {
		t.Errorf("resolved %+v, want %+v", serve.sec, want)
	}
	for _, bad := range []SecurityConfig{{TLSCert: "a.crt"}, {TLSClientCA: "ca.pem"}} {
		s := &serveFlags{}
		fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
		s.add(fs, true)
		if err := s.sec.resolve(fs, bad, true); err == nil {
			t.Errorf("config %+v accepted", bad)
		}
	}
}

// harborErrorSchema is the ErrorResponse schema of Harbor's scanner API
// (internal/harbor/testdata, the spec's OpenAPI document).
func harborErrorSchema(t *testing.T) *openapi3.Schema {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile(filepath.Join("..", "harbor", "testdata", "scanner-adapter-openapi-v1.2.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ref, ok := doc.Components.Schemas["ErrorResponse"]
	if !ok {
		t.Fatal("the spec has no ErrorResponse schema")
	}
	return ref.Value
}
