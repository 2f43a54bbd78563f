package dashboard

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/customs-scanner/customs/internal/store"
)

// vulnID is the shape of a vulnerability ID of the feeds customs reads
// (OSV's ID prefixes, the distributions' advisories): CVE-2024-1234,
// GHSA-xxxx-xxxx-xxxx, GO-2024-1234, PYSEC-…, RUSTSEC-…, DSA-…, ALSA-….
var vulnID = regexp.MustCompile(`^(?i:CVE|GHSA|GO|PYSEC|RUSTSEC|OSV|MAL|GSD|UVI|DSA|DLA|DTSA|USN|ALSA|ALBA|ALEA|RHSA|RHBA|RLSA|ELSA|CGA|BIT|SUSE-SU|openSUSE-SU|RSEC|PSF|HSEC|CURL)-[A-Za-z0-9][A-Za-z0-9.:_-]*$`)

type searchHit struct {
	Kind  string // "vulnerability", "image", "package"
	Label string
	URL   string
	Note  string
}

type searchPage struct {
	Query string
	Hits  []searchHit
}

// search sends the browser to the one page the query names, or lists the
// pages it may mean: a vulnerability ID goes to its page; a digest (or a
// prefix of one), an image ID, a reference or a repository, a host's name
// or machine-id to the images and hosts the store has under it; a package
// name or PURL the store holds to its spread.
func (d *Dashboard) search(r *http.Request) (int, string, any, error) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	p := searchPage{Query: q}
	if q == "" {
		return http.StatusOK, "search", p, nil
	}
	if len(q) > 512 {
		return 0, "", nil, &errBadRequest{"The query is longer than 512 characters."}
	}
	ctx := r.Context()
	if vulnID.MatchString(q) {
		id := normalizeID(q)
		// An ID-shaped name may still be a package ("lib-2"): the ID wins
		// when the DB (read first: it answers from memory) or the store
		// knows it.
		if v, err := d.svc.Vulnerability(ctx, id); err == nil && (len(v.Advisories) > 0 || v.KEV != nil) {
			return 0, "", redirect{vulnURL(id)}, nil
		}
		n, err := d.st.Exposure(ctx, id, 0, 0)
		if err != nil {
			return 0, "", nil, err
		}
		if n.Findings > 0 {
			return 0, "", redirect{vulnURL(id)}, nil
		}
		p.Hits = append(p.Hits, searchHit{Kind: "vulnerability", Label: id, URL: vulnURL(id), Note: "no stored image has it, and the DB has no advisory"})
	}
	subjects, err := d.st.Find(ctx, q, searchMax)
	if err != nil {
		return 0, "", nil, err
	}
	for _, sj := range subjects {
		label := sj.Name
		if label == "" {
			label = shortDigest(sj.Digest)
		}
		p.Hits = append(p.Hits, searchHit{Kind: sj.Kind, Label: label, URL: subjectURL(sj.Kind, sj.Digest), Note: shortDigest(sj.Digest) + ", last seen " + sj.LastSeen.UTC().Format("2006-01-02")})
	}
	pq := store.PackageQuery{Name: q}
	if strings.HasPrefix(q, "pkg:") {
		pq = store.PackageQuery{PURL: q}
	}
	if held, err := d.st.Holds(ctx, pq); err != nil {
		return 0, "", nil, err
	} else if held {
		p.Hits = append(p.Hits, searchHit{Kind: "package", Label: q, URL: packageURL(q), Note: "its versions across the fleet"})
	}
	found := 0
	for _, h := range p.Hits {
		if h.Kind != "vulnerability" {
			found++
		}
	}
	if found == 1 && len(p.Hits) == 1 {
		return 0, "", redirect{p.Hits[0].URL}, nil
	}
	if len(p.Hits) == 0 {
		return http.StatusNotFound, "search", p, nil
	}
	return http.StatusOK, "search", p, nil
}

// searchMax bounds the images and hosts a search lists.
const searchMax = 50

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// normalizeID writes an ID as the feeds do: upper case, but for a GHSA's
// lower-case body.
func normalizeID(q string) string {
	if strings.HasPrefix(strings.ToUpper(q), "GHSA-") {
		return "GHSA-" + strings.ToLower(q[5:])
	}
	if strings.HasPrefix(strings.ToLower(q), "opensuse-") {
		return q
	}
	return strings.ToUpper(q)
}
