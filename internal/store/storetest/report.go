package storetest

import (
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/store"
)

// reportJSON is r through JSON and back into a map, with its packages
// set apart (the store returns them layer by layer, not in the report's
// order): the form two reports are compared in.
func reportJSON(t *testing.T, r *report.Report) (map[string]any, []string, []string) {
	t.Helper()
	rest := *r
	pkgs, owned := asJSON(t, rest.Packages), asJSON(t, rest.Owned)
	rest.Packages, rest.Owned = nil, nil
	b, err := json.Marshal(&rest)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m, pkgs, owned
}

// testReport: a subject's current snapshot comes back as the report it was
// recorded from (packages with their layers, findings in full, target with
// labels), by digest or host, and from the rows alone for a snapshot
// recorded before the store kept reports.
func testReport(t *testing.T, b Backend, fx *Reports) {
	s := open(t, b, b.Fresh(t))
	ctx := t.Context()
	at := time.Date(2026, 12, 6, 6, 0, 0, 0, time.UTC)
	recs := map[*report.Report]store.Recorded{}
	for _, r := range []*report.Report{fx.Alpine, fx.AlpineApp, fx.DebianApp} {
		recs[r] = record(t, s, store.Input{Report: r, Now: at})
	}
	host := &store.Host{MachineID: "0123456789abcdef0123456789abcdef", Hostname: "build-7"}
	hostRec := record(t, s, store.Input{Report: fx.Debian, Host: host, Now: at})

	for _, r := range []*report.Report{fx.Alpine, fx.AlpineApp, fx.DebianApp} {
		got, err := s.Report(ctx, r.Target.Digest())
		if err != nil {
			t.Fatalf("Report(%s): %v", r.Target.Ref, err)
		}
		if got.Snapshot != recs[r].Snapshot || !got.Current || got.Subject.Digest != r.Target.Digest() || !got.DBBuilt.Equal(r.DB.Built.Truncate(time.Microsecond)) || got.Tool != "customs storetest" {
			t.Errorf("Report(%s): snapshot %d current %t subject %s built %s tool %q; want snapshot %d, current, %s, built %s, customs storetest",
				r.Target.Ref, got.Snapshot, got.Current, got.Subject.Digest, got.DBBuilt, got.Tool, recs[r].Snapshot, r.Target.Digest(), r.DB.Built)
		}
		want, wantPkgs, wantOwned := reportJSON(t, r)
		have, havePkgs, haveOwned := reportJSON(t, got.Report)
		if diff := cmp.Diff(want, have); diff != "" {
			t.Errorf("Report(%s) (-want +got):\n%s", r.Target.Ref, diff)
		}
		if diff := cmp.Diff(wantPkgs, havePkgs); diff != "" {
			t.Errorf("Report(%s) packages (-want +got):\n%s", r.Target.Ref, diff)
		}
		if diff := cmp.Diff(wantOwned, haveOwned); diff != "" {
			t.Errorf("Report(%s) owned packages (-want +got):\n%s", r.Target.Ref, diff)
		}
		for _, p := range got.Report.Packages {
			if p.Layer == "" {
				t.Errorf("Report(%s): package %s has no layer", r.Target.Ref, p.PURL)
				break
			}
		}
	}

	// Labels: from the image config, in the subject and the target.
	got, err := s.Report(ctx, fx.AlpineApp.Target.Digest()[len("sha256:"):])
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"org.opencontainers.image.source": "https://git.example/shop/app", "org.opencontainers.image.version": "1.0"}
	if diff := cmp.Diff(want, got.Subject.Labels); diff != "" {
		t.Errorf("subject labels (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, got.Report.Target.Labels); diff != "" {
		t.Errorf("target labels (-want +got):\n%s", diff)
	}

	// A host by machine-id and by name.
	for _, name := range []string{host.MachineID, host.Hostname} {
		got, err := s.Report(ctx, name)
		if err != nil {
			t.Fatalf("Report(%s): %v", name, err)
		}
		if got.Snapshot != hostRec.Snapshot || got.Subject.Kind != store.KindHost || len(got.Report.Packages) != len(fx.Debian.Packages) || len(got.Report.Findings) != len(fx.Debian.Findings) {
			t.Errorf("Report(%s): snapshot %d, %s, %d packages, %d findings; want %d, host, %d, %d", name, got.Snapshot, got.Subject.Kind,
				len(got.Report.Packages), len(got.Report.Findings), hostRec.Snapshot, len(fx.Debian.Packages), len(fx.Debian.Findings))
		}
	}
	if _, err := s.Report(ctx, "sha256:0000"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Report of an unknown digest: %v, want ErrNotFound", err)
	}
	if _, err := s.SnapshotReport(ctx, 1<<40); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SnapshotReport of an unknown snapshot: %v, want ErrNotFound", err)
	}

	// A snapshot recorded before migration 0005 has no report kept: its
	// rows give the packages, the layers and the findings.
	r := fx.DebianApp
	if _, err := s.DB().ExecContext(ctx, "DELETE FROM snapshot_report WHERE snapshot = "+itoa(recs[r].Snapshot)); err != nil {
		t.Fatal(err)
	}
	got, err = s.Report(ctx, r.Target.Digest())
	if err != nil {
		t.Fatal(err)
	}
	_, wantPkgs, _ := reportJSON(t, r)
	_, havePkgs, _ := reportJSON(t, got.Report)
	if diff := cmp.Diff(wantPkgs, havePkgs); diff != "" {
		t.Errorf("rows report packages (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(r.Target.Layers, got.Report.Target.Layers); diff != "" {
		t.Errorf("rows report layers (-want +got):\n%s", diff)
	}
	type brief struct{ ID, Pkg, Version, Status, Fixed, Severity, Layer string }
	briefs := func(fs []report.Finding) map[brief]int {
		out := map[brief]int{}
		for _, f := range fs {
			out[brief{f.VulnerabilityID, f.PackageName, f.PackageVersion, f.Status, f.FixedVersion, f.Severity, f.Layer}]++
		}
		return out
	}
	if diff := cmp.Diff(briefs(r.Findings), briefs(got.Report.Findings)); diff != "" {
		t.Errorf("rows report findings (-want +got):\n%s", diff)
	}
	if got.Report.Summary.Findings != len(r.Findings) || got.Report.Summary.Packages != len(r.Packages) {
		t.Errorf("rows report summary %+v, want %d findings, %d packages", got.Report.Summary, len(r.Findings), len(r.Packages))
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// testResolve: a reference finds the digest it was last seen under,
// whichever way it is written; placements match references the same way.
func testResolve(t *testing.T, b Backend, fx *Reports) {
	s := open(t, b, b.Fresh(t))
	ctx := t.Context()
	at := time.Date(2026, 12, 6, 6, 0, 0, 0, time.UTC)
	record(t, s, store.Input{Report: fx.Alpine, Refs: []string{"docker.io/library/alpine:3.10"}, Now: at})
	for _, ref := range []string{"alpine:3.10", "docker.io/library/alpine:3.10", "library/alpine:3.10", "index.docker.io/library/alpine:3.10"} {
		if got, err := s.Resolve(ctx, ref); err != nil || got != fx.Alpine.Target.Digest() {
			t.Errorf("Resolve(%s) = %q, %v; want %s", ref, got, err, fx.Alpine.Target.Digest())
		}
	}
	// The tag moves: the image seen under it last wins.
	record(t, s, store.Input{Report: fx.AlpineApp, Refs: []string{"alpine:3.10"}, Now: at.Add(time.Hour)})
	if got, err := s.Resolve(ctx, "docker.io/library/alpine:3.10"); err != nil || got != fx.AlpineApp.Target.Digest() {
		t.Errorf("Resolve after the tag moved = %q, %v; want %s", got, err, fx.AlpineApp.Target.Digest())
	}
	// Untagged is :latest.
	record(t, s, store.Input{Report: fx.Debian, Refs: []string{"docker.io/library/debian"}, Now: at})
	if got, err := s.Resolve(ctx, "debian:latest"); err != nil || got != fx.Debian.Target.Digest() {
		t.Errorf("Resolve(debian:latest) = %q, %v; want %s", got, err, fx.Debian.Target.Digest())
	}
	// By digest.
	if got, err := s.Resolve(ctx, "debian@"+fx.Debian.Target.Digest()); err != nil || got != fx.Debian.Target.Digest() {
		t.Errorf("Resolve(debian@digest) = %q, %v", got, err)
	}
	for _, ref := range []string{"alpine:3.11", "nothing", "debian@sha256:0000"} {
		if got, err := s.Resolve(ctx, ref); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Resolve(%s) = %q, %v; want ErrNotFound", ref, got, err)
		}
	}
	// History finds a subject by a reference written another way.
	if h, err := s.History(ctx, "debian"); err != nil || len(h) != 1 {
		t.Errorf("History(debian): %d snapshots, %v; want 1", len(h), err)
	}

	// A workload naming "debian" runs the image recorded as
	// docker.io/library/debian.
	p := store.Placement{Runtime: "k8s", Source: "deploy.yaml", Namespace: "ops", Kind: "Deployment", Name: "tools", Container: "sh", Image: "debian"}
	if err := s.Place(ctx, []store.Placement{p}, at); err != nil {
		t.Fatal(err)
	}
	hs, err := s.Holders(ctx, store.PackageQuery{Name: "apt"})
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) == 0 {
		t.Fatal("Holders(apt): none")
	}
	for _, h := range hs {
		if len(h.RunningIn) != 1 || h.RunningIn[0].Image != "debian" || h.RunningIn[0].Name != "tools" {
			t.Errorf("Holders(apt) on %s: running in %+v, want the tools deployment (image debian, as written)", h.Subject.Name, h.RunningIn)
		}
	}
}

