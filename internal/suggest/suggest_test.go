package suggest

import "testing"

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "dir", 3},
		{"docker", "docker", 0},
		{"dockr", "docker", 1},
		{"dcoker", "docker", 1}, // a swap is one edit
		{"updte", "update", 1},
		{"fail-onn", "fail-on", 1},
		{"dart", "dir", 2},
		{"registy", "registry", 1},
		{"kitten", "sitting", 3},
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := Distance(tt.b, tt.a); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (not symmetric)", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestClosest(t *testing.T) {
	schemes := []string{"docker-archive", "oci-archive", "oci-dir", "registry", "docker", "dir", "rootfs"}
	tests := []struct {
		word string
		want string
		ok   bool
	}{
		{"dockr", "docker", true},
		{"docker-archiv", "docker-archive", true},
		{"oci-dri", "oci-dir", true},
		{"docker", "", false}, // exact: nothing to suggest
		{"alpine", "", false},
		{"dart", "", false}, // two edits from dir, but a word of four letters allows one
		{"dri", "dir", true},
	}
	for _, tt := range tests {
		got, ok := Closest(tt.word, schemes, MaxTypos(len(tt.word)))
		if got != tt.want || ok != tt.ok {
			t.Errorf("Closest(%q) = %q, %v; want %q, %v", tt.word, got, ok, tt.want, tt.ok)
		}
	}
}
