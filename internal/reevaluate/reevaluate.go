// Package reevaluate re-matches the inventories kept in the store against
// the current vulnerability DB, without reading any image, records each
// subject's new findings and announces what changed to the webhooks
// through the store's outbox (docs/store.md, "Re-evaluation").
package reevaluate

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/notify"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/store"
)

// Options configure a re-evaluation.
type Options struct {
	// DBPath is the current vulnerability DB.
	DBPath string
	// Full re-matches every subject; else only those holding a package
	// whose advisories differ between the DB build they were matched
	// against and the current one (see Run).
	Full bool
	// Hooks are the webhooks to notify.
	Hooks []notify.Webhook
	// Version is customs' version, for the snapshots' tool.
	Version string
	// Now is the clock; nil takes time.Now.
	Now func() time.Time

	// each sends every subject of a full re-evaluation through one, as
	// before it matched each package row once (export_test.go).
	each bool
}

// Result counts what a re-evaluation did.
type Result struct {
	Subjects  int `json:"subjects"`
	Rematched int `json:"rematched"`
	// Kept is how many subjects matched against another build were not
	// re-matched, since none of their packages' advisories changed:
	// their snapshots are marked as matched against the current build.
	Kept int `json:"kept"`
	// Keys is how many package keys the store holds; ChangedKeys how many
	// of them have other advisories than in a build a subject was matched
	// against (all of them, for a build whose digests the store lacks).
	Keys        int `json:"keys"`
	ChangedKeys int `json:"changedKeys"`
	// Changed is how many subjects' findings changed; Events how many
	// notifications were queued in the outbox.
	Changed  int            `json:"changed"`
	Events   int            `json:"events"`
	Changes  []SubjectDelta `json:"changes"`
	DBBuilt  time.Time      `json:"dbBuilt"`
	Duration time.Duration  `json:"-"`
}

// SubjectDelta is what changed for one subject.
type SubjectDelta struct {
	Subject  store.Subject `json:"subject"`
	Snapshot int64         `json:"snapshot"`
	Change   store.Change  `json:"change"`
}

