package dist

import (
	"archive/tar"
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"

	"github.com/customs-scanner/customs/internal/vulndb"
)

func zstdBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := zstd.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type entry struct {
	name string
	data []byte
}

// writeBundle writes a tar of entries, the way a forger would.
func writeBundle(t *testing.T, entries ...entry) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(e.data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return writeDB(t, t.TempDir(), "forged.tar", buf.Bytes())
}

// readBundle returns a bundle's entries.
func readBundle(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		var buf bytes.Buffer
		buf.ReadFrom(tr)
		out[h.Name] = buf.Bytes()
	}
	return out
}

func configOf(t *testing.T, db []byte) Config {
	t.Helper()
	c, err := describe(t.Context(), writeDB(t, t.TempDir(), "x.db", db))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func metaJSON(t *testing.T, c Config) []byte {
	t.Helper()
	b, err := json.Marshal(bundleMetadata{Format: BundleFormat, Config: c})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sigJSON(t *testing.T, key ed25519.PrivateKey, c Config) []byte {
	t.Helper()
	s, err := sign(key, c.payload())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(s)
	return b
}

func TestExportImportRoundTrip(t *testing.T) {
	a, b := realDBs(t)
	key, pub, _ := newKey(t)
	reg := newRegistry(t)
	digestA := push(t, reg.ref("db:v1"), a, key)

	pulled := filepath.Join(t.TempDir(), "customs.db")
	if _, err := Pull(t.Context(), reg.ref("db:v1"), pulled, pub, Options{}); err != nil {
		t.Fatal(err)
	}
	local := writeDB(t, t.TempDir(), "customs.db", a)

	type result struct {
		Signed, Verified bool
		DB, Digest       string
	}
	tests := []struct {
		name      string
		src       string
		exportKey ed25519.PrivateKey
		importPub ed25519.PublicKey
		want      result
	}{
		{"pulled DB carries its signature and digest", pulled, nil, pub, result{true, true, sha(a), digestA}},
		{"signed at export", local, key, pub, result{true, true, sha(a), ""}},
		{"unsigned, imported without a key", local, nil, nil, result{false, false, sha(a), ""}},
		{"signed, imported without a key", local, key, nil, result{true, false, sha(a), ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "db.tar")
			er, err := Export(t.Context(), tt.src, out, tt.exportKey)
			if err != nil {
				t.Fatalf("Export: %v", err)
			}
			dst := writeDB(t, t.TempDir(), "customs.db", b) // the previous DB
			ir, err := Import(t.Context(), out, dst, tt.importPub)
			if err != nil {
				t.Fatalf("Import: %v", err)
			}
			got := result{er.Signed, ir.Verified, fileSHA(t, dst), ir.Origin.ManifestDigest}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			o, err := ReadOrigin(dst)
			if err != nil || o == nil {
				t.Fatalf("ReadOrigin = %v, %v", o, err)
			}
			if got, want := o.verifies(pub), tt.want.Verified; got != want {
				t.Errorf("sidecar signature verifies = %v, want %v", got, want)
			}
		})
	}

	// An air-gapped site that imported the pulled DB needs no registry to
	// scan with the pinned digest.
	t.Run("EnsureDB after import, offline", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "db.tar")
		if _, err := Export(t.Context(), pulled, out, nil); err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(t.TempDir(), "customs.db")
		if _, err := Import(t.Context(), out, dst, pub); err != nil {
			t.Fatal(err)
		}
		offline := "127.0.0.1:1/db@" + digestA
		if _, err := ensure(t.Context(), offline, dst, pub, Options{}, nil); err != nil {
			t.Errorf("ensure %s: %v", offline, err)
		}
	})
}

