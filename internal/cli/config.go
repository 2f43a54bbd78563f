package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/customs-scanner/customs/internal/notify"
)

// maxConfigFile bounds the config file read.
const maxConfigFile = 1 << 20

// Config is the customs config file, YAML with these keys (unknown keys are
// an error, reported with their line):
//
//	db-public-key: ~/keys/customs-db.pub   # verifies pulled and imported DBs
//	db-repository: ghcr.io/org/customs-db:latest  # default REF of db push/pull
//	db-max-age: 168h                       # a DB older than this is stale
//	feeds:                                 # db update: feed URLs (a mirror)
//	  kev: https://mirror.example/kev.json
//	store: postgres://customs@db/customs   # the store (--store, $CUSTOMS_STORE win)
//	notify:                                # re-evaluation's webhooks (docs/store.md)
//	  webhooks:
//	    - url: https://hooks.example/customs
//	      secret: s3cret
//	      minSeverity: high                 # also kevOnly, fixableOnly, refs: [globs]
//	drift:                                 # customs drift (docs/drift.md)
//	  ignore: [srv/uploads, "*.sock"]      # more paths whose changes are noise
//	  no-default-ignore: false             # true: only the paths above
//	  severity: {file-added: low}          # a kind of drift's severity
//
// It is read from --config FILE, else $CUSTOMS_CONFIG, else
// os.UserConfigDir()/customs/config.yaml (which may be absent).
type Config struct {
	// Path is the file read; empty when there was none.
	Path string `yaml:"-"`
	// DBPublicKey is a PEM ed25519 public key file (customs db keygen). A
	// relative path is relative to the config file's directory, and a
	// leading ~/ is the home directory.
	DBPublicKey string `yaml:"db-public-key"`
	// DBRepository is the default reference for db push and db pull.
	DBRepository string `yaml:"db-repository"`
	// DBMaxAge is how old a DB may be before it is reported stale; 0 means
	// no limit.
	DBMaxAge time.Duration `yaml:"db-max-age"`
	// Feeds overrides feed URLs for db update, NAME: URL (flags win).
	Feeds map[string]string `yaml:"feeds"`
	// Store is the store's DSN (docs/store.md); --store and
	// $CUSTOMS_STORE win.
	Store string `yaml:"store"`
	// Notify configures the notifications of re-evaluation.
	Notify NotifyConfig `yaml:"notify"`
	// Drift configures customs drift's noise control.
	Drift DriftConfig `yaml:"drift"`
	// Serve configures customs serve and customs worker.
	Serve ServeConfig `yaml:"serve"`
	// Admission configures customs serve's admission webhook.
	Admission AdmissionConfig `yaml:"admission"`
}

// DriftConfig is the config's drift: key; the flags add to it.
type DriftConfig struct {
	// Ignore are ignore patterns added to the defaults (or, with
	// NoDefaultIgnore, replacing them).
	Ignore          []string `yaml:"ignore"`
	NoDefaultIgnore bool     `yaml:"no-default-ignore"`
	// Severity sets kinds' severities: KIND: SEVERITY.
	Severity map[string]string `yaml:"severity"`
}

// NotifyConfig is the config's notify: key.
type NotifyConfig struct {
	Webhooks []notify.Webhook `yaml:"webhooks"`
}

// defaultConfigPath is os.UserConfigDir()/customs/config.yaml.
func defaultConfigPath() (string, error) {
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the user config directory: %w; set --config or $CUSTOMS_CONFIG", err)
	}
	return filepath.Join(d, "customs", "config.yaml"), nil
}

// loadConfig reads the config file at path (from --config); with an empty
// path it reads $CUSTOMS_CONFIG, else the default path. A file named by
// --config or $CUSTOMS_CONFIG must exist; a missing default file gives a
// zero Config.
func loadConfig(path string) (Config, error) {
	must := true
	if path == "" {
		path = os.Getenv("CUSTOMS_CONFIG")
	}
	if path == "" {
		p, err := defaultConfigPath()
		if err != nil {
			return Config{}, nil // no config dir, so no default config
		}
		path, must = p, false
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) && !must {
		return Config{}, nil
	}
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxConfigFile+1))
	if err != nil {
		return Config{}, fmt.Errorf("read config %s: %w", path, err)
	}
	if len(b) > maxConfigFile {
		return Config{}, fmt.Errorf("read config %s: larger than %d bytes", path, maxConfigFile)
	}
	c, err := parseConfig(b)
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	c.Path = path
	c.DBPublicKey = resolvePath(c.DBPublicKey, filepath.Dir(path))
	return c, nil
}

// parseConfig decodes one YAML document strictly.
func parseConfig(b []byte) (Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("%w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("line %d: a second YAML document; the config is one document", extra.Line)
	}
	if c.DBMaxAge < 0 {
		return Config{}, fmt.Errorf("db-max-age %s: want a positive duration such as 168h", c.DBMaxAge)
	}
	return c, nil
}

// resolvePath expands ~/ and makes a relative path relative to dir.
func resolvePath(p, dir string) string {
	if p == "" {
		return ""
	}
	if len(p) >= 2 && p[:2] == "~/" {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, p[2:])
		}
	}
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// config loads the config file named by --config (or the defaults).
func (g *globals) config() (Config, error) {
	return loadConfig(g.configPath)
}
