package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/atomicfile"
)

// outputCommand is one report-printing command as TestOutputFlags runs it.
type outputCommand struct {
	name string
	// args run the command up to its output flags.
	args func(t *testing.T) []string
	// formats are what it must write, markers what each output contains.
	formats []string
	markers map[string]string
	// deterministic outputs are the same bytes on stdout and in a file
	// (convert re-encodes one saved report; a scan stamps its time).
	deterministic bool
	// template says --template exists (the command writes -o template).
	template bool
}

// The formats each command writes, spelled out: a contract with users'
// scripts, not read from the variables the commands use.
var (
	wantScanFormats  = []string{"table", "json", "cyclonedx-json", "cyclonedx-xml", "spdx-json", "spdx-tag-value", "sarif", "markdown", "template"}
	wantSBOMFormats  = []string{"cyclonedx-json", "cyclonedx-xml", "spdx-json", "spdx-tag-value", "table", "json", "template"}
	wantAuditFormats = []string{"table", "json", "sarif", "markdown"}
	wantStoreFormats = []string{"table", "json", "csv"}
)

// markers every command's output of a format contains, unless the
// command overrides it.
var formatMarkers = map[string]string{
	formatJSON:          `"schemaVersion": "1.1"`,
	formatCycloneDXJSON: `"specVersion": "1.6"`,
	formatCycloneDXXML:  `<bom xmlns="http://cyclonedx.org/schema/bom/1.6"`,
	formatSPDXJSON:      `"spdxVersion": "SPDX-2.3"`,
	formatSPDXTagValue:  "SPDXVersion: SPDX-2.3",
	formatSARIF:         `"version": "2.1.0"`,
	formatMarkdown:      "### customs",
	formatTemplate:      "packages: 14",
}

const testTemplate = `packages: {{len .Packages}}`

// TestOutputFlags runs every report-printing command through Main with
// every format it writes, to stdout (-o FORMAT), to a file (-o FORMAT=FILE,
// replacing an old file whole) and to --output FILE, and checks the
// flags mean the same on each: formats it does not write, a format name
// given to --output, two outputs on stdout are errors, and a failed
// output leaves the old file as it was with no temporary file behind.
// createdAt matches the time a JSON report was made.
var createdAt = regexp.MustCompile(`"createdAt": "[^"]*"`)

