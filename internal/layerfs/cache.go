package layerfs

import (
	"bufio"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/customs-scanner/customs/internal/atomicfile"
)

// cacheMagic starts every cached layer file; bump it when Layer's encoding changes.
const cacheMagic = "customs-layer-v1\n"

// maxCacheDecoded bounds the decompressed size of one cached layer file.
const maxCacheDecoded = 2 << 30

// Cache stores analysed layers and small JSON records in a directory. Keys
// are hex strings (see Key). Writes go to a temporary file in the same
// directory and are renamed into place, so readers never see a partial
// file; a corrupt file is treated as a miss and removed.
type Cache struct {
	dir string
}

// OpenCache opens (creating with mode 0o700 if missing) a cache directory.
func OpenCache(dir string) (*Cache, error) {
	if dir == "" {
		return nil, errors.New("open cache: empty directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open cache %s: %w", dir, err)
	}
	return &Cache{dir: dir}, nil
}

// Key returns the sha256 hex of parts joined with NUL bytes, e.g.
// Key(diffID, extractorSignature).
func Key(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:])
}

func validKey(key string) error {
	if len(key) == 0 || len(key) > 128 {
		return fmt.Errorf("cache key %q: want 1..128 hex digits", key)
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return fmt.Errorf("cache key %q: want lowercase hex digits", key)
		}
	}
	return nil
}

func (c *Cache) layerPath(key string) string  { return filepath.Join(c.dir, key+".layer.zst") }
func (c *Cache) recordPath(key string) string { return filepath.Join(c.dir, key+".json") }
func (c *Cache) blobPath(key string) string   { return filepath.Join(c.dir, key+".bin") }

// Get returns the layer stored under key. A missing, unreadable or corrupt
// entry is a miss (corrupt files are removed).
func (c *Cache) Get(key string) (*Layer, bool) {
	if validKey(key) != nil {
		return nil, false
	}
	p := c.layerPath(key)
	f, err := os.Open(p)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	l, err := decodeLayer(f)
	if err != nil {
		os.Remove(p)
		return nil, false
	}
	return l, true
}

func decodeLayer(r io.Reader) (l *Layer, err error) {
	defer func() {
		// encoding/gob is hardened, but a cache file is still bytes from
		// disk: never let one crash a scan.
		if p := recover(); p != nil {
			l, err = nil, fmt.Errorf("decode cached layer: %v", p)
		}
	}()
	zr, err := zstd.NewReader(r,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderMaxWindow(MaxZstdWindow),
		zstd.WithDecoderMaxMemory(MaxZstdWindow))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	br := bufio.NewReader(io.LimitReader(zr, maxCacheDecoded))
	magic := make([]byte, len(cacheMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != cacheMagic {
		return nil, errors.New("decode cached layer: bad header")
	}
	l = new(Layer)
	if err := gob.NewDecoder(br).Decode(l); err != nil {
		return nil, fmt.Errorf("decode cached layer: %w", err)
	}
	if l.Files == nil {
		l.Files = map[string][]byte{}
	}
	return l, nil
}

// Put stores l under key.
func (c *Cache) Put(key string, l *Layer) error {
	if err := validKey(key); err != nil {
		return fmt.Errorf("put layer: %w", err)
	}
	return c.writeAtomic(c.layerPath(key), func(w io.Writer) error {
		zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1),
			zstd.WithWindowSize(1<<20))
		if err != nil {
			return err
		}
		if _, err := io.WriteString(zw, cacheMagic); err != nil {
			return err
		}
		if err := gob.NewEncoder(zw).Encode(l); err != nil {
			zw.Close()
			return err
		}
		return zw.Close()
	})
}

// GetRecord decodes the JSON record stored under key into v. A missing or
// corrupt record is a miss (corrupt files are removed).
func (c *Cache) GetRecord(key string, v any) bool {
	if validKey(key) != nil {
		return false
	}
	p := c.recordPath(key)
	data, err := os.ReadFile(p)
	if err != nil {
		return false
	}
	if err := json.Unmarshal(data, v); err != nil {
		os.Remove(p)
		return false
	}
	return true
}

// HasRecord reports whether a record is stored under key, without reading
// it (it may still turn out corrupt: GetRecord says so).
func (c *Cache) HasRecord(key string) bool {
	if validKey(key) != nil {
		return false
	}
	fi, err := os.Stat(c.recordPath(key))
	return err == nil && fi.Mode().IsRegular()
}

// PutRecord stores v as JSON under key.
func (c *Cache) PutRecord(key string, v any) error {
	if err := validKey(key); err != nil {
		return fmt.Errorf("put record: %w", err)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("put record %s: %w", key, err)
	}
	return c.writeAtomic(c.recordPath(key), func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// GetBlob returns the bytes PutBlob stored under key: a record in an
// encoding of the caller's, which treats one it cannot decode as a miss
// (the next PutBlob replaces it).
func (c *Cache) GetBlob(key string) ([]byte, bool) {
	if validKey(key) != nil {
		return nil, false
	}
	data, err := os.ReadFile(c.blobPath(key))
	return data, err == nil
}

// PutBlob stores b under key.
func (c *Cache) PutBlob(key string, b []byte) error {
	if err := validKey(key); err != nil {
		return fmt.Errorf("put blob: %w", err)
	}
	return c.writeAtomic(c.blobPath(key), func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

func (c *Cache) writeAtomic(dst string, write func(io.Writer) error) error {
	if err := atomicfile.Write(dst, 0o600, write); err != nil {
		return fmt.Errorf("write cache %s: %w", filepath.Base(dst), err)
	}
	return nil
}
