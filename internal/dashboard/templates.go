package dashboard

import (
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/store"
)

// pageNames are the templates in templates/, each defining "title" and
// "content" for layout.html.
var pageNames = []string{"overview", "subjects", "image", "layer", "vulnerability", "package", "drift", "feeds", "jobs", "notifications", "search", "error"}

func parsePages() (map[string]*template.Template, error) {
	base, err := template.New("base").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html")
	if err != nil {
		return nil, fmt.Errorf("dashboard templates: %w", err)
	}
	out := map[string]*template.Template{}
	for _, n := range pageNames {
		t, err := template.Must(base.Clone()).ParseFS(templateFS, "templates/"+n+".html")
		if err != nil {
			return nil, fmt.Errorf("dashboard template %s: %w", n, err)
		}
		out[n] = t
	}
	return out, nil
}

// severities are the severities in the order pages list them, most
// severe first.
var severities = []string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "NEGLIGIBLE", "UNKNOWN"}

// severityRank orders severities, most severe first; others last.
func severityRank(s string) int {
	for i, x := range severities {
		if strings.EqualFold(s, x) {
			return i
		}
	}
	return len(severities)
}

var funcs = template.FuncMap{
	"imageURL":   imageURL,
	"subjectURL": subjectURL,
	"layerURL": func(digest, diffID string) string {
		return imageURL(digest) + "/layers/" + url.PathEscape(diffID)
	},
	"packageURL": packageURL,
	"vulnURL":    vulnURL,
	// sevClass is the CSS class of a severity's badge.
	"sevClass": func(s string) string {
		if r := severityRank(s); r < len(severities) {
			return "sev sev-" + strings.ToLower(severities[r])
		}
		return "sev sev-unknown"
	},
	"short": shortDigest,
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"age": age,
	"pct": func(n, of int) string {
		if of == 0 {
			return "0%"
		}
		return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(of))
	},
	"score":      func(f float64) string { return fmt.Sprintf("%.3f", f) },
	"pctScore":   func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) },
	"join":       strings.Join,
	"add":        func(a, b int) int { return a + b },
	"neg":        func(a int) int { return -a },
	"severities": func() []string { return severities },
	"count":      func(m map[string]int, k string) int { return m[k] },
	// webhook shows a webhook's scheme and host only: its path and query
	// may hold its secret (a chat service's incoming-webhook token).
	"webhook": func(target string) string {
		u, err := url.Parse(target)
		if err != nil || u.Host == "" {
			return "(unreadable URL)"
		}
		return u.Scheme + "://" + u.Host + "/…"
	},
}

// imageURL is an image's page.
func imageURL(digest string) string { return "/images/" + url.PathEscape(digest) }

// subjectURL is the page of an image or a host (by its machine-id).
func subjectURL(kind, digest string) string {
	if kind == store.KindHost {
		return "/hosts/" + url.PathEscape(digest)
	}
	return imageURL(digest)
}

// packageURL is a package's spread page. Slashes stay slashes (a PURL,
// an npm scope, a Go module path), so the address reads as written.
func packageURL(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return "/packages/" + strings.Join(parts, "/")
}

// vulnURL is a vulnerability's page.
func vulnURL(id string) string { return "/vulnerabilities/" + url.PathEscape(id) }

// shortDigest is "sha256:" and the first 12 hex digits.
func shortDigest(d string) string {
	alg, hex, ok := strings.Cut(d, ":")
	if ok && len(hex) > 12 {
		return alg + ":" + hex[:12]
	}
	return d
}

// age words how long ago something was, in the duration's largest unit.
func age(d time.Duration) string {
	switch {
	case d < 0:
		return "in the future"
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}
