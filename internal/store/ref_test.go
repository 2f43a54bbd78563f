package store

import "testing"

func TestNormalizeRef(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"nginx", "nginx:latest"},
		{"nginx:latest", "nginx:latest"},
		{"library/nginx", "nginx:latest"},
		{"docker.io/library/nginx:latest", "nginx:latest"},
		{"index.docker.io/library/nginx", "nginx:latest"},
		{"docker.io/nginx:1.27", "nginx:1.27"},
		{"docker.io/bitnami/redis", "bitnami/redis:latest"},
		{"bitnami/redis:7", "bitnami/redis:7"},
		{"registry.example/shop/app:1.4", "registry.example/shop/app:1.4"},
		{"registry.example:5000/shop/app", "registry.example:5000/shop/app:latest"},
		{"localhost/app", "localhost/app:latest"},
		{"localhost:5000/app:2", "localhost:5000/app:2"},
		{"registry.example/library/app", "registry.example/library/app:latest"},
		{"nginx@sha256:0123", "nginx@sha256:0123"},
		{"docker.io/library/nginx:1.27@sha256:0123", "nginx:1.27@sha256:0123"},
		{" nginx ", "nginx:latest"},
		{"", ""},
		{"/tmp/app.tar", "/tmp/app.tar"},
		{"oci:dir with space", "oci:dir with space"},
	} {
		if got := NormalizeRef(tt.in); got != tt.want {
			t.Errorf("NormalizeRef(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
