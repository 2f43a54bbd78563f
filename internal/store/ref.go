package store

import "strings"

// NormalizeRef returns an image reference in the one form the store keeps
// and looks references up by, Docker's familiar form with its tag:
// "nginx", "nginx:latest", "docker.io/library/nginx:latest" and
// "index.docker.io/library/nginx" are all "nginx:latest";
// "docker.io/bitnami/redis" is "bitnami/redis:latest"; a reference on
// another registry keeps it ("registry.example/shop/app:1.4"). A digest
// stays ("app@sha256:…", "app:1.4@sha256:…"); a reference with a digest
// and no tag gets no tag. What does not look like a reference (empty, a
// path, spaces) is returned as it is.
func NormalizeRef(ref string) string {
	ref = strings.TrimSpace(ref)
	if !isRef(ref) || strings.Contains(ref, "://") {
		return ref
	}
	name, digest, hasDigest := strings.Cut(ref, "@")
	// The tag is after the last colon that follows the last slash (a
	// registry's port is before a slash).
	tag := ""
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name, tag = name[:i], name[i+1:]
	}
	// The first path component is a registry when it has a dot or a port,
	// or is localhost (Docker's rule).
	if first, rest, ok := strings.Cut(name, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		switch strings.ToLower(first) {
		case "docker.io", "index.docker.io", "registry-1.docker.io":
			name = official(rest)
		}
	} else {
		name = official(name)
	}
	if name == "" {
		return ref
	}
	switch {
	case tag != "":
		name += ":" + tag
	case !hasDigest:
		name += ":latest"
	}
	if hasDigest {
		name += "@" + digest
	}
	return name
}

// official drops the "library/" of an official Docker Hub image's path.
func official(path string) string {
	if rest, ok := strings.CutPrefix(path, "library/"); ok && rest != "" && !strings.Contains(rest, "/") {
		return rest
	}
	return path
}

// RefVariants returns ref normalised and as written (once when they are
// equal): what a lookup compares with references stored before the store
// normalised them.
func RefVariants(ref string) []string {
	n := NormalizeRef(ref)
	if n == ref {
		return []string{ref}
	}
	return []string{n, ref}
}
