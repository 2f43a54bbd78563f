// Package auth checks the API tokens of customs serve: every endpoint but
// the health probes needs one (docs/serve.md, "Security").
//
// A token is "customs_" + a 16-hex-digit ID + "_" + 43 characters of
// base64url (32 random bytes). The store keeps its ID, name, scope and the
// SHA-256 of the whole token; the token itself is shown once, by
// `customs token create`. The ID, which is no secret, finds the stored
// hash; the hashes are compared in constant time.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/store"
)

// Scope is what a token may do; each scope includes the ones below it.
type Scope int

// Scopes, in order.
const (
	// Read reads results: scans, images, reports, exposure, the DB.
	Read Scope = iota + 1
	// Scan also asks for scans (POST /v1/scans, Harbor's POST /scan) and
	// admission decisions.
	Scan
	// Admin also manages subscriptions and anything that changes the
	// service's configuration.
	Admin
)

var scopeNames = map[Scope]string{Read: "read", Scan: "scan", Admin: "admin"}

func (s Scope) String() string {
	if n, ok := scopeNames[s]; ok {
		return n
	}
	return fmt.Sprintf("Scope(%d)", int(s))
}

// ParseScope parses "read", "scan" or "admin".
func ParseScope(s string) (Scope, error) {
	for sc, n := range scopeNames {
		if n == s {
			return sc, nil
		}
	}
	return 0, fmt.Errorf("unknown scope %q: want read, scan or admin", s)
}

// Allows reports whether a token of scope s may do what needs scope need.
func (s Scope) Allows(need Scope) bool { return s >= need }

// Prefix starts every token, so secret scanners and people recognise one.
const Prefix = "customs_"

const (
	idBytes     = 8
	secretBytes = 32
	idLen       = 2 * idBytes
)

// Generate returns a new token and its record for the store.
func Generate(name string, scope Scope, now time.Time) (token string, rec store.Token, err error) {
	if _, ok := scopeNames[scope]; !ok {
		return "", rec, fmt.Errorf("unknown scope %v", scope)
	}
	b := make([]byte, idBytes+secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", rec, err
	}
	id := hex.EncodeToString(b[:idBytes])
	token = Prefix + id + "_" + base64.RawURLEncoding.EncodeToString(b[idBytes:])
	rec = store.Token{ID: id, Name: name, Scope: scope.String(), Hash: Hash(token), CreatedAt: now.UTC()}
	return token, rec, nil
}

// Hash is the hex SHA-256 of a token, as the store keeps it. A token
// carries 256 random bits, so a fast hash is enough: there is nothing to
// guess by trying.
func Hash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// ID returns the ID part of a token, false if token is not one in form.
func ID(token string) (string, bool) {
	rest, ok := strings.CutPrefix(token, Prefix)
	if !ok || len(rest) != idLen+1+base64.RawURLEncoding.EncodedLen(secretBytes) || rest[idLen] != '_' {
		return "", false
	}
	id := rest[:idLen]
	if _, err := hex.DecodeString(id); err != nil {
		return "", false
	}
	return id, true
}
