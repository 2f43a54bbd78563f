package spdx

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/tagvalue"

	"github.com/customs-scanner/customs/internal/golden"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/report/reporttest"
)

func encode(t *testing.T, e Encoder, r *report.Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := e.Encode(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		enc  Encoder
		file string
	}{
		{"json", Encoder{}, "sample.spdx.json"},
		{"tag-value", Encoder{TagValue: true}, "sample.spdx"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := encode(t, tc.enc, reporttest.Sample(t))
			golden.Check(t, filepath.Join("testdata", tc.file), got)
			if again := encode(t, tc.enc, reporttest.Sample(t)); !bytes.Equal(got, again) {
				t.Error("two encodings of the same report differ")
			}
		})
	}
}

func TestJSONSchema(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "spdx-schema-2.3.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	schemaDoc, err := jsonschema.UnmarshalJSON(zr)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("http://spdx.org/rdf/terms/2.3", schemaDoc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("http://spdx.org/rdf/terms/2.3")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		doc  string
		ok   bool
	}{
		{"alpine", string(encode(t, Encoder{}, reporttest.Sample(t))), true},
		{"empty", string(encode(t, Encoder{}, &report.Report{Target: report.Target{Ref: "dir:/", Kind: "rootfs"}})), true},
		// The validator must be able to fail: a package purpose outside the enum.
		{"broken", strings.Replace(string(encode(t, Encoder{}, reporttest.Sample(t))), `"LIBRARY"`, `"LIB"`, 1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inst, err := jsonschema.UnmarshalJSON(strings.NewReader(tc.doc))
			if err != nil {
				t.Fatal(err)
			}
			err = sch.Validate(inst)
			if tc.ok && err != nil {
				t.Errorf("does not validate against spdx-schema-2.3.json: %v", err)
			}
			if !tc.ok && err == nil {
				t.Error("validated, want an error")
			}
		})
	}
}

// TestReadBack reads both encodings back with tools-golang, which checks
// element IDs, relationships and tag syntax.
func TestReadBack(t *testing.T) {
	r := reporttest.Sample(t)
	fromJSON, err := spdxjson.Read(bytes.NewReader(encode(t, Encoder{}, r)))
	if err != nil {
		t.Fatalf("read json: %v", err)
	}
	fromTV, err := tagvalue.Read(bytes.NewReader(encode(t, Encoder{TagValue: true}, r)))
	if err != nil {
		t.Fatalf("read tag-value: %v", err)
	}
	// 14 packages + 1 owned + the image + the OS.
	for name, n := range map[string]int{"json": len(fromJSON.Packages), "tag-value": len(fromTV.Packages)} {
		if n != 17 {
			t.Errorf("%s: %d packages, want 17", name, n)
		}
	}
	if len(fromJSON.Relationships) != len(fromTV.Relationships) {
		t.Errorf("relationships: json %d, tag-value %d", len(fromJSON.Relationships), len(fromTV.Relationships))
	}
}

