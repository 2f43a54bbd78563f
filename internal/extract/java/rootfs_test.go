package java

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/shareddata"

	"github.com/customs-scanner/customs/internal/extract"
)

// TestRootfsJars runs Prepare and Extract on every regular archive under
// usr/share of the benchmark root filesystem, as the walker would.
func TestRootfsJars(t *testing.T) {
	rootfs := shareddata.Rootfs(t, "")
	root := filepath.Join(rootfs, "usr", "share")
	var e Extractor
	got := map[string]string{}
	var files, pkgs int
	var bytesRead int64
	var prepTime time.Duration
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(rootfs, p)
		rel = filepath.ToSlash(rel)
		if !d.Type().IsRegular() || !e.Wants(rel, d.Type()) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		start := time.Now()
		prepared, err := e.Prepare(rel, b)
		prepTime += time.Since(start)
		if err != nil {
			t.Errorf("Prepare(%s): %v", rel, err)
			return nil
		}
		files++
		bytesRead += int64(len(b))
		found, err := e.Extract(context.Background(), extract.Input{Path: rel, Content: prepared})
		if err != nil {
			t.Errorf("Extract(%s): %v", rel, err)
		}
		for _, p := range found {
			pkgs++
			got[p.Name] = p.Version
			if p.Ecosystem == "" {
				t.Logf("unmatched: %s %s in %s (%s)", p.Name, p.Version, rel, p.Metadata.(Metadata).IdentifiedBy)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d archives, %d packages (%d distinct names), %.1f MB, Prepare %v (%.1f ms/MB)",
		files, pkgs, len(got), float64(bytesRead)/1e6, prepTime, float64(prepTime.Milliseconds())/(float64(bytesRead)/1e6))
	for name, version := range map[string]string{
		"org.apache.logging.log4j:log4j-core": "2.19.0",
		"org.apache.logging.log4j:log4j-api":  "2.19.0",
		"commons-logging:commons-logging":     "1.2",
		"org.mongodb:bson":                    "3.6.3",
		"org.slf4j:slf4j-api":                 "1.7.32",
		"commons-codec:commons-codec":         "1.15",
		"org.mongodb:mongodb-driver":          "3.6.3", // file name only
	} {
		if got[name] != version {
			t.Errorf("%s = %q, want %q", name, got[name], version)
		}
	}
	if !strings.Contains(strings.Join(keys(got), " "), "org.apache.httpcomponents:httpmime") {
		t.Error("shaded httpmime inside httpclient-osgi.jar not found")
	}
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// BenchmarkPrepareWar measures Prepare on a war of the testdata jars.
func BenchmarkPrepareWar(b *testing.B) {
	var entries []entry
	for i, name := range []string{"commons-logging-1.2.jar", "log4j-to-slf4j.jar", "jul-to-slf4j.jar"} {
		data := readTestdata(b, name)
		for j := 0; j < 10; j++ {
			entries = append(entries, entry{name: "WEB-INF/lib/" + string(rune('a'+i)) + string(rune('a'+j)) + "-" + name, data: data})
		}
	}
	war := buildZip(b, entries...)
	b.SetBytes(int64(len(war)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := (Extractor{}).Prepare("x.war", war); err != nil {
			b.Fatal(err)
		}
	}
}
