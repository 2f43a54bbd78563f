package update

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/vulndb/sqlite"
)

// entry is one tar entry for tarGz.
type entry struct {
	name     string
	body     string
	typeflag byte // 0 means a regular file
	link     string
}

func tarGz(t testing.TB, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: e.typeflag, Linkname: e.link}
		switch e.typeflag {
		case 0:
			h.Typeflag = tar.TypeReg
		case tar.TypeXGlobalHeader:
			h = &tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header", PAXRecords: map[string]string{"comment": "0123456789abcdef"}}
		default:
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write([]byte(e.body))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// githubSnapshot packs testdata/rubysec the way GitHub serves a branch
// snapshot: a pax global header with the commit, then everything under
// "ruby-advisory-db-master/".
func githubSnapshot(t testing.TB, extra ...entry) []byte {
	t.Helper()
	entries := []entry{{typeflag: tar.TypeXGlobalHeader}, {name: "ruby-advisory-db-master/", typeflag: tar.TypeDir}}
	root := filepath.Join("testdata", "rubysec")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		name := "ruby-advisory-db-master/" + filepath.ToSlash(rel)
		if d.IsDir() {
			entries = append(entries, entry{name: name + "/", typeflag: tar.TypeDir})
			return nil
		}
		b, err := os.ReadFile(p)
		entries = append(entries, entry{name: name, body: string(b)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return tarGz(t, append(entries, extra...))
}

func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(out)
	return out
}

func TestExtractTarGz(t *testing.T) {
	tests := []struct {
		name    string
		archive []byte
		max     int64
		want    []string
		wantErr string
	}{
		{
			name:    "GitHub snapshot, links skipped",
			archive: githubSnapshot(t, entry{name: "ruby-advisory-db-master/evil", typeflag: tar.TypeSymlink, link: "/etc/passwd"}, entry{name: "ruby-advisory-db-master/hard", typeflag: tar.TypeLink, link: "ruby-advisory-db-master/README.md"}),
			want: []string{
				"gems/RedCloth/CVE-2012-6684.yml", "gems/RedCloth/CVE-2023-31606.yml",
				"gems/actionmailer/CVE-2013-4389.yml", "gems/actionmailer/CVE-2024-47889.yml",
				"rubies/jruby/CVE-2010-1330.yml",
			},
		},
		{
			name:    "no common top directory",
			archive: tarGz(t, []entry{{name: "a/x.yml", body: "x"}, {name: "b/y.yml", body: "y"}}),
			want:    []string{"a/x.yml", "b/y.yml"},
		},
		{
			name:    "file at the top",
			archive: tarGz(t, []entry{{name: "top/x.yml", body: "x"}, {name: "README", body: "r"}}),
			want:    []string{"README", "top/x.yml"},
		},
		{
			name:    "climbs out",
			archive: tarGz(t, []entry{{name: "repo/x.yml", body: "x"}, {name: "repo/../../evil", body: "e"}}),
			wantErr: "outside the archive's directory",
		},
		{
			name:    "absolute",
			archive: tarGz(t, []entry{{name: "/etc/evil", body: "e"}}),
			wantErr: "outside the archive's directory",
		},
		{
			name:    "too large",
			archive: tarGz(t, []entry{{name: "r/a", body: strings.Repeat("a", 600)}, {name: "r/b", body: strings.Repeat("b", 600)}}),
			max:     1000,
			wantErr: "exceeds the size limit",
		},
		{
			name:    "duplicate",
			archive: tarGz(t, []entry{{name: "r/a", body: "1"}, {name: "r/a", body: "2"}}),
			wantErr: "file exists",
		},
		{
			name:    "not gzip",
			archive: []byte("<html><body>please log in</body></html>"),
			wantErr: "gzip: invalid header",
		},
		{
			name:    "cut short",
			archive: githubSnapshot(t)[:300],
			wantErr: "unexpected EOF",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, "a.tar.gz")
			if err := os.WriteFile(src, tc.archive, 0o644); err != nil {
				t.Fatal(err)
			}
			max := tc.max
			if max == 0 {
				max = 1 << 20
			}
			dst := filepath.Join(dir, "tree")
			err := extractTarGz(t.Context(), src, dst, max)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				if _, err := os.Stat(dst); !os.IsNotExist(err) {
					t.Errorf("tree left behind after an error: %v", err)
				}
				if _, err := os.Stat(filepath.Join(dir, "..", "evil")); err == nil {
					t.Error("wrote outside the tree")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, listTree(t, dst)); diff != "" {
				t.Errorf("tree (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUpdateUntar runs the rubysec feed end to end: a GitHub snapshot of
// real advisories is extracted, built, left alone when unchanged,
// re-extracted when its tree goes missing, and a broken snapshot keeps the
// previous tree.
func TestUpdateUntar(t *testing.T) {
	up := newUpstream(t)
	const path = "/rubysec/ruby-advisory-db/archive/refs/heads/master.tar.gz"
	up.set(path, served{body: githubSnapshot(t), etag: `W/"snap-1"`})
	feeds := []Feed{{Name: "rubysec", Kind: "rubysec", Base: up.srv.URL + path, Files: []File{{Name: "rubysec.tar.gz"}}, Unpack: Untar}}
	e := newEnv(t)
	tree := filepath.Join(e.cache, "feeds", "rubysec", "tree")

	r1 := e.update(t, feeds)
	if !r1.Rebuilt || len(r1.Info.Sources) != 1 || r1.Info.Sources[0].Path != tree || r1.Info.Sources[0].Advisories != 5 {
		t.Fatalf("first update: rebuilt %v, sources %+v; want the 5 advisories from %s", r1.Rebuilt, r1.Info.Sources, tree)
	}
	want := listTree(t, tree)

	if r := e.update(t, feeds); r.Rebuilt || r.Feeds[0].Outcome != Unchanged {
		t.Errorf("second update: rebuilt %v, outcome %v", r.Rebuilt, r.Feeds[0].Outcome)
	}

	if err := os.RemoveAll(tree); err != nil {
		t.Fatal(err)
	}
	if r := e.update(t, feeds); !r.Rebuilt {
		t.Error("update with the tree gone did not rebuild")
	}
	if diff := cmp.Diff(want, listTree(t, tree)); diff != "" {
		t.Errorf("re-extracted tree (-want +got):\n%s", diff)
	}

	up.set(path, served{body: tarGz(t, []entry{{name: "r/x.yml", body: "x"}, {name: "../../evil", body: "e"}}), etag: `W/"snap-2"`})
	r := e.update(t, feeds)
	if r.Rebuilt || r.Feeds[0].Outcome != Failed || !r.Feeds[0].Usable || !strings.Contains(r.Feeds[0].Err.Error(), "outside the archive") {
		t.Errorf("update with a bad snapshot: rebuilt %v, result %+v", r.Rebuilt, r.Feeds[0])
	}
	if diff := cmp.Diff(want, listTree(t, tree)); diff != "" {
		t.Errorf("tree after a bad snapshot (-want +got):\n%s", diff)
	}
	assertNoLeftovers(t, filepath.Dir(tree))
	db, err := sqlite.Open(t.Context(), e.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if info, err := db.Info(t.Context()); err != nil || info.Advisories != 5 {
		t.Errorf("DB after a bad snapshot: %+v, %v; want the 5 rubysec advisories", info, err)
	}
}

// FuzzExtractTarGz: archives come from the network; extraction must stay
// inside its directory and never panic.
func FuzzExtractTarGz(f *testing.F) {
	f.Add(githubSnapshot(f))
	f.Add(tarGz(f, []entry{{name: "r/../../x", body: "x"}}))
	f.Add(tarGz(f, []entry{{name: "a", typeflag: tar.TypeSymlink, link: "/"}, {name: "a/b", body: "x"}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		src := filepath.Join(dir, "a.tar.gz")
		if err := os.WriteFile(src, b, 0o644); err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, "sub", "tree")
		os.Mkdir(filepath.Dir(dst), 0o755)
		extractTarGz(t.Context(), src, dst, 1<<20)
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if e.Name() != "a.tar.gz" && e.Name() != "sub" {
				t.Fatalf("wrote %s outside the tree", e.Name())
			}
		}
		ents, _ = os.ReadDir(filepath.Dir(dst))
		for _, e := range ents {
			if e.Name() != "tree" {
				t.Fatalf("wrote %s outside the tree", e.Name())
			}
		}
	})
}
