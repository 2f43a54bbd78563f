package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/cli"
	"github.com/customs-scanner/customs/internal/shareddata"
)

// TestOwnBinaryHasNoFixableVulnerabilities builds customs as it ships and
// scans that binary with the Go advisories of the shared data: a dependency
// or toolchain with a fixed vulnerability fails the build, so the scanner
// never ships what it would flag in a user's image.
func TestOwnBinaryHasNoFixableVulnerabilities(t *testing.T) {
	if testing.Short() {
		t.Skip("builds customs and a DB of the Go advisories; skipped with -short")
	}
	feed := shareddata.Path(t, "advisories/golang-vulndb")
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("no go command on PATH")
	}
	tmp := t.TempDir()
	binDir := filepath.Join(tmp, "bin")
	build := exec.CommandContext(t.Context(), goCmd, "build", "-trimpath", "-o", filepath.Join(binDir, "customs"), ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	db := filepath.Join(tmp, "go.db")
	var stdout, stderr bytes.Buffer
	if code := cli.Main(t.Context(), []string{"--cache-dir", tmp, "--db", db, "db", "build", "--source", "osv=" + feed}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("db build: exit %d: %s", code, stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	args := []string{"--cache-dir", tmp, "--db", db, "scan", "dir:" + binDir, "--scanners", "vuln", "--db-max-age", "87600h", "-o", "json"}
	if code := cli.Main(t.Context(), args, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("scan: exit %d: %s", code, stderr.String())
	}
	var r struct {
		Packages []struct {
			Name, Version string
		}
		Findings []struct {
			VulnerabilityID, Status, PackageName, PackageVersion, FixedVersion string
		}
		Warnings []struct{ Path, Error string }
	}
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("decode the report: %v", err)
	}
	var stdlib bool
	for _, p := range r.Packages {
		stdlib = stdlib || p.Name == "stdlib"
	}
	if !stdlib {
		t.Fatalf("the scan found no Go standard library in its own binary, so it checked nothing; packages: %+v; warnings: %+v", r.Packages, r.Warnings)
	}
	var fixable []string
	for _, f := range r.Findings {
		if f.Status == "fix-available" {
			fixable = append(fixable, f.VulnerabilityID+" in "+f.PackageName+" "+f.PackageVersion+" (fixed in "+f.FixedVersion+")")
		}
	}
	if len(fixable) > 0 {
		t.Errorf("customs' own binary has %d fixable vulnerabilities; update the dependency (go get MODULE@FIXED && go mod tidy) or the Go toolchain:\n  %s",
			len(fixable), strings.Join(fixable, "\n  "))
	}
}
