package cli

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/customs-scanner/customs/internal/vulndb/dist"
)

// newDBKeygenCmd, newDBPushCmd, newDBPullCmd, newDBExportCmd and
// newDBImportCmd move the DB between machines; see docs/db-distribution.md.

func newDBKeygenCmd(_ *globals) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "keygen --out PREFIX",
		Short: "Make an ed25519 key pair to sign the DBs you push or export",
		Long: `Write PREFIX.key (the private key, PEM PKCS#8, mode 0600: keep it secret, use it with
db push --key and db export --key) and PREFIX.pub (the public key, PEM PKIX: give it to
everyone who pulls or imports, as --db-public-key or db-public-key in the config file).
Existing files are never overwritten.`,
		Example: `  customs db keygen --out ~/keys/customs-db`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return errors.New("--out PREFIX is required, e.g. --out ./customs-db")
			}
			keyPath, pubPath, err := dist.GenerateKey(out)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (private: keep it secret) and %s (public: give it to those who pull)\n", keyPath, pubPath)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "path prefix of the key files")
	return cmd
}

// repoArg returns the REF argument, else the config's db-repository.
func repoArg(args []string, cfg Config, verb string) (string, error) {
	if len(args) == 1 {
		return args[0], nil
	}
	if cfg.DBRepository != "" {
		return cfg.DBRepository, nil
	}
	return "", fmt.Errorf("no reference to %s; give REF or set db-repository in the config file", verb)
}

// publicKey loads --db-public-key, else the config's db-public-key. With
// required unset a missing key is (nil, nil).
func publicKey(flag string, cfg Config, required bool) (ed25519.PublicKey, error) {
	p := flag
	if p == "" {
		p = cfg.DBPublicKey
	}
	if p == "" {
		if !required {
			return nil, nil
		}
		return nil, dist.ErrNoPublicKey
	}
	return dist.LoadPublicKey(p)
}

func newDBPushCmd(g *globals) *cobra.Command {
	var keyPath string
	var insecure bool
	cmd := &cobra.Command{
		Use:   "push [REF] --key PRIVATE_KEY_FILE",
		Short: "Push the DB to a registry as a signed OCI artifact",
		Long: `Push the DB (--db or the default) to REF (a tag; default: db-repository from the config
file) as an OCI artifact: a config blob describing it, the DB compressed with zstd, and an
ed25519 signature over its sha256, size, schema version and build time. Credentials come
from ~/.docker/config.json and credential helpers (docker login).

Prints the pushed reference with its digest, usable as db pull REF@DIGEST or
scan --db-ref.`,
		Example: `  customs db push ghcr.io/org/customs-db:latest --key ~/keys/customs-db.key`,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.config()
			if err != nil {
				return err
			}
			ref, err := repoArg(args, cfg, "push to")
			if err != nil {
				return err
			}
			if keyPath == "" {
				return errors.New("--key PRIVATE_KEY_FILE is required to sign the DB (customs db keygen makes one)")
			}
			key, err := dist.LoadPrivateKey(keyPath)
			if err != nil {
				return err
			}
			dbPath, err := g.db()
			if err != nil {
				return err
			}
			digest, err := dist.Push(cmd.Context(), ref, dbPath, key, dist.Options{Insecure: insecure})
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), digestRef(ref, digest))
			return nil
		},
	}
	cmd.Flags().StringVar(&keyPath, "key", "", "ed25519 private key file (PEM, from customs db keygen)")
	cmd.Flags().BoolVar(&insecure, "insecure", false, "allow plain HTTP to the registry")
	return cmd
}

// digestRef is REF's repository with digest.
func digestRef(ref, digest string) string {
	repo := ref
	for i := len(ref) - 1; i >= 0; i-- {
		if ref[i] == '@' {
			repo = ref[:i]
			break
		}
	}
	for i := len(repo) - 1; i >= 0 && repo[i] != '/'; i-- {
		if repo[i] == ':' {
			repo = repo[:i]
			break
		}
	}
	return repo + "@" + digest
}

