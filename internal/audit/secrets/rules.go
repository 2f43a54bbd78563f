// Package secrets finds credentials in file contents and in the image
// config. It runs as an extract.Preparer over every regular file of every
// layer, so a secret added in one layer and deleted in a later one is still
// found (and reported as present only in the layer history).
package secrets

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Severities used by the rules.
const (
	SeverityCritical = "CRITICAL"
	SeverityHigh     = "HIGH"
	SeverityMedium   = "MEDIUM"
	SeverityLow      = "LOW"
)

// Rule is one kind of secret. A rule runs only when one of its Keywords
// occurs in the content (case-insensitive), then its Regex is matched; the
// secret is the SecretGroup capture (0: the whole match).
type Rule struct {
	ID          string   `yaml:"id"`
	Description string   `yaml:"description"`
	Severity    string   `yaml:"severity"`
	Regex       string   `yaml:"regex"`
	SecretGroup int      `yaml:"secretGroup"`
	Keywords    []string `yaml:"keywords"`
	// Entropy is the minimum Shannon entropy (bits per character) of the
	// secret; 0 disables the check.
	Entropy float64 `yaml:"entropy"`
	// AllowRegexes drop a match when one matches in the lines that hold it.
	AllowRegexes []string `yaml:"allowRegexes"`
	// AllowPaths drop every match in files whose path (no leading slash)
	// one of these regexes matches.
	AllowPaths []string `yaml:"allowPaths"`

	// check, if set, must accept the secret (built-in rules only).
	check func(secret string) bool
	// assigned says that every match holds one of the keywords followed
	// by an optional quote, white space and '=' or ':' (built-in rules
	// only): lines without such an assignment are not searched.
	assigned bool
}

// Config is the YAML file LoadRules reads. Rules with the ID of a default
// rule replace it; other rules are added. Disable removes rules by ID.
// AllowPaths and AllowRegexes apply to every rule.
type Config struct {
	Rules        []Rule   `yaml:"rules"`
	Disable      []string `yaml:"disable"`
	AllowPaths   []string `yaml:"allowPaths"`
	AllowRegexes []string `yaml:"allowRegexes"`
}

// maxConfigSize bounds a rules file.
const maxConfigSize = 1 << 20

// LoadRules reads a YAML rules config (see Config) and returns the default
// rules extended by it. Unknown keys are an error.
func LoadRules(path string) ([]Rule, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read secret rules: %w", err)
	}
	if st.Size() > maxConfigSize {
		return nil, fmt.Errorf("read secret rules %s: larger than %d bytes", path, maxConfigSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read secret rules: %w", err)
	}
	rules, err := ParseRules(data)
	if err != nil {
		return nil, fmt.Errorf("secret rules %s: %w", path, err)
	}
	return rules, nil
}

// ParseRules is LoadRules on bytes.
func ParseRules(data []byte) ([]Rule, error) {
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("larger than %d bytes", maxConfigSize)
	}
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && err.Error() != "EOF" {
		return nil, fmt.Errorf("parse: %w", err)
	}
	rules := DefaultRules()
	index := map[string]int{}
	for i, r := range rules {
		index[r.ID] = i
	}
	for i, r := range cfg.Rules {
		if r.ID == "" {
			return nil, fmt.Errorf("rule %d: missing id", i+1)
		}
		if _, err := compile(r); err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.ID, err)
		}
		if j, ok := index[r.ID]; ok {
			rules[j] = r
			continue
		}
		index[r.ID] = len(rules)
		rules = append(rules, r)
	}
	for _, re := range append(append([]string(nil), cfg.AllowPaths...), cfg.AllowRegexes...) {
		if _, err := regexp.Compile(re); err != nil {
			return nil, fmt.Errorf("allow-list: %w", err)
		}
	}
	disabled := map[string]bool{}
	for _, id := range cfg.Disable {
		if _, ok := index[id]; !ok {
			return nil, fmt.Errorf("disable: unknown rule %q", id)
		}
		disabled[id] = true
	}
	out := rules[:0]
	for _, r := range rules {
		if disabled[r.ID] {
			continue
		}
		r.AllowPaths = append(append([]string(nil), r.AllowPaths...), cfg.AllowPaths...)
		r.AllowRegexes = append(append([]string(nil), r.AllowRegexes...), cfg.AllowRegexes...)
		out = append(out, r)
	}
	return out, nil
}

