package rustsec

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/shareddata"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/errlist"
	"github.com/google/go-cmp/cmp"
)

// collect is an in-memory vulndb.Sink.
type collect []*vulndb.Advisory

func (c *collect) Add(_ context.Context, a *vulndb.Advisory) error {
	*c = append(*c, a)
	return nil
}

func (c collect) byID(id string) *vulndb.Advisory {
	for _, a := range c {
		if a.ID == id {
			return a
		}
	}
	return nil
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestImport(t *testing.T) {
	var got collect
	n, err := Import(t.Context(), "testdata", &got)
	if err != nil {
		t.Fatal(err)
	}
	if n != 8 || len(got) != 8 {
		t.Errorf("Import = %d, sink got %d, want 8", n, len(got))
	}
	tests := []*vulndb.Advisory{
		{
			ID: "RUSTSEC-2020-0112", Aliases: []string{"CVE-2020-36218", "GHSA-r7rv-2rph-hvhj"}, Source: "rustsec",
			Summary: "ButtplugFutureStateShared allows data race to (!Send|!Sync) objects",
			Details: "`ButtplugFutureStateShared<T>` implements `Send` & `Sync` regardless of `T`.\n\n" +
				"If `T: !Send` for `ButtplugFutureStateShared<T>`, it is possible to move non-Send types across thread boundaries (e.g. `T`=`Rc<T>`) and lead to undefined behavior.\n" +
				"If `T: !Sync` for `ButtplugFutureStateShared<T>`, it is possible to cause data race to `T` (e.g. `T`=`Arc<Cell<_>>`) and lead to undefined behavior.\n\n" +
				"The flaw was corrected in version 1.0.4 by removing manual implementations of `Send`/`Sync` for `ButtplugFutureStateShared<T>` to let rustc generate auto trait implementations with correct trait bounds on `T`.",
			Severity:  "MEDIUM",
			Published: day("2020-12-18"),
			References: []vulndb.Reference{
				{Type: "WEB", URL: "https://github.com/buttplugio/buttplug-rs/issues/225"},
				{Type: "ADVISORY", URL: "https://rustsec.org/advisories/RUSTSEC-2020-0112.html"},
			},
			CVSS: []vulndb.CVSS{{Source: "rustsec", Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H", Score: 5.9}},
			Affected: []vulndb.Affected{{Ecosystem: "crates.io", Package: "buttplug", Status: vulndb.StatusRanges,
				Ranges: []vulndb.Range{{Fixed: "1.0.4"}}}},
		},
		{
			ID: "RUSTSEC-2022-0044", Source: "rustsec",
			Summary: "[unmaintained] `markdown` (1.0.0 and higher) is maintained",
			Details: "A new `markdown` crate has been brought over by a new maintainer replacing the old crate.\n\n" +
				"The crate GitHub repository is now [wooorm/markdown-rs](https://github.com/wooorm/markdown-rs)\n\n" +
				"This advisory has been withdraw since [version 1.0.0] was released on 2025-04-23.\n\n" +
				"# `markdown` (0.3.0 and lower) was unmaintained\n\n" +
				"The old [`markdown`](https://crates.io/crates/markdown) crate was no longer actively maintained.\n\n" +
				"The crate GitHub repository was [johannhof/markdown.rs](https://github.com/johannhof/markdown.rs)\n\n" +
				"[version 1.0.0]: https://github.com/wooorm/markdown-rs/releases/tag/1.0.0",
			Published: day("2022-01-17"),
			Withdrawn: day("2025-04-28"),
			References: []vulndb.Reference{
				{Type: "WEB", URL: "https://github.com/johannhof/markdown.rs/issues/48"},
				{Type: "ADVISORY", URL: "https://rustsec.org/advisories/RUSTSEC-2022-0044.html"},
			},
			Affected: []vulndb.Affected{{Ecosystem: "crates.io", Package: "markdown", Status: vulndb.StatusRanges,
				Ranges: []vulndb.Range{{Fixed: "1.0.0-alpha.1"}}}},
		},
	}
	for _, want := range tests {
		t.Run(want.ID, func(t *testing.T) {
			if diff := cmp.Diff(want, got.byID(want.ID)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	type parts struct {
		ID, Summary, Severity string
		CVSS                  []vulndb.CVSS
		Affected              []vulndb.Affected
	}
	var gotParts []parts
	for _, a := range got {
		if a.ID != "RUSTSEC-2020-0112" && a.ID != "RUSTSEC-2022-0044" {
			gotParts = append(gotParts, parts{a.ID, a.Summary, a.Severity, a.CVSS, a.Affected})
		}
	}
	slices.SortFunc(gotParts, func(a, b parts) int { return strings.Compare(a.ID, b.ID) })
	wantParts := []parts{
		{"CVE-2015-20001", "Panic safety violation in BinaryHeap", "", nil, []vulndb.Affected{{
			Ecosystem: "rust-toolchain", Package: "std", Status: vulndb.StatusRanges,
			Ranges: []vulndb.Range{{Introduced: "1.0.0", Fixed: "1.2.0"}}}}},
		{"RUSTSEC-2018-0011", "Enum repr causing potential memory corruption", "CRITICAL",
			[]vulndb.CVSS{{Source: "rustsec", Version: "3.0", Vector: "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8}},
			[]vulndb.Affected{{Ecosystem: "crates.io", Package: "arrayfire", Status: vulndb.StatusRanges, StatusDetail: "os: windows; arch: x86_64",
				// unaffected "<= 3.5.0": the first affected version is the one right after 3.5.0.
				Ranges: []vulndb.Range{{Introduced: "3.5.1-0", Fixed: "3.6.0"}}}}},
		{"RUSTSEC-2020-0071", "Potential segfault in the time crate", "MEDIUM",
			[]vulndb.CVSS{{Source: "rustsec", Version: "3.1", Vector: "CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", Score: 6.2}},
			[]vulndb.Affected{{Ecosystem: "crates.io", Package: "time", Status: vulndb.StatusRanges,
				StatusDetail: "os: linux, redox, solaris, android, ios, macos, netbsd, openbsd, freebsd",
				// unaffected "=0.2.0" ... "=0.2.6" punch exact holes: between
				// 0.2.n and 0.2.n+1 only the prereleases of 0.2.n+1 remain.
				Ranges: []vulndb.Range{{Fixed: "0.2.0"}, {Introduced: "0.2.1-0", Fixed: "0.2.1"}, {Introduced: "0.2.2-0", Fixed: "0.2.2"},
					{Introduced: "0.2.3-0", Fixed: "0.2.3"}, {Introduced: "0.2.4-0", Fixed: "0.2.4"}, {Introduced: "0.2.5-0", Fixed: "0.2.5"},
					{Introduced: "0.2.6-0", Fixed: "0.2.6"}, {Introduced: "0.2.7-0", Fixed: "0.2.23"}}}}},
		{"RUSTSEC-2022-0057", "[unmaintained] badge is Unmaintained", "", nil, []vulndb.Affected{{
			Ecosystem: "crates.io", Package: "badge", Status: vulndb.StatusAffected}}},
		{"RUSTSEC-2024-0442", "[unsound] Dump Undefined Memory by `JitDumpFile`", "", nil, []vulndb.Affected{{
			Ecosystem: "crates.io", Package: "wasmtime-jit-debug", Status: vulndb.StatusRanges,
			Ranges: []vulndb.Range{{Fixed: "24.0.0"}}}}},
		{"RUSTSEC-2026-0207", "Incorrect Output of Incremental Portable SHAKE API on Multiple Squeeze Calls", "HIGH",
			[]vulndb.CVSS{{Source: "rustsec", Version: "4.0", Vector: "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N", Score: 8.2}},
			[]vulndb.Affected{{Ecosystem: "crates.io", Package: "libcrux-sha3", Status: vulndb.StatusRanges,
				Ranges: []vulndb.Range{{Fixed: "0.0.10"}}}}},
	}
	if diff := cmp.Diff(wantParts, gotParts); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestImportFull reads the whole database snapshot.
func TestImportFull(t *testing.T) {
	dir := shareddata.Path(t, "advisories/rustsec-native")
	var got collect
	n, err := Import(t.Context(), dir, &got)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, a := range got {
		count[a.Affected[0].Ecosystem+" "+string(a.Affected[0].Status)]++
		if !a.Withdrawn.IsZero() {
			count["withdrawn"]++
		}
		if len(a.CVSS) > 0 {
			count["cvss "+a.CVSS[0].Version]++
		}
		if strings.HasPrefix(a.Summary, "[") {
			count["informational"]++
		}
	}
	// Counted with Python's tomllib over the same files: 1,225 advisories;
	// 455 crates with neither patched nor unaffected versions; 13 withdrawn;
	// 476 informational; CVSS 3.0/3.1/4.0 33/330/57.
	want := map[string]int{
		"crates.io ranges": 750, "crates.io affected": 455, "rust-toolchain ranges": 20,
		"withdrawn": 13, "informational": 476, "cvss 3.0": 33, "cvss 3.1": 330, "cvss 4.0": 57,
	}
	if n != 1225 {
		t.Errorf("Import = %d, want 1225", n)
	}
	if diff := cmp.Diff(want, count); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestImportErrors(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile("testdata/crates/buttplug/RUSTSEC-2020-0112.md")
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]string{
		"crates/a/RUSTSEC-2020-0112.md": string(good),
		"README.md":                     "# RustSec Advisory Database\n",
		".github/x/RUSTSEC-1.md":        "ignored",
		"crates/a/RUSTSEC-2000-0001.md": "# no front matter\n",
		"crates/a/RUSTSEC-2000-0002.md": "```toml\n[advisory]\nid = \"RUSTSEC-2000-0002\"\n",
		"crates/a/RUSTSEC-2000-0003.md": "```toml\n[advisory]\nid = \"RUSTSEC-2000-0003\"\n[versions]\npatched = []\n```\n",
		"crates/a/RUSTSEC-2000-0004.md": "```toml\n[advisory]\nid = \"RUSTSEC-2000-0004\"\npackage = \"a\"\ndate = \"2020-1-1\"\n```\n",
		"crates/a/RUSTSEC-2000-0005.md": "```toml\n[advisory]\nid = \"RUSTSEC-2000-0005\"\npackage = \"a\"\ncvss = \"CVSS:3.1/AV:X\"\n```\n",
		"crates/a/RUSTSEC-2000-0006.md": "```toml\n[advisory]\nid = \"RUSTSEC-2000-0006\"\npackage = \"a\"\n[versions]\npatched = [\">= 1.x\"]\n```\n",
		"crates/a/RUSTSEC-2000-0007.md": "```toml\n[advisory]\nid = 7\npackage = \"a\"\n```\n",
		"crates/a/notes.md":             "```toml\nbroken = \n```\n",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var got collect
	n, err := Import(t.Context(), dir, &got)
	if n != 1 {
		t.Errorf("Import = %d, want 1", n)
	}
	var fe *errlist.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v: not a *errlist.FileError", err)
	}
	for _, want := range []string{
		"0001.md: no ```toml front matter", "0002.md: unterminated ```toml", "0003.md: [advisory] needs id and package",
		"0004.md: date: want YYYY-MM-DD", "0005.md: cvss", `0006.md: requirement ">= 1.x"`, "0007.md: id: want a string",
		"notes.md: toml line 1",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
	for _, not := range []string{"README", ".github"} {
		if strings.Contains(err.Error(), not) {
			t.Errorf("error mentions %s:\n%v", not, err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Import(ctx, "testdata", &got); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*/*.md")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := Parse(b, false)
		if err != nil {
			return
		}
		if a.ID == "" || len(a.Affected) != 1 || a.Affected[0].Package == "" {
			t.Fatalf("bad advisory %+v", a)
		}
	})
}
