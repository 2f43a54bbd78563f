package cli

import (
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/registry"
)

// isolateConfig keeps the tests away from the user's config file.
func isolateConfig(t *testing.T) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("CUSTOMS_CONFIG", "")
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		return "missing"
	}
	return string(b)
}

func TestDBPushPullExportImport(t *testing.T) {
	isolateConfig(t)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	repo := strings.TrimPrefix(srv.URL, "http://") + "/customs-db"

	src := filepath.Join(t.TempDir(), "src.db")
	if r := run(t, "--db", src, "db", "build", "--source", "alpine-secdb="+alpineSecdb); r.code != 0 {
		t.Fatalf("db build: exit %d: %s", r.code, r.stderr)
	}
	keys := t.TempDir()
	if r := run(t, "db", "keygen", "--out", filepath.Join(keys, "k")); r.code != 0 {
		t.Fatalf("keygen: exit %d: %s", r.code, r.stderr)
	}
	if r := run(t, "db", "keygen", "--out", filepath.Join(keys, "other")); r.code != 0 {
		t.Fatalf("keygen: exit %d: %s", r.code, r.stderr)
	}
	key, pub, otherPub := filepath.Join(keys, "k.key"), filepath.Join(keys, "k.pub"), filepath.Join(keys, "other.pub")

	push := run(t, "--db", src, "db", "push", repo+":latest", "--key", key)
	if push.code != 0 {
		t.Fatalf("push: exit %d: %s", push.code, push.stderr)
	}
	pinned := strings.TrimSpace(push.stdout)
	if !strings.HasPrefix(pinned, repo+"@sha256:") {
		t.Fatalf("push printed %q, want %s@sha256:...", push.stdout, repo)
	}

	// A config file naming the key (relative to the file) and the repository.
	cfgDir := t.TempDir()
	os.WriteFile(filepath.Join(cfgDir, "k.pub"), []byte(readFile(t, pub)), 0o644)
	cfg := filepath.Join(cfgDir, "config.yaml")
	os.WriteFile(cfg, []byte("db-public-key: k.pub\ndb-repository: "+repo+":latest\n"), 0o644)

	dst := filepath.Join(t.TempDir(), "customs.db")
	want := readFile(t, src)
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantOut    string // substring of stdout (exit 0) or stderr
		wantDBSame bool   // the DB at dst is src's afterwards
	}{
		{"pull by tag", []string{"db", "pull", repo + ":latest", "--db-public-key", pub}, 0, "installed " + pinned, true},
		{"pull by digest", []string{"db", "pull", pinned, "--db-public-key", pub}, 0, "installed " + pinned, true},
		{"pull with the config file", []string{"--config", cfg, "db", "pull"}, 0, "installed " + pinned, true},
		{"pull with another key", []string{"db", "pull", pinned, "--db-public-key", otherPub}, 2, "bad signature", true},
		{"pull without a key", []string{"db", "pull", pinned}, 2, "no public key to verify the DB with; pass --db-public-key FILE", true},
		{"pull without a reference", []string{"db", "pull", "--db-public-key", pub}, 2, "give REF or set db-repository", true},
		{"push without a key", []string{"--db", src, "db", "push", repo + ":x"}, 2, "--key PRIVATE_KEY_FILE is required", true},
		{"keygen over existing keys", []string{"db", "keygen", "--out", filepath.Join(keys, "k")}, 2, "exists", true},
		{"config with an unknown key", []string{"--config", writeTemp(t, "db-pubkey: x\n"), "db", "pull"}, 2, "line 1: field db-pubkey not found", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, append([]string{"--db", dst}, tt.args...)...)
			if r.code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.wantCode, r.stdout, r.stderr)
			}
			out := r.stdout
			if tt.wantCode != 0 {
				out = r.stderr
				if n := strings.Count(r.stderr, "\n"); n != 1 {
					t.Errorf("stderr has %d lines, want one:\n%s", n, r.stderr)
				}
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("output %q does not contain %q", out, tt.wantOut)
			}
			if got := readFile(t, dst) == want; got != tt.wantDBSame {
				t.Errorf("DB at dst is src's: %v, want %v", got, tt.wantDBSame)
			}
		})
	}

	t.Run("export and import", func(t *testing.T) {
		bundle := filepath.Join(t.TempDir(), "customs-db.tar")
		if r := run(t, "--db", dst, "db", "export", bundle); r.code != 0 || !strings.Contains(r.stdout, "signed)") {
			t.Fatalf("export: exit %d: %s%s", r.code, r.stdout, r.stderr)
		}
		garbage := writeTemp(t, "not a bundle")
		airgap := filepath.Join(t.TempDir(), "customs.db")
		steps := []struct {
			name     string
			args     []string
			wantCode int
			wantErr  string
		}{
			{"garbage", []string{"db", "import", garbage, "--db-public-key", pub}, 2, "not a customs DB bundle"},
			{"another key", []string{"db", "import", bundle, "--db-public-key", otherPub}, 2, "bad signature"},
			{"verified", []string{"db", "import", bundle, "--db-public-key", pub}, 0, ""},
			{"unverified warns", []string{"db", "import", bundle}, 0, "signature was not checked"},
		}
		var got []string
		for _, s := range steps {
			r := run(t, append([]string{"--db", airgap}, s.args...)...)
			if r.code != s.wantCode || !strings.Contains(r.stderr, s.wantErr) {
				t.Errorf("%s: exit %d, stderr %q; want exit %d and %q", s.name, r.code, r.stderr, s.wantCode, s.wantErr)
			}
			got = append(got, s.name+": "+map[bool]string{true: "src DB", false: "no DB"}[readFile(t, airgap) == want])
		}
		wantSteps := []string{"garbage: no DB", "another key: no DB", "verified: src DB", "unverified warns: src DB"}
		if diff := cmp.Diff(wantSteps, got); diff != "" {
			t.Errorf("DB after each step (-want +got):\n%s", diff)
		}
		st := run(t, "--db", airgap, "db", "status")
		if st.code != 0 {
			t.Errorf("db status on the imported DB: exit %d: %s", st.code, st.stderr)
		}
	})
}