// compile checks r and compiles its regexes: ParseRules reports the
// error, New keeps the result.
func compile(r Rule) (compiled, error) {
	c := compiled{Rule: r}
	if r.Regex == "" {
		return c, fmt.Errorf("missing regex")
	}
	re, err := regexp.Compile(r.Regex)
	if err != nil {
		return c, err
	}
	c.re = re
	if r.SecretGroup < 0 || r.SecretGroup > re.NumSubexp() {
		return c, fmt.Errorf("secretGroup %d: the regex has %d groups", r.SecretGroup, re.NumSubexp())
	}
	if len(r.Keywords) == 0 {
		return c, fmt.Errorf("needs at least one keyword (prefilter)")
	}
	for _, k := range r.Keywords {
		if k == "" {
			return c, fmt.Errorf("empty keyword")
		}
	}
	switch r.Severity {
	case "", SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow:
	default:
		return c, fmt.Errorf("severity %q: want CRITICAL, HIGH, MEDIUM or LOW", r.Severity)
	}
	if r.Entropy < 0 || r.Entropy > 8 {
		return c, fmt.Errorf("entropy %v: want 0..8", r.Entropy)
	}
	for _, a := range r.AllowRegexes {
		re, err := regexp.Compile(a)
		if err != nil {
			return c, fmt.Errorf("allow-list: %w", err)
		}
		c.allowRe = append(c.allowRe, re)
	}
	for _, a := range r.AllowPaths {
		re, err := regexp.Compile(a)
		if err != nil {
			return c, fmt.Errorf("allow-list: %w", err)
		}
		c.allowPaths = append(c.allowPaths, re)
	}
	return c, nil
}

// libraryPaths hold third-party code and documentation, where assignments
// like password = "..." are examples, not credentials.
const libraryPaths = `(^|/)(site-packages|dist-packages|node_modules|vendor|gems)/|^usr/(share|include)/|^usr/lib/(python|ruby|node|perl|php|jvm|go)[^/]*/|^usr/local/lib/(python|ruby|node)[^/]*/|(^|/)go/pkg/mod/|^usr/local/go/`

