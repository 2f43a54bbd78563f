package dashboard

import (
	"cmp"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/store"
)

// layerRow is a layer with what it added.
type layerRow struct {
	Index     int
	DiffID    string
	CreatedBy string
	Packages  int
	Findings  int
}

// historyRow is one snapshot with what changed since the one before.
type historyRow struct {
	Snapshot store.Snapshot
	Findings int
	Added    int
	Resolved int
	Current  bool
}

type imagePage struct {
	Stored *store.StoredReport
	Digest string
	// Host is set on a host's page (no layers; its own URL).
	Host     bool
	URL      string
	Layers   []layerRow
	Findings []report.Finding
	// FindingsTotal is the count before paging; FindingsNext the next page.
	FindingsTotal int
	FindingsNext  string
	Packages      []inventory.Package
	PackagesTotal int
	PackagesNext  string
	// Secrets and Misconfigurations are nil when the scan did not look
	// for them (the template says "not scanned"), empty when it found none.
	Secrets           []report.Secret
	SecretsScanned    bool
	SecretsNext       string
	Misconfigs        []report.Misconfiguration
	MisconfigsScanned bool
	MisconfigsNext    string
	BySeverity        map[string]int
	History           []historyRow
	HistoryTotal      int
	HistoryNext       string
	Labels            []label
	Drifts            []store.DriftRecord
	DriftsTotal       int
	DriftsNext        string
	Running           []store.Placement
	RunningNext       string
	RunningTotal      int
}

type label struct{ Key, Value string }

// offsetParam reads an offset cursor (a row number this dashboard wrote).
func offsetParam(r *http.Request, name string) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, &errBadRequest{name + "=" + v + " is not a row number."}
	}
	return n, nil
}

// cut returns the rows of one page of n and the offset of the next, -1
// after the last.
func cut[T any](xs []T, offset, n int) ([]T, int) {
	if offset >= len(xs) {
		return nil, -1
	}
	end := min(offset+n, len(xs))
	if end == len(xs) {
		return xs[offset:end], -1
	}
	return xs[offset:end], end
}

// pageURL is the page's URL with param set to offset, and a fragment.
func pageURL(r *http.Request, param string, offset int, fragment string) string {
	if offset < 0 {
		return ""
	}
	q := r.URL.Query()
	q.Set(param, strconv.Itoa(offset))
	return r.URL.EscapedPath() + "?" + q.Encode() + "#" + fragment
}

// nextOffset is the offset of the page after the n rows shown from
// offset on, -1 after the last of total.
func nextOffset(offset, n, total int) int {
	if n == 0 || offset+n >= total {
		return -1
	}
	return offset + n
}

// storedReport is the current snapshot of the image or host the path
// names, without its packages and findings (FindingPage and PackagePage
// read one page of each).
func (d *Dashboard) storedReport(r *http.Request) (*store.StoredReport, error) {
	digest := r.PathValue("digest")
	sr, err := d.st.ReportHead(r.Context(), digest)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("The store holds no image or host %s.", digest)
	}
	return sr, err
}

// The image page's list parameters: each list pages on its own.
var imageLists = []string{"next", "packages", "secrets", "misconfigs", "history", "running", "drift"}

func (d *Dashboard) image(r *http.Request) (int, string, any, error) {
	return d.subject(r, false)
}

func (d *Dashboard) host(r *http.Request) (int, string, any, error) {
	return d.subject(r, true)
}