// testSubjectsPage: the subjects come page by page, each once.
func testSubjectsPage(t *testing.T, b Backend, fx *Reports) {
	s := open(t, b, b.Fresh(t))
	ctx := t.Context()
	for _, r := range []*report.Report{fx.Alpine, fx.AlpineApp, fx.AlpineApp2, fx.Debian, fx.DebianApp} {
		record(t, s, store.Input{Report: r})
	}
	all, err := s.Subjects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []store.SubjectSummary
	cursor, pages := "", 0
	for {
		page, next, err := s.SubjectsPage(ctx, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(page) > 2 {
			t.Fatalf("page of %d, want at most 2", len(page))
		}
		got = append(got, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	if pages != 3 {
		t.Errorf("%d pages of 2 for 5 subjects, want 3", pages)
	}
	byDigest := func(xs []store.SubjectSummary) map[string]store.SubjectSummary {
		out := map[string]store.SubjectSummary{}
		for _, x := range xs {
			out[x.Subject.Digest] = x
		}
		return out
	}
	if len(got) != len(all) {
		t.Errorf("pages hold %d subjects, want %d", len(got), len(all))
	}
	if diff := cmp.Diff(byDigest(all), byDigest(got)); diff != "" {
		t.Errorf("pages (-Subjects +pages):\n%s", diff)
	}
	if _, _, err := s.SubjectsPage(ctx, "x", 2); err == nil {
		t.Error("SubjectsPage with a bad cursor: no error")
	}
}
