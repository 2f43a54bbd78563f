package debian

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/shareddata"
	"github.com/customs-scanner/customs/internal/vulndb"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func fixed(eco, pkg, v, sev string) vulndb.Affected {
	return vulndb.Affected{Ecosystem: eco, Package: pkg, Status: vulndb.StatusRanges,
		Ranges: []vulndb.Range{{Fixed: v}}, Severity: sev}
}

// TestImportListsHappy imports the tracker lists of vuln-list-update's
// "happy" fixture (real entries, and one malformed DLA header) in full.
func TestImportListsHappy(t *testing.T) {
	var c collector
	n, err := ImportLists(t.Context(), "testdata/lists/happy", &c)
	if err == nil || !strings.Contains(err.Error(), `DLA/list:4: invalid advisory header "[19 Jul 2021] MALFORMED HEADER"`) {
		t.Errorf("ImportLists error = %v, want the malformed DLA header at DLA/list:4", err)
	}
	if strings.Count(err.Error(), "\n") != 0 {
		t.Errorf("ImportLists error has more than one warning:\n%v", err)
	}
	if n != len(c.advs) {
		t.Errorf("ImportLists = %d, sink got %d", n, len(c.advs))
	}
	want := []*vulndb.Advisory{
		{ID: "TEMP-1053115-9454E3", Source: "debian-lists", Summary: "code execution via malformed XTGETTCAP",
			Affected: []vulndb.Affected{
				{Ecosystem: "debian:11", Package: "foot", Status: vulndb.StatusWontFix, StatusDetail: "no-dsa"},
				fixed("debian:12", "foot", "1.13.1-2+deb12u1", ""),
				fixed("debian:unstable", "foot", "1.15.3-2", ""),
			}},
		{ID: "TEMP-0000000-556898", Source: "debian-lists", Summary: "Other security issues from wordpress 6.3.2",
			Affected: []vulndb.Affected{{Ecosystem: "debian:unstable", Package: "wordpress", Status: vulndb.StatusAffected}}},
		{ID: "CVE-2021-36373", Source: "debian-lists",
			Summary: "When reading a specially crafted TAR archive an Apache Ant build can b ...",
			Affected: []vulndb.Affected{{Ecosystem: "debian:unstable", Package: "ant", Status: vulndb.StatusAffected,
				Severity: vulndb.SeverityNegligible}}},
		{ID: "CVE-2021-36367", Source: "debian-lists",
			Summary: "PuTTY through 0.75 proceeds with establishing an SSH session even if i ...",
			Affected: []vulndb.Affected{
				{Ecosystem: "debian:10", Package: "putty", Status: vulndb.StatusWontFix, StatusDetail: "no-dsa", Severity: "LOW"},
				{Ecosystem: "debian:11", Package: "putty", Status: vulndb.StatusWontFix, StatusDetail: "no-dsa", Severity: "LOW"},
				fixed("debian:unstable", "putty", "0.75-3", "LOW"),
			}},
		{ID: "DSA-4480-1", Source: "debian-lists", Summary: "security update", Published: date(2019, 7, 11),
			Aliases: []string{"CVE-2019-10192", "CVE-2019-10193"},
			Affected: []vulndb.Affected{
				fixed("debian:9", "redis", "3:3.2.6-3+deb9u3", ""),
				fixed("debian:10", "redis", "5:5.0.3-4+deb10u1", ""),
			}},
		{ID: "DLA-2711-1", Source: "debian-lists", Summary: "security update", Published: date(2021, 7, 19),
			Aliases:  []string{"CVE-2021-29969", "CVE-2021-29970", "CVE-2021-29976", "CVE-2021-30547"},
			Affected: []vulndb.Affected{fixed("debian:9", "thunderbird", "1:78.12.0-1~deb9u1", "")}},
	}
	if diff := cmp.Diff(want, c.advs); diff != "" {
		t.Errorf("advisories (-want +got):\n%s", diff)
	}
}