func TestOutputFlags(t *testing.T) {
	if testing.Short() {
		t.Skip("scans the alpine image once per format and mode")
	}
	cache := testDB(t)
	dir := t.TempDir()
	compose := filepath.Join(dir, "docker-compose.yml")
	if err := os.WriteFile(compose, []byte(auditCompose), 0o644); err != nil {
		t.Fatal(err)
	}
	saved := filepath.Join(dir, "report.json")
	if r := run(t, "--cache-dir", cache, "scan", alpineImage, "--no-progress", "-o", "json="+saved); r.code != 0 {
		t.Fatalf("scan -o json: exit %d: %s", r.code, r.stderr)
	}
	st := filepath.Join(dir, "store.db")
	if r := run(t, "record", saved, "--store", st); r.code != 0 {
		t.Fatalf("record: exit %d: %s", r.code, r.stderr)
	}
	storeJSON := `"schemaVersion": 1,`
	commands := []outputCommand{
		{
			name:     "scan",
			args:     func(*testing.T) []string { return []string{"--cache-dir", cache, "scan", alpineImage, "--no-progress"} },
			formats:  wantScanFormats,
			markers:  map[string]string{formatTable: "image.root-user", formatMarkdown: "image.root-user"},
			template: true,
		},
		{
			name: "sbom",
			args: func(t *testing.T) []string {
				return []string{"--cache-dir", t.TempDir(), "sbom", alpineImage, "--no-progress"}
			},
			formats:  wantSBOMFormats,
			markers:  map[string]string{formatTable: "ca-certificates-cacert  20190108-r0  apk      /lib/apk/db/installed"},
			template: true,
		},
		{
			name:          "convert",
			args:          func(*testing.T) []string { return []string{"convert", saved} },
			formats:       wantScanFormats,
			markers:       map[string]string{formatTable: "image.root-user", formatMarkdown: "image.root-user"},
			deterministic: true,
			template:      true,
		},
		{
			name:    "audit",
			args:    func(*testing.T) []string { return []string{"audit", "compose:" + compose} },
			formats: wantAuditFormats,
			markers: map[string]string{formatTable: "HOST ESCAPE", formatJSON: `"checkID": "CIS-DOCKER-5.32"`,
				formatSARIF: `"ruleId": "CIS-DOCKER-5.32"`, formatMarkdown: "### customs audit: compose:"},
			deterministic: true,
		},
		{
			name:          "where",
			args:          func(*testing.T) []string { return []string{"where", "musl", "--store", st} },
			formats:       wantStoreFormats,
			markers:       map[string]string{formatTable: "musl        1.1.22-r3  apk", formatJSON: storeJSON, formatCSV: "musl,1.1.22-r3,apk"},
			deterministic: true,
		},
		{
			name:          "spread",
			args:          func(*testing.T) []string { return []string{"spread", "musl", "--store", st} },
			formats:       wantStoreFormats,
			markers:       map[string]string{formatTable: "1.1.22-r3  1       0", formatJSON: storeJSON, formatCSV: "1.1.22-r3,1.1.22-r3,1,0,"},
			deterministic: true,
		},
		{
			name:          "history",
			args:          func(*testing.T) []string { return []string{"history", "alpine:3.10", "--store", st} },
			formats:       wantStoreFormats,
			markers:       map[string]string{formatTable: "alpine:3.10", formatJSON: storeJSON, formatCSV: "1,image,alpine:3.10,sha256:"},
			deterministic: true,
		},
	}
	for _, c := range commands {
		for _, format := range c.formats {
			marker := c.markers[format]
			if marker == "" {
				marker = formatMarkers[format]
			}
			extra := func(args ...string) []string {
				if format == formatTemplate {
					args = append(args, "--template", testTemplate)
				}
				return append(c.args(t), args...)
			}
			t.Run(c.name+"/"+format, func(t *testing.T) {
				std := run(t, extra("-o", format)...)
				if std.code != 0 {
					t.Fatalf("-o %s: exit %d: %s", format, std.code, std.stderr)
				}
				if !strings.Contains(std.stdout, marker) {
					t.Errorf("-o %s: stdout lacks %q:\n%.600s", format, marker, std.stdout)
				}

				// -o FORMAT=FILE replaces an old, longer file whole.
				out := filepath.Join(t.TempDir(), "out")
				if err := os.WriteFile(out, []byte(strings.Repeat("old report\n", 100000)), 0o600); err != nil {
					t.Fatal(err)
				}
				toFile := run(t, extra("-o", format+"="+out)...)
				if toFile.code != 0 || toFile.stdout != "" {
					t.Fatalf("-o %s=FILE: exit %d, stdout %.200q: %s", format, toFile.code, toFile.stdout, toFile.stderr)
				}
				b, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(b), marker) || strings.Contains(string(b), "old report") {
					t.Errorf("-o %s=FILE: file lacks %q or keeps the old content:\n%.600s", format, marker, b)
				}
				if fi, err := os.Stat(out); err == nil && fi.Mode().Perm() != 0o644 {
					t.Errorf("-o %s=FILE: mode %v, want 0644", format, fi.Mode().Perm())
				}
				// The JSON report says when it was made (customs audit writes it
				// since schema 1.1): the rest must not differ.
				if c.deterministic && createdAt.ReplaceAllString(string(b), "") != createdAt.ReplaceAllString(std.stdout, "") {
					t.Errorf("-o %s: the file differs from stdout", format)
				}

				// --output FILE takes the plain -o FORMAT.
				named := filepath.Join(t.TempDir(), format+".out")
				viaOutput := run(t, extra("-o", format, "--output", named)...)
				if viaOutput.code != 0 || viaOutput.stdout != "" {
					t.Fatalf("-o %s --output FILE: exit %d, stdout %.200q: %s", format, viaOutput.code, viaOutput.stdout, viaOutput.stderr)
				}
				if b, err := os.ReadFile(named); err != nil || !strings.Contains(string(b), marker) {
					t.Errorf("-o %s --output FILE: %v, file lacks %q", format, err, marker)
				}
				assertNoTemp(t, filepath.Dir(out), filepath.Dir(named))
			})
		}
		t.Run(c.name+"/errors", func(t *testing.T) {
			for _, tc := range []struct {
				args []string
				want string
			}{
				{[]string{"--output", "json"}, "use -o json"},
				{[]string{"-o", "sarif", "--output", "TABLE"}, "use -o table"},
				{[]string{"-o", "report.json"}, "-o json=report.json"},
				{[]string{"-o", c.formats[0], "-o", "json"}, "both write to stdout"},
				{[]string{"-o", "html"}, `unknown format "html"; want one of ` + strings.Join(c.formats, ", ")},
			} {
				r := run(t, append(c.args(t), tc.args...)...)
				if r.code != ExitError || !strings.Contains(r.stderr, tc.want) {
					t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tc.args, r.code, r.stderr, tc.want)
				}
			}
			if _, err := os.Stat("json"); err == nil {
				t.Error("--output json wrote a file named json")
			}
			for _, f := range allFormats {
				if slices.Contains(c.formats, f) {
					continue
				}
				r := run(t, append(c.args(t), "-o", f)...)
				if want := "customs " + c.name + " does not write " + f; r.code != ExitError || !strings.Contains(r.stderr, want) {
					t.Errorf("-o %s: exit %d, stderr %q; want exit 2 and %q", f, r.code, r.stderr, want)
				}
			}
			// A file that really is named like a format is a path.
			named := filepath.Join(t.TempDir(), "json")
			if r := run(t, append(c.args(t), "-o", "json", "--output", named)...); r.code != 0 {
				t.Errorf("--output DIR/json: exit %d: %s", r.code, r.stderr)
			}
		})
		t.Run(c.name+"/failed write keeps the old file", func(t *testing.T) {
			dir := t.TempDir()
			old := filepath.Join(dir, "kept")
			if err := os.WriteFile(old, []byte("previous"), 0o644); err != nil {
				t.Fatal(err)
			}
			good := filepath.Join(dir, "good.json")
			args := []string{"-o", "json=" + good}
			if c.template {
				// The template fails while it runs, after the file was opened.
				args = append(args, "-o", "template="+old, "--template", "{{range .Packages}}{{.Nope}}{{end}}")
			} else {
				// A directory in place of the file: the rename fails.
				if err := os.Remove(old); err != nil {
					t.Fatal(err)
				}
				if err := os.Mkdir(old, 0o755); err != nil {
					t.Fatal(err)
				}
				args = append(args, "-o", "table="+old)
			}
			r := run(t, append(c.args(t), args...)...)
			if r.code != ExitError {
				t.Fatalf("exit %d, want 2: %s", r.code, r.stderr)
			}
			if c.template {
				if b, _ := os.ReadFile(old); string(b) != "previous" {
					t.Errorf("old file = %q, want it untouched", b)
				}
			} else if fi, err := os.Stat(old); err != nil || !fi.IsDir() {
				t.Errorf("the directory in the way was replaced: %v", err)
			}
			if _, err := os.Stat(good); err != nil {
				t.Errorf("the other output was not written: %v", err)
			}
			assertNoTemp(t, dir)
		})
	}
}