// subject is the page of an image or of a host; an address of the other
// kind is redirected to the right one, so links stay stable.
func (d *Dashboard) subject(r *http.Request, host bool) (int, string, any, error) {
	off := map[string]int{}
	for _, name := range imageLists {
		n, err := offsetParam(r, name)
		if err != nil {
			return 0, "", nil, err
		}
		off[name] = n
	}
	sr, err := d.storedReport(r)
	if err != nil {
		return 0, "", nil, err
	}
	if isHost := sr.Subject.Kind == store.KindHost; isHost != host {
		to := subjectURL(sr.Subject.Kind, sr.Subject.Digest)
		if q := r.URL.RawQuery; q != "" {
			to += "?" + q
		}
		return 0, "", redirect{to}, nil
	}
	rep := sr.Report
	p := imagePage{Stored: sr, Digest: sr.Subject.Digest, Host: host, URL: subjectURL(sr.Subject.Kind, sr.Subject.Digest), BySeverity: map[string]int{}}
	for k, v := range sr.Subject.Labels {
		p.Labels = append(p.Labels, label{k, v})
	}
	slices.SortFunc(p.Labels, func(a, b label) int { return cmp.Compare(a.Key, b.Key) })
	ctx := r.Context()
	fp, err := d.st.FindingPage(ctx, sr.Snapshot, "", off["next"], d.pageSize)
	if err != nil {
		return 0, "", nil, err
	}
	pp, err := d.st.PackagePage(ctx, sr.Snapshot, "", off["packages"], d.pageSize)
	if err != nil {
		return 0, "", nil, err
	}
	for sev, n := range fp.BySeverity {
		p.BySeverity[strings.ToUpper(sev)] += n
	}
	for i, l := range rep.Target.Layers {
		p.Layers = append(p.Layers, layerRow{Index: i + 1, DiffID: l.DiffID, CreatedBy: l.CreatedBy, Packages: pp.ByLayer[l.DiffID], Findings: fp.ByLayer[l.DiffID]})
	}
	p.FindingsTotal, p.Findings = fp.Total, fp.Findings
	p.FindingsNext = pageURL(r, "next", nextOffset(off["next"], len(fp.Findings), fp.Total), "findings")
	p.PackagesTotal, p.Packages = pp.Total, pp.Packages
	p.PackagesNext = pageURL(r, "packages", nextOffset(off["packages"], len(pp.Packages), pp.Total), "packages")
	var next int
	p.SecretsScanned = rep.Secrets != nil
	p.Secrets, next = cut(rep.Secrets, off["secrets"], d.pageSize)
	p.SecretsNext = pageURL(r, "secrets", next, "secrets")
	p.MisconfigsScanned = rep.Misconfigurations != nil
	ms := slices.Clone(rep.Misconfigurations)
	slices.SortStableFunc(ms, func(a, b report.Misconfiguration) int {
		return cmp.Compare(severityRank(a.Severity), severityRank(b.Severity))
	})
	p.Misconfigs, next = cut(ms, off["misconfigs"], d.pageSize)
	p.MisconfigsNext = pageURL(r, "misconfigs", next, "misconfigurations")
	if !host {
		running, err := d.st.Running(r.Context(), sr.Subject.Digest)
		if err != nil {
			return 0, "", nil, err
		}
		p.RunningTotal = len(running)
		p.Running, next = cut(running, off["running"], d.pageSize)
		p.RunningNext = pageURL(r, "running", next, "running")
	}
	drifts, err := d.drifts(r, sr.Subject)
	if err != nil {
		return 0, "", nil, err
	}
	p.DriftsTotal = len(drifts)
	p.Drifts, next = cut(drifts, off["drift"], d.pageSize)
	p.DriftsNext = pageURL(r, "drift", next, "drift")
	hist, older, total, err := d.st.HistoryPage(ctx, sr.Subject.Digest, off["history"], d.pageSize)
	if err != nil {
		return 0, "", nil, err
	}
	// Newest first, each against the one before it.
	p.HistoryTotal = total
	for i, sn := range hist {
		h := historyRow{Snapshot: sn, Findings: len(sn.Findings), Current: sn.ID == sr.Snapshot}
		prev := older
		if i+1 < len(hist) {
			prev = &hist[i+1]
		}
		if prev != nil {
			c := store.Diff(prev.Findings, sn.Findings)
			h.Added, h.Resolved = len(c.Added), len(c.Resolved)
		} else {
			h.Added = h.Findings
		}
		h.Snapshot.Findings = nil
		p.History = append(p.History, h)
	}
	p.HistoryNext = pageURL(r, "history", nextOffset(off["history"], len(hist), total), "history")
	return http.StatusOK, "image", p, nil
}

type layerPage struct {
	Stored       *store.StoredReport
	Digest       string
	Layer        layerRow
	Packages     []inventory.Package
	PackagesNext string
	Findings     []report.Finding
	FindingsNext string
	Secrets      []report.Secret
	SecretsNext  string
	ImagePath    string
}

func (d *Dashboard) layer(r *http.Request) (int, string, any, error) {
	off, err := offsetParam(r, "next")
	if err != nil {
		return 0, "", nil, err
	}
	foff, err := offsetParam(r, "findings")
	if err != nil {
		return 0, "", nil, err
	}
	soff, err := offsetParam(r, "secrets")
	if err != nil {
		return 0, "", nil, err
	}
	sr, err := d.storedReport(r)
	if err != nil {
		return 0, "", nil, err
	}
	diffID := r.PathValue("diffID")
	rep := sr.Report
	p := layerPage{Stored: sr, Digest: sr.Subject.Digest, ImagePath: imageURL(sr.Subject.Digest)}
	found := false
	for i, l := range rep.Target.Layers {
		if l.DiffID == diffID {
			p.Layer, found = layerRow{Index: i + 1, DiffID: l.DiffID, CreatedBy: l.CreatedBy}, true
			break
		}
	}
	if !found {
		return 0, "", nil, notFound("Image %s has no layer %s.", sr.Subject.Digest, diffID)
	}
	ctx := r.Context()
	fp, err := d.st.FindingPage(ctx, sr.Snapshot, diffID, foff, d.pageSize)
	if err != nil {
		return 0, "", nil, err
	}
	pp, err := d.st.PackagePage(ctx, sr.Snapshot, diffID, off, d.pageSize)
	if err != nil {
		return 0, "", nil, err
	}
	for _, s := range rep.Secrets {
		if s.Layer == diffID {
			p.Secrets = append(p.Secrets, s)
		}
	}
	p.Layer.Packages, p.Layer.Findings = pp.Total, fp.Total
	p.Packages, p.Findings = pp.Packages, fp.Findings
	p.PackagesNext = pageURL(r, "next", nextOffset(off, len(pp.Packages), pp.Total), "packages")
	p.FindingsNext = pageURL(r, "findings", nextOffset(foff, len(fp.Findings), fp.Total), "findings")
	var next int
	p.Secrets, next = cut(p.Secrets, soff, d.pageSize)
	p.SecretsNext = pageURL(r, "secrets", next, "secrets")
	return http.StatusOK, "layer", p, nil
}
