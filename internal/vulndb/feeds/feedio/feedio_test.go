package feedio

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

func TestRead(t *testing.T) {
	for _, tt := range []struct {
		in    string
		limit int64
		err   string
	}{
		{"abcd", 4, ""},
		{"abcde", 4, "larger than 4 bytes"},
		{"", 0, ""},
	} {
		b, err := Read(strings.NewReader(tt.in), tt.limit)
		switch {
		case tt.err == "" && (err != nil || string(b) != tt.in):
			t.Errorf("Read(%q, %d) = %q, %v; want %q", tt.in, tt.limit, b, err, tt.in)
		case tt.err != "" && (err == nil || err.Error() != tt.err):
			t.Errorf("Read(%q, %d) error = %v, want %q", tt.in, tt.limit, err, tt.err)
		}
	}
}

func TestReadFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(p, 5); err != nil || string(b) != "12345" {
		t.Errorf("ReadFile(5) = %q, %v", b, err)
	}
	if _, err := ReadFile(p, 4); err == nil {
		t.Error("ReadFile(4) of a 5-byte file succeeded")
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing"), 4); !os.IsNotExist(err) {
		t.Errorf("ReadFile(missing) error = %v, want not-exist", err)
	}
}

func TestFirstByte(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want byte
		rest string
		err  string
	}{
		{"{}", '{', "{}", ""},
		{" \t\r\n[1]", '[', "[1]", ""},
		{"\ufeff\n cveID,x", 'c', "cveID,x", ""},
		{"\xef\xbbx", 0xEF, "\xef\xbbx", ""}, // a broken BOM is data
		{"", 0, "", "empty file"},
		{" \n\ufeff ", 0, "", "empty file"},
	} {
		br := bufio.NewReader(strings.NewReader(tt.in))
		b, err := FirstByte(br)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("FirstByte(%q) = %q, %v; want error %q", tt.in, b, err, tt.err)
			}
			continue
		}
		if err != nil || b != tt.want {
			t.Errorf("FirstByte(%q) = %q, %v; want %q", tt.in, b, err, tt.want)
			continue
		}
		if rest, _ := io.ReadAll(br); string(rest) != tt.rest {
			t.Errorf("FirstByte(%q) left %q, want %q", tt.in, rest, tt.rest)
		}
	}
}

func TestWindow(t *testing.T) {
	w := NewWindow(iotest.OneByteReader(strings.NewReader("abcdefgh")), 2, "entry")
	buf := make([]byte, 1)
	read := func() error {
		_, err := w.Read(buf)
		return err
	}
	for i := range 3 { // a, b, c: the read that passes the limit succeeds
		if err := read(); err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	if err := read(); err == nil || err.Error() != "entry larger than 2 bytes" {
		t.Fatalf("read past the limit: %v, want entry larger than 2 bytes", err)
	}
	w.Reset()
	if err := read(); err != nil || buf[0] != 'd' {
		t.Errorf("read after Reset = %q, %v; want 'd'", buf[0], err)
	}
}

func TestTar(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct{ name, data string }{
		{"a/1.json", "one"},
		{"a/skip.txt", "not wanted"},
		{"a/big.json", "too large"},
		{"b/2.json", "two"},
	} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(f.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.WriteHeader(&tar.Header{Name: "c/", Mode: 0o755, Typeflag: tar.TypeDir}); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	want := func(name string) bool { return strings.HasSuffix(name, ".json") || strings.HasSuffix(name, "/") }
	var got []string
	collect := func(name string, data []byte, err error) error {
		if err != nil {
			got = append(got, name+": "+err.Error())
			return nil
		}
		got = append(got, name+"="+string(data))
		return nil
	}
	if err := Tar(t.Context(), bytes.NewReader(buf.Bytes()), 5, want, collect); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a/1.json=one", "a/big.json: larger than 5 bytes", "b/2.json=two"}, got); diff != "" {
		t.Errorf("Tar (-want +got):\n%s", diff)
	}

	// A file cut short stops the read, as does an error of fn.
	got = nil
	cut := buf.Bytes()[:512+2]
	if err := Tar(t.Context(), bytes.NewReader(cut), 5, want, collect); err == nil || !strings.Contains(err.Error(), "read archive: a/1.json") {
		t.Errorf("Tar of a cut archive: %v, want read archive: a/1.json: ...", err)
	}
	if len(got) != 0 {
		t.Errorf("Tar of a cut archive passed %q", got)
	}
	stop := errors.New("stop")
	n := 0
	err := Tar(t.Context(), bytes.NewReader(buf.Bytes()), 5, want, func(string, []byte, error) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("Tar with a failing fn = %v after %d calls, want stop after 1", err, n)
	}
}

func TestWalk(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{"a/1.yml", "a/2.txt", "b/c/3.yml", ".github/workflows/ci.yml", "a/.hidden.yml"} {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	yml := func(p string) bool { return strings.HasSuffix(p, ".yml") }
	var got []string
	walk := func(root string) error {
		got = nil
		return Walk(t.Context(), root, yml, func(p string) error {
			got = append(got, p)
			return nil
		})
	}
	if err := walk(root); err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(root, "a", "1.yml"), filepath.Join(root, "b", "c", "3.yml")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Walk (-want +got):\n%s", diff)
	}
	// A root is read whatever its name.
	hidden := filepath.Join(root, ".github")
	if err := walk(hidden); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{filepath.Join(hidden, "workflows", "ci.yml")}, got); diff != "" {
		t.Errorf("Walk of a dot root (-want +got):\n%s", diff)
	}
	if err := walk(filepath.Join(root, "missing")); !os.IsNotExist(err) {
		t.Errorf("Walk of a missing root: %v, want not-exist", err)
	}
	stop := errors.New("stop")
	if err := Walk(t.Context(), root, yml, func(string) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("Walk with a failing fn: %v, want stop", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := Walk(ctx, root, yml, func(string) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Walk with a cancelled ctx: %v, want context.Canceled", err)
	}
}
