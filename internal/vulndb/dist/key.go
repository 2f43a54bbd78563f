package dist

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// maxKeyFile bounds a key file read from disk.
const maxKeyFile = 64 << 10

// GenerateKey writes a new ed25519 key pair: prefix+".key" (PEM "PRIVATE
// KEY", PKCS#8, mode 0600) and prefix+".pub" (PEM "PUBLIC KEY", PKIX). It
// refuses to overwrite either file and returns their paths.
func GenerateKey(prefix string) (keyPath, pubPath string, err error) {
	keyPath, pubPath = prefix+".key", prefix+".pub"
	for _, p := range []string{keyPath, pubPath} {
		if _, err := os.Lstat(p); err == nil {
			return "", "", fmt.Errorf("write key: %s exists; choose another --out or remove it", p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", "", fmt.Errorf("write key: %w", err)
		}
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", fmt.Errorf("generate key: %w", err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", "", fmt.Errorf("encode private key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", "", fmt.Errorf("encode public key: %w", err)
	}
	if err := writeNew(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), 0o600); err != nil {
		return "", "", err
	}
	if err := writeNew(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644); err != nil {
		os.Remove(keyPath)
		return "", "", err
	}
	return keyPath, pubPath, nil
}

// writeNew creates path exclusively (O_EXCL) so a race cannot overwrite a key.
func writeNew(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("write key: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("write key %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("write key %s: %w", path, err)
	}
	return nil
}

func readPEM(path, want string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, maxKeyFile+1)
	n, err := readFull(f, b)
	if err != nil {
		return nil, err
	}
	if n > maxKeyFile {
		return nil, fmt.Errorf("%s: larger than %d bytes, not a key file", path, maxKeyFile)
	}
	return decodePEM(b[:n], want)
}

func decodePEM(b []byte, want string) ([]byte, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("no PEM block; want %q", want)
	}
	if blk.Type != want {
		return nil, fmt.Errorf("PEM block %q, want %q", blk.Type, want)
	}
	return blk.Bytes, nil
}

// LoadPrivateKey reads an ed25519 private key written by GenerateKey.
func LoadPrivateKey(path string) (ed25519.PrivateKey, error) {
	der, err := readPEM(path, "PRIVATE KEY")
	if err != nil {
		return nil, fmt.Errorf("read private key %s: %w", path, err)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("read private key %s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("read private key %s: a %T, want ed25519 (customs db keygen)", path, k)
	}
	return priv, nil
}

// LoadPublicKey reads an ed25519 public key written by GenerateKey.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	der, err := readPEM(path, "PUBLIC KEY")
	if err != nil {
		return nil, fmt.Errorf("read public key %s: %w", path, err)
	}
	return parsePublicKey(der, path)
}

func parsePublicKey(der []byte, path string) (ed25519.PublicKey, error) {
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("read public key %s: %w", path, err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("read public key %s: a %T, want ed25519 (customs db keygen)", path, k)
	}
	return pub, nil
}

// KeyID names a public key: the first 16 hex digits of the sha256 of its
// PKIX encoding. It is recorded beside a signature so that a key mismatch
// can be told apart from tampering.
func KeyID(pub ed25519.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "invalid"
	}
	s := sha256.Sum256(der)
	return hex.EncodeToString(s[:8])
}
