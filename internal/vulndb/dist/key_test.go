package dist

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGenerateKey(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "customs-db")
	keyPath, pubPath, err := GenerateKey(prefix)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range []string{keyPath, pubPath} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		blk, _ := pem.Decode(b)
		if blk == nil {
			t.Fatalf("%s: no PEM block", p)
		}
		got[filepath.Base(p)] = blk.Type
	}
	want := map[string]string{
		"customs-db.key": "PRIVATE KEY",
		"customs-db.pub": "PUBLIC KEY",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PEM types (-want +got):\n%s", diff)
	}
	if st, _ := os.Stat(keyPath); st.Mode().Perm() != 0o600 {
		t.Errorf("private key mode %v, want 0600", st.Mode().Perm())
	}
	priv, err := LoadPrivateKey(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := LoadPublicKey(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(priv.Public()) {
		t.Error("public key does not match the private key")
	}

	// Refuse to overwrite either half.
	before, _ := os.ReadFile(keyPath)
	if _, _, err := GenerateKey(prefix); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("GenerateKey over existing files: %v, want an 'exists' error", err)
	}
	onlyPub := filepath.Join(t.TempDir(), "x")
	os.WriteFile(onlyPub+".pub", []byte("keep"), 0o644)
	if _, _, err := GenerateKey(onlyPub); err == nil {
		t.Error("GenerateKey with an existing .pub succeeded")
	}
	if _, err := os.Stat(onlyPub + ".key"); err == nil {
		t.Error("GenerateKey left a .key behind after refusing")
	}
	if after, _ := os.ReadFile(keyPath); string(after) != string(before) {
		t.Error("private key was overwritten")
	}
}

func TestLoadKeyRefuses(t *testing.T) {
	dir := t.TempDir()
	keyPath, pubPath, err := GenerateKey(filepath.Join(dir, "k"))
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	ecPubDER, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	ecKey := writeDB(t, dir, "ec.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}))
	ecPub := writeDB(t, dir, "ec.pub", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecPubDER}))
	big := writeDB(t, dir, "big", make([]byte, maxKeyFile+10))

	tests := []struct {
		name, path string
		private    bool
		wantMsg    string
	}{
		{"public key as private", pubPath, true, `PEM block "PUBLIC KEY", want "PRIVATE KEY"`},
		{"private key as public", keyPath, false, `PEM block "PRIVATE KEY", want "PUBLIC KEY"`},
		{"ECDSA private key", ecKey, true, "want ed25519"},
		{"ECDSA public key", ecPub, false, "want ed25519"},
		{"not PEM", writeDB(t, dir, "junk", []byte("hello")), false, "no PEM block"},
		{"too large", big, false, "not a key file"},
		{"missing", filepath.Join(dir, "nope.pub"), false, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.private {
				_, err = LoadPrivateKey(tt.path)
			} else {
				_, err = LoadPublicKey(tt.path)
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %v, want one saying %q", err, tt.wantMsg)
			}
		})
	}
}
