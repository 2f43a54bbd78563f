package dist

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/customs-scanner/customs/internal/atomicfile"
)

// Origin is the sidecar file next to an installed DB (OriginPath): where the
// DB came from and the signature it was verified with. It lets EnsureDB skip
// a pull when the pinned digest is already installed, and Export carry the
// signature to an air-gapped site.
type Origin struct {
	// Ref is the reference pulled, as given; empty after Import of a bundle
	// that did not name one.
	Ref string `json:"ref,omitempty"`
	// ManifestDigest is the digest of the artifact's manifest.
	ManifestDigest string `json:"manifestDigest,omitempty"`
	// Config describes the DB; its DBSHA256 and DBSize were verified.
	Config Config `json:"config"`
	// Signature is the verified signature, or nil for an unverified import.
	Signature *Signature `json:"signature,omitempty"`
	// DBModTime and Config.DBSize identify the installed file cheaply: a DB
	// built or copied over it afterwards has another size or mtime.
	DBModTime time.Time `json:"dbModTime"`
}

// OriginPath is the sidecar path for the DB at dbPath.
func OriginPath(dbPath string) string { return dbPath + ".origin.json" }

// ReadOrigin returns the sidecar of the DB at dbPath if it describes the
// file now at dbPath (same size and modification time), or nil.
func ReadOrigin(dbPath string) (*Origin, error) {
	b, err := os.ReadFile(OriginPath(dbPath))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read DB origin: %w", err)
	}
	var o Origin
	if err := json.Unmarshal(b, &o); err != nil {
		// A damaged sidecar only costs a pull.
		return nil, nil
	}
	st, err := os.Stat(dbPath)
	if err != nil || st.Size() != o.Config.DBSize || !st.ModTime().Equal(o.DBModTime) {
		return nil, nil
	}
	return &o, nil
}

func writeOrigin(dbPath string, o *Origin) error {
	st, err := os.Stat(dbPath)
	if err != nil {
		return fmt.Errorf("write DB origin: %w", err)
	}
	o.DBModTime = st.ModTime()
	b, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return fmt.Errorf("write DB origin: %w", err)
	}
	err = atomicfile.Write(OriginPath(dbPath), 0o600, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
	if err != nil {
		return fmt.Errorf("write DB origin: %w", err)
	}
	return nil
}

func removeOrigin(dbPath string) error {
	if err := os.Remove(OriginPath(dbPath)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove DB origin: %w", err)
	}
	return nil
}
