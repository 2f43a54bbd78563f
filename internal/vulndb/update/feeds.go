package update

import (
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"
)

// Unpack says how a downloaded file is stored for the importer.
type Unpack int

const (
	// Keep stores the bytes as downloaded (a zip, a JSON document). A
	// Content-Encoding: gzip transfer is always decoded by the HTTP client.
	Keep Unpack = iota
	// Gunzip stores a gzip-compressed download (EPSS's .csv.gz) decompressed.
	Gunzip
	// Untar keeps a .tar.gz download (a repository snapshot) and extracts
	// it into the feed's "tree" directory, without the archive's common top
	// directory; the tree is the build source. The feed has one File.
	Untar
)

// File is one download of a feed.
type File struct {
	// Rel is the file's URL relative to the feed's Base; empty when Base is
	// the file's URL itself.
	Rel string
	// Name is the local file name in the feed's directory. It must not
	// start with a dot (importers skip dot files; update keeps its own
	// state in them).
	Name string
}

// Feed is one upstream advisory feed: a build kind, the URLs that make it
// up and how they are stored, so that build.Build can import the local copy
// as Source{Kind, Path}.
type Feed struct {
	// Name identifies the feed on the command line and names its directory
	// under CACHE_DIR/feeds.
	Name string
	// Kind is the build source kind that imports the local copy.
	Kind string
	// Base is the URL the Files are relative to.
	Base string
	// Files are the downloads. With one file, the build source is that
	// file; with several, it is the feed's directory.
	Files  []File
	Unpack Unpack
	// Latest, when set, names a small text file relative to Base that holds
	// the name of the current download, also relative to Base (Red Hat's
	// archive_latest.txt); the feed then has one File, whose Rel is unused.
	Latest string
	// NVDAPI fetches the feed from NVD's CVE API 2.0 at Base instead of
	// downloading Files (which it has none of); see syncNVD.
	NVDAPI bool
	// apiKey is sent as the apiKey header (NVD).
	apiKey string
	// Default feeds are updated when the user does not choose feeds.
	Default bool
	// About says in a few words what the feed is, for --help.
	About string
}

// URL returns the absolute URL of one of f's files.
func (f Feed) URL(file File) string { return f.Base + file.Rel }

// WithURL returns f with its upstream replaced: for a single-file feed, u is
// the file's URL; for a multi-file feed or one with a Latest pointer, u is
// the base the files are resolved against (a trailing slash is added).
func (f Feed) WithURL(u string) (Feed, error) {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return Feed{}, fmt.Errorf("feed %s: URL %q: want an absolute http(s) URL", f.Name, u)
	}
	f.Files = slices.Clone(f.Files)
	if f.NVDAPI {
		f.Base = u
		return f, nil
	}
	if len(f.Files) == 1 && f.Latest == "" && !strings.HasSuffix(u, "/") {
		f.Base = u
		f.Files[0].Rel = ""
		return f, nil
	}
	if !strings.HasSuffix(u, "/") {
		u += "/"
	}
	f.Base = u
	for i := range f.Files {
		if f.Files[i].Rel == "" {
			f.Files[i].Rel = f.Files[i].Name
		}
	}
	return f, nil
}

// Upstream sites. None of them is a package registry.
const (
	debianTracker = "https://security-tracker.debian.org/tracker/data/json"
	alpineSecdb   = "https://secdb.alpinelinux.org/"
	osvBucket     = "https://osv-vulnerabilities.storage.googleapis.com/"
	cisaKEV       = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
	firstEPSS     = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"
	redhatVEX     = "https://security.access.redhat.com/data/csaf/v2/vex/"
	github        = "https://github.com/"
	nvdAPI        = "https://services.nvd.nist.gov/rest/json/cves/2.0"
)

// repoSnapshots are advisory databases published only as git
// repositories, fetched as GitHub's branch snapshot (.tar.gz).
var repoSnapshots = []struct{ name, kind, repo, branch, about string }{
	{"rubysec", "rubysec", "rubysec/ruby-advisory-db", "master", "Ruby Advisory Database (gems and rubies, a few MB)"},
	{"friendsofphp", "friendsofphp", "FriendsOfPHP/security-advisories", "master", "PHP Security Advisories Database (a few MB)"},
	{"rustsec", "rustsec", "rustsec/advisory-db", "main", "RustSec Advisory Database (a few MB)"},
}

// alpineBranches are the secdb branches fetched by the alpine feed: every
// release an image in use may still run, and edge.
var alpineBranches = []string{
	"v3.10", "v3.11", "v3.12", "v3.13", "v3.14", "v3.15", "v3.16", "v3.17",
	"v3.18", "v3.19", "v3.20", "v3.21", "v3.22", "v3.23", "v3.24", "edge",
}

// osvOptional are OSV exports fetched only on request: Debian's and
// Alpine's native feeds (debian, alpine) carry the distributions' own
// decisions, which these copies would only repeat. The exports fetched by
// default are the ecosystems' (see Feeds).
var osvOptional = []string{"Debian", "Alpine"}

// osvFeedName names the feed of an OSV export: "osv-" and the export's
// name in lower case, spaces and dots as dashes ("osv-crates-io",
// "osv-rocky-linux").
func osvFeedName(export string) string {
	return "osv-" + strings.NewReplacer(" ", "-", ".", "-").Replace(strings.ToLower(export))
}

