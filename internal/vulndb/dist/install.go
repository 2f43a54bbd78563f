package dist

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/zstd"

	"github.com/customs-scanner/customs/internal/vulndb/sqlite"
)

// describe reads the DB at path: its Info (which also proves it opens) and
// the sha256 and size of its bytes.
func describe(ctx context.Context, path string) (Config, error) {
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return Config{}, err
	}
	info, err := db.Info(ctx)
	db.Close()
	if err != nil {
		return Config{}, fmt.Errorf("read DB info %s: %w", path, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("read DB: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, ctxReader{ctx, f})
	if err != nil {
		return Config{}, fmt.Errorf("hash DB %s: %w", path, err)
	}
	return Config{
		SchemaVersion: info.SchemaVersion,
		Built:         info.Built.UTC(),
		Sources:       info.Sources,
		DBSHA256:      hex.EncodeToString(h.Sum(nil)),
		DBSize:        n,
	}, nil
}

// compress writes the zstd compression of the file at path to w.
func compress(ctx context.Context, path string, w io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read DB: %w", err)
	}
	defer f.Close()
	zw, err := zstd.NewWriter(w, zstd.WithEncoderConcurrency(1))
	if err != nil {
		return fmt.Errorf("compress DB: %w", err)
	}
	if _, err := io.Copy(zw, ctxReader{ctx, f}); err != nil {
		zw.Close()
		return fmt.Errorf("compress DB: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("compress DB: %w", err)
	}
	return nil
}

// install decompresses a zstd stream of at most MaxCompressed bytes into a
// temporary file beside dbPath, checks it against the signed payload (size,
// sha256, schema version, and that it opens as a customs DB) and renames it
// over dbPath. origin, when not nil, is recorded in the sidecar; without it
// the sidecar is removed. On any error dbPath is untouched.
func install(ctx context.Context, zr io.Reader, p Payload, dbPath string, origin *Origin) (err error) {
	dir := filepath.Dir(dbPath)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create DB directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dbPath)+".pull-*")
	if err != nil {
		return fmt.Errorf("create temporary DB: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	lr := &limitedReader{r: zr, n: MaxCompressed}
	dec, err := zstd.NewReader(ctxReader{ctx, lr}, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(1<<27), zstd.WithDecoderMaxMemory(uint64(MaxDB)))
	if err != nil {
		return fmt.Errorf("decompress DB: %w", err)
	}
	defer dec.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(dec, p.DBSize+1))
	if err != nil {
		if errors.Is(err, errTooLarge) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("decompress DB: %w", err)
		}
		return fmt.Errorf("%w: read DB: %v (truncated download or damaged data)", ErrVerify, err)
	}
	if err := checkBytes(n, h, p); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write temporary DB: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write temporary DB: %w", err)
	}
	db, err := sqlite.Open(ctx, tmp.Name())
	if err != nil {
		return fmt.Errorf("%w: the received DB does not open: %v", ErrVerify, err)
	}
	info, err := db.Info(ctx)
	db.Close()
	if err != nil {
		return fmt.Errorf("%w: read DB info: %v", ErrVerify, err)
	}
	if info.SchemaVersion != p.SchemaVersion {
		return fmt.Errorf("%w: DB has schema version %d, signed payload says %d", ErrVerify, info.SchemaVersion, p.SchemaVersion)
	}
	// The sidecar goes first: a crash between the two steps leaves a DB with
	// no origin (pulled again when pinned), never a DB with a wrong origin.
	if err := removeOrigin(dbPath); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), dbPath); err != nil {
		return fmt.Errorf("install DB: %w", err)
	}
	syncDir(dir)
	if origin != nil {
		if err := writeOrigin(dbPath, origin); err != nil {
			return err
		}
	}
	return nil
}

// checkBytes compares what was read with the signed size and sha256.
func checkBytes(n int64, h hash.Hash, p Payload) error {
	if n != p.DBSize {
		if n > p.DBSize {
			return fmt.Errorf("%w: DB is larger than the signed %d bytes", ErrVerify, p.DBSize)
		}
		return fmt.Errorf("%w: DB is %d bytes, signed size is %d (truncated or replaced)", ErrVerify, n, p.DBSize)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != p.DBSHA256 {
		return fmt.Errorf("%w: DB sha256 %s, signed sha256 %s (tampered?)", ErrVerify, got, p.DBSHA256)
	}
	return nil
}

// syncDir makes a rename durable where the platform supports it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

var errTooLarge = fmt.Errorf("compressed DB larger than %d bytes", MaxCompressed)

// limitedReader fails with errTooLarge past n bytes, where io.LimitReader
// would report a silent EOF.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			return 0, errTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// ctxReader stops reading when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
