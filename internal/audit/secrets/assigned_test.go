package secrets

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/shareddata"
)

// unfiltered returns the default rules without the assignment prefilter:
// the reference a filtered scan must agree with.
func unfiltered() *Scanner {
	rules := DefaultRules()
	for i := range rules {
		rules[i].assigned = false
	}
	return New(rules)
}

func TestAssignedPrefilter(t *testing.T) {
	s, ref := New(DefaultRules()), unfiltered()
	tests := []struct {
		name    string
		content string
		want    int // matches of the generic rule
	}{
		{"assignment", "db_password = \"hunter2hunter2Zq9\"\n", 1},
		{"quoted key", "{\"api_key\": \"Zq9xW2mK4pL7vB3n\"}\n", 1},
		{"operator on the next line", "secret\n  := \"Zq9xW2mK4pL7vB3n\"\n", 1},
		{"no operator", "the password is Zq9xW2mK4pL7vB3n\n", 0},
		{"operator elsewhere on the line", "token Zq9xW2mK4pL7vB3n x=1\n", 0},
		{"second keyword assigned", "token here; auth_token=Zq9xW2mK4pL7vB3n\n", 1},
		{"kelvin sign", "token here; api_\u212aey=Zq9xW2mK4pL7vB3n\n", 1},
		{"long s", "token here; pa\u017f\u017fword=Zq9xW2mK4pL7vB3n\n", 1},
		{"many hits", strings.Repeat("token token ", maxKeywordHits) + "password=Zq9xW2mK4pL7vB3n\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, want := s.Scan("app/config", []byte(tt.content)), ref.Scan("app/config", []byte(tt.content))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Scan (-unfiltered +filtered):\n%s", diff)
			}
			n := 0
			for _, m := range got {
				if m.Rule == genericRule {
					n++
				}
			}
			if n != tt.want {
				t.Errorf("%d generic matches, want %d: %v", n, tt.want, got)
			}
		})
	}
}

// TestAssignedPrefilterRootfs scans every file the scanner wants in the
// bench root filesystem (absent in CI: skipped) with and without the
// prefilter.
func TestAssignedPrefilterRootfs(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the bench root filesystem")
	}
	root := shareddata.Rootfs(t, "")
	s, ref := New(DefaultRules()), unfiltered()
	files, matches := 0, 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		info, err := d.Info()
		if err != nil || !s.Wants(rel, info.Mode()) || info.Size() > DefaultMaxSize {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		files++
		got, want := s.Scan(rel, b), ref.Scan(rel, b)
		matches += len(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: Scan (-unfiltered +filtered):\n%s", rel, diff)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d files, %d matches", files, matches)
}