func newDBPullCmd(g *globals) *cobra.Command {
	var pubPath string
	var insecure bool
	cmd := &cobra.Command{
		Use:   "pull [REF[@DIGEST]] [--db-public-key FILE]",
		Short: "Pull a signed DB from a registry, verify it and install it",
		Long: `Pull the DB artifact at REF (default: db-repository from the config file), verify its
signature with --db-public-key (default: db-public-key from the config file), check the DB
bytes against the signed sha256 and size and the schema version, and install it at the DB
path (--db or the default). The new DB is written beside the old one and renamed into
place: a failed, tampered or interrupted pull leaves the previous DB untouched.`,
		Example: `  customs db pull ghcr.io/org/customs-db:latest --db-public-key customs-db.pub
  customs db pull ghcr.io/org/customs-db@sha256:4f2c...`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.config()
			if err != nil {
				return err
			}
			ref, err := repoArg(args, cfg, "pull")
			if err != nil {
				return err
			}
			pub, err := publicKey(pubPath, cfg, true)
			if err != nil {
				return err
			}
			dbPath, err := g.db()
			if err != nil {
				return err
			}
			o, err := dist.Pull(cmd.Context(), ref, dbPath, pub, dist.Options{Insecure: insecure})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "installed %s at %s (schema %d, built %s, %d bytes, signed by key %s)\n",
				digestRef(ref, o.ManifestDigest), dbPath, o.Config.SchemaVersion, o.Config.Built.UTC().Format(time.RFC3339), o.Config.DBSize, o.Signature.KeyID)
			return nil
		},
	}
	cmd.Flags().StringVar(&pubPath, "db-public-key", "", "ed25519 public key file to verify the DB with (PEM, from customs db keygen)")
	cmd.Flags().BoolVar(&insecure, "insecure", false, "allow plain HTTP to the registry")
	return cmd
}

func newDBExportCmd(g *globals) *cobra.Command {
	var keyPath string
	cmd := &cobra.Command{
		Use:   "export FILE [--key PRIVATE_KEY_FILE]",
		Short: "Write the DB to one file to carry into an air-gapped site",
		Long: `Write the DB (--db or the default) to FILE, a tar holding metadata.json, signature.json
and customs.db.zst. A DB that was pulled or imported keeps the signature it was verified
with; --key signs it now instead (for a DB built locally). Import it with db import.`,
		Example: `  customs db pull ghcr.io/org/customs-db:latest && customs db export customs-db.tar
  customs db build --source ... && customs db export customs-db.tar --key customs-db.key`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var key ed25519.PrivateKey
			if keyPath != "" {
				k, err := dist.LoadPrivateKey(keyPath)
				if err != nil {
					return err
				}
				key = k
			}
			dbPath, err := g.db()
			if err != nil {
				return err
			}
			res, err := dist.Export(cmd.Context(), dbPath, args[0], key)
			if err != nil {
				return err
			}
			signed := "unsigned: import it with no public key, or export with --key"
			if res.Signed {
				signed = "signed"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "exported %s to %s (schema %d, built %s, %s)\n",
				dbPath, args[0], res.Config.SchemaVersion, res.Config.Built.UTC().Format(time.RFC3339), signed)
			return nil
		},
	}
	cmd.Flags().StringVar(&keyPath, "key", "", "sign with this ed25519 private key (PEM, from customs db keygen)")
	return cmd
}

func newDBImportCmd(g *globals) *cobra.Command {
	var pubPath string
	cmd := &cobra.Command{
		Use:   "import FILE [--db-public-key FILE]",
		Short: "Verify a file written by db export and install its DB",
		Long: `Verify FILE (written by db export) and install its DB at the DB path (--db or the
default), atomically: the DB must match the sha256 and size in the file, have this customs'
schema version and open as a customs DB. With --db-public-key (default: db-public-key from
the config file) the signature must verify too; without a key the signature is not checked
and a warning says so.`,
		Example: `  customs db import customs-db.tar --db-public-key customs-db.pub`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.config()
			if err != nil {
				return err
			}
			pub, err := publicKey(pubPath, cfg, false)
			if err != nil {
				return err
			}
			dbPath, err := g.db()
			if err != nil {
				return err
			}
			res, err := dist.Import(cmd.Context(), args[0], dbPath, pub)
			if err != nil {
				return err
			}
			verified := "signature verified"
			if !res.Verified {
				verified = "signature NOT verified"
				fmt.Fprintln(cmd.ErrOrStderr(), "customs: warning: no public key given, so the DB's signature was not checked; pass --db-public-key FILE or set db-public-key in the config file")
			}
			fmt.Fprintf(cmd.OutOrStdout(), "installed %s at %s (schema %d, built %s, %s)\n",
				args[0], dbPath, res.Origin.Config.SchemaVersion, res.Origin.Config.Built.UTC().Format(time.RFC3339), verified)
			return nil
		},
	}
	cmd.Flags().StringVar(&pubPath, "db-public-key", "", "ed25519 public key file to verify the signature with (PEM, from customs db keygen)")
	return cmd
}