func TestImportRefuses(t *testing.T) {
	a, b := realDBs(t)
	key, pub, _ := newKey(t)
	otherKey, _, _ := newKey(t)
	cfgA, cfgB := configOf(t, a), configOf(t, b)
	zA, zB := zstdBytes(t, a), zstdBytes(t, b)
	local := writeDB(t, t.TempDir(), "customs.db", a)
	signedA := filepath.Join(t.TempDir(), "signed.tar")
	if _, err := Export(t.Context(), local, signedA, key); err != nil {
		t.Fatal(err)
	}
	unsignedA := filepath.Join(t.TempDir(), "unsigned.tar")
	if _, err := Export(t.Context(), local, unsignedA, nil); err != nil {
		t.Fatal(err)
	}
	whole, err := os.ReadFile(signedA)
	if err != nil {
		t.Fatal(err)
	}
	notDB := []byte(strings.Repeat("not a database\n", 4096))
	cfgNotDB := Config{SchemaVersion: vulndb.SchemaVersion, Built: cfgA.Built, DBSHA256: sha(notDB), DBSize: int64(len(notDB))}
	cfg99 := cfgA
	cfg99.SchemaVersion = 99

	tests := []struct {
		name    string
		bundle  string
		pub     ed25519.PublicKey
		wantIs  error
		wantMsg string
	}{
		{"unsigned bundle, key given", unsignedA, pub, ErrUnsigned, "is not signed"},
		{"wrong key", writeBundle(t, entry{bundleMeta, metaJSON(t, cfgA)}, entry{bundleSignature, sigJSON(t, otherKey, cfgA)}, entry{bundleDB, zA}), pub, ErrVerify, "bad signature"},
		{"garbage file", writeDB(t, t.TempDir(), "garbage", []byte("PK\x03\x04 this is a zip, not a bundle")), pub, errNotBundle, "not a customs DB bundle"},
		{"a DB file, not a bundle", writeDB(t, t.TempDir(), "customs.db", a), nil, errNotBundle, "not a customs DB bundle"},
		{"truncated bundle", writeDB(t, t.TempDir(), "cut.tar", whole[:len(whole)/2]), pub, ErrVerify, "truncated"},
		{"other DB under A's signature", writeBundle(t, entry{bundleMeta, metaJSON(t, cfgA)}, entry{bundleSignature, sigJSON(t, key, cfgA)}, entry{bundleDB, zB}), pub, ErrVerify, "signed size"},
		{"other metadata under A's signature", writeBundle(t, entry{bundleMeta, metaJSON(t, cfgB)}, entry{bundleSignature, sigJSON(t, key, cfgA)}, entry{bundleDB, zB}), pub, ErrVerify, "disagrees"},
		{"unsigned, DB does not match its metadata", writeBundle(t, entry{bundleMeta, metaJSON(t, cfgA)}, entry{bundleDB, zB}), nil, ErrVerify, "signed size"},
		{"unsigned, another schema version", writeBundle(t, entry{bundleMeta, metaJSON(t, cfg99)}, entry{bundleDB, zA}), nil, nil, "DB schema version 99"},
		{"unsigned, bytes match but not a DB", writeBundle(t, entry{bundleMeta, metaJSON(t, cfgNotDB)}, entry{bundleDB, zstdBytes(t, notDB)}), nil, ErrVerify, "not a customs vulnerability DB"},
		{"signed, bytes match but not a DB", writeBundle(t, entry{bundleMeta, metaJSON(t, cfgNotDB)}, entry{bundleSignature, sigJSON(t, key, cfgNotDB)}, entry{bundleDB, zstdBytes(t, notDB)}), pub, ErrVerify, "not a customs vulnerability DB"},
		{"DB entry missing", writeBundle(t, entry{bundleMeta, metaJSON(t, cfgA)}), nil, errNotBundle, "missing customs.db.zst"},
		{"entries out of order", writeBundle(t, entry{bundleDB, zA}, entry{bundleMeta, metaJSON(t, cfgA)}), nil, errNotBundle, "first entry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			dst := writeDB(t, dir, "customs.db", b)
			before := dirEntries(t, dir)
			_, err := Import(t.Context(), tt.bundle, dst, tt.pub)
			if err == nil {
				t.Fatal("Import succeeded, want an error")
			}
			t.Logf("error: %v", err)
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Import error %q does not wrap %q", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Import error %q does not say %q", err, tt.wantMsg)
			}
			if got := fileSHA(t, dst); got != sha(b) {
				t.Errorf("previous DB changed: sha256 %s, want %s", got, sha(b))
			}
			if diff := cmp.Diff(before, dirEntries(t, dir)); diff != "" {
				t.Errorf("DB directory (-before +after):\n%s", diff)
			}
		})
	}
}

func TestPushRefusesNonDB(t *testing.T) {
	key, _, _ := newKey(t)
	reg := newRegistry(t)
	tests := []struct {
		name, ref string
		db        []byte
		wantMsg   string
	}{
		{"not a DB", reg.ref("db:v1"), []byte("hello"), "not a customs vulnerability DB"},
		{"digest reference", reg.ref("db@sha256:" + strings.Repeat("0", 64)), nil, "give a tag, not a digest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeDB(t, t.TempDir(), "x.db", tt.db)
			_, err := Push(t.Context(), tt.ref, p, key, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Push error %v, want one saying %q", err, tt.wantMsg)
			}
		})
	}
}
