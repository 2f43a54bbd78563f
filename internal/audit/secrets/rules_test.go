package secrets

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadRules(t *testing.T) {
	rules, err := LoadRules(filepath.Join("testdata", "rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rules {
		ids = append(ids, r.ID)
	}
	if slices.Contains(ids, "slack-webhook") {
		t.Errorf("slack-webhook not disabled: %v", ids)
	}
	if !slices.Contains(ids, "internal-api-token") || !slices.Contains(ids, "private-key") {
		t.Errorf("rules %v: want the defaults plus internal-api-token", ids)
	}
	s := New(rules)
	if errs := s.Errors(); len(errs) != 0 {
		t.Fatal(errs)
	}
	tok := fake(60, "acme_", 32, "abcdefghijklmnopqrstuvwxyz0123456789")
	tests := []struct {
		name, path, content string
		want                []hit
	}{
		{"custom rule", "app/x", "t=" + tok, []hit{{"internal-api-token", 1}}},
		{"global path allow-list", "opt/vendor-demo/x", "t=" + tok, nil},
		{"global regex allow-list", "app/x", "t=" + tok + " DO-NOT-REPORT", nil},
		{"replaced rule keeps working", "app/x", jwt(`{"alg":"none"}`, `{"a":1}`), []hit{{"jwt", 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, hits(s.Scan(tt.path, []byte(tt.content)))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if got := s.Severity("jwt"); got != SeverityLow {
		t.Errorf("replaced jwt severity = %q, want LOW", got)
	}
}

func TestParseRulesErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown key", "rules:\n  - id: x\n    regex: a\n    keywords: [a]\n    colour: red\n", "field colour not found"},
		{"unknown top-level key", "rulez: []\n", "field rulez not found"},
		{"missing id", "rules:\n  - regex: a\n    keywords: [a]\n", "missing id"},
		{"bad regex", "rules:\n  - id: x\n    regex: '('\n    keywords: [a]\n", "missing closing )"},
		{"no keywords", "rules:\n  - id: x\n    regex: a\n", "keyword"},
		{"bad group", "rules:\n  - id: x\n    regex: a\n    secretGroup: 2\n    keywords: [a]\n", "secretGroup"},
		{"bad severity", "rules:\n  - id: x\n    regex: a\n    keywords: [a]\n    severity: huge\n", "severity"},
		{"disable unknown", "disable: [nope]\n", "unknown rule"},
		{"bad allow path", "allowPaths: ['[']\n", "allow-list"},
		{"not yaml", "{{{", "parse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRules([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseRules error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	if rules, err := ParseRules(nil); err != nil || len(rules) != len(DefaultRules()) {
		t.Errorf("ParseRules(empty) = %d rules, %v; want the defaults", len(rules), err)
	}
	if _, err := LoadRules(filepath.Join(t.TempDir(), "missing.yaml")); !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("LoadRules(missing) error = %v, want not-exist", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

func FuzzParseRules(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "rules.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("rules:\n  - id: x\n    regex: 'a{2,}'\n    keywords: [a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, err := ParseRules(data)
		if err != nil {
			return
		}
		s := New(rules)
		if errs := s.Errors(); len(errs) != 0 {
			t.Fatalf("ParseRules accepted rules New rejects: %v", errs)
		}
		s.Scan("x", data)
	})
}
