package dist

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
)

// ErrNoPublicKey is wrapped by EnsureDB's error when no public key is given.
var ErrNoPublicKey = errors.New("no public key to verify the DB with; pass --db-public-key FILE or set db-public-key in the config file (the DB publisher's .pub file, made by customs db keygen)")

// EnsureDB makes the DB at dbPath the one ref (REPO:TAG or REPO@DIGEST)
// names and returns the path to scan with. It pulls only when the sidecar
// (OriginPath) does not record ref's manifest digest for the file now at
// dbPath, or its recorded signature does not verify with the key at
// pubKeyPath: a pinned digest that is already installed costs no network.
// For a tag the registry is asked for the digest; when it cannot be reached
// and the installed DB came from the same ref, that DB is used with a
// warning.
func EnsureDB(ctx context.Context, ref, dbPath, pubKeyPath string, log *slog.Logger) (string, error) {
	if pubKeyPath == "" {
		return "", fmt.Errorf("--db-ref %s: %w", ref, ErrNoPublicKey)
	}
	pub, err := LoadPublicKey(pubKeyPath)
	if err != nil {
		return "", err
	}
	return ensure(ctx, ref, dbPath, pub, Options{}, log)
}

func ensure(ctx context.Context, ref, dbPath string, pub ed25519.PublicKey, opts Options, log *slog.Logger) (string, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	o, err := ReadOrigin(dbPath)
	if err != nil {
		return "", err
	}
	if o != nil && !o.verifies(pub) {
		log.Debug("installed DB is not signed by this key; pulling", "db", dbPath)
		o = nil
	}
	want, rerr := Resolve(ctx, ref, opts)
	switch {
	case rerr != nil && o != nil && o.Ref == ref:
		log.Warn("cannot reach the registry; using the DB pulled earlier from the same reference", "ref", ref, "digest", o.ManifestDigest, "err", rerr)
		return dbPath, nil
	case rerr != nil:
		return "", rerr
	case o != nil && o.ManifestDigest == want:
		log.Debug("DB already installed", "ref", ref, "digest", want)
		return dbPath, nil
	}
	got, err := Pull(ctx, ref, dbPath, pub, opts)
	if err != nil {
		return "", err
	}
	log.Debug("pulled DB", "ref", ref, "digest", got.ManifestDigest, "db", dbPath)
	return dbPath, nil
}

// verifies reports whether the origin's signature verifies with pub and
// covers the recorded DB.
func (o *Origin) verifies(pub ed25519.PublicKey) bool {
	if o.Signature == nil {
		return false
	}
	p, err := o.Signature.verify(pub)
	return err == nil && p.DBSHA256 == o.Config.DBSHA256 && p.DBSize == o.Config.DBSize
}
