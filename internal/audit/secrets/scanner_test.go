package secrets

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"io/fs"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/layerfs"
)

// fake returns a fabricated token: prefix plus n characters of alphabet
// from a fixed seed, so tests are deterministic and nothing real is kept.
func fake(seed uint64, prefix string, n int, alphabet string) string {
	r := mrand.New(mrand.NewPCG(seed, 7))
	b := []byte(prefix)
	for range n {
		b = append(b, alphabet[r.IntN(len(alphabet))])
	}
	return string(b)
}

const (
	alnum  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	upper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b64    = alnum + "+/"
	urlb64 = alnum + "-_"
)

func rsaPEM(t *testing.T) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

func ecPEMs(t *testing.T) (sec1, pkcs8 string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	p8, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}))
}

func jwt(header, payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc([]byte(payload)) + "." + fake(9, "", 43, urlb64)
}

type hit struct {
	Rule string
	Line int
}

func hits(ms []Match) []hit {
	var out []hit
	for _, m := range ms {
		out = append(out, hit{m.Rule, m.Line})
	}
	return out
}

func TestScanFindsSecrets(t *testing.T) {
	sec1, pkcs8 := ecPEMs(t)
	openssh := "-----BEGIN OPENSSH PRIVATE KEY-----\n" + fake(1, "b3BlbnNzaC1rZXktdjEAAAAA", 46, b64) + "\n-----END OPENSSH PRIVATE KEY-----\n"
	pgp := "-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\n" + fake(2, "lQOYBF", 58, b64) + "\n-----END PGP PRIVATE KEY BLOCK-----\n"
	azureKey := fake(3, "", 86, b64) + "=="
	sa := `{
  "type": "service_account",
  "project_id": "demo",
  "private_key_id": "` + fake(4, "", 40, "0123456789abcdef") + `",
  "private_key": "-----BEGIN PRIVATE KEY-----\n` + fake(5, "", 64, b64) + `\n-----END PRIVATE KEY-----\n",
  "client_email": "x@demo.iam.gserviceaccount.com"
}`
	tests := []struct {
		name, path, content string
		want                []hit
	}{
		{"rsa pkcs1", "root/.ssh/id_rsa", rsaPEM(t), []hit{{"private-key", 2}}},
		{"ec sec1", "etc/ssl/private/server.key", sec1, []hit{{"private-key", 2}}},
		{"pkcs8", "app/key.pem", pkcs8, []hit{{"private-key", 2}}},
		{"openssh", "home/u/.ssh/id_ed25519", openssh, []hit{{"private-key", 2}}},
		{"pgp with armor headers", "root/secret.asc", pgp, []hit{{"private-key", 4}}},
		{"aws key pair", "root/.aws/credentials", "[default]\naws_access_key_id = " + fake(6, "AKIA", 16, upper) +
			"\naws_secret_access_key = " + fake(7, "", 40, b64) + "\n", []hit{{"aws-access-key-id", 2}, {"aws-secret-access-key", 3}}},
		{"aws session key id", "app/env", "export KEY=" + fake(8, "ASIA", 16, upper), []hit{{"aws-access-key-id", 1}}},
		{"gcp service account", "app/sa.json", sa, []hit{{"gcp-service-account", 5}}},
		{"azure storage", "app/appsettings.json", `{"Storage": "DefaultEndpointsProtocol=https;AccountName=prodacct;AccountKey=` + azureKey + `;EndpointSuffix=core.windows.net"}`,
			[]hit{{"azure-storage-connection-string", 1}}},
		{"azure client secret", "app/.env", "AZURE_CLIENT_SECRET=" + fake(10, "abc", 0, "") + "8Q~" + fake(11, "", 34, alnum), []hit{{"azure-client-secret", 1}}},
		{"github classic", "app/deploy.sh", "git clone https://" + fake(12, "ghp_", 36, alnum) + "@github.com/o/r", []hit{{"github-token", 1}}},
		{"github app and fine-grained", "app/x.txt", fake(13, "ghs_", 36, alnum) + "\n" + fake(14, "github_pat_", 82, alnum+"_"), []hit{{"github-token", 1}, {"github-token", 2}}},
		{"gitlab", "app/ci.txt", "token " + fake(15, "glpat-", 20, alnum+"-_"), []hit{{"gitlab-token", 1}}},
		{"slack bot", "app/bot.py", "client = WebClient(" + fake(16, "xoxb-1234567890-", 13, "0123456789") + "-" + fake(17, "", 24, alnum) + ")", []hit{{"slack-token", 1}}},
		{"slack webhook", "app/notify.sh", "curl -X POST https://hooks.slack.com/services/T0123ABCD/B0456EFGH/" + fake(18, "", 24, alnum), []hit{{"slack-webhook", 1}}},
		{"npmrc (generic yields to the specific rule)", "root/.npmrc", "//registry.npmjs.org/:_authToken=" + fake(19, "npm_", 36, alnum), []hit{{"npm-token", 1}}},
		{"pypirc", "root/.pypirc", "[pypi]\nusername = __token__\npassword = " + fake(20, "pypi-AgEIcHlwaS5vcmc", 60, urlb64), []hit{{"pypi-token", 3}}},
		{"jwt", "app/config.js", "const t = '" + jwt(`{"alg":"HS256","typ":"JWT"}`, `{"sub":"42","name":"svc"}`) + "';", []hit{{"jwt", 1}}},
		{"postgres url", "app/.env", "DATABASE_URL=postgres://app:Zx9" + "kQ2vLw7@db.internal:5432/app", []hit{{"database-url-password", 1}}},
		{"mongodb srv", "app/settings.py", `MONGO = "mongodb+srv://svc:Tr0ub4dor3x@cluster0.abcde.mongodb.net/db"`, []hit{{"database-url-password", 1}}},
		{"redis no user", "app/.env", "REDIS_URL=redis://:Qw3rTy8zP1@cache:6379/0", []hit{{"database-url-password", 1}}},
		{"generic quoted", "app/config.py", `DB_PASSWORD = "s3cr3t-Pa55w0rd!"`, []hit{{"generic-secret-assignment", 1}}},
		{"generic yaml", "app/config.yml", "db:\n  password: hY7#kL9pQ2wE\n", []hit{{"generic-secret-assignment", 2}}},
		{"generic env api key", "app/.env", "STRIPE_API_KEY=sk9Lm2Qx7Vb4Nz8Rt1", []hit{{"generic-secret-assignment", 1}}},
	}
	s := New(DefaultRules())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms := s.Scan(tt.path, []byte(tt.content))
			if diff := cmp.Diff(tt.want, hits(ms)); diff != "" {
				t.Errorf("hits (-want +got):\n%s\nmatches: %+v", diff, ms)
			}
		})
	}
}