// TestImportListsHandwritten covers every <status> and the malformed lines
// of the hand-written testdata/lists/handwritten/CVE/list.
func TestImportListsHandwritten(t *testing.T) {
	var c collector
	n, err := ImportLists(t.Context(), "testdata/lists/handwritten", &c)
	if err == nil {
		t.Fatal("ImportLists: no warnings, want the malformed lines")
	}
	// Line warnings come as lines are read, entry warnings (unknown
	// release) when the entry ends, here at the bad header of line 36.
	wantWarn := []string{
		`CVE/list:30: unexpected text after the version in "- qux 2.0-1 (medium"`,
		`CVE/list:31: invalid status in "[bookworm] - qux <fixed-later>"`,
		`CVE/list:34: unexpected entry line "this line is not a known annotation"`,
		`CVE/list:36: unexpected line "garbage at the start of a line"`,
		`CVE/list:33: CVE-2023-1240: unknown release "oldrelease"`,
	}
	gotWarn := strings.Split(err.Error(), "\n")
	if diff := cmp.Diff(wantWarn, gotWarn); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	want := []*vulndb.Advisory{
		{ID: "CVE-2023-1234", Source: "debian-lists", Summary: "Some description ...",
			References: []vulndb.Reference{
				{Type: "ADVISORY", URL: "https://security-tracker.debian.org/tracker/DSA-5400-1"},
				{Type: "ADVISORY", URL: "https://security-tracker.debian.org/tracker/DLA-3390-1"},
			},
			Affected: []vulndb.Affected{
				{Ecosystem: "debian:10", Package: "linux", Status: vulndb.StatusEndOfLife},
				{Ecosystem: "debian:10", Package: "openssl", Status: vulndb.StatusEndOfLife},
				{Ecosystem: "debian:11", Package: "linux", Status: vulndb.StatusWontFix, StatusDetail: "postponed", Severity: "NEGLIGIBLE"},
				{Ecosystem: "debian:11", Package: "openssl", Status: vulndb.StatusWontFix, StatusDetail: "no-dsa"},
				{Ecosystem: "debian:12", Package: "linux", Status: vulndb.StatusWontFix, StatusDetail: "ignored", Severity: "NEGLIGIBLE"},
				fixed("debian:12", "openssl", "3.0.8-1~deb12u1", ""),
				{Ecosystem: "debian:unstable", Package: "foo", Status: vulndb.StatusNotAffected},
				{Ecosystem: "debian:unstable", Package: "linux", Status: vulndb.StatusAffected, Severity: "NEGLIGIBLE"},
				fixed("debian:unstable", "openssl", "3.0.8-1", ""),
			}},
		{ID: "CVE-2023-1235", Source: "debian-lists", Summary: "Heap overflow in baz ...",
			Affected: []vulndb.Affected{
				fixed("debian:12", "baz", "1.2-3+deb12u1", "LOW"),
				{Ecosystem: "debian:13", Package: "baz", Status: vulndb.StatusAffected},
				{Ecosystem: "debian:unstable", Package: "baz", Status: vulndb.StatusAffected, StatusDetail: "undetermined"},
				{Ecosystem: "debian:unstable", Package: "baz", Status: vulndb.StatusAffected, Severity: "HIGH"},
			}},
		{ID: "CVE-2023-1239", Source: "debian-lists", Summary: "Reserved, but already tracked ...",
			Affected: []vulndb.Affected{fixed("debian:unstable", "qux", "2.0-1", "MEDIUM")}},
		{ID: "CVE-2023-1240", Source: "debian-lists", Summary: "Entry with malformed lines ...",
			Affected: []vulndb.Affected{
				fixed("debian:2.0", "qux", "1.0-1", ""),
				fixed("debian:unstable", "qux", "2.1-1", ""),
			}},
		{ID: "CVE-2023-1241", Source: "debian-lists", Summary: "Last entry ...",
			Affected: []vulndb.Affected{fixed("debian:unstable", "zlib", "1:1.2.13.dfsg-1", "")}},
	}
	if diff := cmp.Diff(want, c.advs); diff != "" {
		t.Errorf("advisories (-want +got):\n%s", diff)
	}
	if n != len(want) {
		t.Errorf("ImportLists = %d, want %d", n, len(want))
	}
}

