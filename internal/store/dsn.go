package store

import (
	"fmt"
	"net/url"
	"strings"
)

// Backends.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// DSN names a store: a SQLite file or a PostgreSQL database.
type DSN struct {
	// Backend is SQLite or Postgres.
	Backend string
	// Target is the SQLite file path, or the PostgreSQL URL as given
	// (password included: never print it, print String()).
	Target string
}

// ParseDSN reads a store name: "postgres://…" or "postgresql://…" is a
// PostgreSQL database, "sqlite:PATH" or any other string a SQLite file.
func ParseDSN(s string) (DSN, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return DSN{}, fmt.Errorf("store: empty DSN; give a file path, sqlite:PATH or postgres://USER@HOST/DB")
	}
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		u, err := url.Parse(s)
		if err != nil {
			// url's error quotes the whole string, password and all.
			return DSN{}, fmt.Errorf("store %s: not a valid PostgreSQL URL", redactRaw(s))
		}
		if u.Host == "" && u.Query().Get("host") == "" {
			return DSN{}, fmt.Errorf("store %s: no host in the PostgreSQL URL", Redact(s))
		}
		return DSN{Backend: Postgres, Target: s}, nil
	case strings.HasPrefix(lower, "sqlite:"):
		p := strings.TrimPrefix(s[len("sqlite:"):], "//")
		if p == "" {
			return DSN{}, fmt.Errorf("store %s: no file path after sqlite:", s)
		}
		return DSN{Backend: SQLite, Target: p}, nil
	case strings.Contains(lower, "://"):
		scheme, _, _ := strings.Cut(s, "://")
		return DSN{}, fmt.Errorf("store %s: unknown scheme %q; give a file path, sqlite:PATH or postgres://…", redactRaw(s), scheme)
	}
	return DSN{Backend: SQLite, Target: s}, nil
}

// String names the store for messages, without its password.
func (d DSN) String() string {
	if d.Backend == Postgres {
		return Redact(d.Target)
	}
	return d.Target
}

// Redact returns a PostgreSQL URL with its password (in the user info or
// a password= parameter) replaced by "xxxxx".
func Redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return redactRaw(s)
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// redactRaw hides what could be a password in a string that does not
// parse as a URL: everything between "://" and the last "@", and every
// query parameter.
func redactRaw(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		rest = "xxxxx" + rest[i:]
	}
	if i := strings.Index(rest, "?"); i >= 0 {
		rest = rest[:i] + "?xxxxx"
	}
	return scheme + "://" + rest
}