func TestScanIgnoresNonSecrets(t *testing.T) {
	tests := []struct{ name, path, content string }{
		{"pem header in library code", "app/crypto.py", `PEM_HEADER = "-----BEGIN RSA PRIVATE KEY-----"` + "\nif line.startswith(PEM_HEADER):\n    pass\n"},
		{"public key and certificate", "etc/ssl/certs/ca.pem", "-----BEGIN CERTIFICATE-----\n" + fake(30, "", 64, b64) + "\n-----END CERTIFICATE-----\n-----BEGIN PUBLIC KEY-----\n" + fake(31, "", 64, b64) + "\n"},
		{"aws documentation key", "app/README.txt", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"},
		{"jwt.io example", "app/readme.txt", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"},
		{"eyJ without alg", "app/data.txt", jwt(`{"typ":"JWT"}`, `{"sub":"1"}`)},
		{"placeholder url", "app/.env.dist", "DATABASE_URL=postgres://user:password@localhost/db\nREDIS=redis://:changeme@cache:6379\nDB=mysql://root:${MYSQL_PASSWORD}@db/x\nPG=postgresql://<user>:<password>@host/db"},
		{"env reference", "app/config.py", "password = os.environ[\"DB_PASSWORD\"]\nsecret_key = settings.SECRET_KEY\napi_key: ${API_KEY}\npassword = DEFAULT_PASSWORD\n"},
		{"placeholders", "app/config.yml", "password: changeme\npassword: \"<password>\"\napi_key: your_api_key_here\nsecret: xxxxxxxxxxxx\npassword: example-password\n"},
		{"low entropy", "app/config.yml", "password: aaaaaaaaaaaa\npassword: 12121212\n"},
		{"checksums", "app/SHA256SUMS", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  app.tar.gz\nsecret_sha256 = \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"\nsha1: da39a3ee5e6b4b0d3255bfef95601890afd80709\n"},
		{"generic in site-packages", "usr/lib/python3/dist-packages/requests/auth.py", `password = "s3cr3t-Pa55w0rd!"`},
		{"url in library docs", "usr/share/nginx/html/index.html", "postgres://admin:Zx9kQ2vLw7@db/app"},
		{"prose", "etc/login.defs", "# Password aging controls:\n#\tPASS_MAX_DAYS\tMaximum number of days a password may be used.\nPASS_MAX_DAYS\t99999\n"},
		{"go source", "app/main.go", "token := os.Getenv(\"TOKEN\")\nvar password string\nif password == \"\" {\n"},
	}
	s := New(DefaultRules())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ms := s.Scan(tt.path, []byte(tt.content)); len(ms) != 0 {
				t.Errorf("Scan found %+v, want nothing", ms)
			}
		})
	}
}