// Run re-evaluates the store's subjects against the DB at opts.DBPath.
// A subject whose current snapshot came from no DB is re-matched but
// announces nothing: like a first recording, there is nothing to compare.
//
// Which subjects: a subject already matched against the current build is
// skipped. For the others, Run digests what the current DB says about each
// package key the store holds (scan.Rematcher.KeyDigest) and compares it
// with the digests the store kept for the build the subject was matched
// against: only subjects holding a key whose digest differs are
// re-matched; the rest are marked as matched against the current build.
// Subjects of a build whose digests the store lacks (recorded before any
// re-evaluation saw that build) are all re-matched. The current build's
// digests are then kept for the next run.
//
// Full re-matches every subject: each package row of the current
// snapshots once, one inventory at a time; a subject whose layers' finding
// sets all hold what their packages are found to have now is marked as
// matched against the current build, as one would find it unchanged; the
// others, whose findings change, are re-matched and recorded whole by one
// (a new snapshot with the report's coverage and summary), as every
// subject was before.
func Run(ctx context.Context, st store.Store, opts Options) (Result, error) {
	start := time.Now()
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	var res Result
	m, err := scan.NewRematcher(ctx, scan.Options{DBPath: opts.DBPath, Version: opts.Version})
	if err != nil {
		return res, err
	}
	defer m.Close()
	built := m.Built().UTC().Truncate(time.Microsecond)
	res.DBBuilt = built
	cur, err := st.Current(ctx)
	if err != nil {
		return res, err
	}
	res.Subjects = len(cur)
	// The subjects matched against another build, by build.
	byBuild := map[time.Time][]store.Current{}
	var todo []store.Current
	var whole []store.Current // re-matched fully, matched before
	for _, c := range cur {
		switch {
		case c.DB == nil || opts.Full && opts.each:
			todo = append(todo, c)
		case opts.Full:
			whole = append(whole, c)
		case !c.DB.Built.UTC().Truncate(time.Microsecond).Equal(built):
			b := c.DB.Built.UTC().Truncate(time.Microsecond)
			byBuild[b] = append(byBuild[b], c)
		}
	}
	have, err := st.Digests(ctx, built)
	if err != nil {
		return res, err
	}
	var digests map[store.PackageKey]string
	if len(byBuild) > 0 || have == nil {
		if digests, err = keyDigests(ctx, st, m); err != nil {
			return res, err
		}
		res.Keys = len(digests)
	}
	var keep []int64
	changedKeys := map[store.PackageKey]bool{}
	// Per subject re-matched incrementally, the keys whose advisories
	// changed since its build: only its packages with one are re-matched.
	partial := map[int64]map[store.PackageKey]bool{}
	for b, cs := range byBuild {
		old, err := st.Digests(ctx, b)
		if err != nil {
			return res, err
		}
		if old == nil {
			todo = append(todo, cs...)
			for k := range digests {
				changedKeys[k] = true
			}
			continue
		}
		var changed []store.PackageKey
		set := map[store.PackageKey]bool{}
		for k, d := range digests {
			if old[k] != d {
				changed = append(changed, k)
				changedKeys[k], set[k] = true, true
			}
		}
		holding, err := st.Holding(ctx, changed)
		if err != nil {
			return res, err
		}
		for _, c := range cs {
			if holding[c.Snapshot] {
				todo = append(todo, c)
				partial[c.Snapshot] = set
			} else {
				keep = append(keep, c.Snapshot)
			}
		}
	}
	res.ChangedKeys = len(changedKeys)
	info := m.Info()
	if err := st.MarkMatched(ctx, keep, &info); err != nil {
		return res, err
	}
	res.Kept = len(keep)
	var unchanged []int64 // re-matched in part, nothing changed
	// Re-matched whole, nothing changed: their new content hashes.
	rehashed := map[int64]string{}
	var wr *wholeRun
	if len(whole) > 0 {
		if wr, err = planWhole(ctx, st, m, whole); err != nil {
			return res, err
		}
		for _, c := range whole {
			if wr.changed[c.Snapshot] {
				todo = append(todo, c)
			} else {
				rehashed[c.Snapshot] = wr.contentHash(c.Snapshot)
				res.Rematched++
			}
		}
	}
	slices.SortFunc(todo, func(a, b store.Current) int { return cmp.Compare(a.Snapshot, b.Snapshot) })
	// The subjects re-matched in part are read and matched first, a few
	// at a time (reads do not wait for each other, nor for a writer);
	// then every subject's result is written, one transaction each, in
	// order.
	plans := make([]*partPlan, len(todo))
	matched := &rowMatches{rows: map[int64][]report.Finding{}, prepared: map[int64][]store.PreparedFinding{}}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(readers)
	for i, c := range todo {
		if set := partial[c.Snapshot]; set != nil {
			g.Go(func() error {
				p, err := planPart(gctx, st, m, matched, c, set)
				if err != nil {
					return fmt.Errorf("re-evaluate %s %s: %w", c.Subject.Kind, c.Subject.Name, err)
				}
				plans[i] = p
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return res, err
	}
	for i, c := range todo {
		var d *SubjectDelta
		var queued int
		var err error
		if wr != nil && wr.changed[c.Snapshot] {
			// Planned when it is recorded: a plan holds the subject's
			// findings and packages.
			if plans[i], err = wr.plan(ctx, c, opts); err != nil {
				return res, fmt.Errorf("re-evaluate %s %s: %w", c.Subject.Kind, c.Subject.Name, err)
			}
		}
		if p := plans[i]; p != nil {
			plans[i] = nil
			d, queued, err = p.record(ctx, st, m, opts, now())
			switch {
			case p.change.Empty() && p.contentHash != "":
				rehashed[c.Snapshot] = p.contentHash
			case p.change.Empty():
				unchanged = append(unchanged, c.Snapshot)
			}
		} else {
			d, queued, err = one(ctx, st, m, c, opts, now())
		}
		if err != nil {
			return res, fmt.Errorf("re-evaluate %s %s: %w", c.Subject.Kind, c.Subject.Name, err)
		}
		res.Rematched++
		res.Events += queued
		if d != nil {
			res.Changed++
			res.Changes = append(res.Changes, *d)
		}
	}
	if err := st.MarkMatched(ctx, unchanged, &info); err != nil {
		return res, err
	}
	if err := st.MarkRematched(ctx, rehashed, &info); err != nil {
		return res, err
	}
	// The current build's digests, for the next run: saved last, so a run
	// killed before they are kept starts over next time.
	if digests != nil {
		if err := st.SaveDigests(ctx, built, digests); err != nil {
			return res, err
		}
	}
	res.Duration = time.Since(start)
	return res, nil
}

// keyDigests digests the current DB's advisories for every package key
// the store holds.
func keyDigests(ctx context.Context, st store.Store, m *scan.Rematcher) (map[store.PackageKey]string, error) {
	keys, err := st.PackageKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[store.PackageKey]string, len(keys))
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d, err := m.KeyDigest(ctx, k.Ecosystem, k.Name, store.EPSSJump)
		if err != nil {
			return nil, err
		}
		out[k] = d
	}
	return out, nil
}

// one re-matches one subject and records the result with its events.
func one(ctx context.Context, st store.Store, m *scan.Rematcher, c store.Current, opts Options, now time.Time) (*SubjectDelta, int, error) {
	// The snapshot as its report: re-matching replaces the findings,
	// coverage and DB block, and keeps what the scan saw besides the
	// packages (target, OS, secrets, misconfigurations).
	sr, err := st.SnapshotReport(ctx, c.Snapshot)
	if err != nil {
		return nil, 0, err
	}
	s := c.Subject
	r := sr.Report
	r.SchemaVersion, r.Tool, r.CreatedAt = report.SchemaVersion, report.Tool{Name: "customs", Version: opts.Version}, c.ScannedAt
	// What judged the old findings does not hold for the new ones.
	r.Suppressed, r.Policy, r.Verdict = nil, nil, nil
	in := store.Input{Report: r, Platform: s.Platform, Labels: s.Labels, Now: now, Replaces: c.Snapshot}
	if s.Kind == store.KindHost {
		in.Host = &store.Host{MachineID: s.Digest, Hostname: s.Name}
	} else if r.Target.Digest() != s.Digest {
		r.Target.ManifestDigest = s.Digest
	}
	before := findings(r)
	if err := m.Rematch(ctx, r); err != nil {
		return nil, 0, err
	}
	change := store.Diff(before, findings(r))
	in.Unchanged = change.Empty()
	if c.DB != nil && !change.Empty() {
		if in.Outbox, err = events(s, change, r.DB, opts.Hooks, now); err != nil {
			return nil, 0, err
		}
	}
	rec, err := st.Record(ctx, in)
	if err != nil {
		return nil, 0, err
	}
	if rec.Superseded || !rec.New || change.Empty() {
		return nil, 0, nil
	}
	return &SubjectDelta{Subject: s, Snapshot: rec.Snapshot, Change: change}, len(in.Outbox), nil
}

// wholeInventory is an inventory of the subjects re-matched whole.
type wholeInventory struct {
	// rows are its package rows, the owned ones included; pkgs its
	// packages matching reads (not owned), in order, with their ID, name,
	// type and ecosystem only (what coverage counts), and pkgRows theirs.
	rows    []int64
	pkgs    []inventory.Package
	pkgRows []int64
	// fresh are what its packages are found to have now; found the same
	// as the store compares them; prepared as it writes them (made for a
	// changed subject's inventories, when first needed).
	fresh    []report.Finding
	found    []store.Finding
	prepared []store.PreparedFinding
	// lines are fresh as a content hash reads them (Package is the
	// package's place in the inventory; no Detail), in its order.
	lines []store.PreparedFinding
}

// placedLayer is a snapshot's lowest layer holding an inventory, with its
// place among the snapshot's layers.
type placedLayer struct {
	idx int
	store.LayerFindings
}

// firstLayers are the layers that name a snapshot's findings: each
// inventory's lowest.
func firstLayers(ls []store.LayerFindings) []placedLayer {
	var out []placedLayer
	seen := map[int64]bool{}
	for i, l := range ls {
		if !seen[l.Inventory] {
			seen[l.Inventory] = true
			out = append(out, placedLayer{i, l})
		}
	}
	return out
}

// wholeRun is a full re-evaluation's matching of the subjects matched
// before: which changed, and what plans their new snapshots.
type wholeRun struct {
	st      store.Store
	m       *scan.Rematcher
	layers  map[int64][]store.LayerFindings // by snapshot
	invs    map[int64]*wholeInventory
	old     map[int64][]store.Finding // by finding set
	changed map[int64]bool            // by snapshot
	db      string                    // the current build's DB block, as snapshots keep it
}

// planWhole re-matches the subjects cs whole: each package row of their
// inventories once, one inventory at a time. A subject whose layers'
// finding sets each hold what its inventory's packages are found to have
// now (store.Diff finds nothing) is unchanged, as one would find it; the
// others are changed (wholeRun.plan).
func planWhole(ctx context.Context, st store.Store, m *scan.Rematcher, cs []store.Current) (*wholeRun, error) {
	snaps := make([]int64, len(cs))
	for i, c := range cs {
		snaps[i] = c.Snapshot
	}
	layers, err := st.SnapshotLayers(ctx, snaps)
	if err != nil {
		return nil, err
	}
	invSet := map[[2]int64]bool{} // (inventory, set) of some snapshot's layer
	for _, ls := range layers {
		for _, l := range firstLayers(ls) {
			invSet[[2]int64{l.Inventory, l.Set}] = true
		}
	}
	var invs, sets []int64
	seenInv, seenSet := map[int64]bool{}, map[int64]bool{}
	for k := range invSet {
		if !seenInv[k[0]] {
			seenInv[k[0]] = true
			invs = append(invs, k[0])
		}
		if k[1] != 0 && !seenSet[k[1]] {
			seenSet[k[1]] = true
			sets = append(sets, k[1])
		}
	}
	slices.Sort(invs)
	slices.Sort(sets)
	// Inventories read a batch at a time (a few batches at once), each
	// matched on its own.
	info := m.Info()
	db, err := json.Marshal(&info)
	if err != nil {
		return nil, err
	}
	w := &wholeRun{st: st, m: m, layers: layers, invs: make(map[int64]*wholeInventory, len(invs)), changed: map[int64]bool{}, db: string(db)}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(readers)
	const batch = 200
	for rest := invs; len(rest) > 0; rest = rest[min(batch, len(rest)):] {
		part := rest[:min(batch, len(rest))]
		g.Go(func() error {
			byInv, err := st.InventoryPackages(gctx, part)
			if err != nil {
				return err
			}
			for _, inv := range part {
				x := &wholeInventory{}
				var pkgs []inventory.Package
				idxOf := map[string]int{}
				for _, sp := range byInv[inv] {
					x.rows = append(x.rows, sp.Row)
					if !sp.Owned {
						p := sp.Package
						pkgs = append(pkgs, p)
						x.pkgs = append(x.pkgs, inventory.Package{ID: p.ID, Name: p.Name, Type: p.Type, Ecosystem: p.Ecosystem})
						x.pkgRows = append(x.pkgRows, sp.Row)
						if _, ok := idxOf[p.ID]; !ok {
							idxOf[p.ID] = sp.Idx
						}
					}
				}
				mu.Lock()
				x.fresh, err = m.MatchPackages(gctx, pkgs)
				mu.Unlock()
				if err != nil {
					return err
				}
				x.found = findings(&report.Report{Findings: x.fresh})
				x.lines = make([]store.PreparedFinding, 0, len(x.fresh))
				for _, f := range x.fresh {
					line, err := store.PrepareFinding(f)
					if err != nil {
						return err
					}
					line.Detail, line.Package = "", idxOf[f.PackageID]
					x.lines = append(x.lines, line)
				}
				slices.SortFunc(x.lines, func(a, b store.PreparedFinding) int {
					return cmp.Or(cmp.Compare(a.Package, b.Package), cmp.Compare(a.VulnerabilityID, b.VulnerabilityID), cmp.Compare(a.Status, b.Status),
						cmp.Compare(a.DetailHash, b.DetailHash))
				})
				mu.Lock()
				w.invs[inv] = x
				mu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if w.old, err = st.SetFindings(ctx, sets); err != nil {
		return nil, err
	}
	same := make(map[[2]int64]bool, len(invSet))
	for k := range invSet {
		same[k] = store.Diff(w.old[k[1]], w.invs[k[0]].found).Empty()
	}
	needed := map[int64]bool{} // inventories of the changed subjects
	for _, c := range cs {
		for _, l := range firstLayers(layers[c.Snapshot]) {
			if !same[[2]int64{l.Inventory, l.Set}] {
				w.changed[c.Snapshot] = true
			}
		}
		if w.changed[c.Snapshot] {
			for _, l := range layers[c.Snapshot] {
				needed[l.Inventory] = true
			}
		}
	}
	// The others' findings are needed for their content hashes only.
	for inv, x := range w.invs {
		if !needed[inv] {
			x.fresh, x.found, x.prepared, x.pkgs = nil, nil, nil, nil
		}
	}
	return w, nil
}

// contentHash is the content hash of a snapshot's report re-matched
// whole, as Prepare computes it when one records it.
func (w *wholeRun) contentHash(snapshot int64) string {
	ls := w.layers[snapshot]
	layers := make([]store.Layer, len(ls))
	for i, l := range ls {
		layers[i] = store.Layer{DiffID: l.DiffID, Hash: l.Hash, CreatedBy: l.CreatedBy}
	}
	var fs []store.PreparedFinding
	for _, l := range firstLayers(ls) {
		for _, f := range w.invs[l.Inventory].lines {
			f.Layer = l.idx
			fs = append(fs, f)
		}
	}
	return store.ContentHash(w.db, layers, fs)
}

// plan plans the new snapshot of a changed subject as one would record
// it: every layer's findings replaced by those its packages have now, and
// the report kept with it re-matched (its coverage, summary, tool and DB
// block). It is nil for a snapshot kept without its report, left to one.
func (w *wholeRun) plan(ctx context.Context, c store.Current, opts Options) (*partPlan, error) {
	r, err := w.st.SnapshotHead(ctx, c.Snapshot)
	if err != nil || r == nil {
		return nil, err
	}
	p := &partPlan{c: c, ids: map[string]int64{}}
	var before []store.Finding
	var pkgs []inventory.Package
	for _, l := range firstLayers(w.layers[c.Snapshot]) {
		x := w.invs[l.Inventory]
		if x.prepared == nil {
			x.prepared = make([]store.PreparedFinding, 0, len(x.fresh))
			for _, f := range x.fresh {
				pf, err := store.PrepareFinding(f)
				if err != nil {
					return nil, err
				}
				x.prepared = append(x.prepared, pf)
			}
		}
		before = append(before, w.old[l.Set]...)
		p.rows = append(p.rows, x.rows...)
		for i, pkg := range x.pkgs {
			p.ids[pkg.ID] = x.pkgRows[i]
		}
		pkgs = append(pkgs, x.pkgs...)
		p.fresh = append(p.fresh, x.fresh...)
		p.prepared = append(p.prepared, x.prepared...)
	}
	p.change = store.Diff(before, findings(&report.Report{Findings: p.fresh}))
	// The report as one records it: re-matching replaces its findings,
	// coverage, summary and DB block.
	s := c.Subject
	r.SchemaVersion, r.Tool, r.CreatedAt = report.SchemaVersion, report.Tool{Name: "customs", Version: opts.Version}, c.ScannedAt
	r.Suppressed, r.Policy, r.Verdict = nil, nil, nil
	if s.Kind != store.KindHost && r.Target.Digest() != s.Digest {
		r.Target.ManifestDigest = s.Digest
	}
	info := w.m.Info()
	r.DB = &info
	if r.Coverage, err = w.m.Coverage(ctx, pkgs, r.OS); err != nil {
		return nil, err
	}
	r.Packages, r.Findings = pkgs, p.fresh
	r.Summarize()
	if p.report, err = store.CompressReport(r); err != nil {
		return nil, err
	}
	p.tool = r.Tool.Name + " " + r.Tool.Version
	p.contentHash = w.contentHash(c.Snapshot)
	return p, nil
}

// events are the notifications of change to the webhooks whose filters
// leave something of it.
func events(s store.Subject, change store.Change, db *report.DB, hooks []notify.Webhook, now time.Time) ([]store.Delivery, error) {
	var out []store.Delivery
	for _, h := range hooks {
		fc, ok := h.Filter(s, change)
		if !ok {
			continue
		}
		id := notify.NewID()
		body, err := notify.Event(id, s, fc, db, now)
		if err != nil {
			return nil, err
		}
		out = append(out, store.Delivery{ID: id, Target: h.URL, Body: body})
	}
	return out, nil
}

// readers is how many subjects re-matched in part, or batches of
// inventories re-matched whole, are read at once.
const readers = 4

// partPlan is a subject re-matched in part, not recorded yet: its
// packages looked up by a changed key, their rows, findings now, and what
// changed.
type partPlan struct {
	c        store.Current
	rows     []int64
	ids      map[string]int64
	fresh    []report.Finding
	prepared []store.PreparedFinding
	change   store.Change
	// report, tool and contentHash, for a subject re-matched whole, are
	// its new snapshot's (store.Rederivation's Report, Tool and
	// ContentHash).
	report      []byte
	tool        string
	contentHash string
}

// planPart re-matches the packages of one subject that are looked up by
// a key in changed; its other findings are kept. Matching a package does
// not depend on the others, so the difference between the re-matched
// packages' findings before and now is what changed.
func planPart(ctx context.Context, st store.Store, m *scan.Rematcher, matched *rowMatches, c store.Current, changed map[store.PackageKey]bool) (*partPlan, error) {
	keys := make([]store.PackageKey, 0, len(changed))
	for k := range changed {
		keys = append(keys, k)
	}
	stored, err := st.SnapshotPackages(ctx, c.Snapshot, keys)
	if err != nil {
		return nil, err
	}
	p := &partPlan{c: c, ids: map[string]int64{}}
	var pkgs []inventory.Package
	replaced := map[int64]bool{}
	for _, sp := range stored {
		if holds(sp.Package, changed) {
			pkgs = append(pkgs, sp.Package)
			p.rows = append(p.rows, sp.Row)
			p.ids[sp.Package.ID] = sp.Row
			replaced[sp.Row] = true
		}
	}
	old, err := st.SnapshotFindings(ctx, c.Snapshot, p.rows)
	if err != nil {
		return nil, err
	}
	if p.fresh, p.prepared, err = matched.match(ctx, m, p.rows, pkgs); err != nil {
		return nil, err
	}
	before := make([]store.Finding, 0, len(old))
	for _, f := range old {
		if replaced[f.Package] {
			before = append(before, f.Finding)
		}
	}
	p.change = store.Diff(before, findings(&report.Report{Findings: p.fresh}))
	return p, nil
}

// record records a new snapshot when the subject's findings changed
// (Store.Rederive), with its events; when they did not, the caller marks
// its snapshot as matched against the current build.
func (p *partPlan) record(ctx context.Context, st store.Store, m *scan.Rematcher, opts Options, now time.Time) (*SubjectDelta, int, error) {
	if p.change.Empty() {
		return nil, 0, nil
	}
	info := m.Info()
	rd := store.Rederivation{Replaces: p.c.Snapshot, DB: &info, Packages: p.rows, PackageIDs: p.ids, Findings: p.fresh, Prepared: p.prepared, Now: now,
		Report: p.report, Tool: p.tool, ContentHash: p.contentHash}
	if p.c.DB != nil {
		var err error
		if rd.Outbox, err = events(p.c.Subject, p.change, &info, opts.Hooks, now); err != nil {
			return nil, 0, err
		}
	}
	rec, err := st.Rederive(ctx, rd)
	if err != nil || rec.Superseded {
		return nil, 0, err
	}
	return &SubjectDelta{Subject: p.c.Subject, Snapshot: rec.Snapshot, Change: p.change}, len(rd.Outbox), nil
}

// rowMatches are the findings of stored packages, by package row, as one
// re-evaluation matched them: the subjects sharing a layer share its
// package rows, which are matched once.
type rowMatches struct {
	mu   sync.Mutex
	rows map[int64][]report.Finding
	// prepared are the rows' findings as the store writes them.
	prepared map[int64][]store.PreparedFinding
}

// match returns the findings of the packages pkgs (rows[i] is the row of
// pkgs[i]), matching those not matched yet. Matching a package does not
// depend on the others matched with it.
func (x *rowMatches) match(ctx context.Context, m *scan.Rematcher, rows []int64, pkgs []inventory.Package) ([]report.Finding, []store.PreparedFinding, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	rm := x.rows
	var todo []inventory.Package
	rowOf := map[string]int64{}
	for i, row := range rows {
		if _, ok := rm[row]; !ok {
			todo = append(todo, pkgs[i])
			rowOf[pkgs[i].ID] = row
			rm[row] = nil
		}
	}
	if len(todo) > 0 {
		fresh, err := m.MatchPackages(ctx, todo)
		if err != nil {
			for _, row := range rowOf {
				delete(rm, row)
			}
			return nil, nil, err
		}
		for _, f := range fresh {
			if row, ok := rowOf[f.PackageID]; ok {
				pf, err := store.PrepareFinding(f)
				if err != nil {
					return nil, nil, err
				}
				rm[row] = append(rm[row], f)
				x.prepared[row] = append(x.prepared[row], pf)
			}
		}
	}
	var out []report.Finding
	var prepared []store.PreparedFinding
	for _, row := range rows {
		out = append(out, rm[row]...)
		prepared = append(prepared, x.prepared[row]...)
	}
	return out, prepared, nil
}

// holds reports whether p is looked up by one of keys (store.PackageKeys'
// keys of a package).
func holds(p inventory.Package, keys map[store.PackageKey]bool) bool {
	if p.Ecosystem == "" {
		return false
	}
	name := p.SourceName
	if name == "" {
		name = p.Name
	}
	if keys[store.PackageKey{Ecosystem: p.Ecosystem, Name: name}] {
		return true
	}
	for _, n := range p.AlsoMatch {
		if keys[store.PackageKey{Ecosystem: p.Ecosystem, Name: n}] {
			return true
		}
	}
	return false
}

// findings are the report's findings as the store keeps them.
func findings(r *report.Report) []store.Finding {
	out := make([]store.Finding, 0, len(r.Findings))
	for _, f := range r.Findings {
		if f.PackageID == "" {
			continue
		}
		sf := store.Finding{VulnerabilityID: f.VulnerabilityID, PackageName: f.PackageName, PackageVersion: f.PackageVersion, PURL: f.PURL,
			Status: f.Status, FixedVersion: f.FixedVersion, Severity: f.Severity, KEV: f.KEV != nil}
		if f.EPSS != nil {
			sf.EPSS = f.EPSS.Score
		}
		out = append(out, sf)
	}
	return out
}
