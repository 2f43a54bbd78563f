package scan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/customs-scanner/customs/internal/image"
	"github.com/customs-scanner/customs/internal/layerfs"
)

// buildID identifies the code of this binary; it is part of every cache key
// of results the code computed (layer analyses, image metadata, secrets), so
// a new build never serves what an older one produced, whatever versions
// the extractors report. It is a hash of the build information when that
// names the code exactly: a clean VCS checkout (vcs.revision with
// vcs.modified=false) or a module version, together with the toolchain,
// dependencies and build settings. Otherwise (a dirty checkout, a build
// with -buildvcs=false, a go test binary) it is the SHA-256 of the
// executable, remembered in cache under the executable's file identity so a
// warm scan only stats the file.
func buildID(cache *layerfs.Cache) (string, error) {
	if id, ok := buildInfoID(); ok {
		return id, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("identify the executable: %w", err)
	}
	return exeID(cache, exe)
}

// buildInfoID is computed once: the build information never changes in
// a running process.
var buildInfoID = sync.OnceValues(func() (string, bool) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "", false
	}
	return buildInfoKey(bi)
})

// buildInfoKey returns the ID of bi when bi names the code exactly.
func buildInfoKey(bi *debug.BuildInfo) (string, bool) {
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	v := bi.Main.Version
	released := v != "" && v != "(devel)" && !strings.HasSuffix(v, "+dirty")
	if rev != "" && modified != "false" || rev == "" && !released {
		return "", false
	}
	h := sha256.Sum256([]byte(bi.String()))
	return "build:" + hex.EncodeToString(h[:]), true
}

// exeRecord remembers the hash of an executable by its file identity.
type exeRecord struct {
	SHA256 string `json:"sha256"`
}

// exeID returns the ID of the executable at path: its SHA-256, taken from
// cache when the file's identity has not changed since it was hashed.
func exeID(cache *layerfs.Cache, path string) (string, error) {
	ident := image.FileIdentity(path)
	var key string
	if cache != nil && ident != "" {
		key = layerfs.Key("exe", ident)
		var rec exeRecord
		if cache.GetRecord(key, &rec) && len(rec.SHA256) == sha256.Size*2 {
			return "exe:" + rec.SHA256, nil
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("identify the executable: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("identify the executable: hash %s: %w", path, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	// The identity is taken again after hashing: a file rewritten
	// meanwhile is not remembered under either identity.
	if key != "" && image.FileIdentity(path) == ident {
		_ = cache.PutRecord(key, exeRecord{SHA256: sum}) // a cache that cannot be written only costs a hash next time
	}
	return "exe:" + sum, nil
}