func TestWants(t *testing.T) {
	s := New(DefaultRules())
	tests := []struct {
		path string
		want bool
	}{
		{"app/.env", true},
		{"root/.ssh/id_rsa", true},
		{"etc/os-release", false},
		{"usr/share/doc/openssl/README", false},
		{"usr/lib/python3/dist-packages/paramiko/tests/test_rsa.key", false},
		{"app/node_modules/jsonwebtoken/test/priv.pem", false},
		{"usr/lib/x86_64-linux-gnu/libssl.so.3", false},
		{"app/logo.png", false},
		{"var/lib/dpkg/status", false},
		{"var/lib/dpkg", true},
		{"proc/1/environ", false},
		{"usr/share/zoneinfo/UTC", false},
		{"usr/share/nginx/html/index.html", true},
		{"usr/lib/locale/C.utf8/LC_CTYPE", false},
		{"lib/apk/db/installed", false},
		{"app/docs/setup.md", false},
		{"app/doc", true},
		{"srv/repo/.git/objects/ab/cdef", false},
		{"srv/repo/.git/config", true},
		{"app/test_data/creds.json", false},
		{"app/contest/x.env", true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if got := s.Wants(tt.path, 0o644); got != tt.want {
				t.Errorf("Wants(%q) = %v, want %v", tt.path, got, tt.want)
			}
		})
	}
}

func TestPrepareSkipsAndRedacts(t *testing.T) {
	ls := New(DefaultRules()).Layer()
	tok := fake(40, "ghp_", 36, alnum)
	prepare := func(p string, content []byte) {
		t.Helper()
		if b, err := ls.Prepare(p, content); b != nil || err != nil {
			t.Errorf("Prepare(%s) = %q, %v; want nil, nil (the walk keeps nothing)", p, b, err)
		}
	}
	prepare("app/x", []byte("t="+tok+"\n"))
	prepare("big", []byte(strings.Repeat("a", DefaultMaxSize+1)))
	prepare("bin", []byte("\x7fELF\x00\x00"+tok))
	prepare("latin1", append([]byte("pass"), strings.Repeat("\xe9\xff", 100)...))
	got := ls.Result(&layerfs.Layer{DiffID: "sha256:1"})
	want := &LayerResult{
		DiffID:        "sha256:1",
		Files:         []FileMatches{{Path: "app/x", Matches: []Match{{Rule: "github-token", Severity: "HIGH", Line: 1, Snippet: "ghp_****"}}}},
		Scanned:       1,
		SkippedBinary: 2,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Result (-want +got):\n%s", diff)
	}
}

func TestResultCountsTooLargeFromLayer(t *testing.T) {
	ls := New(DefaultRules()).Layer()
	l := &layerfs.Layer{Entries: []layerfs.Entry{
		{Path: "app/dump.sql", Mode: 0o644, Size: DefaultMaxSize + 1},
		{Path: "app/config.yml", Mode: 0o644, Size: 100},
		{Path: "usr/share/doc/big.txt", Mode: 0o644, Size: DefaultMaxSize + 1}, // not wanted
		{Path: "app/dump-link.sql", Mode: 0o644, Linkname: "app/dump.sql", Hardlink: true},
		{Path: "app/data", Mode: fs.ModeDir | 0o755},
	}}
	if got := ls.Result(l).SkippedTooLarge; got != 1 {
		t.Errorf("SkippedTooLarge = %d, want 1", got)
	}
}

func TestScannerID(t *testing.T) {
	rules := DefaultRules()
	id := New(rules).ID()
	if again := New(DefaultRules()).ID(); again != id {
		t.Errorf("the same rules give IDs %s and %s", id, again)
	}
	changed := slices.Clone(rules)
	changed[0].Regex += "x"
	if New(changed).ID() == id {
		t.Error("a changed rule gives the same ID")
	}
	if New(rules[1:]).ID() == id {
		t.Error("a rule left out gives the same ID")
	}
}

func TestRedact(t *testing.T) {
	tests := map[string]string{"": "****", "abc": "****", "hunter22": "hu****", "ghp_0123456789": "ghp_****"}
	for in, want := range tests {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzPrepare(f *testing.F) {
	f.Add("app/.env", []byte("DATABASE_URL=postgres://app:Zx9kQ2vLw7@db:5432/app\npassword: hY7#kL9pQ2wE\n"))
	f.Add("k", []byte("-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: x\n\n"+strings.Repeat("A", 50)))
	f.Add("j", []byte("eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0aaaa.bbbbbbbbbbbbbbbbbbbbbbbb"))
	s := New(DefaultRules())
	f.Fuzz(func(t *testing.T, path string, content []byte) {
		ls := s.Layer()
		if b, err := ls.Prepare(path, content); b != nil || err != nil {
			t.Fatalf("Prepare = %q, %v; want nil, nil", b, err)
		}
		r := ls.Result(&layerfs.Layer{})
		if r.Scanned+r.SkippedBinary > 1 {
			t.Fatalf("one file counted %d times", r.Scanned+r.SkippedBinary)
		}
		for _, f := range r.Files {
			for _, m := range f.Matches {
				if m.Rule == "" || !strings.Contains(m.Snippet, "****") {
					t.Fatalf("match %+v: no rule or not redacted", m)
				}
			}
		}
	})
}

func TestDefaultRulesCompile(t *testing.T) {
	s := New(DefaultRules())
	if errs := s.Errors(); len(errs) != 0 {
		t.Fatalf("default rules: %v", errs)
	}
	if len(s.compiled().rules) != len(DefaultRules()) {
		t.Fatalf("compiled %d rules, want %d", len(s.compiled().rules), len(DefaultRules()))
	}
}
