package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/store"
)

// testFleet: the dashboard's counts, trend and outbox listing.
func testFleet(t *testing.T, b Backend, fx *Reports) {
	s := open(t, b, b.Fresh(t))
	ctx := t.Context()
	o, err := s.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(store.Overview{BySeverity: map[string]int{}}, o); diff != "" {
		t.Errorf("Overview of an empty store (-want +got):\n%s", diff)
	}
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	want := store.Overview{BySeverity: map[string]int{}}
	reports := []*report.Report{fx.Alpine, fx.DebianApp, fx.AlpineApp2}
	for i, r := range reports {
		var out []store.Delivery
		for j := range 2 {
			out = append(out, store.Delivery{ID: r.Target.Digest() + string(rune('a'+j)), Target: "http://127.0.0.1:1/", Body: []byte("{}")})
		}
		record(t, s, store.Input{Report: r, Now: t0.Add(time.Duration(i) * time.Hour), Outbox: out})
		want.Images++
		kev := false
		for _, f := range r.Findings {
			want.Findings++
			want.BySeverity[f.Severity]++
			if f.KEV != nil {
				want.KEV++
				kev = true
			}
			if f.FixedVersion != "" {
				want.Fixable++
			}
		}
		if kev {
			want.Exposed++
		}
	}
	if want.Findings == 0 || want.Fixable == 0 {
		t.Fatalf("the fixtures have %d findings, %d fixable: nothing to count", want.Findings, want.Fixable)
	}
	if o, err = s.Overview(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, o); diff != "" {
		t.Errorf("Overview (-want +got):\n%s", diff)
	}

	// At t0 the fleet is Alpine; an hour later, Alpine and DebianApp; two
	// hours later, all three; before t0, nothing.
	tr, err := s.Trend(ctx, t0.Add(-time.Hour), t0.Add(2*time.Hour), 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr) != 4 {
		t.Fatalf("Trend: %d points, want 4", len(tr))
	}
	sum := map[string]int{}
	for i, p := range tr {
		if want := t0.Add(time.Duration(i-1) * time.Hour); !p.At.Equal(want) {
			t.Errorf("point %d at %s, want %s", i, p.At, want)
		}
		if p.Subjects != i {
			t.Errorf("point %d: %d subjects, want %d", i, p.Subjects, i)
		}
		if i > 0 {
			for _, f := range reports[i-1].Findings {
				sum[f.Severity]++
			}
		}
		w := map[string]int{}
		for k, v := range sum {
			w[k] = v
		}
		if diff := cmp.Diff(w, p.BySeverity); diff != "" {
			t.Errorf("point %d by severity (-want +got):\n%s", i, diff)
		}
	}

	// The outbox, newest first, page by page and by state.
	d0 := fx.Alpine.Target.Digest() + "a"
	if err := s.Attempted(ctx, d0, t0, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Attempted(ctx, fx.Alpine.Target.Digest()+"b", t0, "refused", time.Time{}); err != nil {
		t.Fatal(err)
	}
	var all []string
	cursor := ""
	for range 10 {
		page, next, err := s.Deliveries(ctx, "", cursor, 4)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page {
			all = append(all, d.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(all) != 6 || all[0] != fx.AlpineApp2.Target.Digest()+"b" || all[5] != d0 {
		t.Errorf("Deliveries, all pages: %q, want 6 newest first", all)
	}
	for state, n := range map[string]int{store.Delivered: 1, store.Failed: 1, store.Pending: 4} {
		page, next, err := s.Deliveries(ctx, state, "", 0)
		if err != nil || len(page) != n || next != "" {
			t.Errorf("Deliveries(%s): %d, next %q, %v; want %d", state, len(page), next, err, n)
		}
	}
	if _, _, err := s.Deliveries(ctx, "bogus", "", 1); err == nil {
		t.Error("Deliveries with a bad state: no error")
	}
	if _, _, err := s.Deliveries(ctx, "", "x!", 1); err == nil {
		t.Error("Deliveries with a bad cursor: no error")
	}
}

// testFleetLookup: the dashboard's lists by kind, an image's placements,
// and the search box's lookup of subjects.
func testFleetLookup(t *testing.T, b Backend, fx *Reports) {
	s := open(t, b, b.Fresh(t))
	ctx := t.Context()
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	host := &store.Host{MachineID: "4c4c4544004e3610804cb8c04f4e3132", Hostname: "build-7"}
	hostReport := *fx.Debian
	hostReport.Target = report.Target{Ref: "dir:/", Kind: "rootfs"}
	record(t, s, store.Input{Report: fx.AlpineApp, Now: t0})
	record(t, s, store.Input{Report: &hostReport, Host: host, Now: t0.Add(time.Hour)})
	record(t, s, store.Input{Report: fx.AlpineApp2, Now: t0.Add(2 * time.Hour)})
	record(t, s, store.Input{Report: fx.DebianApp, Now: t0.Add(3 * time.Hour)})
	app, app2, deb := fx.AlpineApp.Target.Digest(), fx.AlpineApp2.Target.Digest(), fx.DebianApp.Target.Digest()

	digests := func(sums []store.SubjectSummary) []string {
		var out []string
		for _, s := range sums {
			out = append(out, s.Subject.Digest)
		}
		return out
	}
	var images []string
	cursor := ""
	for range 5 {
		page, next, err := s.KindPage(ctx, store.KindImage, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		images = append(images, digests(page)...)
		if cursor = next; next == "" {
			break
		}
	}
	if diff := cmp.Diff([]string{app, app2, deb}, images); diff != "" {
		t.Errorf("KindPage(image), pages of 2 (-want +got):\n%s", diff)
	}
	hosts, next, err := s.KindPage(ctx, store.KindHost, "", 0)
	if err != nil || next != "" || len(hosts) != 1 || hosts[0].Subject.Name != "build-7" || hosts[0].Packages != len(hostReport.Packages)+len(hostReport.Owned) {
		t.Errorf("KindPage(host): %+v, next %q, %v; want build-7 alone", hosts, next, err)
	}
	if _, _, err := s.KindPage(ctx, "container", "", 0); err == nil {
		t.Error("KindPage(container): no error")
	}

	web := store.Placement{Runtime: "k8s", Source: "deploy/shop.yaml", Namespace: "shop", Kind: "Deployment", Name: "web", Container: "app", Image: "registry.test/shop/app:1.0"}
	worker := store.Placement{Runtime: "compose", Source: "compose.yaml", Kind: "service", Name: "worker", Container: "worker", Image: "registry.test/shop/x@" + deb}
	if err := s.Place(ctx, []store.Placement{web, worker}, t0); err != nil {
		t.Fatal(err)
	}
	for digest, want := range map[string][]string{app: {"web"}, deb: {"worker"}, app2: nil, host.MachineID: nil, "sha256:" + strings.Repeat("0", 64): nil} {
		ps, err := s.Running(ctx, digest)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range ps {
			got = append(got, p.Name)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Running(%s) (-want +got):\n%s", digest, diff)
		}
	}

	hex := strings.TrimPrefix(app, "sha256:")
	for q, want := range map[string][]string{
		app:                                 {app},
		hex:                                 {app},
		"sha256:" + hex[:12]:                {app},
		hex[:12]:                            {app},
		fx.AlpineApp.Target.ImageID:         {app},
		"registry.test/shop/app:1.1":        {app2},
		"registry.test/shop/app":            {app2, app}, // most recently seen first
		"registry.test/shop/app-debian":     {deb},
		"build-7":                           {host.MachineID},
		host.MachineID:                      {host.MachineID},
		hex[:3]:                             nil, // too short a prefix
		"registry.test/shop/ap":             nil,
		"registry.test/shop/app:9":          nil,
		"sha256:" + strings.Repeat("f", 64): nil,
		"<script>alert(1)</script>":         nil,
	} {
		got, err := s.Find(ctx, q, 0)
		if err != nil {
			t.Fatalf("Find(%q): %v", q, err)
		}
		var ds []string
		for _, sj := range got {
			ds = append(ds, sj.Digest)
		}
		if diff := cmp.Diff(want, ds); diff != "" {
			t.Errorf("Find(%q) (-want +got):\n%s", q, diff)
		}
	}
	if got, err := s.Find(ctx, "registry.test/shop/app", 1); err != nil || len(got) != 1 || got[0].Digest != app2 {
		t.Errorf("Find(repository, limit 1): %+v, %v; want app 1.1 alone", got, err)
	}

	// Exposure counts what Where returns; HolderCount what Holders does.
	for _, id := range []string{"CVE-2022-33891", fx.Debian.Findings[0].VulnerabilityID, "CVE-1999-0001"} {
		ms, err := s.Where(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want := store.Exposure{Findings: len(ms), Fixes: []string{}, Severities: []string{}}
		seen := map[string]bool{}
		for _, m := range ms {
			if !seen[m.Subject.Digest] {
				seen[m.Subject.Digest] = true
				if m.Subject.Kind == store.KindHost {
					want.Hosts++
				} else {
					want.Images++
				}
				if len(m.RunningIn) > 0 {
					want.Running++
				}
				for _, p := range m.RunningIn {
					want.Workloads = append(want.Workloads, store.Workload{Placement: p,
						Subject: store.Subject{Kind: m.Subject.Kind, Digest: m.Subject.Digest, Name: m.Subject.Name}})
				}
			}
			if m.FixedVersion != "" && !slices.Contains(want.Fixes, m.FixedVersion) {
				want.Fixes = append(want.Fixes, m.FixedVersion)
			}
			if !slices.Contains(want.Severities, m.Severity) {
				want.Severities = append(want.Severities, m.Severity)
			}
		}
		slices.Sort(want.Fixes)
		slices.Sort(want.Severities)
		slices.SortFunc(want.Workloads, func(a, b store.Workload) int {
			pa, pb := a.Placement, b.Placement
			return strings.Compare(pa.Runtime+"\x00"+pa.Source+"\x00"+pa.Namespace+"\x00"+pa.Kind+"\x00"+pa.Name+"\x00"+pa.Container,
				pb.Runtime+"\x00"+pb.Source+"\x00"+pb.Namespace+"\x00"+pb.Kind+"\x00"+pb.Name+"\x00"+pb.Container)
		})
		want.WorkloadsTotal = len(want.Workloads)
		got, err := s.Exposure(ctx, id, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var paged []store.Match
		for off := 0; off <= len(ms); off++ {
			pg, err := s.Exposure(ctx, id, off, 1)
			if err != nil {
				t.Fatal(err)
			}
			paged = append(paged, pg.Matches...)
		}
		if diff := cmp.Diff(ms, paged, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Exposure(%s).Matches, a match a page (-Where +pages):\n%s", id, diff)
		}
		got.Matches = nil
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Exposure(%s) (-want +got):\n%s", id, diff)
		}
		if id == "CVE-2022-33891" && (want.Images != 2 || want.Running != 2) {
			t.Errorf("Exposure(%s): %+v, want 2 images (the apps of 1.0), both running: the fixtures changed", id, want)
		}
	}
	for _, q := range []store.PackageQuery{{Name: "pyspark"}, {Name: "musl"}, {Name: fx.Debian.Packages[0].Name}, {PURL: "pkg:pypi/pyspark"}, {Name: "no-such"}} {
		hs, err := s.Holders(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var want store.Holders
		seen := map[string]bool{}
		for _, h := range hs {
			if !seen[h.Subject.Digest] {
				seen[h.Subject.Digest] = true
				if h.Subject.Kind == store.KindHost {
					want.Hosts++
				} else {
					want.Images++
				}
			}
		}
		got, err := s.HolderCount(ctx, q)
		if err != nil || got != want {
			t.Errorf("HolderCount(%+v) = %+v, %v; want %+v", q, got, err, want)
		}
		if holds, err := s.Holds(ctx, q); err != nil || holds != (len(hs) > 0) {
			t.Errorf("Holds(%+v) = %v, %v; want %v", q, holds, err, len(hs) > 0)
		}
	}
	if n, _ := s.HolderCount(ctx, store.PackageQuery{Name: "musl"}); n.Images != 2 || n.Hosts != 0 {
		t.Errorf("HolderCount(musl) = %+v, want the two Alpine images", n)
	}
}

// testFleetPages: a report without its packages and findings, and its
// packages and findings a page at a time, agree with Report.
func testFleetPages(t *testing.T, b Backend, fx *Reports) {
	s := open(t, b, b.Fresh(t))
	ctx := t.Context()
	record(t, s, store.Input{Report: fx.Alpine})
	record(t, s, store.Input{Report: fx.DebianApp})
	digest := fx.DebianApp.Target.Digest()
	full, err := s.Report(ctx, digest)
	if err != nil {
		t.Fatal(err)
	}
	head, err := s.ReportHead(ctx, digest)
	if err != nil {
		t.Fatal(err)
	}
	want := *full
	r := *full.Report
	r.Packages, r.Owned, r.Findings = nil, nil, nil
	want.Report = &r
	if diff := cmp.Diff(&want, head); diff != "" {
		t.Errorf("ReportHead (-want +got):\n%s", diff)
	}
	if _, err := s.ReportHead(ctx, "sha256:"+strings.Repeat("0", 64)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ReportHead of nothing: %v, want ErrNotFound", err)
	}

	rank := func(s string) int {
		return slices.Index([]string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "NEGLIGIBLE", "UNKNOWN"}, s)
	}
	top := fx.DebianApp.Target.Layers[len(fx.DebianApp.Target.Layers)-1].DiffID
	for _, layer := range []string{"", top} {
		var wantF []report.Finding
		byLayer, bySev := map[string]int{}, map[string]int{}
		for _, f := range full.Report.Findings {
			byLayer[f.Layer]++
			if layer == "" || f.Layer == layer {
				wantF = append(wantF, f)
				bySev[f.Severity]++
			}
		}
		if len(wantF) < 10 {
			t.Fatalf("layer %q: %d findings: too few to page", layer, len(wantF))
		}
		var got []report.Finding
		for off := 0; ; off += 7 {
			pg, err := s.FindingPage(ctx, full.Snapshot, layer, off, 7)
			if err != nil {
				t.Fatal(err)
			}
			if pg.Total != len(wantF) || !cmp.Equal(byLayer, pg.ByLayer) || !cmp.Equal(bySev, pg.BySeverity) {
				t.Fatalf("FindingPage(%q, %d): total %d, by layer %v, by severity %v; want %d, %v, %v", layer, off, pg.Total, pg.ByLayer, pg.BySeverity, len(wantF), byLayer, bySev)
			}
			if len(pg.Findings) == 0 {
				break
			}
			got = append(got, pg.Findings...)
		}
		for i := 1; i < len(got); i++ {
			a, b := got[i-1], got[i]
			if ra, rb := rank(a.Severity), rank(b.Severity); ra > rb || (ra == rb && a.PackageName > b.PackageName) {
				t.Errorf("FindingPage(%q): %s %s before %s %s", layer, a.Severity, a.PackageName, b.Severity, b.PackageName)
				break
			}
		}
		key := func(a, b report.Finding) int {
			return strings.Compare(a.PackageID+" "+a.VulnerabilityID, b.PackageID+" "+b.VulnerabilityID)
		}
		slices.SortFunc(got, key)
		slices.SortFunc(wantF, key)
		if diff := cmp.Diff(wantF, got); diff != "" {
			t.Errorf("FindingPage(%q), every page (-want +got):\n%s", layer, diff)
		}

		var wantP []inventory.Package
		byLayer = map[string]int{}
		for _, p := range full.Report.Packages {
			byLayer[p.Layer]++
			if layer == "" || p.Layer == layer {
				wantP = append(wantP, p)
			}
		}
		var gotP []inventory.Package
		for off := 0; ; off += 9 {
			pg, err := s.PackagePage(ctx, full.Snapshot, layer, off, 9)
			if err != nil {
				t.Fatal(err)
			}
			if pg.Total != len(wantP) || !cmp.Equal(byLayer, pg.ByLayer) {
				t.Fatalf("PackagePage(%q, %d): total %d, by layer %v; want %d, %v", layer, off, pg.Total, pg.ByLayer, len(wantP), byLayer)
			}
			if len(pg.Packages) == 0 {
				break
			}
			gotP = append(gotP, pg.Packages...)
		}
		for i := 1; i < len(gotP); i++ {
			if gotP[i-1].Name > gotP[i].Name {
				t.Errorf("PackagePage(%q): %s before %s", layer, gotP[i-1].Name, gotP[i].Name)
				break
			}
		}
		pkey := func(a, b inventory.Package) int { return strings.Compare(a.ID, b.ID) }
		slices.SortFunc(gotP, pkey)
		slices.SortFunc(wantP, pkey)
		if diff := cmp.Diff(wantP, gotP); diff != "" {
			t.Errorf("PackagePage(%q), every page (-want +got):\n%s", layer, diff)
		}
	}
}

// testSpreadOf: SpreadOf agrees with Spread over Holders, but for the
// subjects it lists.
func testSpreadOf(t *testing.T, b Backend, fx *Reports) {
	s := open(t, b, b.Fresh(t))
	ctx := t.Context()
	host := &store.Host{MachineID: "4c4c4544004e3610804cb8c04f4e3132", Hostname: "build-7"}
	hostReport := *fx.Debian
	hostReport.Target = report.Target{Ref: "dir:/", Kind: "rootfs"}
	for _, r := range []*report.Report{fx.Alpine, fx.AlpineApp, fx.AlpineApp2, fx.Debian, fx.DebianApp} {
		record(t, s, store.Input{Report: r})
	}
	record(t, s, store.Input{Report: &hostReport, Host: host})
	short := func(vs []store.VersionSpread, n int) []store.VersionSpread {
		out := slices.Clone(vs)
		for i := range out {
			v := &out[i]
			v.Subjects = slices.Clone(v.Subjects)
			for j, sj := range v.Subjects {
				v.Subjects[j] = store.Subject{Kind: sj.Kind, Digest: sj.Digest, Name: sj.Name}
			}
			if n > 0 && len(v.Subjects) > n {
				v.Subjects = v.Subjects[:n]
			}
		}
		return out
	}
	major := func(h store.Holding) string { v, _, _ := strings.Cut(h.PackageVersion, "."); return v }
	ignore := cmpopts.IgnoreFields(store.Finding{}, "PackageName", "PURL")
	for _, q := range []store.PackageQuery{{Name: "pyspark"}, {Name: "musl"}, {Name: "openssl"}, {Name: fx.Debian.Packages[0].Name}, {PURL: "pkg:pypi/urllib3"}, {Name: "no-such"}} {
		hs, err := s.Holders(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []func(store.Holding) string{nil, major} {
			for _, n := range []int{0, 1} {
				want := short(store.Spread(hs, k), n)
				got, err := s.SpreadOf(ctx, q, k, n)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got, ignore, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("SpreadOf(%+v, %d a version) (-Spread +SpreadOf):\n%s", q, n, diff)
				}
			}
		}
	}
}

// testSpread: Spread agrees with store.Spread over Holders, with its
// subjects and, without them, on the counts and vulnerabilities; also
// where snapshots matched against different builds give one package row
// different findings (the first holding in Holders' order names a
// vulnerability's details, as store.Spread takes them).
func testSpread(t *testing.T, b Backend, fx *Reports) {
	d := TwoDBs(t)
	s := open(t, b, b.Fresh(t))
	ctx := t.Context()
	host := &store.Host{MachineID: "4c4c4544004e3610804cb8c04f4e3132", Hostname: "build-7"}
	hostReport := *Rematched(t, fx.Debian, d.Old)
	hostReport.Target = report.Target{Ref: "dir:/", Kind: "rootfs"}
	// The apps share the Python layer: the old build's findings of it in
	// one, the new build's (CVE-2022-33891 KEV-listed, urllib3's changed)
	// in the others.
	for _, x := range []struct {
		r  *report.Report
		db string
	}{{fx.Alpine, d.Old}, {fx.AlpineApp, d.Old}, {fx.AlpineApp2, d.New}, {fx.Debian, d.New}, {fx.DebianApp, d.New}} {
		record(t, s, store.Input{Report: Rematched(t, x.r, x.db)})
	}
	record(t, s, store.Input{Report: &hostReport, Host: host})
	major := func(h store.Holding) string { v, _, _ := strings.Cut(h.PackageVersion, "."); return v }
	for _, q := range []store.PackageQuery{{Name: "pyspark"}, {Name: "urllib3"}, {Name: "musl"}, {Name: "openssl"}, {Name: fx.Debian.Packages[0].Name},
		{PURL: "pkg:pypi/urllib3"}, {Name: "no-such"}} {
		hs, err := s.Holders(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if q.Name == "pyspark" {
			kev := map[bool]bool{}
			for _, h := range hs {
				for _, f := range h.Findings {
					if f.VulnerabilityID == "PYSEC-2022-236" {
						kev[f.KEV] = true
					}
				}
			}
			if !kev[true] || !kev[false] {
				t.Errorf("pyspark's PYSEC-2022-236 is KEV-listed in %v of its holdings, want in some and not in others: the fixtures changed", kev)
			}
		}
		// key is called once per holding: the service weighs the
		// version schemes of a mixed answer by it.
		calls := 0
		counting := func(h store.Holding) string { calls++; return h.PackageVersion }
		if _, err := s.Spread(ctx, q, counting, false); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SpreadOf(ctx, q, counting, 1); err != nil {
			t.Fatal(err)
		}
		if calls != 2*len(hs) {
			t.Errorf("Spread and SpreadOf(%+v) called key %d times, want once per holding: %d each", q, calls, len(hs))
		}
		for _, k := range []func(store.Holding) string{nil, major} {
			want := store.Spread(hs, k)
			got, err := s.Spread(ctx, q, k, true)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Spread(%+v, with subjects) (-store.Spread(Holders) +Spread):\n%s", q, diff)
			}
			counted, err := s.Spread(ctx, q, k, false)
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				got[i].Subjects = []store.Subject{}
			}
			if diff := cmp.Diff(got, counted); diff != "" {
				t.Errorf("Spread(%+v), counted (-with subjects +without):\n%s", q, diff)
			}
		}
	}
}

// testHistoryPage: History a page at a time, newest first, each page
// with the snapshot to compare its last with.
func testHistoryPage(t *testing.T, b Backend, fx *Reports) {
	s := open(t, b, b.Fresh(t))
	ctx := t.Context()
	host := &store.Host{MachineID: "4c4c4544004e3610804cb8c04f4e3132", Hostname: "build-7"}
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for i := range 5 {
		r := *fx.Debian
		r.Target = report.Target{Ref: "dir:/", Kind: "rootfs"}
		r.Findings = fx.Debian.Findings[i:]
		record(t, s, store.Input{Report: &r, Host: host, Now: t0.Add(time.Duration(i) * time.Hour)})
	}
	hist, err := s.History(ctx, "build-7")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 5 {
		t.Fatalf("History: %d snapshots, want 5", len(hist))
	}
	slices.Reverse(hist)
	for _, limit := range []int{1, 2, 5, 9} {
		var got []store.Snapshot
		for off := 0; off < 7; off += limit {
			page, older, total, err := s.HistoryPage(ctx, host.MachineID, off, limit)
			if err != nil {
				t.Fatal(err)
			}
			if total != 5 {
				t.Errorf("HistoryPage(%d, %d): total %d, want 5", off, limit, total)
			}
			got = append(got, page...)
			next := off + len(page)
			switch {
			case next < len(hist) && len(page) > 0:
				if older == nil || older.ID != hist[next].ID || len(older.Findings) != len(hist[next].Findings) {
					t.Errorf("HistoryPage(%d, %d): the older snapshot %+v, want %d", off, limit, older, hist[next].ID)
				}
			case older != nil:
				t.Errorf("HistoryPage(%d, %d): an older snapshot after the last", off, limit)
			}
		}
		if diff := cmp.Diff(hist, got); diff != "" {
			t.Errorf("HistoryPage, %d a page (-History reversed +pages):\n%s", limit, diff)
		}
	}
	if page, older, total, err := s.HistoryPage(ctx, "no-such-host", 0, 10); err != nil || page != nil || older != nil || total != 0 {
		t.Errorf("HistoryPage of nothing: %v %v %d %v", page, older, total, err)
	}
}
