// Package storetest is the suite every store backend passes: it records
// real scans (the images in testdata/, scanned with a DB built from
// testdata/feeds) and checks what the store keeps and answers.
package storetest

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/store"
)

// Store is a backend's store: the interface, and its database for
// counting rows.
type Store interface {
	store.Store
	DB() *sql.DB
}

// Backend is what the suite needs of a backend.
type Backend struct {
	// Fresh returns the name of a new, empty store.
	Fresh func(t *testing.T) string
	// Open opens the store name names; opened twice, the two are two
	// connections to one store, as two processes have.
	Open func(ctx context.Context, name string) (Store, error)
	// Size returns the bytes the store takes.
	Size func(ctx context.Context, s Store) (int64, error)
}

// Run runs the suite against b.
func Run(t *testing.T, b Backend) {
	if dir := os.Getenv(childEnv); dir != "" {
		child(t, b, dir)
		return
	}
	if os.Getenv(deliverStore) != "" {
		deliverChild(t, b)
		return
	}
	if os.Getenv(reevalStore) != "" {
		reevaluateChild(t, b)
		return
	}
	fx := Fixtures(t)
	tests := []struct {
		name string
		f    func(*testing.T, Backend, *Reports)
	}{
		{"RecordTwice", testRecordTwice},
		{"SharedLayers", testSharedLayers},
		{"Where", testWhere},
		{"Holders", testHolders},
		{"Host", testHost},
		{"Concurrent", testConcurrent},
		{"Placements", testPlacements},
		{"Processes", testProcesses},
		{"Prune", testPrune},
		{"Inventory", testInventory},
		{"Report", testReport},
		{"Resolve", testResolve},
		{"SubjectsPage", testSubjectsPage},
		{"Fleet", testFleet},
		{"FleetLookup", testFleetLookup},
		{"FleetPages", testFleetPages},
		{"SpreadOf", testSpreadOf},
		{"Spread", testSpread},
		{"HistoryPage", testHistoryPage},
		{"Newer", testNewer},
		{"Growth", testGrowth},
		{"Reevaluate", testReevaluate},
		{"ReevaluateSuperseded", testReevaluateSuperseded},
		{"ReevaluateIncremental", testReevaluateIncremental},
		{"ReevaluateFull", testReevaluateFull},
		{"FindingSetsShared", testFindingSetsShared},
		{"DeliveryKilled", testDeliveryKilled},
		{"ReevaluateKilled", testReevaluateKilled},
		{"DeliveryRetry", testDeliveryRetry},
		{"Tokens", testTokens},
		{"Drift", testDrift},
		{"Subscriptions", testSubscriptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.f(t, b, fx) })
	}
}

