package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/store/sqlite"
)

// TestRecord records a saved scan of the Alpine image twice: the second
// adds nothing; the store then answers for the image.
func TestRecord(t *testing.T) {
	cache := testDB(t)
	dir := t.TempDir()
	saved := filepath.Join(dir, "alpine.json")
	if r := run(t, "--cache-dir", cache, "scan", alpineImage, "-o", "json="+saved); r.code != 0 {
		t.Fatalf("scan: exit %d: %s", r.code, r.stderr)
	}
	dsn := "sqlite:" + filepath.Join(dir, "store.db")
	r := run(t, "record", saved, "--store", dsn, "--ref", "registry.test/library/alpine:3.10")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "recorded image registry.test/library/alpine:3.10 (sha256:") || !strings.Contains(r.stdout, "1 layers, 1 new layer inventories") {
		t.Fatalf("record: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	t.Setenv("CUSTOMS_STORE", dsn)
	r = run(t, "record", saved)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "already recorded: image alpine:3.10") {
		t.Fatalf("record again: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	subs, err := st.Subjects(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 1 || subs[0].Packages != 14 || strings.Join(subs[0].Subject.Refs, " ") != "alpine:3.10 registry.test/library/alpine:3.10" {
		t.Errorf("stored %+v, want alpine:3.10 with its 14 packages under both references", subs)
	}
}

// TestRecordSBOM matches an SBOM against the DB and records it under the
// reference given, not the archive path the SBOM names.
func TestRecordSBOM(t *testing.T) {
	cache := testDB(t)
	dir := t.TempDir()
	bom := filepath.Join(dir, "bom.json")
	if r := run(t, "--cache-dir", cache, "sbom", alpineImage, "-o", "cyclonedx-json="+bom); r.code != 0 {
		t.Fatalf("sbom: exit %d: %s", r.code, r.stderr)
	}
	r := run(t, "--cache-dir", cache, "record", "sbom:"+bom, "--store", filepath.Join(dir, "store.db"), "--ref", "registry.test/library/alpine:3.10")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "recorded image registry.test/library/alpine:3.10 (sha256:") {
		t.Fatalf("record: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = run(t, "--cache-dir", t.TempDir(), "record", "sbom:"+bom, "--store", filepath.Join(dir, "store.db"))
	if r.code != ExitError || !strings.Contains(r.stderr, "no vulnerability DB at") {
		t.Errorf("record without a DB: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestRecordRefuses(t *testing.T) {
	dir := t.TempDir()
	notReport := filepath.Join(dir, "package.json")
	if err := os.WriteFile(notReport, []byte(`{"name": "app", "version": "1.0.0"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CUSTOMS_STORE", "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"record", notReport}, "no store: give --store DSN"},
		{[]string{"record", notReport, "--store", filepath.Join(dir, "s.db")}, notReport},
		{[]string{"record", notReport, "--store", "mysql://u:hunter2@db/x"}, `unknown scheme "mysql"`},
		{[]string{"record", filepath.Join(dir, "missing.json"), "--store", filepath.Join(dir, "s.db")}, "missing.json"},
	} {
		r := run(t, tc.args...)
		if r.code != ExitError || !strings.Contains(r.stderr, tc.want) || strings.Contains(r.stderr, "hunter2") || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want one error line with %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}