func TestDocument(t *testing.T) {
	doc := Document(reporttest.Sample(t))
	rels := map[string]bool{}
	for _, r := range doc.Relationships {
		rels[relKey(r)] = true
	}
	byID := map[string]int{}
	for i, p := range doc.Packages {
		byID[string(p.PackageSPDXIdentifier)] = i
	}
	pk := func(id string) string {
		p := doc.Packages[byID["Package-"+id]]
		var refs []string
		for _, r := range p.PackageExternalReferences {
			refs = append(refs, r.RefType+" "+r.Locator)
		}
		return p.PackageName + " " + p.PackageVersion + " | " + p.PackageLicenseDeclared + " | " + p.PrimaryPackagePurpose + " | " + strings.Join(refs, " ; ")
	}
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"namespace", doc.DocumentNamespace, NamespaceBase + "docker-archive-testdata-images-alpine-310.tar.gz-b73d7675-1887-5ddd-9d62-20d6fa71f335"},
		{"created", doc.CreationInfo.Created, "2026-11-27T10:00:00Z"},
		{"describes", rels["DOCUMENT DESCRIBES Image"], true},
		{"image contains os", rels["Image CONTAINS OperatingSystem"], true},
		{"image contains apk", rels["Image CONTAINS Package-4f40e642fdf7be38"], true},
		{"apk contains binary", rels["Package-4f40e642fdf7be38 CONTAINS Package-bc08aa2cef7c27ac"], true},
		{"image does not contain binary", rels["Image CONTAINS Package-bc08aa2cef7c27ac"], false},
		{"depends-on", rels["Package-4ec1c89444166169 DEPENDS_ON Package-d6e61c1aad889a81"], true},
		{"libssl", pk("4ec1c89444166169"), "libssl1.1 1.1.1d-r2 | OpenSSL | LIBRARY | purl pkg:apk/alpine/libssl1.1@1.1.1d-r2?arch=x86_64&distro=alpine-3.10.4&upstream=openssl ; advisory https://nvd.nist.gov/vuln/detail/CVE-2020-1967"},
		{"binary", pk("bc08aa2cef7c27ac"), "busybox 1.30.1 | NOASSERTION | APPLICATION | purl pkg:generic/busybox@1.30.1 ; cpe23Type cpe:2.3:a:busybox:busybox:1.30.1:*:*:*:*:*:*:*"},
		{"alpine list", pk("778b7c864241964f"), "musl-utils 1.1.22-r3 | MIT AND LicenseRef-BSD AND LicenseRef-GPL2-plus | LIBRARY | purl pkg:apk/alpine/musl-utils@1.1.22-r3?arch=x86_64&distro=alpine-3.10.4&upstream=musl ; advisory https://nvd.nist.gov/vuln/detail/CVE-2020-28928"},
		{"image", doc.Packages[byID["Image"]].PackageChecksums[0].Value, "de78803598bc4c940fc4591d412bffe488205d5d953f94751c6308deeaaa7eb8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLicenseExpression(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
		refs int
	}{
		{nil, "NOASSERTION", 0},
		{[]string{"MIT"}, "MIT", 0},
		{[]string{"mit"}, "MIT", 0},
		{[]string{"GPL-2.0-only OR MIT"}, "GPL-2.0-only OR MIT", 0},
		{[]string{"MPL-2.0 GPL-2.0-or-later"}, "MPL-2.0 AND GPL-2.0-or-later", 0},
		{[]string{"GPL-2.0+"}, "GPL-2.0+", 0},
		{[]string{"(MIT OR Apache-2.0) AND BSD-3-Clause"}, "(MIT OR Apache-2.0) AND BSD-3-Clause", 0},
		{[]string{"GPL-2.0-only WITH Classpath-exception-2.0"}, "GPL-2.0-only WITH Classpath-exception-2.0", 0},
		{[]string{"MIT OR"}, "LicenseRef-MIT-OR", 1},
		{[]string{"GPL2"}, "LicenseRef-GPL2", 1},
		{[]string{"MIT", "Apache-2.0 OR BSD-2-Clause"}, "MIT AND (Apache-2.0 OR BSD-2-Clause)", 0},
		{[]string{"Artistic/GPL"}, "LicenseRef-Artistic-GPL", 1},
		{[]string{"MIT BSD GPL2+"}, "MIT AND LicenseRef-BSD AND LicenseRef-GPL2-plus", 2},
	} {
		t.Run(strings.Join(tc.in, "|"), func(t *testing.T) {
			l := newLicenses()
			if got := l.expression(tc.in); got != tc.want {
				t.Errorf("expression(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if got := len(l.others()); got != tc.refs {
				t.Errorf("%d LicenseRefs, want %d", got, tc.refs)
			}
		})
	}
}

// FuzzLicenseExpression: license strings come from package metadata in
// the image. Whatever they hold, the result must be an expression of
// known ids and LicenseRef-s in [A-Za-z0-9.-], with balanced parentheses.
func FuzzLicenseExpression(f *testing.F) {
	r := reporttest.Sample(f)
	for _, p := range r.Packages {
		for _, l := range p.Licenses {
			f.Add(l)
		}
	}
	f.Add("(MIT OR Apache-2.0) AND GPL-2.0-only WITH Classpath-exception-2.0")
	f.Add("((MIT")
	f.Fuzz(func(t *testing.T, s string) {
		l := newLicenses()
		e := l.expression([]string{s, s})
		toks := strings.Fields(strings.NewReplacer("(", " ( ", ")", " ) ").Replace(e))
		if e != noAssertion && !wellFormed(toks) {
			t.Fatalf("%q -> %q: not well formed", s, e)
		}
		for _, tok := range toks {
			switch tok {
			case "(", ")", "AND", "OR", "WITH", noAssertion:
				continue
			}
			id, _ := strings.CutSuffix(tok, "+")
			if _, ok := LicenseID(id); ok {
				continue
			}
			if !strings.HasPrefix(tok, "LicenseRef-") || sanitize(tok) != tok {
				t.Fatalf("%q -> %q: bad token %q", s, e, tok)
			}
		}
	})
}
