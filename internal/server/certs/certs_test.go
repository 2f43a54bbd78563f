package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// authority is a CA that issues certificates for the test.
type authority struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newCA(t *testing.T, name string) *authority {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &authority{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns a leaf certificate and key, PEM-encoded, for a server
// (on 127.0.0.1) or a client.
func (ca *authority) issue(t *testing.T, cn string, serial int64, client bool) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	if client {
		tmpl.ExtKeyUsage, tmpl.IPAddresses = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, nil
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// serve starts an HTTPS server on loopback with r's configuration.
func serve(t *testing.T, r *Reloader) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		name := "anonymous"
		if len(req.TLS.PeerCertificates) > 0 {
			name = req.TLS.PeerCertificates[0].Subject.CommonName
		}
		io.WriteString(w, name)
	}))
	srv.TLS = r.Config()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// get makes a request with a client trusting roots and presenting cert
// (if any); it returns the body and the server certificate's serial.
func get(url string, roots *x509.CertPool, cert *tls.Certificate) (string, int64, error) {
	cfg := &tls.Config{RootCAs: roots}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
	defer c.CloseIdleConnections()
	resp, err := c.Get(url)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), resp.TLS.PeerCertificates[0].SerialNumber.Int64(), err
}

func keyPair(t *testing.T, certPEM, keyPEM []byte) *tls.Certificate {
	t.Helper()
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return &c
}

// TestTLS: a real handshake with the loaded certificate, and a renewed
// certificate served without a restart.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "customs test CA")
	f := Files{Cert: filepath.Join(dir, "tls.crt"), Key: filepath.Join(dir, "tls.key")}
	c, k := ca.issue(t, "customs", 100, false)
	write(t, f.Cert, c)
	write(t, f.Key, k)
	r, err := Load(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	r.now = func() time.Time { return now }
	srv := serve(t, r)
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	body, serial, err := get(srv.URL, roots, nil)
	if err != nil || body != "anonymous" || serial != 100 {
		t.Fatalf("GET: %q, serial %d, %v; want anonymous, serial 100", body, serial, err)
	}
	if _, _, err := get(srv.URL, x509.NewCertPool(), nil); err == nil {
		t.Error("a client that does not trust the CA completed the handshake")
	}

	// Renewal: new files; the next handshake after CheckEvery serves them.
	c, k = ca.issue(t, "customs", 101, false)
	write(t, f.Cert, c)
	write(t, f.Key, k)
	os.Chtimes(f.Cert, now.Add(time.Second), now.Add(time.Second))
	now = now.Add(CheckEvery)
	if _, serial, err := get(srv.URL, roots, nil); err != nil || serial != 101 {
		t.Errorf("after renewal: serial %d, %v; want 101", serial, err)
	}
	// A broken file keeps the previous certificate in use.
	write(t, f.Key, []byte("not a key"))
	now = now.Add(CheckEvery)
	if _, serial, err := get(srv.URL, roots, nil); err != nil || serial != 101 {
		t.Errorf("after a broken key: serial %d, %v; want 101 still", serial, err)
	}
}

// TestMutualTLS: with a client CA, a client certificate from it is
// accepted; none, or one from another CA, is refused at the handshake.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, clients, other := newCA(t, "server CA"), newCA(t, "client CA"), newCA(t, "other CA")
	f := Files{Cert: filepath.Join(dir, "tls.crt"), Key: filepath.Join(dir, "tls.key"), ClientCA: filepath.Join(dir, "clients.pem")}
	c, k := ca.issue(t, "customs", 7, false)
	write(t, f.Cert, c)
	write(t, f.Key, k)
	write(t, f.ClientCA, clients.pem)
	r, err := Load(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, r)
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)

	hc, hk := clients.issue(t, "harbor", 8, true)
	harbor := keyPair(t, hc, hk)
	if body, _, err := get(srv.URL, roots, harbor); err != nil || body != "harbor" {
		t.Errorf("client certificate from the client CA: %q, %v; want accepted as harbor", body, err)
	}
	if _, _, err := get(srv.URL, roots, nil); err == nil {
		t.Error("a client without a certificate was accepted")
	}
	sc, sk := other.issue(t, "stranger", 9, true)
	stranger := keyPair(t, sc, sk)
	if _, _, err := get(srv.URL, roots, stranger); err == nil {
		t.Error("a client certificate from another CA was accepted")
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(Files{Cert: filepath.Join(dir, "x.crt")}, nil); err == nil {
		t.Error("loaded without a key")
	}
	if _, err := Load(Files{Cert: filepath.Join(dir, "x.crt"), Key: filepath.Join(dir, "x.key")}, nil); err == nil {
		t.Error("loaded missing files")
	}
	ca := newCA(t, "CA")
	f := Files{Cert: filepath.Join(dir, "tls.crt"), Key: filepath.Join(dir, "tls.key"), ClientCA: filepath.Join(dir, "ca.pem")}
	c, k := ca.issue(t, "customs", 1, false)
	write(t, f.Cert, c)
	write(t, f.Key, k)
	write(t, f.ClientCA, []byte("no PEM here"))
	if _, err := Load(f, nil); err == nil {
		t.Error("loaded a client CA file without certificates")
	}
}
