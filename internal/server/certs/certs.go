// Package certs builds the TLS configuration of customs serve from
// --tls-cert, --tls-key and, for mutual TLS, --tls-client-ca, and reloads
// the files when they change (a renewed certificate is served without a
// restart).
package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Files name the PEM files.
type Files struct {
	Cert string // the server's certificate chain
	Key  string // its private key
	// ClientCA, when set, holds the CAs client certificates must chain
	// to; a client without such a certificate is refused at the
	// handshake (mutual TLS).
	ClientCA string
}

// CheckEvery is how often, at most, the files are looked at for a change.
const CheckEvery = 5 * time.Second

// Reloader serves the current certificate and client CAs.
type Reloader struct {
	files  Files
	logger *slog.Logger
	now    func() time.Time

	mu      sync.Mutex
	cert    *tls.Certificate
	pool    *x509.CertPool
	stamp   string // the files' sizes and modification times when loaded
	checked time.Time
}

// Load reads the files; logger (nil discards) hears of reloads and of
// changed files that do not load (the previous ones stay in use).
func Load(f Files, logger *slog.Logger) (*Reloader, error) {
	if f.Cert == "" || f.Key == "" {
		return nil, errors.New("TLS needs both --tls-cert and --tls-key")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Reloader{files: f, logger: logger, now: time.Now}
	stamp, err := r.stampFiles()
	if err != nil {
		return nil, err
	}
	if err := r.load(stamp); err != nil {
		return nil, err
	}
	r.checked = r.now()
	return r, nil
}

func (r *Reloader) paths() []string {
	p := []string{r.files.Cert, r.files.Key}
	if r.files.ClientCA != "" {
		p = append(p, r.files.ClientCA)
	}
	return p
}

func (r *Reloader) stampFiles() (string, error) {
	var s string
	for _, p := range r.paths() {
		fi, err := os.Stat(p)
		if err != nil {
			return "", fmt.Errorf("TLS: %w", err)
		}
		s += fmt.Sprintf("%s:%d:%d;", p, fi.Size(), fi.ModTime().UnixNano())
	}
	return s, nil
}

func (r *Reloader) load(stamp string) error {
	cert, err := tls.LoadX509KeyPair(r.files.Cert, r.files.Key)
	if err != nil {
		return fmt.Errorf("TLS certificate %s, key %s: %w", r.files.Cert, r.files.Key, err)
	}
	var pool *x509.CertPool
	if r.files.ClientCA != "" {
		b, err := os.ReadFile(r.files.ClientCA)
		if err != nil {
			return fmt.Errorf("TLS client CA: %w", err)
		}
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return fmt.Errorf("TLS client CA %s: no PEM certificate in it", r.files.ClientCA)
		}
	}
	r.cert, r.pool, r.stamp = &cert, pool, stamp
	return nil
}

// current returns the certificate and pool, reloading them if the files
// changed since they were loaded.
func (r *Reloader) current() (*tls.Certificate, *x509.CertPool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if now.Sub(r.checked) < CheckEvery {
		return r.cert, r.pool
	}
	r.checked = now
	stamp, err := r.stampFiles()
	if err != nil {
		r.logger.Warn("TLS files", "err", err)
		return r.cert, r.pool
	}
	if stamp == r.stamp {
		return r.cert, r.pool
	}
	if err := r.load(stamp); err != nil {
		r.logger.Warn("TLS files changed but do not load; serving the previous ones", "err", err)
		return r.cert, r.pool
	}
	r.logger.Info("TLS files reloaded", "cert", r.files.Cert)
	return r.cert, r.pool
}

// Config returns the server's TLS configuration: TLS 1.2 or later, the
// current certificate at each handshake and, with a client CA, a verified
// client certificate required.
func (r *Reloader) Config() *tls.Config {
	base := &tls.Config{MinVersion: tls.VersionTLS12}
	base.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		cert, pool := r.current()
		c := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{*cert}}
		if pool != nil {
			c.ClientCAs = pool
			c.ClientAuth = tls.RequireAndVerifyClientCert
		}
		return c, nil
	}
	return base
}
