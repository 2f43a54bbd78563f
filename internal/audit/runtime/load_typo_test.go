package runtime

import (
	"strings"
	"testing"
)

func TestLoadSchemeTypo(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, tc := range []struct{ target, want string }{
		{"dockr:foo", `unknown prefix "dockr:", did you mean docker:foo?`},
		{"compse:app.yaml", `unknown prefix "compse:", did you mean compose:app.yaml?`},
		{"missing.yaml", "no such file or directory"},
		{"./dockr:foo", "no such file or directory"},
	} {
		_, err := Load(t.Context(), tc.target, "", nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%q) = %v, want an error containing %q", tc.target, err, tc.want)
		}
	}
}
