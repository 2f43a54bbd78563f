package sqlite

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// FuzzOpen checks that Open, ByPackage and Info never panic on a damaged
// file: they either fail with an error or answer.
func FuzzOpen(f *testing.F) {
	path := filepath.Join(f.TempDir(), "seed.db")
	buildDB(f, path, fixture())
	good, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:4096])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "vuln.db")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		db, err := Open(ctx, path)
		if err != nil {
			return
		}
		defer db.Close()
		db.ByPackage(ctx, "alpine:3.10", "openssl")
		db.ByPackage(ctx, "Go", "stdlib")
		db.Info(ctx)
	})
}

// TestOpenDamaged is FuzzOpen's check on 500 deterministic corruptions of a
// real DB (bytes, header fields and page pointers overwritten, runs cut out):
// no panic, and every call returns within a few seconds.
func TestOpenDamaged(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "seed.db")
	buildDB(t, path, fixture())
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	special := []uint32{0, 1, 9, 512, 4096, 65535, 65536, 0x7fffffff, 0x80000000, 0xffffffff}
	for i := range 500 {
		b := slices.Clone(good)
		for range 1 + r.IntN(6) {
			switch r.IntN(4) {
			case 0:
				b[r.IntN(len(b))] = byte(r.IntN(256))
			case 1:
				binary.BigEndian.PutUint32(b[r.IntN(len(b)-4):], special[r.IntN(len(special))])
			case 2:
				binary.BigEndian.PutUint32(b[r.IntN(96):], special[r.IntN(len(special))])
			case 3:
				if p, n := r.IntN(len(b)), r.IntN(64); p+n < len(b) {
					b = append(b[:p:p], b[p+n:]...)
				}
			}
		}
		p := filepath.Join(dir, fmt.Sprintf("damaged-%d.db", i))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			ctx := context.Background()
			db, err := Open(ctx, p)
			if err != nil {
				return
			}
			defer db.Close()
			db.ByPackage(ctx, "alpine:3.10", "openssl")
			db.Info(ctx)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("damaged DB %d: no answer after 10s", i)
		}
		os.Remove(p)
	}
}
