package feedio

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
