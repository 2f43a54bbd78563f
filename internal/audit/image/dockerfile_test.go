package image

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/vulndb"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLintDockerfileFiles(t *testing.T) {
	got := LintDockerfile(readTestdata(t, "Dockerfile.bad"))
	want := []report.Misconfiguration{
		{ID: IDDFAddRemoteURL, Title: "ADD fetches a remote URL without a checksum", Severity: vulndb.SeverityMedium, Evidence: []string{"line 15: ADD https://example.com/tool.tar.gz /opt/"}, Target: "Dockerfile"},
		{ID: IDDFSSHPort, Title: "Exposes SSH port 22", Severity: vulndb.SeverityMedium, Evidence: []string{"line 19: EXPOSE 8080 22/tcp"}, Target: "Dockerfile"},
		{ID: IDDFLatestBase, Title: "Base image uses the latest tag", Severity: vulndb.SeverityMedium, Evidence: []string{"line 3: FROM golang AS build"}, Target: "Dockerfile"},
		{ID: IDDFPipeToShell, Title: "Downloaded script piped into a shell", Severity: vulndb.SeverityMedium, Evidence: []string{"line 6: curl -fsSL https://get.example.com/install.sh | bash"}, Target: "Dockerfile"},
		{ID: IDDFPipeToShell, Title: "Downloaded script piped into a shell", Severity: vulndb.SeverityMedium, Evidence: []string{"line 9: wget -qO- https://x.example/setup | sh"}, Target: "Dockerfile"},
		{ID: IDDFRootUser, Title: "Final stage runs as root", Severity: vulndb.SeverityMedium, Evidence: []string{"line 20: USER root"}, Target: "Dockerfile"},
		{ID: IDDFSecret, Title: "Secret in ENV (generic-secret-assignment)", Severity: vulndb.SeverityMedium, Evidence: []string{"line 17: DB_PASSWORD=s3cr****"}, Target: "Dockerfile"},
		{ID: IDDFNoHealthcheck, Title: "Final stage has no HEALTHCHECK", Severity: vulndb.SeverityLow, Evidence: []string{"line 13: no HEALTHCHECK instruction in the final stage"}, Target: "Dockerfile"},
		{ID: IDDFSecretBuildArg, Title: "Secret passed as a build argument", Severity: vulndb.SeverityLow, Evidence: []string{"line 4: ARG NPM_TOKEN"}, Target: "Dockerfile"},
		{ID: IDDFUnpinnedBase, Title: "Base image not pinned by digest", Severity: vulndb.SeverityLow, Evidence: []string{"line 13: FROM ${BASE}", "resolves to python:3.12"}, Target: "Dockerfile"},
	}
	if diff := cmp.Diff(want, got, cmpIgnoreRemediation); diff != "" {
		t.Errorf("Dockerfile.bad (-want +got):\n%s", diff)
	}
	if got := LintDockerfile(readTestdata(t, "Dockerfile.good")); len(got) != 0 {
		t.Errorf("Dockerfile.good: %+v, want no findings", got)
	}
}

func TestLintDockerfileCases(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"empty", "", nil},
		{"no FROM", "RUN echo hi\n", nil},
		{"latest tag", "FROM alpine:latest\nUSER 1000\nHEALTHCHECK NONE\n", []string{"dockerfile.latest-base MEDIUM", "dockerfile.no-healthcheck LOW"}},
		{"registry port is not a tag", "FROM localhost:5000/app\nUSER 1\nHEALTHCHECK CMD true\n", []string{"dockerfile.latest-base MEDIUM"}},
		{"scratch and stage refs", "FROM golang:1.24@sha256:abc AS b\nFROM b\nFROM scratch\nUSER 1\nHEALTHCHECK CMD true\n", nil},
		{"no USER", "FROM a@sha256:00\nHEALTHCHECK CMD true\n", []string{"dockerfile.root-user LOW"}},
		{"USER 0 group", "FROM a@sha256:00\nUSER 0:0\nHEALTHCHECK CMD true\n", []string{"dockerfile.root-user MEDIUM"}},
		{"root only in build stage", "FROM a@sha256:00 AS x\nUSER root\nFROM b@sha256:00\nUSER app\nHEALTHCHECK CMD true\n", nil},
		{"escape directive", "# escape=`\nFROM a@sha256:00\nRUN curl https://x.example/i `\n  | sh\nUSER 1\nHEALTHCHECK CMD true\n", []string{"dockerfile.pipe-to-shell MEDIUM"}},
		{"token in RUN", "FROM a@sha256:00\nRUN git clone https://ghp_" + strings.Repeat("aB3", 12) + "@github.com/o/r\nUSER 1\nHEALTHCHECK CMD true\n", []string{"dockerfile.secret HIGH"}},
		{"ARG with placeholder default", "ARG TOKEN=changeme\nFROM a@sha256:00\nUSER 1\nHEALTHCHECK CMD true\n", nil},
		{"unresolved arg", "ARG IMG\nFROM $IMG\nUSER 1\nHEALTHCHECK CMD true\n", []string{"dockerfile.unpinned-base LOW"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ids(LintDockerfile([]byte(tt.src)))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckRunsLint(t *testing.T) {
	got := ids(Check(nil, nil, []byte("FROM alpine\nUSER 1\nHEALTHCHECK CMD true\n")))
	if diff := cmp.Diff([]string{"dockerfile.latest-base MEDIUM"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func FuzzLintDockerfile(f *testing.F) {
	f.Add(readTestdata(f, "Dockerfile.bad"))
	f.Add(readTestdata(f, "Dockerfile.good"))
	f.Add([]byte("# escape=`\nFROM a `\nRUN <<-EOF\n\tcurl x | sh\n\tEOF\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		for _, fd := range LintDockerfile(src) {
			if fd.ID == "" || len(fd.Evidence) == 0 {
				t.Fatalf("finding without ID or evidence: %+v", fd)
			}
		}
	})
}
