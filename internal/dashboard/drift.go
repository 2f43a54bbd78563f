package dashboard

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/customs-scanner/customs/internal/drift"
	"github.com/customs-scanner/customs/internal/store"
)

type driftPage struct {
	ID     int64
	Report *drift.Report
	// Items and Files are this page's; the Next links page them.
	Items     []drift.Item
	ItemsNext string
	Files     []drift.File
	FilesNext string
	// AgainstURL is the page of the image or host snapshot compared with;
	// HostURL a host's own page.
	AgainstURL string
	HostURL    string
}

// driftReport is one recorded drift report (customs drift --store): what
// changed in a container or a host since its image or last snapshot.
func (d *Dashboard) driftReport(r *http.Request) (int, string, any, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, "", nil, notFound("There is no drift report %s.", r.PathValue("id"))
	}
	ioff, err := offsetParam(r, "next")
	if err != nil {
		return 0, "", nil, err
	}
	foff, err := offsetParam(r, "files")
	if err != nil {
		return 0, "", nil, err
	}
	data, err := d.st.DriftReport(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return 0, "", nil, notFound("There is no drift report %d.", id)
	}
	if err != nil {
		return 0, "", nil, err
	}
	var rep drift.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return 0, "", nil, fmt.Errorf("drift report %d: %w", id, err)
	}
	p := driftPage{ID: id, Report: &rep}
	var next int
	p.Items, next = cut(rep.Drift, ioff, d.pageSize)
	p.ItemsNext = pageURL(r, "next", next, "items")
	p.Files, next = cut(rep.Files, foff, d.pageSize)
	p.FilesNext = pageURL(r, "files", next, "files")
	if rep.Target.Kind == "host" && rep.Target.ID != "" {
		p.HostURL = subjectURL(store.KindHost, rep.Target.ID)
	}
	switch {
	case rep.Against.Kind == "snapshot":
		p.AgainstURL = p.HostURL
	case rep.Against.ImageID != "":
		p.AgainstURL = imageURL(rep.Against.ImageID)
	}
	return http.StatusOK, "drift", p, nil
}

// drifts returns the drift reports recorded about the subject, newest
// first.
func (d *Dashboard) drifts(r *http.Request, sj store.Subject) ([]store.DriftRecord, error) {
	rs, err := d.st.Drifts(r.Context(), sj.Digest)
	if err != nil {
		return nil, err
	}
	// Drifts also finds containers by name: keep the reports about this
	// subject.
	rs = slices.DeleteFunc(rs, func(x store.DriftRecord) bool {
		return x.Subject != nil && (x.Subject.Kind != sj.Kind || x.Subject.Digest != sj.Digest)
	})
	slices.Reverse(rs)
	return rs, nil
}
