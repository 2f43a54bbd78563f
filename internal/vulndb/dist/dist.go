// Package dist moves a vulnerability DB file between machines: as a signed
// OCI artifact in a registry (Push, Pull, EnsureDB) and as a single bundle
// file for air-gapped sites (Export, Import). docs/db-distribution.md
// describes the artifact layout and the signature payload.
//
// Everything read from a registry or a bundle is untrusted until the ed25519
// signature over the payload verifies and the DB bytes match the signed
// sha256 and size. A DB is installed by writing a temporary file in the
// target's directory and renaming it over the target, so a failed or
// interrupted transfer leaves the previous DB in place.
package dist

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/customs-scanner/customs/internal/vulndb"
)

// Media types of the artifact. The manifest's artifactType and its config's
// mediaType are both ConfigMediaType.
const (
	ConfigMediaType    = "application/vnd.customs.db.config.v1+json"
	LayerMediaType     = "application/vnd.customs.db.layer.v1.sqlite+zstd"
	SignatureMediaType = "application/vnd.customs.db.signature.v1+json"
)

// PayloadType is the payload's "_type": it binds a signature to this use, so
// a key that signs something else cannot be replayed here.
const PayloadType = "https://customs.dev/db-signature/v1"

// Limits on untrusted sizes.
const (
	// MaxCompressed bounds the compressed DB layer (and bundle entry).
	MaxCompressed int64 = 4 << 30
	// MaxDB bounds the uncompressed DB a signature may announce.
	MaxDB int64 = 8 << 30
	// maxSmall bounds the config, signature and metadata blobs.
	maxSmall int64 = 1 << 20
)

// ErrUnsigned is wrapped by Pull's and Import's error when the artifact or
// bundle carries no signature but a public key asks for one.
var ErrUnsigned = errors.New("DB artifact is not signed")

// ErrVerify is wrapped by every error that means the content cannot be
// trusted: a bad signature, a wrong key, bytes that do not match the signed
// sha256 or size, a config that disagrees with the signed payload.
var ErrVerify = errors.New("DB verification failed")

// Config is the artifact's config blob: what the DB holds, for people and
// tools that inspect the registry. It is not trusted on pull; the signed
// Payload is, and Pull refuses a Config that disagrees with it.
type Config struct {
	SchemaVersion int                 `json:"schemaVersion"`
	Built         time.Time           `json:"built"`
	Sources       []vulndb.SourceInfo `json:"sources"`
	DBSHA256      string              `json:"dbSHA256"`
	DBSize        int64               `json:"dbSize"`
}

// Payload is what the ed25519 signature covers. It names the uncompressed DB
// bytes, not the manifest or the compressed layer, so the same signature
// verifies the DB whether it came from a registry or a bundle file.
type Payload struct {
	Type          string    `json:"_type"`
	SchemaVersion int       `json:"schemaVersion"`
	DBSHA256      string    `json:"dbSHA256"`
	DBSize        int64     `json:"dbSize"`
	Built         time.Time `json:"built"`
}

// payload returns the signed payload for c.
func (c Config) payload() Payload {
	return Payload{
		Type:          PayloadType,
		SchemaVersion: c.SchemaVersion,
		DBSHA256:      c.DBSHA256,
		DBSize:        c.DBSize,
		Built:         c.Built.UTC(),
	}
}

// check validates a payload's fields (after its signature verified).
func (p Payload) check() error {
	if p.Type != PayloadType {
		return fmt.Errorf("%w: payload type %q, want %q", ErrVerify, p.Type, PayloadType)
	}
	if b, err := hex.DecodeString(p.DBSHA256); err != nil || len(b) != sha256.Size {
		return fmt.Errorf("%w: payload dbSHA256 %q is not a sha256", ErrVerify, p.DBSHA256)
	}
	if p.DBSize <= 0 || p.DBSize > MaxDB {
		return fmt.Errorf("%w: payload dbSize %d outside 1..%d", ErrVerify, p.DBSize, MaxDB)
	}
	if p.SchemaVersion != vulndb.SchemaVersion {
		return fmt.Errorf("DB schema version %d, this customs reads version %d: use a customs release that reads it, or pull a DB published for this one", p.SchemaVersion, vulndb.SchemaVersion)
	}
	return nil
}

// agrees reports whether an unsigned Config says the same as the signed
// payload.
func (c Config) agrees(p Payload) error {
	if c.SchemaVersion != p.SchemaVersion || c.DBSHA256 != p.DBSHA256 || c.DBSize != p.DBSize || !c.Built.Equal(p.Built) {
		return fmt.Errorf("%w: config (schema %d, sha256 %s, %d bytes) disagrees with the signed payload (schema %d, sha256 %s, %d bytes)",
			ErrVerify, c.SchemaVersion, c.DBSHA256, c.DBSize, p.SchemaVersion, p.DBSHA256, p.DBSize)
	}
	return nil
}

func parseConfig(b []byte) (Config, error) {
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return Config{}, fmt.Errorf("parse DB config: %w", err)
	}
	return c, nil
}