// assertNoTemp fails when an atomicfile temporary file is left in dirs.
func assertNoTemp(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		left, _ := filepath.Glob(filepath.Join(d, atomicfile.TempPrefix+"*"))
		if len(left) > 0 {
			t.Errorf("temporary files left: %v", left)
		}
	}
}

// TestOutputHelp: every report-printing command's help points to the one
// page that documents the output flags and lists only its own formats.
func TestOutputHelp(t *testing.T) {
	for _, tc := range []struct {
		cmd     string
		formats []string
	}{
		{"scan", wantScanFormats}, {"sbom", wantSBOMFormats}, {"convert", wantScanFormats}, {"audit", wantAuditFormats}, {"explain", wantScanFormats},
		{"where", wantStoreFormats}, {"spread", wantStoreFormats}, {"history", wantStoreFormats}, {"images", wantStoreFormats},
	} {
		t.Run(tc.cmd, func(t *testing.T) {
			r := run(t, tc.cmd, "--help")
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if !strings.Contains(r.stdout, outputDoc) {
				t.Errorf("help does not point to %s", outputDoc)
			}
			_, oHelp, _ := strings.Cut(r.stdout, "-o, --format FORMAT[=FILE]")
			oHelp, _, _ = strings.Cut(oHelp, "\n      --")
			oHelp = strings.Join(strings.Fields(oHelp), " ")
			for _, f := range allFormats {
				listed := strings.Contains(oHelp, " "+f+",") || strings.Contains(oHelp, " "+f+" (") || strings.HasSuffix(oHelp, " "+f+")") || strings.Contains(oHelp, " "+f+" ")
				if want := slices.Contains(tc.formats, f); listed != want {
					t.Errorf("-o help lists %s = %v, want %v: %s", f, listed, want, oHelp)
				}
			}
			if strings.Contains(r.stdout, "--template") != slices.Contains(tc.formats, formatTemplate) {
				t.Errorf("--template offered = %v, want %v", !slices.Contains(tc.formats, formatTemplate), slices.Contains(tc.formats, formatTemplate))
			}
		})
	}
}
