package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/target"
)

// parseTarget checks a request's target: a registry image reference, with
// or without the registry: scheme. Files and the Docker Engine of the
// server are not a client's to read.
func parseTarget(s string) (string, error) {
	if s == "" {
		return "", &RequestError{"target is empty; give an image reference such as registry.example/app:1.2"}
	}
	t := target.Parse(s)
	switch t.Kind {
	case target.Registry, target.Auto:
	default:
		return "", &RequestError{fmt.Sprintf("target %q: the service scans registry images only, not %s: targets", s, t.Kind)}
	}
	if _, err := name.ParseReference(t.Name); err != nil {
		return "", &RequestError{fmt.Sprintf("target %q: not an image reference: %v", s, err)}
	}
	return t.Name, nil
}

// pinned is ref pinned to digest: repo@digest.
func pinned(ref, digest string) string {
	r, err := name.ParseReference(ref)
	if err != nil || digest == "" {
		return ref
	}
	return r.Context().Name() + "@" + digest
}

// keychain gives one request's credentials, or the default keychain.
func keychain(auth string) authn.Keychain {
	if auth == "" {
		return authn.DefaultKeychain
	}
	return staticKeychain{authFromHeader(auth)}
}

type staticKeychain struct{ a authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.a, nil }

// authFromHeader turns an Authorization value into an authenticator.
func authFromHeader(h string) authn.Authenticator {
	scheme, val, _ := strings.Cut(strings.TrimSpace(h), " ")
	switch strings.ToLower(scheme) {
	case "basic":
		return authn.FromConfig(authn.AuthConfig{Auth: strings.TrimSpace(val)})
	case "bearer":
		return authn.FromConfig(authn.AuthConfig{RegistryToken: strings.TrimSpace(val)})
	}
	return authn.FromConfig(authn.AuthConfig{RegistryToken: strings.TrimSpace(h)})
}

// resolve returns the digest of the manifest ref names for platform (a
// HEAD request; a GET of the index for a multi-platform image).
func (s *Service) resolve(ctx context.Context, ref, platform string, c *Credentials) (string, error) {
	var nopts []name.Option
	if s.cfg.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return "", &RequestError{fmt.Sprintf("target %q: %v", ref, err)}
	}
	auth := ""
	if c != nil {
		auth = c.Authorization
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(keychain(auth))}
	if t := s.cfg.Scan.Image.Transport; t != nil {
		opts = append(opts, remote.WithTransport(t))
	}
	desc, err := remote.Head(r, opts...)
	if err != nil {
		return "", resolveError(ref, err)
	}
	if !desc.MediaType.IsIndex() {
		return desc.Digest.String(), nil
	}
	p := v1.Platform{OS: "linux", Architecture: "amd64"}
	if platform != "" {
		pp, err := v1.ParsePlatform(platform)
		if err != nil {
			return "", &RequestError{fmt.Sprintf("platform %q: %v", platform, err)}
		}
		p = *pp
	}
	idx, err := remote.Index(r, opts...)
	if err != nil {
		return "", resolveError(ref, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return "", resolveError(ref, err)
	}
	for _, m := range im.Manifests {
		if m.Platform != nil && m.Platform.Satisfies(p) {
			return m.Digest.String(), nil
		}
	}
	return "", &RequestError{fmt.Sprintf("target %q has no image for platform %s", ref, p)}
}

// resolveError words a registry's refusal: a missing image or denied
// access is the request's fault, anything else the registry's.
func resolveError(ref string, err error) error {
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusNotFound:
			return &RequestError{fmt.Sprintf("target %q: no such image in its registry", ref)}
		case http.StatusUnauthorized, http.StatusForbidden:
			return &RequestError{fmt.Sprintf("target %q: the registry refused access (%d); give credentials", ref, te.StatusCode)}
		}
	}
	return fmt.Errorf("%w: resolve %s: %v", ErrRegistry, ref, err)
}

// current returns the stored result of digest when it is current: the
// image's current snapshot was recorded by this version against the DB
// the workers use now.
func (s *Service) current(ctx context.Context, ref, digest, platform string, _ []string) (Job, bool, error) {
	snap, err := s.snapshot(ctx, digest)
	if errors.Is(err, ErrNotFound) {
		// A multi-platform index's platform digest is recorded with
		// repo@digest among its references.
		snap, err = s.snapshot(ctx, pinned(ref, digest))
	}
	if errors.Is(err, ErrNotFound) {
		return Job{}, false, nil
	}
	if err != nil {
		return Job{}, false, err
	}
	if snap.Subject.Kind != store.KindImage || snap.Tool != "customs "+s.cfg.Version {
		return Job{}, false, nil
	}
	db, err := s.DB(ctx)
	// The store keeps times to the microsecond.
	if err != nil || !db.Built.Truncate(time.Microsecond).Equal(snap.DBBuilt.Truncate(time.Microsecond)) {
		return Job{}, false, nil
	}
	_ = platform
	return storedJob(snap), true, nil
}
