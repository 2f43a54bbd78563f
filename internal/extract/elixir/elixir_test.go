package elixir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/extract"
)

type short struct {
	Name, Version, PURL string
	DependsOn           []string
}

func TestExtract(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "mix.lock"))
	if err != nil {
		t.Fatal(err)
	}
	if !(Extractor{}).Wants("app/mix.lock", 0) || (Extractor{}).Wants("app/mix.exs", 0) {
		t.Fatal("Wants: want mix.lock only")
	}
	pkgs, err := Extractor{}.Extract(t.Context(), extract.Input{Path: "app/mix.lock", Content: b})
	if err != nil {
		t.Fatal(err)
	}
	var got []short
	for _, p := range pkgs {
		if p.Type != "hex" || p.Ecosystem != "Hex" {
			t.Errorf("%s: Type %q Ecosystem %q", p.Name, p.Type, p.Ecosystem)
		}
		got = append(got, short{p.Name, p.Version, p.PURL, p.DependsOn})
	}
	want := []short{
		{"castore", "0.1.18", "pkg:hex/castore@0.1.18", nil},
		{"jason", "1.4.0", "pkg:hex/jason@1.4.0", nil},
		{"phoenix", "1.6.13", "pkg:hex/phoenix@1.6.13", []string{
			"pkg:hex/castore@0.1.18", "pkg:hex/jason@1.4.0", "pkg:hex/phoenix_pubsub@2.1.1", "pkg:hex/phoenix_view@2.0.1",
			"pkg:hex/plug@1.14.0", "pkg:hex/plug_crypto@1.2.3", "pkg:hex/telemetry@1.1.0"}},
		{"phoenix_html", "3.2.0", "pkg:hex/phoenix_html@3.2.0", []string{"pkg:hex/plug@1.14.0"}},
		{"phoenix_pubsub", "2.1.1", "pkg:hex/phoenix_pubsub@2.1.1", nil},
		{"phoenix_template", "1.0.0", "pkg:hex/phoenix_template@1.0.0", []string{"pkg:hex/phoenix_html@3.2.0"}},
		{"phoenix_view", "2.0.1", "pkg:hex/phoenix_view@2.0.1", []string{"pkg:hex/phoenix_html@3.2.0", "pkg:hex/phoenix_template@1.0.0"}},
		{"plug", "1.14.0", "pkg:hex/plug@1.14.0", []string{"pkg:hex/plug_crypto@1.2.3", "pkg:hex/telemetry@1.1.0"}},
		{"plug_crypto", "1.2.3", "pkg:hex/plug_crypto@1.2.3", nil},
		{"telemetry", "1.1.0", "pkg:hex/telemetry@1.1.0", nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
}

func TestExtractSkipsAndErrors(t *testing.T) {
	in := `%{
  "local": {:git, "https://example.com/local.git", "0123abcd", [branch: "main"]},
  "bad": {:hex, :bad, "", "abc", [:mix], [], "hexpm", "def"},
  "odd": {:hex, 42},
  "ok": {:hex, :ok, "2.0.0-rc.1", "abc", [:rebar3], [], "hexpm", "def"},
}`
	pkgs, err := Extractor{}.Extract(t.Context(), extract.Input{Path: "mix.lock", Content: []byte(in)})
	if len(pkgs) != 1 || pkgs[0].PURL != "pkg:hex/ok@2.0.0-rc.1" {
		t.Errorf("packages = %+v, want only ok 2.0.0-rc.1", pkgs)
	}
	if err == nil || !strings.Contains(err.Error(), "bad without a version") || !strings.Contains(err.Error(), `line 4: "odd"`) {
		t.Errorf("error = %v, want the entries without a version or name", err)
	}
}

func FuzzExtract(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "mix.lock"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		Extractor{}.Extract(t.Context(), extract.Input{Path: "mix.lock", Content: b})
	})
}