func writeTemp(t *testing.T, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDigestRef(t *testing.T) {
	const d = "sha256:abc"
	tests := map[string]string{
		"ghcr.io/org/db:latest":           "ghcr.io/org/db@" + d,
		"ghcr.io/org/db":                  "ghcr.io/org/db@" + d,
		"localhost:5000/db:v1":            "localhost:5000/db@" + d,
		"localhost:5000/db":               "localhost:5000/db@" + d,
		"localhost:5000/db:v1@sha256:old": "localhost:5000/db@" + d,
		"localhost:5000/db@sha256:old":    "localhost:5000/db@" + d,
	}
	for in, want := range tests {
		if got := digestRef(in, d); got != want {
			t.Errorf("digestRef(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	isolateConfig(t)
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	full := write("full.yaml", "# customs\ndb-public-key: keys/db.pub\ndb-repository: ghcr.io/org/db:latest\ndb-max-age: 168h\n")
	abs := write("abs.yaml", "db-public-key: /etc/customs/db.pub\n")
	empty := write("empty.yaml", "")
	tests := []struct {
		name    string
		path    string
		env     string
		want    Config
		wantErr string
	}{
		{"all keys", full, "", Config{Path: full, DBPublicKey: filepath.Join(dir, "keys", "db.pub"), DBRepository: "ghcr.io/org/db:latest", DBMaxAge: 168 * time.Hour}, ""},
		{"absolute key path", abs, "", Config{Path: abs, DBPublicKey: "/etc/customs/db.pub"}, ""},
		{"empty file", empty, "", Config{Path: empty}, ""},
		{"from $CUSTOMS_CONFIG", "", abs, Config{Path: abs, DBPublicKey: "/etc/customs/db.pub"}, ""},
		{"no file at the default path", "", "", Config{}, ""},
		{"missing --config file", filepath.Join(dir, "nope.yaml"), "", Config{}, "no such file"},
		{"missing $CUSTOMS_CONFIG file", "", filepath.Join(dir, "nope.yaml"), Config{}, "no such file"},
		{"unknown key", write("unknown.yaml", "db-repository: x\n\ndb-public-keys: y\n"), "", Config{}, "line 3: field db-public-keys not found"},
		{"bad duration", write("dur.yaml", "db-max-age: a week\n"), "", Config{}, "line 1: cannot unmarshal"},
		{"negative duration", write("neg.yaml", "db-max-age: -1h\n"), "", Config{}, "want a positive duration"},
		{"not a mapping", write("list.yaml", "- a\n- b\n"), "", Config{}, "line 1: cannot unmarshal"},
		{"two documents", write("two.yaml", "db-repository: x\n---\ndb-repository: y\n"), "", Config{}, "line 2: a second YAML document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CUSTOMS_CONFIG", tt.env)
			got, err := loadConfig(tt.path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("loadConfig error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("loadConfig (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("default path", func(t *testing.T) {
		p, err := defaultConfigPath()
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("db-repository: example.com/db\n"), 0o644)
		got, err := loadConfig("")
		if err != nil || got.DBRepository != "example.com/db" || got.Path != p {
			t.Errorf("loadConfig(\"\") = %+v, %v; want the file at %s", got, err, p)
		}
	})
}

// FuzzConfig checks that parseConfig fails cleanly on any input.
func FuzzConfig(f *testing.F) {
	// Seeds: the documented example and the shapes TestLoadConfig refuses.
	for _, s := range []string{
		"# customs\ndb-public-key: keys/db.pub\ndb-repository: ghcr.io/org/db:latest\ndb-max-age: 168h\n",
		"db-repository: x\n---\ndb-repository: y\n",
		"db-max-age: -1h\n",
		"- a\n- b\n",
		"a: &x [*x]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseConfig(b)
		if err == nil && c.DBMaxAge < 0 {
			t.Errorf("negative db-max-age accepted: %v", c.DBMaxAge)
		}
	})
}