// Feeds returns every known feed, defaults first, then by name. osv names
// the OSV exports ("PyPI", "Rocky Linux") fetched by default: those of the
// registered ecosystems (scan.Ecosystems().Feeds()), so that a plain
// `db update` misses no package type customs matches. GitHub's reviewed
// advisories (GHSA) are part of each ecosystem's export. Each call returns
// a fresh slice.
func Feeds(osv []string) []Feed {
	alpine := Feed{
		Name: "alpine", Kind: "alpine-secdb", Base: alpineSecdb, Default: true,
		About: "Alpine secdb, main and community of " + alpineBranches[0] + ".." + alpineBranches[len(alpineBranches)-2] + " and edge (a few MB)",
	}
	for _, b := range alpineBranches {
		for _, repo := range []string{"main", "community"} {
			alpine.Files = append(alpine.Files, File{Rel: b + "/" + repo + ".json", Name: b + "-" + repo + ".json"})
		}
	}
	feeds := []Feed{
		{
			Name: "debian", Kind: "debian-tracker", Base: debianTracker, Default: true,
			Files: []File{{Name: "tracker.json"}},
			About: "Debian Security Tracker JSON (about 70 MB, gzip on the wire)",
		},
		alpine,
		{
			Name: "kev", Kind: "kev", Base: cisaKEV, Default: true,
			Files: []File{{Name: "known_exploited_vulnerabilities.json"}},
			About: "CISA Known Exploited Vulnerabilities catalog (about 1 MB)",
		},
		{
			Name: "epss", Kind: "epss", Base: firstEPSS, Default: true, Unpack: Gunzip,
			Files: []File{{Name: "epss_scores-current.csv"}},
			About: "FIRST EPSS scores of the day (about 2 MB gzip, stored unpacked)",
		},
		{
			Name: "redhat", Kind: "redhat-csaf", Base: redhatVEX, Latest: "archive_latest.txt",
			Files: []File{{Name: "csaf_vex.tar.zst"}},
			About: "Red Hat CSAF VEX, every CVE (the archive named by archive_latest.txt; hundreds of MB)",
		},
		{
			Name: "nvd", Kind: "nvd", Base: nvdAPI, NVDAPI: true,
			About: "NVD CVE API 2.0: all CVEs once (~160 pages, 6 s apart without $NVD_API_KEY), then what changed",
		},
	}
	for _, r := range repoSnapshots {
		feeds = append(feeds, Feed{
			Name: r.name, Kind: r.kind, Unpack: Untar,
			Base:  github + r.repo + "/archive/refs/heads/" + r.branch + ".tar.gz",
			Files: []File{{Name: r.name + ".tar.gz"}},
			About: r.about,
		})
	}
	for _, e := range osv {
		feeds = append(feeds, osvFeed(e, true))
	}
	for _, e := range osvOptional {
		if !slices.Contains(osv, e) {
			feeds = append(feeds, osvFeed(e, false))
		}
	}
	slices.SortStableFunc(feeds, func(a, b Feed) int {
		if a.Default != b.Default {
			if a.Default {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return feeds
}

// osvFeed is the feed of one OSV export.
func osvFeed(export string, def bool) Feed {
	return Feed{
		Name: osvFeedName(export), Kind: "osv", Default: def,
		Base:  osvBucket + url.PathEscape(export) + "/all.zip",
		Files: []File{{Name: "all.zip"}},
		About: "OSV " + export + " export (all.zip)",
	}
}

// Select picks feeds by name from all. names may hold "default" (the
// Default feeds) and "all"; empty names means "default". overrides maps a
// feed name to the URL that replaces its upstream (see Feed.WithURL).
// The result keeps all's order.
func Select(all []Feed, names []string, overrides map[string]string) ([]Feed, error) {
	if len(names) == 0 {
		names = []string{"default"}
	}
	known := func(n string) bool { return slices.ContainsFunc(all, func(f Feed) bool { return f.Name == n }) }
	want := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		switch {
		case n == "":
		case n == "default":
			for _, f := range all {
				if f.Default {
					want[f.Name] = true
				}
			}
		case n == "all":
			for _, f := range all {
				want[f.Name] = true
			}
		case known(n):
			want[n] = true
		default:
			return nil, fmt.Errorf("unknown feed %q; valid feeds: default, all, %s", n, feedNames(all))
		}
	}
	for n := range overrides {
		if !known(n) {
			return nil, fmt.Errorf("--feed %s=...: unknown feed %q; valid feeds: %s", n, n, feedNames(all))
		}
	}
	var out []Feed
	for _, f := range all {
		if !want[f.Name] {
			continue
		}
		if u, ok := overrides[f.Name]; ok {
			var err error
			if f, err = f.WithURL(u); err != nil {
				return nil, err
			}
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no feeds selected; valid feeds: default, all, %s", feedNames(all))
	}
	return out, nil
}

// ParseOverride parses the CLI syntax NAME=URL.
func ParseOverride(s string) (name, u string, err error) {
	name, u, ok := strings.Cut(s, "=")
	name, u = strings.TrimSpace(name), strings.TrimSpace(u)
	if !ok || name == "" || u == "" {
		return "", "", fmt.Errorf("--feed %q: want NAME=URL", s)
	}
	return name, u, nil
}

func feedNames(all []Feed) string {
	names := make([]string, len(all))
	for i, f := range all {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// checkName reports a local file name that update cannot store safely.
func checkName(n string) error {
	if n == "" || strings.HasPrefix(n, ".") || path.Base(n) != n || strings.ContainsAny(n, `/\`) {
		return fmt.Errorf("bad local file name %q", n)
	}
	return nil
}