// TestPackageLineStatus is the mapping of each package line form to an
// Affected record.
func TestPackageLineStatus(t *testing.T) {
	tests := []struct {
		line string
		want *vulndb.Affected // nil: the line is skipped
	}{
		{"- openssl 3.0.8-1 (bug #12345)", &vulndb.Affected{Ecosystem: "debian:unstable", Package: "openssl",
			Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Fixed: "3.0.8-1"}}}},
		{"[bookworm] - openssl 3.0.8-1~deb12u1", &vulndb.Affected{Ecosystem: "debian:12", Package: "openssl",
			Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Fixed: "3.0.8-1~deb12u1"}}}},
		{"[sarge] - awstats 6.4-1sarge1 (bug #322591; bug #334833; bug #336137; medium)", &vulndb.Affected{
			Ecosystem: "debian:3.1", Package: "awstats", Status: vulndb.StatusRanges,
			Ranges: []vulndb.Range{{Fixed: "6.4-1sarge1"}}, Severity: "MEDIUM"}},
		{"[wheezy] - curl  7.26.0-1+wheezy5", &vulndb.Affected{Ecosystem: "debian:7", Package: "curl",
			Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Fixed: "7.26.0-1+wheezy5"}}}},
		{"- foo 0", &vulndb.Affected{Ecosystem: "debian:unstable", Package: "foo", Status: vulndb.StatusNotAffected}},
		{"- linux <unfixed> (unimportant)", &vulndb.Affected{Ecosystem: "debian:unstable", Package: "linux",
			Status: vulndb.StatusAffected, Severity: "NEGLIGIBLE"}},
		{"- linux (low)", &vulndb.Affected{Ecosystem: "debian:unstable", Package: "linux",
			Status: vulndb.StatusAffected, Severity: "LOW"}},
		{"[bullseye] - openssl <no-dsa> (Minor issue)", &vulndb.Affected{Ecosystem: "debian:11", Package: "openssl",
			Status: vulndb.StatusWontFix, StatusDetail: "no-dsa"}},
		{"[bullseye] - openssl <ignored> (Minor issue)", &vulndb.Affected{Ecosystem: "debian:11", Package: "openssl",
			Status: vulndb.StatusWontFix, StatusDetail: "ignored"}},
		{"[bullseye] - openssl <postponed> (Minor issue)", &vulndb.Affected{Ecosystem: "debian:11", Package: "openssl",
			Status: vulndb.StatusWontFix, StatusDetail: "postponed"}},
		{"[buster] - openssl <end-of-life> (high)", &vulndb.Affected{Ecosystem: "debian:10", Package: "openssl",
			Status: vulndb.StatusEndOfLife}},
		{"[lenny] - vlc <not-affected> (Vulnerable code not present)", &vulndb.Affected{Ecosystem: "debian:5",
			Package: "vlc", Status: vulndb.StatusNotAffected}},
		{"- baz <undetermined>", &vulndb.Affected{Ecosystem: "debian:unstable", Package: "baz",
			Status: vulndb.StatusAffected, StatusDetail: "undetermined"}},
		{"[trixie] - baz <unfixed>", &vulndb.Affected{Ecosystem: "debian:13", Package: "baz", Status: vulndb.StatusAffected}},
		{"[forky] - baz 2-1", &vulndb.Affected{Ecosystem: "debian:14", Package: "baz", Status: vulndb.StatusRanges,
			Ranges: []vulndb.Range{{Fixed: "2-1"}}}},
		{"[sid] - baz <unfixed>", &vulndb.Affected{Ecosystem: "debian:unstable", Package: "baz", Status: vulndb.StatusAffected}},
		{"- bar <removed>", nil},
		{"- newpkg <itp> (bug #1000)", nil},
		{"[experimental] - openssl 3.1.0-1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			l, err := parseLine("\t" + tt.line)
			if err != nil {
				t.Fatalf("parseLine: %v", err)
			}
			if l.kind != linePackage {
				t.Fatalf("parseLine kind = %v, want package line", l.kind)
			}
			aff, ok, err := noteAffected(l.note)
			if err != nil {
				t.Fatalf("noteAffected: %v", err)
			}
			var got *vulndb.Affected
			if ok {
				got = &aff
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseLineErrors(t *testing.T) {
	tests := []struct{ line, want string }{
		{"CVE-12-1", "invalid CVE header"},
		{"[32 Foo 2023] DSA-1-1 x - y", "date"},
		{"[31 Feb 2023] DSA-1-1 x - y", "date"},
		{"[today] DSA-1-1 x - y", "invalid advisory header"},
		{"DSA-1-1 x", "unexpected line"},
		{"\t{CVE-2023-1", "closing brace"},
		{"\t{CVE-2023-1}", "invalid cross reference"},
		{"\t[Bookworm] - foo 1", "invalid release"},
		{"\t[bookworm - foo 1", "invalid release"},
		{"\t[bookworm] foo 1", "without \"- \""},
		{"\t-foo 1", "without \"- \""},
		{"\t- ", "without \"- \""},
		{"\t- f/oo 1", "invalid package name"},
		{"\t- foo 1_2", "invalid version"},
		{"\t- foo <fixed>", "invalid status"},
		{"\t- foo <unfixed", "invalid status"},
		{"\t- foo 1.0 trailing", "unexpected text"},
		{"\t- foo 1.0 (low", "unexpected text"},
		{"\tsomething", "unexpected entry line"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			_, err := parseLine(tt.line)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parseLine(%q) error = %v, want one containing %q", tt.line, err, tt.want)
			}
		})
	}
}