// DefaultRules returns the built-in rules (a fresh slice each call).
func DefaultRules() []Rule {
	return []Rule{
		{
			ID: "private-key", Description: "Private key (PEM, OpenSSH, PGP)", Severity: SeverityCritical,
			// The header must be followed by a body: source code that only
			// names the header (crypto libraries) is not a key.
			Regex:       `-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----\r?\n(?:[A-Za-z-]+: [^\r\n]*\r?\n)*\r?\n?([A-Za-z0-9+/=]{40,})`,
			SecretGroup: 2, Keywords: []string{"private key"},
		},
		{
			ID: "aws-access-key-id", Description: "AWS access key ID", Severity: SeverityHigh,
			Regex: `\b((?:AKIA|ASIA)[0-9A-Z]{16})\b`, SecretGroup: 1, Keywords: []string{"akia", "asia"}, check: notPlaceholder,
		},
		{
			ID: "aws-secret-access-key", Description: "AWS secret access key", Severity: SeverityCritical,
			Regex:       `(?im)aws[\w.\-]{0,20}(?:secret|sec_key|access_key)[\w.\-]{0,20}["']?\s*(?:=|:|:=|=>)\s*["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)`,
			SecretGroup: 1, Keywords: []string{"aws"}, Entropy: 3.5, check: notPlaceholder,
		},
		{
			ID: "gcp-service-account", Description: "Google Cloud service account key", Severity: SeverityCritical,
			Regex:       `(?s)"type"\s*:\s*"service_account".{0,1000}?"private_key"\s*:\s*"(-----BEGIN PRIVATE KEY-----\\n[A-Za-z0-9+/=\\]{40,})`,
			SecretGroup: 1, Keywords: []string{"service_account"},
		},
		{
			ID: "azure-storage-connection-string", Description: "Azure storage account key in a connection string", Severity: SeverityCritical,
			Regex:       `DefaultEndpointsProtocol=https?;AccountName=[^;"'\s]+;AccountKey=([A-Za-z0-9+/]{86}==)`,
			SecretGroup: 1, Keywords: []string{"accountkey="},
			// Azurite's well-known development key.
			AllowRegexes: []string{`AccountName=devstoreaccount1;`},
		},
		{
			ID: "azure-client-secret", Description: "Microsoft Entra ID (Azure AD) client secret", Severity: SeverityHigh,
			Regex: `(?m)(?:^|[^A-Za-z0-9_~.\-])([A-Za-z0-9_~.\-]{3}\dQ~[A-Za-z0-9_~.\-]{31,34})(?:[^A-Za-z0-9_~.\-]|$)`, SecretGroup: 1,
			Keywords: []string{"q~"}, Entropy: 3.5,
		},
		{
			ID: "github-token", Description: "GitHub token", Severity: SeverityHigh,
			Regex:       `\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})\b`,
			SecretGroup: 1, Keywords: []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"},
		},
		{
			ID: "gitlab-token", Description: "GitLab personal access token", Severity: SeverityHigh,
			Regex: `\b(glpat-[A-Za-z0-9_\-]{20,})\b`, SecretGroup: 1, Keywords: []string{"glpat-"},
		},
		{
			ID: "slack-token", Description: "Slack bot or user token", Severity: SeverityHigh,
			Regex: `\b(xox[bp]-[0-9]{10,13}-[0-9]{10,13}[A-Za-z0-9\-]*)`, SecretGroup: 1, Keywords: []string{"xoxb-", "xoxp-"},
		},
		{
			ID: "slack-webhook", Description: "Slack incoming webhook URL", Severity: SeverityMedium,
			Regex:       `https://hooks\.slack\.com/services/(T[A-Z0-9]{8,}/B[A-Z0-9]{8,}/[A-Za-z0-9]{20,})`,
			SecretGroup: 1, Keywords: []string{"hooks.slack.com"},
		},
		{
			ID: "npm-token", Description: "npm access token", Severity: SeverityHigh,
			Regex: `\b(npm_[A-Za-z0-9]{36})\b`, SecretGroup: 1, Keywords: []string{"npm_"},
		},
		{
			ID: "pypi-token", Description: "PyPI upload token", Severity: SeverityHigh,
			Regex: `\b(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,})`, SecretGroup: 1, Keywords: []string{"pypi-ageichlwas5vcmc"},
		},
		{
			ID: "jwt", Description: "JSON Web Token", Severity: SeverityMedium,
			Regex:       `\b(eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,})`,
			SecretGroup: 1, Keywords: []string{"eyj"}, check: jwtHeader,
			// The jwt.io example token.
			AllowRegexes: []string{`SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c`},
		},
		{
			ID: "database-url-password", Description: "Database URL with an embedded password", Severity: SeverityHigh,
			Regex:       `\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?)://[^\s:@/"'<>]*:([^\s@/"'<>]{3,})@[A-Za-z0-9.\-_\[\]]+`,
			SecretGroup: 1, Keywords: []string{"postgres", "mysql", "mariadb", "mongodb", "redis", "amqp"}, check: notPlaceholder,
			AllowPaths: []string{libraryPaths},
		},
		{
			ID: "generic-secret-assignment", Description: "Password, secret or API key assigned a literal value", Severity: SeverityMedium,
			Regex:       `(?im)(?:^|[^A-Za-z0-9])(?:[A-Za-z0-9]+[_\-.])*(?:password|passwd|secret|api[_\-]?key|access[_\-]?token|auth[_\-]?token)["']?\s*(?:=|:|:=|=>)\s*(["']?)([^\s"'` + "`" + `()\[\]{}<>$%,;]{8,})(?:["'\s,;]|$)`,
			SecretGroup: 2, Keywords: []string{"password", "passwd", "secret", "api_key", "apikey", "api-key", "token"},
			Entropy: 3.0, check: genericValue, assigned: true,
			AllowPaths: []string{libraryPaths},
		},
	}
}

var placeholders = []string{
	"example", "changeme", "change_me", "change-me", "placeholder", "your_", "your-", "yourpass", "dummy", "sample",
	"xxxx", "****", "....", "redacted", "replace", "insert", "fixme", "todo", "notreal", "fake", "default",
}

// notPlaceholder rejects values that are stand-ins for a secret.
func notPlaceholder(s string) bool {
	l := strings.ToLower(s)
	switch l {
	case "password", "passwd", "pass", "secret", "test", "testing", "admin", "root", "user", "null", "none", "nil",
		"true", "false", "empty", "string", "value", "token", "apikey", "api_key":
		return false
	}
	if strings.HasPrefix(l, "$") || strings.Contains(l, "${") || strings.Contains(l, "{{") || strings.Contains(l, "$(") || strings.Contains(l, "%(") {
		return false
	}
	for _, p := range placeholders {
		if strings.Contains(l, p) {
			return false
		}
	}
	return true
}

var (
	dottedIdent = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$`)
	})
	constIdent = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`) })
	hexOnly    = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64}|[0-9a-fA-F]{128})$`)
	})
	alphaOnly = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_\-]+$`) })
)

// genericValue rejects code references (settings.SECRET_KEY, ENV_NAME),
// placeholders, plain words and bare hex digests (checksums beside a
// "secret" word are far more common than hex secrets).
func genericValue(s string) bool {
	switch {
	case !notPlaceholder(s), dottedIdent().MatchString(s), constIdent().MatchString(s), hexOnly().MatchString(s), alphaOnly().MatchString(s):
		return false
	}
	return true
}
