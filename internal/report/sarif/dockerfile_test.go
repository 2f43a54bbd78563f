package sarif

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseDockerfile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Instruction{
		{"FROM", "golang:1.22 AS build", 2},
		{"WORKDIR", "/src", 3},
		{"COPY", ". .", 4},
		{"RUN", "go build -o /app ./cmd/app", 5},
		{"FROM", "alpine:3.10", 7},
		{"RUN", "apk add --no-cache ca-certificates", 9},
		{"COPY", "--from=build /app /usr/local/bin/app", 11},
		{"ENTRYPOINT", `["/usr/local/bin/app"]`, 12},
	}
	if diff := cmp.Diff(want, ParseDockerfile(data)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseDockerfileEdges(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []Instruction
	}{
		{"empty", "", nil},
		{"escape directive", "# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir `\n  c:\\\n", []Instruction{{"FROM", "mcr.microsoft.com/windows", 2}, {"RUN", "dir c:\\", 3}}},
		{"heredoc", "FROM alpine\nRUN <<EOF\napk add curl\nFROM not-an-instruction\nEOF\nUSER nobody\n", []Instruction{{"FROM", "alpine", 1}, {"RUN", "<<EOF", 2}, {"USER", "nobody", 6}}},
		{"comment inside continuation", "RUN a \\\n# note\n  b\n", []Instruction{{"RUN", "a b", 1}}},
		{"dangling continuation", "RUN a \\", []Instruction{{"RUN", "a", 1}}},
		{"lower case", "from alpine\nrun true\n", []Instruction{{"FROM", "alpine", 1}, {"RUN", "true", 2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ParseDockerfile([]byte(tc.in))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLineFor(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	ins := ParseDockerfile(data)
	for _, tc := range []struct {
		createdBy string
		want      int
	}{
		{"", 7},
		{"/bin/sh -c #(nop) ADD file:d48cac34fac385cbc1de6adfdd88300f76f9bbe346cd17e64fd834d042a98326 in / ", 7},
		{"RUN /bin/sh -c apk add --no-cache ca-certificates # buildkit", 9},
		{"/bin/sh -c apk add --no-cache     ca-certificates", 9},
		{"|1 VERSION=1 /bin/sh -c apk add --no-cache ca-certificates", 9},
		{"COPY /app /usr/local/bin/app # buildkit", 11},
		{"/bin/sh -c #(nop)  ENTRYPOINT [\"/usr/local/bin/app\"]", 12},
		{"RUN /bin/sh -c make install # buildkit", 7},
	} {
		t.Run(tc.createdBy, func(t *testing.T) {
			if got := lineFor(ins, tc.createdBy); got != tc.want {
				t.Errorf("lineFor(%q) = %d, want %d", tc.createdBy, got, tc.want)
			}
		})
	}
	if got := lineFor(nil, "RUN x"); got != 1 {
		t.Errorf("no Dockerfile instructions: line %d, want 1", got)
	}
}

func FuzzParseDockerfile(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "Dockerfile"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data, "RUN /bin/sh -c apk add --no-cache ca-certificates # buildkit")
	f.Add([]byte("# escape=`\nRUN a `\n b\nRUN <<EOF\nx\nEOF\n"), "|2 a=b /bin/sh -c x")
	f.Fuzz(func(t *testing.T, data []byte, createdBy string) {
		ins := ParseDockerfile(data)
		lines := 1 + len(data)
		for _, in := range ins {
			if in.Line < 1 || in.Line > lines {
				t.Fatalf("line %d out of range", in.Line)
			}
		}
		if l := lineFor(ins, createdBy); l < 1 {
			t.Fatalf("lineFor = %d", l)
		}
	})
}