func open(t *testing.T, b Backend, name string) Store {
	t.Helper()
	s, err := b.Open(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func record(t *testing.T, s store.Recorder, in store.Input) store.Recorded {
	t.Helper()
	rec, err := s.Record(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// counts returns the row count of each table.
func counts(t *testing.T, s Store) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"subject", "subject_ref", "inventory", "package", "snapshot", "snapshot_layer", "finding", "vulnerability_alias"} {
		var n int
		if err := s.DB().QueryRowContext(t.Context(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func pkgs(r *report.Report) int { return len(r.Packages) + len(r.Owned) }

func testRecordTwice(t *testing.T, b Backend, fx *Reports) {
	s := open(t, b, b.Fresh(t))
	first := record(t, s, store.Input{Report: fx.DebianApp})
	if !first.New || first.Layers != 2 || first.NewInventories != 2 {
		t.Errorf("first recording: %+v, want new, 2 layers, 2 new inventories", first)
	}
	before := counts(t, s)
	again := record(t, s, store.Input{Report: fx.DebianApp, Refs: []string{"registry.test/mirror/app-debian:1.0"}})
	if again.New || again.Snapshot != first.Snapshot {
		t.Errorf("second recording: %+v, want the first snapshot %d, not new", again, first.Snapshot)
	}
	after := counts(t, s)
	before["subject_ref"]++ // the mirror's reference, and nothing else
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("rows after recording again (-want +got):\n%s", diff)
	}
	want := map[string]int{
		"subject": 1, "subject_ref": 2, "inventory": 2, "package": pkgs(fx.DebianApp), "snapshot": 1,
		"snapshot_layer": 2, "finding": len(fx.DebianApp.Findings), "vulnerability_alias": after["vulnerability_alias"],
	}
	if diff := cmp.Diff(want, after); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if after["vulnerability_alias"] == 0 {
		t.Error("no aliases kept, though the Python findings name CVEs and GHSAs")
	}
	subjects, err := s.Subjects(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(subjects) != 1 {
		t.Fatalf("Subjects: %d, want 1", len(subjects))
	}
	got := subjects[0]
	wantRefs := []string{"registry.test/mirror/app-debian:1.0", "registry.test/shop/app-debian:1.0"}
	if got.Subject.Kind != store.KindImage || got.Subject.Digest != fx.DebianApp.Target.Digest() || !slices.Equal(got.Subject.Refs, wantRefs) ||
		got.Packages != len(fx.DebianApp.Packages) || got.Snapshots != 1 || got.Subject.Platform != "linux/amd64" {
		t.Errorf("Subjects: %+v, want image %s under %v, %d packages, 1 snapshot, linux/amd64", got, fx.DebianApp.Target.Digest(), wantRefs, len(fx.DebianApp.Packages))
	}
	n := 0
	for _, c := range got.BySeverity {
		n += c
	}
	if n != len(fx.DebianApp.Findings) {
		t.Errorf("Subjects counts %v findings, want %d", got.BySeverity, len(fx.DebianApp.Findings))
	}
}

// testSharedLayers records images that share base layers: each base
// layer's inventory is stored once.
func testSharedLayers(t *testing.T, b Backend, fx *Reports) {
	s := open(t, b, b.Fresh(t))
	var news []int
	for _, r := range []*report.Report{fx.Alpine, fx.AlpineApp, fx.AlpineApp2, fx.Debian, fx.DebianApp} {
		news = append(news, record(t, s, store.Input{Report: r}).NewInventories)
	}
	// Alpine: its layer; app 1.0 and 1.1: their Python layers; Debian:
	// its layer; the Debian app: nothing, its Python layer is app 1.0's
	// (the same files make the same DiffID and the same packages).
	if diff := cmp.Diff([]int{1, 1, 1, 1, 0}, news); diff != "" {
		t.Errorf("new inventories per recording (-want +got):\n%s", diff)
	}
	c := counts(t, s)
	layers := 0
	for _, r := range []*report.Report{fx.Alpine, fx.AlpineApp, fx.AlpineApp2, fx.Debian, fx.DebianApp} {
		layers += len(r.Target.Layers)
	}
	wantPkgs := pkgs(fx.Alpine) + (pkgs(fx.AlpineApp) - pkgs(fx.Alpine)) + (pkgs(fx.AlpineApp2) - pkgs(fx.Alpine)) + pkgs(fx.Debian)
	if c["inventory"] != 4 || c["package"] != wantPkgs || c["snapshot_layer"] != layers || c["subject"] != 5 {
		t.Errorf("rows %v: want 4 inventories, %d packages, %d snapshot layers, 5 subjects", c, wantPkgs, layers)
	}
}

func testWhere(t *testing.T, b Backend, fx *Reports) {
	s := open(t, b, b.Fresh(t))
	for _, r := range []*report.Report{fx.Alpine, fx.AlpineApp, fx.AlpineApp2, fx.Debian, fx.DebianApp} {
		record(t, s, store.Input{Report: r})
	}
	// pyspark 3.2.1 (CVE-2022-33891) is in app 1.0 on Alpine and on Debian,
	// not in app 1.1.
	var want []string
	for _, r := range []*report.Report{fx.AlpineApp, fx.DebianApp} {
		for _, f := range r.Findings {
			if slices.Contains(f.Aliases, "CVE-2022-33891") || f.VulnerabilityID == "CVE-2022-33891" {
				want = append(want, fmt.Sprintf("%s %s %s %s %s %s", r.Target.Digest(), f.PackageName, f.PackageVersion, f.VulnerabilityID, f.Layer, f.CreatedBy))
			}
		}
	}
	slices.Sort(want)
	if len(want) != 2 {
		t.Fatalf("the fixtures have %d findings of CVE-2022-33891, want 2: %v", len(want), want)
	}
	for _, id := range []string{"CVE-2022-33891", "cve-2022-33891", "GHSA-4x9r-j582-cgr8", "PYSEC-2022-236"} {
		ms, err := s.Where(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range ms {
			got = append(got, fmt.Sprintf("%s %s %s %s %s %s", m.Subject.Digest, m.PackageName, m.PackageVersion, m.VulnerabilityID, m.Layer, m.CreatedBy))
		}
		slices.Sort(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Where(%s) (-want +got):\n%s", id, diff)
		}
	}
	// A distro finding: every Debian image has it, from the base layer.
	id := fx.Debian.Findings[0].VulnerabilityID
	var wantDeb []string
	for _, r := range []*report.Report{fx.Debian, fx.DebianApp} {
		for _, f := range r.Findings {
			if f.VulnerabilityID == id {
				wantDeb = append(wantDeb, r.Target.Digest()+" "+f.PackageName+" "+f.Status+" "+f.FixedVersion+" "+f.Layer)
			}
		}
	}
	ms, err := s.Where(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.Subject.Digest+" "+m.PackageName+" "+m.Status+" "+m.FixedVersion+" "+m.Layer)
	}
	slices.Sort(wantDeb)
	slices.Sort(got)
	if diff := cmp.Diff(wantDeb, got); diff != "" {
		t.Errorf("Where(%s) (-want +got):\n%s", id, diff)
	}
	ms, err = s.Where(t.Context(), "CVE-1999-0000")
	if err != nil || len(ms) != 0 {
		t.Errorf("Where(unknown) = %v, %v; want no match and no error", ms, err)
	}
}

func testHolders(t *testing.T, b Backend, fx *Reports) {
	s := open(t, b, b.Fresh(t))
	for _, r := range []*report.Report{fx.Alpine, fx.AlpineApp, fx.Debian} {
		record(t, s, store.Input{Report: r})
	}
	// openssl is a source package: libssl and libcrypto on Alpine, libssl3
	// (and openssl itself, if installed) on Debian; Alpine's libcrypto
	// also has OpenSSL compiled in (an owned package).
	want := map[string]bool{}
	var purl string
	for _, r := range []*report.Report{fx.Alpine, fx.AlpineApp, fx.Debian} {
		for _, p := range slices.Concat(r.Packages, r.Owned) {
			if p.Name == "openssl" || p.SourceName == "openssl" {
				want[r.Target.Digest()+" "+p.Name+" "+p.Version] = true
				if p.Type == "apk" {
					purl = p.PURL
				}
			}
		}
	}
	hs, err := s.Holders(t.Context(), store.PackageQuery{Name: "openssl"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, h := range hs {
		got[h.Subject.Digest+" "+h.PackageName+" "+h.PackageVersion] = true
	}
	if len(want) < 3 {
		t.Fatalf("the fixtures hold %d openssl packages: %v", len(want), want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Holders(openssl) (-want +got):\n%s", diff)
	}
	// The spread: Alpine's libssl1.1 and libcrypto1.1 1.1.1d-r2 in both
	// Alpine images, counted once per image.
	spread := store.Spread(hs, nil)
	i := slices.IndexFunc(spread, func(v store.VersionSpread) bool { return v.Version == "1.1.1d-r2" })
	if i < 0 || spread[i].Images != 2 || spread[i].Hosts != 0 || len(spread[i].Subjects) != 2 {
		t.Errorf("Spread of openssl: %+v, want version 1.1.1d-r2 in 2 images", spread)
	}
	// By PURL, without version: both Alpine images.
	hs, err = s.Holders(t.Context(), store.PackageQuery{PURL: store.PURLBase(purl)})
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 2 || hs[0].Subject.Digest == hs[1].Subject.Digest {
		t.Errorf("Holders(%s): %d holdings, want one in each Alpine image", store.PURLBase(purl), len(hs))
	}
	// Findings come with the package: pyspark's.
	hs, err = s.Holders(t.Context(), store.PackageQuery{Name: "pyspark"})
	if err != nil {
		t.Fatal(err)
	}
	wantN := 0
	for _, f := range fx.AlpineApp.Findings {
		if f.PackageName == "pyspark" {
			wantN++
		}
	}
	if len(hs) != 1 || len(hs[0].Findings) != wantN || hs[0].CreatedBy == "" {
		t.Errorf("Holders(pyspark): %+v, want one holding with %d findings and its layer's created_by", hs, wantN)
	}
}

// testHost records a host twice with different findings: two snapshots,
// the queries see the second.
func testHost(t *testing.T, b Backend, fx *Reports) {
	s := open(t, b, b.Fresh(t))
	host := &store.Host{MachineID: "4c4c4544004e3610804cb8c04f4e3132", Hostname: "build-7"}
	first := *fx.Debian
	first.Target = report.Target{Ref: "dir:/", Kind: "rootfs"}
	fixed := first.Findings[0]
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	r1 := record(t, s, store.Input{Report: &first, Host: host, Now: t0})
	second := first
	second.Findings = first.Findings[1:]
	r2 := record(t, s, store.Input{Report: &second, Host: host, Now: t0.Add(24 * time.Hour)})
	if !r1.New || !r2.New || r1.Snapshot == r2.Snapshot {
		t.Fatalf("recordings %+v, %+v: want two new snapshots", r1, r2)
	}
	hist, err := s.History(t.Context(), "build-7")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || len(hist[0].Findings) != len(first.Findings) || len(hist[1].Findings) != len(second.Findings) {
		t.Fatalf("History: %d snapshots, want 2 with %d then %d findings", len(hist), len(first.Findings), len(second.Findings))
	}
	change := store.Diff(hist[0].Findings, hist[1].Findings)
	if len(change.Resolved) != 1 || change.Resolved[0].VulnerabilityID != fixed.VulnerabilityID || change.Resolved[0].PackageName != fixed.PackageName ||
		len(change.Added) != 0 || len(change.Changed) != 0 {
		t.Errorf("between the snapshots: %+v, want %s on %s resolved and nothing else", change, fixed.VulnerabilityID, fixed.PackageName)
	}
	sj := hist[1].Subject
	if sj.Kind != store.KindHost || sj.Digest != host.MachineID || sj.Name != "build-7" || !sj.FirstSeen.Equal(t0) || !sj.LastSeen.Equal(t0.Add(24*time.Hour)) {
		t.Errorf("host subject %+v", sj)
	}
	if hist[0].DBBuilt.IsZero() || !hist[0].DBBuilt.Equal(fx.Debian.DB.Built.Truncate(time.Microsecond)) {
		t.Errorf("DB built %v, want %v", hist[0].DBBuilt, fx.Debian.DB.Built)
	}
	if h2, err := s.History(t.Context(), host.MachineID); err != nil || len(h2) != 2 {
		t.Errorf("History(machine-id): %d snapshots, %v; want 2", len(h2), err)
	}
	ms, err := s.Where(t.Context(), fixed.VulnerabilityID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.PackageName == fixed.PackageName {
			t.Errorf("Where(%s) finds %s on %s: that was the first snapshot's", fixed.VulnerabilityID, m.PackageName, m.Subject.Name)
		}
	}
	if _, err := s.Record(t.Context(), store.Input{Report: &first, Host: &store.Host{Hostname: "x"}}); err == nil {
		t.Error("recorded a host without machine-id")
	}
}

// testConcurrent records from several connections at once: distinct
// images sharing base layers, and the same images again. Nothing is lost
// and nothing is stored twice.
func testConcurrent(t *testing.T, b Backend, fx *Reports) {
	name := b.Fresh(t)
	const conns, perConn = 4, 6
	stores := make([]Store, conns)
	for i := range stores {
		stores[i] = open(t, b, name)
	}
	bases := []*report.Report{fx.AlpineApp, fx.DebianApp}
	var wg sync.WaitGroup
	errs := make([]error, conns)
	for c := range conns {
		wg.Go(func() {
			for i := range perConn {
				r := variant(bases[(c+i)%2], (c+i)%2, i)
				if _, err := stores[c].Record(context.Background(), store.Input{Report: r}); err != nil {
					errs[c] = err
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	c := counts(t, stores[0])
	// perConn variants of each base (each recorded by conns/2
	// connections): perConn*2 subjects, one snapshot each; the base
	// layers' inventories once, plus one top layer per variant.
	subjects := perConn * 2
	if c["subject"] != subjects || c["snapshot"] != subjects {
		t.Errorf("rows %v: want %d subjects with one snapshot each", c, subjects)
	}
	var wantInv int
	seen := map[string]bool{}
	for _, base := range bases {
		for i := range perConn {
			for _, l := range variant(base, 0, i).Target.Layers {
				if !seen[l.DiffID] {
					seen[l.DiffID] = true
					wantInv++
				}
			}
		}
	}
	if c["inventory"] > wantInv {
		t.Errorf("%d inventories, want at most %d (one per distinct layer)", c["inventory"], wantInv)
	}
	subs, err := stores[1].Subjects(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, sum := range subs {
		if sum.Packages == 0 || sum.Snapshots != 1 {
			t.Errorf("subject %s: %d packages, %d snapshots", sum.Subject.Digest, sum.Packages, sum.Snapshots)
		}
	}
}

// variant returns a copy of r as another image: the same layers and one
// more holding one package, under its own digest and tag.
func variant(r *report.Report, base, i int) *report.Report {
	v := *r
	v.Target.ImageID = ""
	v.Target.ManifestDigest = fmt.Sprintf("sha256:%02d%062x", base, i+1)
	v.Target.RepoTags = []string{fmt.Sprintf("registry.test/variant-%d:%d", base, i)}
	top := fmt.Sprintf("sha256:%064x", 1000+i)
	v.Target.Layers = append(slices.Clone(r.Target.Layers), report.Layer{DiffID: top, CreatedBy: fmt.Sprintf("RUN echo %d > /version", i)})
	p := inventory.Package{Name: "variant", Version: fmt.Sprint(i), Type: "generic", PURL: fmt.Sprintf("pkg:generic/variant@%d", i), Layer: top,
		Locations: []inventory.Location{{Path: "version", Layer: top}}}
	p.SetID()
	v.Packages = append(slices.Clone(r.Packages), p)
	return &v
}

// testNewer: a store whose schema is newer than this build's is refused,
// naming the store.
func testNewer(t *testing.T, b Backend, fx *Reports) {
	name := b.Fresh(t)
	s := open(t, b, name)
	if _, err := s.DB().ExecContext(t.Context(), "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 'now')"); err != nil {
		t.Fatal(err)
	}
	s2, err := b.Open(t.Context(), name)
	if err == nil {
		s2.Close()
		t.Fatal("opened a store of schema version 9999")
	}
	if !errors.Is(err, store.ErrNewer) || !strings.Contains(err.Error(), "9999") || !strings.Contains(err.Error(), "upgrade customs") {
		t.Errorf("error %q: want ErrNewer naming version 9999 and saying to upgrade", err)
	}
}

// MaxGrowth is what one more image on recorded base layers may add to a
// store (issue 12's target).
const MaxGrowth = 50 << 10

// testGrowth records images that share the Debian app's layers and add
// one small layer each: each adds its snapshot and findings, not its base
// layers' inventories again.
func testGrowth(t *testing.T, b Backend, fx *Reports) {
	s := open(t, b, b.Fresh(t))
	size := func() int64 {
		t.Helper()
		n, err := b.Size(t.Context(), s)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	empty := size()
	record(t, s, store.Input{Report: fx.DebianApp})
	first := size()
	const n = 40
	start := time.Now()
	for i := range n {
		record(t, s, store.Input{Report: variant(fx.DebianApp, 0, i)})
	}
	took := time.Since(start) / n
	per := (size() - first) / n
	// The time is for the record, not a test: the machine is shared.
	t.Logf("empty store %d bytes; the Debian app image (%d packages, %d findings) %d bytes; each further image on its layers %d bytes, recorded in %v",
		empty, pkgs(fx.DebianApp), len(fx.DebianApp.Findings), first-empty, per, took.Round(time.Microsecond))
	if per > MaxGrowth {
		t.Errorf("each image on shared layers grows the store by %d bytes, want under %d", per, MaxGrowth)
	}
}

// testPlacements: where an image runs, by reference or by digest, comes
// with its findings; a source audited again replaces what it held.
func testPlacements(t *testing.T, b Backend, fx *Reports) {
	s := open(t, b, b.Fresh(t))
	record(t, s, store.Input{Report: fx.AlpineApp})
	record(t, s, store.Input{Report: fx.DebianApp})
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	web := store.Placement{Runtime: "k8s", Source: "deploy/shop.yaml", Namespace: "shop", Kind: "Deployment", Name: "web", Container: "app", Image: "registry.test/shop/app:1.0"}
	worker := store.Placement{Runtime: "compose", Source: "compose.yaml", Kind: "service", Name: "worker", Container: "worker",
		Image: "registry.test/shop/app-debian@" + fx.DebianApp.Target.Digest()}
	other := store.Placement{Runtime: "k8s", Source: "deploy/shop.yaml", Namespace: "shop", Kind: "Deployment", Name: "cart", Container: "cart", Image: "registry.test/shop/cart:2"}
	if err := s.Place(t.Context(), []store.Placement{web, worker, other}, t0); err != nil {
		t.Fatal(err)
	}
	running := func() map[string][]string {
		t.Helper()
		ms, err := s.Where(t.Context(), "CVE-2022-33891")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]string{}
		for _, m := range ms {
			var names []string
			for _, p := range m.RunningIn {
				names = append(names, p.Runtime+" "+p.Namespace+"/"+p.Kind+"/"+p.Name+"/"+p.Container)
			}
			out[m.Subject.Digest] = names
		}
		return out
	}
	want := map[string][]string{
		fx.AlpineApp.Target.Digest(): {"k8s shop/Deployment/web/app"},
		fx.DebianApp.Target.Digest(): {"compose /service/worker/worker"},
	}
	if diff := cmp.Diff(want, running()); diff != "" {
		t.Errorf("RunningIn (-want +got):\n%s", diff)
	}
	// The manifest audited again: web now runs app 1.1.
	web.Image = "registry.test/shop/app:1.1"
	if err := s.Place(t.Context(), []store.Placement{web}, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	want[fx.AlpineApp.Target.Digest()] = nil
	if diff := cmp.Diff(want, running()); diff != "" {
		t.Errorf("RunningIn after the manifest changed (-want +got):\n%s", diff)
	}
	var n int
	if err := s.DB().QueryRowContext(t.Context(), "SELECT COUNT(*) FROM placement").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("%d placements, want 2: the manifest's cart is gone, compose's worker stays", n)
	}
	hs, err := s.Holders(t.Context(), store.PackageQuery{Name: "pyspark"})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hs {
		if h.Subject.Digest == fx.DebianApp.Target.Digest() && (len(h.RunningIn) != 1 || h.RunningIn[0].Digest != fx.DebianApp.Target.Digest()) {
			t.Errorf("Holders(pyspark) on the Debian app runs in %+v, want compose's worker by digest", h.RunningIn)
		}
	}
}

// testPrune records a host five times, a package fewer each time, and an
// image, and keeps the last two snapshots of each: the others go, with the
// inventories only they held.
func testPrune(t *testing.T, b Backend, fx *Reports) {
	s := open(t, b, b.Fresh(t))
	host := &store.Host{MachineID: "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e", Hostname: "db-1"}
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		r := *fx.Debian
		r.Target = report.Target{Ref: "dir:/", Kind: "rootfs"}
		r.Packages = r.Packages[i:]
		r.Findings = slices.DeleteFunc(slices.Clone(r.Findings), func(f report.Finding) bool {
			return !slices.ContainsFunc(r.Packages, func(p inventory.Package) bool { return p.ID == f.PackageID })
		})
		record(t, s, store.Input{Report: &r, Host: host, Now: t0.Add(time.Duration(i) * 24 * time.Hour)})
	}
	record(t, s, store.Input{Report: fx.Debian}) // an image: one snapshot, never pruned
	before := counts(t, s)
	// Spares the snapshots of the last three days: only the first two go.
	got, err := s.Prune(t.Context(), store.PruneOptions{KeepLast: 2, OlderThan: t0.Add(2 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	// The first snapshot's inventory is the Debian image's too (the same
	// layer, the same packages): it stays.
	if got.Snapshots != 2 || got.Inventories != 1 {
		t.Errorf("Prune: %+v, want 2 snapshots dropped, and the inventory only the second held", got)
	}
	got, err = s.Prune(t.Context(), store.PruneOptions{KeepLast: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got.Snapshots != 1 || got.Inventories != 1 {
		t.Errorf("Prune of any age: %+v, want 1 snapshot and its inventory dropped", got)
	}
	after := counts(t, s)
	if after["snapshot"] != before["snapshot"]-3 || after["inventory"] != before["inventory"]-2 || after["package"] >= before["package"] {
		t.Errorf("rows before %v, after %v", before, after)
	}
	hist, err := s.History(t.Context(), "db-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || len(hist[1].Findings) == 0 || hist[1].Packages != len(fx.Debian.Packages)-4 {
		t.Errorf("History after pruning: %d snapshots, want the last 2", len(hist))
	}
	if h, err := s.History(t.Context(), fx.Debian.Target.Digest()); err != nil || len(h) != 1 {
		t.Errorf("the image's history: %d snapshots, %v; want its one", len(h), err)
	}
	checkWhole(t, s)
}

// testInventory: a snapshot's packages come back as the report had them,
// for re-matching without the image.
func testInventory(t *testing.T, b Backend, fx *Reports) {
	s := open(t, b, b.Fresh(t))
	for _, r := range []*report.Report{fx.Alpine, fx.AlpineApp, fx.DebianApp} {
		rec := record(t, s, store.Input{Report: r})
		pkgs, owned, err := s.Inventory(t.Context(), rec.Snapshot)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(asJSON(t, r.Packages), asJSON(t, pkgs)); diff != "" {
			t.Errorf("%s: packages (-want +got):\n%s", r.Target.Ref, diff)
		}
		if diff := cmp.Diff(asJSON(t, r.Owned), asJSON(t, owned)); diff != "" {
			t.Errorf("%s: owned packages (-want +got):\n%s", r.Target.Ref, diff)
		}
	}
}

// asJSON returns each package's JSON, sorted: the form the store keeps
// (Metadata comes back as a map, not its type).
func asJSON(t *testing.T, pkgs []inventory.Package) []string {
	t.Helper()
	out := []string{}
	for _, p := range pkgs {
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		// Through a map, so the metadata's field order is the map's.
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if b, err = json.Marshal(m); err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	slices.Sort(out)
	return out
}
