package update

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// feedHosts are the only sites the default feeds may name: advisory feed
// sites, never a package registry.
var feedHosts = map[string]bool{
	"security-tracker.debian.org":                true,
	"secdb.alpinelinux.org":                      true,
	"osv-vulnerabilities.storage.googleapis.com": true,
	"github.com":                 true,
	"services.nvd.nist.gov":      true,
	"www.cisa.gov":               true,
	"epss.empiricalsecurity.com": true,
	"security.access.redhat.com": true,
}

// osvDefaults are the OSV exports the registered ecosystems fetch by
// default (scan.Ecosystems().Feeds(osvDefaults); scan's TestEcosystemFeeds holds the
// two equal).
var osvDefaults = []string{"Ubuntu", "Rocky Linux", "AlmaLinux", "npm", "PyPI", "RubyGems", "Packagist", "NuGet", "Maven", "crates.io", "Go", "Hex", "Pub"}

func TestFeeds(t *testing.T) {
	seen := map[string]bool{}
	var defaults []string
	for _, f := range Feeds(osvDefaults) {
		if seen[f.Name] {
			t.Errorf("feed %s listed twice", f.Name)
		}
		seen[f.Name] = true
		if err := checkName(f.Name); err != nil {
			t.Errorf("feed %s: %v", f.Name, err)
		}
		if f.Kind == "" || f.About == "" || (len(f.Files) == 0) != f.NVDAPI {
			t.Errorf("feed %s: kind %q, about %q, %d files", f.Name, f.Kind, f.About, len(f.Files))
		}
		if f.NVDAPI {
			if u, err := url.Parse(f.Base); err != nil || u.Scheme != "https" || !feedHosts[u.Host] {
				t.Errorf("feed %s: API %s: want https on a feed site (%v)", f.Name, f.Base, err)
			}
		}
		names := map[string]bool{}
		for _, file := range f.Files {
			if err := checkName(file.Name); err != nil || names[file.Name] {
				t.Errorf("feed %s: file name %q: %v (or listed twice)", f.Name, file.Name, err)
			}
			names[file.Name] = true
			u, err := url.Parse(f.URL(file))
			if err != nil || u.Scheme != "https" || !feedHosts[u.Host] {
				t.Errorf("feed %s: URL %s: want https on a feed site (%v)", f.Name, f.URL(file), err)
			}
		}
		if f.Default {
			defaults = append(defaults, f.Name)
		}
	}
	want := []string{"alpine", "debian", "epss", "kev", "osv-almalinux", "osv-crates-io", "osv-go", "osv-hex", "osv-maven",
		"osv-npm", "osv-nuget", "osv-packagist", "osv-pub", "osv-pypi", "osv-rocky-linux", "osv-rubygems", "osv-ubuntu"}
	if diff := cmp.Diff(want, defaults); diff != "" {
		t.Errorf("default feeds (-want +got):\n%s", diff)
	}
}

func TestFeedURLs(t *testing.T) {
	byName := map[string]Feed{}
	for _, f := range Feeds(osvDefaults) {
		byName[f.Name] = f
	}
	tests := []struct {
		feed string
		want []string
	}{
		{"debian", []string{"https://security-tracker.debian.org/tracker/data/json"}},
		{"osv-rocky-linux", []string{"https://osv-vulnerabilities.storage.googleapis.com/Rocky%20Linux/all.zip"}},
		{"osv-crates-io", []string{"https://osv-vulnerabilities.storage.googleapis.com/crates.io/all.zip"}},
		{"kev", []string{"https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"}},
	}
	for _, tc := range tests {
		t.Run(tc.feed, func(t *testing.T) {
			var got []string
			for _, file := range byName[tc.feed].Files {
				got = append(got, byName[tc.feed].URL(file))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("URLs (-want +got):\n%s", diff)
			}
		})
	}
	alpine := byName["alpine"]
	if got, want := alpine.URL(alpine.Files[0]), "https://secdb.alpinelinux.org/v3.10/main.json"; got != want {
		t.Errorf("alpine first URL %s, want %s", got, want)
	}
}

