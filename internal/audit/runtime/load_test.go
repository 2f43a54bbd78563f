package runtime

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoadTargets(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"helm-template.yaml", "list.yaml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a manifest"), 0o644); err != nil {
		t.Fatal(err)
	}
	fromDir, err := Load(t.Context(), "k8s:"+dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var one int
	for _, name := range []string{"helm-template.yaml", "list.yaml"} {
		ws, err := Load(t.Context(), "k8s:"+filepath.Join("testdata", name), "", nil)
		if err != nil {
			t.Fatal(err)
		}
		one += len(ws)
	}
	if len(fromDir) != one || one == 0 {
		t.Errorf("k8s:DIR read %d workloads, the files one by one %d", len(fromDir), one)
	}
	a, err := Load(t.Context(), "docker-inspect:"+filepath.Join("testdata", "docker-inspect.json"), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load(t.Context(), "inspect:"+filepath.Join("testdata", "docker-inspect.json"), "", nil)
	if err != nil || len(a) == 0 || len(a) != len(b) {
		t.Errorf("docker-inspect: read %d workloads, inspect: %d (%v)", len(a), len(b), err)
	}
}