// TestImportListsRealSlice imports whole entries copied from the tracker's
// DSA and DLA lists at 32127b7f (2023-04-02).
func TestImportListsRealSlice(t *testing.T) {
	var c collector
	n, err := ImportLists(t.Context(), "testdata/lists/real-2023-04", &c)
	if err != nil {
		t.Fatalf("ImportLists: %v", err)
	}
	// 120 DSA + 42 DLA entries; DSA-3281-1, DSA-2819-1 and DSA-1605-1
	// (key change, no package line, only NOTE lines), DLA-3067-1
	// (end-of-life notice) and DLA-449-2 (no package line) have nothing to
	// import.
	if want := 120 + 42 - 5; n != want {
		t.Errorf("ImportLists = %d, want %d", n, want)
	}
	for _, id := range []string{"DSA-3281-1", "DSA-2819-1", "DSA-1605-1", "DLA-3067-1", "DLA-449-2"} {
		if got := c.byID(id); len(got) != 0 {
			t.Errorf("%s imported, want it skipped: %+v", id, got[0])
		}
	}
	tests := []*vulndb.Advisory{
		{ID: "DSA-5380-1", Source: "debian-lists", Summary: "security update", Published: date(2023, 3, 29),
			Aliases:  []string{"CVE-2023-1393"},
			Affected: []vulndb.Affected{fixed("debian:11", "xorg-server", "2:1.20.11-1+deb11u6", "")}},
		{ID: "DSA-140", Source: "debian-lists", Summary: "buffer overflow", Published: date(2002, 8, 5),
			Aliases: []string{"CVE-2002-0660", "CVE-2002-0728"},
			Affected: []vulndb.Affected{
				fixed("debian:3.0", "libpng", "1.0.12-3.woody.2", ""),
				fixed("debian:3.0", "libpng3", "1.2.1-1.1.woody.2", ""),
			}},
		{ID: "DSA-2798-1", Source: "debian-lists", Summary: "unchecked ssl certificate host name",
			Published: date(2013, 11, 17), Aliases: []string{"CVE-2013-4545"},
			Affected: []vulndb.Affected{
				fixed("debian:6", "curl", "7.21.0-2.1+squeeze5", ""),
				fixed("debian:7", "curl", "7.26.0-1+wheezy5", ""),
			}},
		{ID: "DSA-2275-1", Source: "debian-lists", Summary: "buffer overflow", Published: date(2011, 7, 7),
			Aliases: []string{"CVE-2011-2685"},
			Affected: []vulndb.Affected{
				{Ecosystem: "debian:5", Package: "openoffice.org", Status: vulndb.StatusNotAffected},
				fixed("debian:6", "openoffice.org", "1:3.2.1-11+squeeze3", ""),
			}},
		{ID: "DSA-3148-1", Source: "debian-lists", Summary: "end of life", Published: date(2015, 1, 31),
			Affected: []vulndb.Affected{{Ecosystem: "debian:7", Package: "chromium-browser", Status: vulndb.StatusEndOfLife}}},
		{ID: "DLA-449-2", Source: "debian-lists", Summary: "regression update", Published: date(2016, 5, 10)},
	}
	for _, want := range tests {
		t.Run(want.ID, func(t *testing.T) {
			got := c.byID(want.ID)
			if want.Affected == nil {
				if len(got) != 0 {
					t.Errorf("imported, want skipped: %+v", got[0])
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("%d advisories with ID %s, want 1", len(got), want.ID)
			}
			if diff := cmp.Diff(want, got[0]); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestImportListsSharedData counts what the importer finds in the full DSA
// and DLA lists of the tracker at 32127b7f (2023-04-02), present beside the
// repository but too large for testdata.
func TestImportListsSharedData(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 1.3 MB of lists")
	}
	dir := shareddata.Path(t, "advisories/debian-security-tracker-2023-04/data")
	tests := []struct {
		list    string
		entries int // "[date] ID" headers: the MANIFEST's count
		want    int
	}{
		// 23 DSA entries have no package line: notices (key changes,
		// end-of-life announcements) and advisories whose only content
		// is NOTE lines (DSA-1604-1 bind, DSA-1605-1 glibc, ...).
		{"DSA/list", 5406, 5406 - 23},
		// 4 DLA entries have none: three LTS end-of-life notices and
		// DLA-449-2.
		{"DLA/list", 3534, 3534 - 4},
	}
	for _, tt := range tests {
		t.Run(tt.list, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, tt.list))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Count("\n"+string(data), "\n["); got != tt.entries {
				t.Errorf("%s has %d entries, want %d", tt.list, got, tt.entries)
			}
			var c collector
			warn := newWarnings()
			n, err := importList(t.Context(), strings.NewReader(string(data)), tt.list, lineAdvHeader, &c, warn)
			if err != nil {
				t.Fatalf("importList: %v", err)
			}
			if err := warn.Err(); err != nil {
				t.Errorf("warnings: %v", err)
			}
			if n != tt.want || len(c.advs) != tt.want {
				t.Errorf("importList = %d (sink %d), want %d", n, len(c.advs), tt.want)
			}
		})
	}
	var c collector
	n, err := ImportLists(t.Context(), dir, &c)
	if err != nil {
		t.Fatalf("ImportLists: %v", err)
	}
	if want := 5383 + 3530; n != want {
		t.Errorf("ImportLists = %d, want %d (CVE/list is absent there)", n, want)
	}
}

func TestImportListsErrors(t *testing.T) {
	t.Run("no lists", func(t *testing.T) {
		n, err := ImportLists(t.Context(), t.TempDir(), &collector{})
		if err == nil || n != 0 {
			t.Errorf("ImportLists = %d, %v; want 0 and an error", n, err)
		}
	})
	t.Run("sink error stops", func(t *testing.T) {
		boom := errors.New("boom")
		n, err := ImportLists(t.Context(), "testdata/lists/real-2023-04", failingSink{boom})
		if !errors.Is(err, boom) || n != 0 {
			t.Errorf("ImportLists = %d, %v; want 0 and %v", n, err, boom)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := ImportLists(ctx, "testdata/lists/real-2023-04", &collector{})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("ImportLists error = %v, want context.Canceled", err)
		}
	})
	t.Run("line too long", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "DSA"), 0o755); err != nil {
			t.Fatal(err)
		}
		long := "[01 Jan 2020] DSA-1-1 x - " + strings.Repeat("y", maxLine) + "\n"
		if err := os.WriteFile(filepath.Join(dir, "DSA", "list"), []byte(long), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ImportLists(t.Context(), dir, &collector{})
		if err == nil || !strings.Contains(err.Error(), "DSA/list:1") {
			t.Errorf("ImportLists error = %v, want a line-too-long error at DSA/list:1", err)
		}
	})
}

type failingSink struct{ err error }

func (s failingSink) Add(context.Context, *vulndb.Advisory) error { return s.err }
