package store

import (
	"strings"
	"testing"
)

func TestParseDSN(t *testing.T) {
	tests := []struct {
		in            string
		backend, want string // want: Target
		str           string // String(), when it differs from Target
	}{
		{"store.db", SQLite, "store.db", ""},
		{"/var/lib/customs/store.db", SQLite, "/var/lib/customs/store.db", ""},
		{"sqlite:store.db", SQLite, "store.db", ""},
		{"sqlite:///abs/store.db", SQLite, "/abs/store.db", ""},
		{"postgres://customs@db.example:5432/customs", Postgres, "postgres://customs@db.example:5432/customs", ""},
		{"postgresql://customs:pw@db.example/customs?sslmode=require", Postgres, "postgresql://customs:pw@db.example/customs?sslmode=require", "postgresql://customs:xxxxx@db.example/customs?sslmode=require"},
		{"postgres://db.example/customs?user=c&password=pw", Postgres, "postgres://db.example/customs?user=c&password=pw", "postgres://db.example/customs?password=xxxxx&user=c"},
	}
	for _, tt := range tests {
		d, err := ParseDSN(tt.in)
		if err != nil {
			t.Errorf("ParseDSN(%q): %v", tt.in, err)
			continue
		}
		if d.Backend != tt.backend || d.Target != tt.want {
			t.Errorf("ParseDSN(%q) = %+v, want %s %s", tt.in, d, tt.backend, tt.want)
		}
		str := tt.str
		if str == "" {
			str = tt.want
		}
		if d.String() != str {
			t.Errorf("ParseDSN(%q).String() = %q, want %q", tt.in, d.String(), str)
		}
	}
}

func TestParseDSNErrors(t *testing.T) {
	for _, in := range []string{"", "sqlite:", "mysql://u:secret@h/db", "postgres://u:secret@/db", "postgres://u:secret@h:bad port/db"} {
		_, err := ParseDSN(in)
		if err == nil {
			t.Errorf("ParseDSN(%q): no error", in)
			continue
		}
		if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseDSN(%q): %q shows the password or has several lines", in, err)
		}
	}
}