func TestSelect(t *testing.T) {
	all := []Feed{
		{Name: "a", Kind: "osv", Base: "https://a.example/all.zip", Files: []File{{Name: "all.zip"}}, Default: true},
		{Name: "b", Kind: "alpine-secdb", Base: "https://b.example/", Files: []File{{Rel: "v1/main.json", Name: "v1-main.json"}, {Rel: "v2/main.json", Name: "v2-main.json"}}},
		{Name: "c", Kind: "osv", Base: "https://c.example/all.zip", Files: []File{{Name: "all.zip"}}},
	}
	tests := []struct {
		name      string
		names     []string
		overrides map[string]string
		want      []string // name and URLs
		wantErr   string
	}{
		{name: "none means default", want: []string{"a https://a.example/all.zip"}},
		{name: "default plus one", names: []string{"default", "c"}, want: []string{"a https://a.example/all.zip", "c https://c.example/all.zip"}},
		{name: "all, in list order", names: []string{"c", "all"}, want: []string{"a https://a.example/all.zip", "b https://b.example/v1/main.json https://b.example/v2/main.json", "c https://c.example/all.zip"}},
		{name: "single-file override", names: []string{"a"}, overrides: map[string]string{"a": "https://mirror.example/osv/a.zip"}, want: []string{"a https://mirror.example/osv/a.zip"}},
		{name: "multi-file override is a base", names: []string{"b"}, overrides: map[string]string{"b": "http://mirror.example/secdb"}, want: []string{"b http://mirror.example/secdb/v1/main.json http://mirror.example/secdb/v2/main.json"}},
		{name: "single-file override ending in slash", names: []string{"a"}, overrides: map[string]string{"a": "https://mirror.example/osv/"}, want: []string{"a https://mirror.example/osv/all.zip"}},
		{name: "unknown name", names: []string{"x"}, wantErr: `unknown feed "x"; valid feeds: default, all, a, b, c`},
		{name: "unknown override", overrides: map[string]string{"x": "https://x.example/"}, wantErr: `unknown feed "x"`},
		{name: "relative override", names: []string{"a"}, overrides: map[string]string{"a": "mirror/all.zip"}, wantErr: "want an absolute http(s) URL"},
		{name: "file override", names: []string{"a"}, overrides: map[string]string{"a": "file:///tmp/all.zip"}, wantErr: "want an absolute http(s) URL"},
		{name: "empty", names: []string{" "}, wantErr: "no feeds selected"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Select(all, tc.names, tc.overrides)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, f := range got {
				l := f.Name
				for _, file := range f.Files {
					l += " " + f.URL(file)
				}
				lines = append(lines, l)
			}
			if diff := cmp.Diff(tc.want, lines); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// Select must not change the caller's feeds.
	if all[1].Base != "https://b.example/" || all[1].Files[0].Rel != "v1/main.json" || all[0].Files[0].Rel != "" {
		t.Errorf("Select modified its input: %+v", all)
	}
}

func TestParseOverride(t *testing.T) {
	tests := []struct {
		in, name, url, err string
	}{
		{in: "osv-go=https://m.example/all.zip?a=b", name: "osv-go", url: "https://m.example/all.zip?a=b"},
		{in: " kev = https://m.example/kev.json ", name: "kev", url: "https://m.example/kev.json"},
		{in: "osv-go", err: "want NAME=URL"},
		{in: "=https://m.example/", err: "want NAME=URL"},
		{in: "osv-go=", err: "want NAME=URL"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			name, u, err := ParseOverride(tc.in)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if name != tc.name || u != tc.url || !strings.Contains(gotErr, tc.err) || (tc.err == "") != (err == nil) {
				t.Errorf("ParseOverride(%q) = %q, %q, %v; want %q, %q, %q", tc.in, name, u, err, tc.name, tc.url, tc.err)
			}
		})
	}
}
