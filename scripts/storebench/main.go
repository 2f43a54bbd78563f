// Command storebench fills a store with a fleet of images generated from
// real inventories and measures what issue 12 sets targets for: `where
// CVE`, `spread openssl`, the cost of recording a scanned image, the
// growth per further image on a shared base layer, re-evaluation after a
// DB update changing 1% of the advisories, and a full re-evaluation
// (docs/store.md, "Scale").
//
//	go run ./scripts/storebench -store /tmp/bench-store.db
//	go run ./scripts/storebench -store 'postgres://…' -images 10000
//	go run ./scripts/storebench -store /tmp/s.db -fill-only   # a 10,000-image store for other benchmarks
//	go run ./scripts/storebench -store /tmp/copy.db -dashboard # time the dashboard's pages over it
//
// The inventories are scans (without a DB) of the images in testdata/,
// of bench/images (scripts/bench.sh --prepare) when present, of root
// filesystems made from ../shared/data's dpkg status files, and of the
// lockfiles in ../shared/data/lockfiles; the DB is built from
// ../shared/data/advisories and testdata/feeds. Run it from the
// repository root. Scans and DBs are cached in -work.
package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/reevaluate"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/service"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/store/backend"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "storebench:", err)
		os.Exit(1)
	}
}

type config struct {
	dsn, work, bench, shared string
	images, tags, runs       int
	fillOnly, skipFill, full bool
	queries                  bool
	dashboard                bool
	pages                    string
}

func run() error {
	var c config
	flag.StringVar(&c.dsn, "store", "", "the store to fill: a SQLite path or a postgres:// DSN (required; use an empty one)")
	flag.IntVar(&c.images, "images", 10000, "how many images the fleet has")
	flag.IntVar(&c.tags, "tags", 25, "tags per application (images / tags applications)")
	flag.StringVar(&c.work, "work", filepath.Join(os.TempDir(), "customs-storebench"), "directory caching the scanned inventories and the DBs")
	flag.StringVar(&c.bench, "bench", "bench/images", "scripts/bench.sh's images (used when present)")
	flag.StringVar(&c.shared, "shared", "../shared/data", "the shared real data")
	flag.IntVar(&c.runs, "runs", 9, "repetitions of each timed query (the median is reported)")
	flag.BoolVar(&c.fillOnly, "fill-only", false, "fill the store and stop")
	flag.BoolVar(&c.skipFill, "skip-fill", false, "measure a store filled before")
	flag.BoolVar(&c.full, "full", true, "measure a full re-evaluation too")
	flag.BoolVar(&c.queries, "queries", false, "measure the queries only (where, spread, report, resolve): no recording, no re-evaluation")
	flag.BoolVar(&c.dashboard, "dashboard", false, "time the dashboard's pages over a store filled before (writes the queue's tables: give a copy)")
	flag.StringVar(&c.pages, "pages", "", "with -dashboard, time only the pages whose kind or path this regular expression matches")
	cpu := flag.String("cpuprofile", "", "write a CPU profile of the measurements to this file")
	flag.Parse()
	if *cpu != "" {
		f, err := os.Create(*cpu)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if c.dsn == "" {
		return fmt.Errorf("give -store")
	}
	ctx := context.Background()
	if err := os.MkdirAll(c.work, 0o755); err != nil {
		return err
	}
	srcs, apps, err := inventories(ctx, c)
	if err != nil {
		return err
	}
	db1, db2, changed, err := buildDBs(ctx, c)
	if err != nil {
		return err
	}
	st, err := backend.Open(ctx, c.dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	if c.dashboard {
		return benchDashboard(ctx, c, st, db1)
	}
	f := newFleet(srcs, apps, c.images, c.tags)
	m, err := scan.NewRematcher(ctx, scan.Options{DBPath: db1, Version: "storebench"})
	if err != nil {
		return err
	}
	defer m.Close()
	g := &generator{f: f, m: m, findings: map[string][]report.Finding{}}
	if !c.skipFill {
		if err := fill(ctx, st, g); err != nil {
			return err
		}
	}
	if err := sizes(ctx, st, c.dsn); err != nil {
		return err
	}
	if c.fillOnly {
		return nil
	}
	return measure(ctx, c, st, g, db1, db2, changed)
}

// ---- inventories

// source is a real inventory the fleet is built from: an image or root
// filesystem (a base family) or a lockfile set (an application's
// dependencies).
type source struct {
	name string
	r    *report.Report
}

func inventories(ctx context.Context, c config) (bases, apps []source, err error) {
	type target struct{ name, ref string }
	var imgs []target
	for _, p := range []string{"testdata/images/alpine-310.tar.gz", "testdata/images/debian-bookworm-dpkg.tar.gz"} {
		imgs = append(imgs, target{filepath.Base(p), p})
	}
	for _, n := range []string{"debian-bookworm-plain.tar", "debian-bookworm-large-plain.tar"} {
		if p := filepath.Join(c.bench, n); exists(p) {
			imgs = append(imgs, target{n, p})
		}
	}
	// Root filesystems from real dpkg status files.
	for _, s := range []struct{ file, version string }{{"debootstrap-bullseye.status", "11"}, {"debootstrap-trixie.status", "13"}, {"debootstrap-bookworm-fat.status", "12"}} {
		src := filepath.Join(c.shared, "pkgdb", "dpkg", s.file)
		if !exists(src) {
			continue
		}
		dir := filepath.Join(c.work, "rootfs-"+strings.TrimSuffix(s.file, ".status"))
		b, err := os.ReadFile(src)
		if err != nil {
			return nil, nil, err
		}
		for p, body := range map[string][]byte{
			"var/lib/dpkg/status": b,
			"etc/os-release":      fmt.Appendf(nil, "ID=debian\nVERSION_ID=%q\nPRETTY_NAME=\"Debian GNU/Linux %s\"\n", s.version, s.version),
		} {
			if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
				return nil, nil, err
			}
			if err := os.WriteFile(filepath.Join(dir, p), body, 0o644); err != nil {
				return nil, nil, err
			}
		}
		imgs = append(imgs, target{filepath.Base(dir), "rootfs:" + dir})
	}
	for _, t := range imgs {
		r, err := scanCached(ctx, c, t.name, t.ref)
		if err != nil {
			return nil, nil, err
		}
		bases = append(bases, source{t.name, r})
	}
	// Applications' dependencies: each lockfile directory of the fixtures.
	repo := filepath.Join(c.shared, "lockfiles", "trivy-fixtures", "repo")
	dirs, _ := os.ReadDir(repo)
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		r, err := scanCached(ctx, c, "lock-"+d.Name(), "dir:"+filepath.Join(repo, d.Name()))
		if err != nil {
			return nil, nil, err
		}
		if len(r.Packages) >= 5 {
			apps = append(apps, source{d.Name(), r})
		}
	}
	for _, d := range []string{"npm", "python"} {
		dir := filepath.Join(c.shared, "pkgdb", d)
		if !exists(dir) {
			continue
		}
		r, err := scanCached(ctx, c, "pkgdb-"+d, "dir:"+dir)
		if err != nil {
			return nil, nil, err
		}
		if len(r.Packages) >= 5 {
			apps = append(apps, source{"pkgdb-" + d, r})
		}
	}
	if len(bases) == 0 || len(apps) == 0 {
		return nil, nil, fmt.Errorf("no inventories: run from the repository root with -shared pointing at the shared data")
	}
	for _, s := range append(slices.Clone(bases), apps...) {
		fmt.Printf("inventory %-36s %5d packages, %d layers\n", s.name, len(s.r.Packages), len(s.r.Target.Layers))
	}
	return bases, apps, nil
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// scanCached scans ref without a DB, once.
func scanCached(ctx context.Context, c config, name, ref string) (*report.Report, error) {
	path := filepath.Join(c.work, "inv-"+name+".json")
	if b, err := os.ReadFile(path); err == nil {
		var r report.Report
		if err := json.Unmarshal(b, &r); err == nil {
			return &r, nil
		}
	}
	r, err := scan.Scan(ctx, ref, scan.Options{Version: "storebench"})
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", ref, err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return r, os.WriteFile(path, b, 0o644)
}

// ---- the fleet

// fleet is apps×tags images: each on a base family's drift variant, with
// a dependencies layer that drifts every few tags and a code layer of its
// own.
type fleet struct {
	bases, apps []source
	images      int
	tags        int
	variants    int
}

func newFleet(bases, apps []source, images, tags int) *fleet {
	return &fleet{bases: bases, apps: apps, images: images, tags: tags, variants: 12}
}

// image is one generated image's coordinates.
type image struct{ app, tag int }

func (f *fleet) image(i int) image { return image{i / f.tags, i % f.tags} }

// h is a deterministic hash of its parts.
func h(parts ...any) uint64 {
	s := sha256.Sum256(fmt.Append(nil, parts...))
	return binary.BigEndian.Uint64(s[:8])
}

func digest(parts ...any) string {
	s := sha256.Sum256(fmt.Append(nil, parts...))
	return "sha256:" + hex.EncodeToString(s[:])
}

// baseWeights are how often each base family is chosen: a fleet runs
// mostly slim runtime images; images with compilers and kernel headers
// (whose linux-libc-dev alone matches hundreds of kernel CVEs) are fewer.
var baseWeights = map[string]int{
	"alpine-310.tar.gz": 20, "debian-bookworm-dpkg.tar.gz": 25, "rootfs-debootstrap-bullseye": 15, "rootfs-debootstrap-trixie": 15,
	"rootfs-debootstrap-bookworm-fat": 15, "debian-bookworm-plain.tar": 8, "debian-bookworm-large-plain.tar": 2,
}

// base is an app's base family, chosen by baseWeights.
func (f *fleet) base(app int) int {
	total := 0
	for _, b := range f.bases {
		total += cmp.Or(baseWeights[b.name], 10)
	}
	x := int(h("base", app) % uint64(total))
	for i, b := range f.bases {
		if x -= cmp.Or(baseWeights[b.name], 10); x < 0 {
			return i
		}
	}
	return 0
}

// variant is the base's drift variant an image of tag t is built on:
// later tags on newer rebuilds of the base, with some lag per app.
func (f *fleet) variant(img image) int {
	v := img.tag*f.variants/f.tags - int(h("lag", img.app)%3)
	return max(0, min(f.variants-1, v))
}

// bump returns version v of package type typ raised by n steps in its
// own scheme: a Debian binary rebuild (+bN), an apk release (-rN), else
// the last number.
func bump(typ, v string, n int) string {
	if n == 0 || v == "" {
		return v
	}
	switch typ {
	case "deb":
		return v + "+b" + strconv.Itoa(n)
	case "apk":
		if i := strings.LastIndex(v, "-r"); i >= 0 {
			if r, err := strconv.Atoi(v[i+2:]); err == nil {
				return v[:i+2] + strconv.Itoa(r+n)
			}
		}
		return v + "-r" + strconv.Itoa(n)
	}
	end := len(v)
	for end > 0 && (v[end-1] < '0' || v[end-1] > '9') {
		end--
	}
	start := end
	for start > 0 && v[start-1] >= '0' && v[start-1] <= '9' {
		start--
	}
	if start == end {
		return v + "." + strconv.Itoa(n)
	}
	x, _ := strconv.Atoi(v[start:end])
	return v[:start] + strconv.Itoa(x+n) + v[end:]
}

// drift is how many times a package was updated by drift level level: a
// few percent of the packages at each step.
func drift(family, name string, level int) int {
	n := 0
	for k := 1; k <= level; k++ {
		if h("drift", family, name, k)%100 < 4 {
			n++
		}
	}
	return n
}

// moved returns p as it is in layer diffID at drift level level.
func moved(p inventory.Package, family, diffID, createdBy string, level int) inventory.Package {
	n := drift(family, p.Name, level)
	if n > 0 {
		old := p.Version
		p.Version = bump(p.Type, p.Version, n)
		if p.SourceVersion == old {
			p.SourceVersion = p.Version
		} else {
			p.SourceVersion = bump(p.Type, p.SourceVersion, n)
		}
		if i := strings.Index(p.PURL, "@"); i >= 0 {
			end := len(p.PURL)
			if j := strings.IndexAny(p.PURL[i:], "?#"); j >= 0 {
				end = i + j
			}
			p.PURL = p.PURL[:i+1] + p.Version + p.PURL[end:]
		}
	}
	p.Layer, p.CreatedBy = diffID, createdBy
	p.Locations = slices.Clone(p.Locations)
	path := ""
	for i := range p.Locations {
		p.Locations[i].Layer = diffID
		if i == 0 {
			path = p.Locations[i].Path
		}
	}
	sum := sha256.Sum256([]byte(p.PURL + "\x00" + path + "\x00" + diffID))
	p.ID = hex.EncodeToString(sum[:8])
	return p
}

// layer is one generated layer: its DiffID, history and packages.
type layer struct {
	diffID, createdBy string
	pkgs, owned       []inventory.Package
}

// layers returns image img's layers, bottom first.
func (f *fleet) layers(img image) []layer {
	b := f.base(img.app)
	src := f.bases[b]
	v := f.variant(img)
	var out []layer
	idx := map[string]int{}
	ls := src.r.Target.Layers
	if len(ls) == 0 {
		ls = []report.Layer{{CreatedBy: "ADD rootfs.tar /"}} // a root filesystem: one layer
	}
	for j, l := range ls {
		id := digest("base", src.name, j, v)
		idx[l.DiffID] = len(out)
		out = append(out, layer{diffID: id, createdBy: l.CreatedBy})
	}
	place := func(p inventory.Package, owned bool) {
		i, ok := idx[p.Layer]
		if !ok {
			i = 0
		}
		q := moved(p, src.name, out[i].diffID, out[i].createdBy, v)
		if owned {
			out[i].owned = append(out[i].owned, q)
		} else {
			out[i].pkgs = append(out[i].pkgs, q)
		}
	}
	for _, p := range src.r.Packages {
		place(p, false)
	}
	for _, p := range src.r.Owned {
		place(p, true)
	}
	// Dependencies: a share of one lockfile set, new every four tags.
	a := f.apps[img.app%len(f.apps)]
	level := img.tag / 4
	deps := layer{diffID: digest("deps", img.app, level), createdBy: "COPY --from=build /app/deps /app/deps"}
	keep := 50 + int(h("share", img.app)%51)
	for _, p := range a.r.Packages {
		if h("pick", img.app, p.PURL)%100 < uint64(keep) {
			deps.pkgs = append(deps.pkgs, moved(p, fmt.Sprint("app", img.app), deps.diffID, deps.createdBy, level))
		}
	}
	out = append(out, deps)
	// The application's own code: a layer of its own, no packages.
	out = append(out, layer{diffID: digest("code", img.app, img.tag), createdBy: "COPY . /app"})
	return out
}

// ---- findings and reports

// generator turns fleet images into reports, matching each distinct
// package once.
type generator struct {
	f        *fleet
	m        *scan.Rematcher
	findings map[string][]report.Finding // by matchKey
	packages int64                       // package rows of the reports generated
}

func matchKey(p inventory.Package) string {
	return strings.Join([]string{p.Type, p.Ecosystem, p.Name, p.Version, p.SourceName, p.SourceVersion, p.PURL, strings.Join(p.AlsoMatch, ",")}, "\x00")
}

func (g *generator) report(ctx context.Context, i int, at time.Time) (*report.Report, error) {
	img := g.f.image(i)
	ls := g.f.layers(img)
	a := g.f.apps[img.app%len(g.f.apps)]
	tag := fmt.Sprintf("1.%d", img.tag)
	ref := fmt.Sprintf("registry.bench/team%d/%s-%d:%s", img.app%40, a.name, img.app, tag)
	src := g.f.bases[g.f.base(img.app)]
	r := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Tool:          report.Tool{Name: "customs", Version: "storebench"},
		CreatedAt:     at,
		Target: report.Target{Ref: ref, Kind: "registry", ManifestDigest: digest("manifest", img.app, img.tag), ImageID: digest("config", img.app, img.tag),
			RepoTags: []string{ref}, Architecture: "amd64",
			Labels: map[string]string{"org.opencontainers.image.version": tag, "org.opencontainers.image.source": "https://git.bench/" + a.name}},
		OS:       src.r.OS,
		Packages: []inventory.Package{},
		Findings: []report.Finding{},
	}
	var todo []inventory.Package
	seen := map[string]bool{}
	for _, l := range ls {
		r.Target.Layers = append(r.Target.Layers, report.Layer{DiffID: l.diffID, CreatedBy: l.createdBy})
		r.Packages = append(r.Packages, l.pkgs...)
		r.Owned = append(r.Owned, l.owned...)
		for _, p := range l.pkgs {
			k := matchKey(p)
			if _, ok := g.findings[k]; !ok && !seen[k] {
				seen[k] = true
				todo = append(todo, p)
			}
		}
	}
	if len(todo) > 0 {
		mr := &report.Report{OS: src.r.OS, Packages: todo}
		if err := g.m.Rematch(ctx, mr); err != nil {
			return nil, err
		}
		byID := map[string][]report.Finding{}
		for _, f := range mr.Findings {
			byID[f.PackageID] = append(byID[f.PackageID], f)
		}
		for _, p := range todo {
			g.findings[matchKey(p)] = byID[p.ID]
		}
	}
	for _, p := range r.Packages {
		for _, f := range g.findings[matchKey(p)] {
			f.PackageID, f.Layer, f.CreatedBy, f.Locations = p.ID, p.Layer, p.CreatedBy, p.Locations
			r.Findings = append(r.Findings, f)
		}
	}
	info := g.m.Info()
	r.DB = &info
	r.Summarize()
	g.packages += int64(len(r.Packages) + len(r.Owned))
	return r, nil
}

// ---- filling

func fill(ctx context.Context, st store.Store, g *generator) error {
	start := time.Now()
	base := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	var findings int64
	var recording time.Duration
	for i := range g.f.images {
		img := g.f.image(i)
		at := base.Add(time.Duration(img.tag)*7*24*time.Hour + time.Duration(img.app)*time.Minute)
		r, err := g.report(ctx, i, at)
		if err != nil {
			return err
		}
		findings += int64(len(r.Findings))
		t := time.Now()
		if _, err := st.Record(ctx, store.Input{Report: r, Now: at}); err != nil {
			return err
		}
		recording += time.Since(t)
		if (i+1)%500 == 0 || i+1 == g.f.images {
			fmt.Printf("filled %d images: %d package rows, %d findings in the reports; %s (recording %s, %.1f ms an image)\n",
				i+1, g.packages, findings, time.Since(start).Round(time.Second), recording.Round(time.Second), float64(recording.Microseconds())/1000/float64(i+1))
		}
	}
	return nil
}

// ---- measuring

type sqlDB interface{ DB() *sql.DB }

func sizes(ctx context.Context, st store.Store, dsn string) error {
	db := st.(sqlDB).DB()
	size, err := storeSize(ctx, st, dsn)
	if err != nil {
		return err
	}
	fmt.Printf("store size %.1f MB\n", float64(size)/1e6)
	for _, t := range []string{"subject", "subject_ref", "inventory", "package", "snapshot", "snapshot_layer", "finding_set", "finding", "finding_detail", "vulnerability_alias", "advisory_digest"} {
		var n int64
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+t).Scan(&n); err != nil {
			return err
		}
		fmt.Printf("  %-20s %10d rows\n", t, n)
	}
	return nil
}

func storeSize(ctx context.Context, st store.Store, dsn string) (int64, error) {
	db := st.(sqlDB).DB()
	var n int64
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		err := db.QueryRowContext(ctx, `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
			JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE ns.nspname = current_schema() AND c.relkind = 'r'`).Scan(&n)
		return n, err
	}
	if _, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return 0, err
	}
	err := db.QueryRowContext(ctx, "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()").Scan(&n)
	return n, err
}

// p50 runs f runs times and returns the median duration.
func p50(runs int, f func() error) (time.Duration, error) {
	var ds []time.Duration
	for range runs {
		t := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		ds = append(ds, time.Since(t))
	}
	slices.Sort(ds)
	return ds[len(ds)/2], nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// cpu is the CPU time (user and system) this process has used: beside a
// wall time measured on a shared machine, what the work itself took
// (PostgreSQL's own work is the server's, not counted here).
func cpu() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// load is the 1-minute load average, "" where /proc does not say.
func load() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return "load " + f[0]
}

func measure(ctx context.Context, c config, st store.Store, g *generator, db1, db2 string, changed int) error {
	db := st.(sqlDB).DB()
	// where CVE: the most widespread ID, one in the middle and a rare one.
	var ids []string
	var counts []int
	rows, err := db.QueryContext(ctx, `SELECT f.vulnerability_id, COUNT(*) FROM finding f JOIN snapshot_layer sl ON sl.findings = f.finding_set
		JOIN subject sj ON sj.current_snapshot = sl.snapshot GROUP BY f.vulnerability_id ORDER BY COUNT(*) DESC, f.vulnerability_id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return err
		}
		ids, counts = append(ids, id), append(counts, n)
	}
	rows.Close()
	if len(ids) == 0 {
		return fmt.Errorf("the store holds no findings")
	}
	for _, i := range []int{0, len(ids) / 10, len(ids) / 2, len(ids) - 1} {
		var n int
		c0 := cpu()
		d, err := p50(c.runs, func() error { ms, err := st.Where(ctx, ids[i]); n = len(ms); return err })
		if err != nil {
			return err
		}
		fmt.Printf("where %-20s p50 %s (%d matches; CPU %s a run; %s)\n", ids[i], ms(d), n, ms((cpu()-c0)/time.Duration(c.runs)), load())
	}
	// spread: what customs spread runs, its table (and CSV) counting the
	// holders, its JSON listing them; and Holders with store.Spread, as
	// it ran before.
	for _, name := range []string{"openssl", "zlib"} {
		var n, v int
		c0 := cpu()
		d, err := p50(c.runs, func() error {
			vs, err := service.Spread(ctx, st, name, false, false)
			v = len(vs)
			return err
		})
		if err != nil {
			return err
		}
		fmt.Printf("spread %-19s p50 %s (table: %d versions; CPU %s a run; %s)\n", name, ms(d), v, ms((cpu()-c0)/time.Duration(c.runs)), load())
		c0 = cpu()
		d, err = p50(c.runs, func() error {
			vs, err := service.Spread(ctx, st, name, false, true)
			if err != nil {
				return err
			}
			n = 0
			for _, x := range vs {
				n += len(x.Subjects)
			}
			return json.NewEncoder(io.Discard).Encode(map[string]any{"schemaVersion": 1, "versions": vs})
		})
		if err != nil {
			return err
		}
		fmt.Printf("spread %-19s p50 %s (JSON: %d subjects listed; CPU %s a run; %s)\n", name, ms(d), n, ms((cpu()-c0)/time.Duration(c.runs)), load())
		c0 = cpu()
		d, err = p50(c.runs, func() error {
			hs, err := st.Holders(ctx, store.PackageQuery{Name: name})
			if err != nil {
				return err
			}
			n = len(hs)
			vs := store.Spread(hs, func(h store.Holding) string { return h.PackageVersion })
			v = len(vs)
			return json.NewEncoder(io.Discard).Encode(map[string]any{"schemaVersion": 1, "versions": vs})
		})
		if err != nil {
			return err
		}
		fmt.Printf("spread %-19s p50 %s (Holders + store.Spread + JSON, as before: %d holdings, %d versions; CPU %s a run; %s)\n", name, ms(d), n, v, ms((cpu()-c0)/time.Duration(c.runs)), load())
	}
	if d, err := p50(c.runs, func() error { _, err := st.Report(ctx, digest("manifest", 0, 0)); return err }); err == nil {
		fmt.Printf("report of one image p50 %s\n", ms(d))
	} else {
		return err
	}
	if d, err := p50(c.runs, func() error {
		_, err := st.Resolve(ctx, fmt.Sprintf("registry.bench/team0/%s-0:1.0", g.f.apps[0].name))
		return err
	}); err == nil {
		fmt.Printf("resolve a reference p50 %s\n", ms(d))
	} else {
		return err
	}

	if c.queries {
		return nil
	}

	// Recording further images of existing applications: new tags on
	// the same base and dependencies layers, a new code layer each.
	before, err := storeSize(ctx, st, c.dsn)
	if err != nil {
		return err
	}
	const further = 100
	var recs []time.Duration
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for k := range further {
		app := k % (g.f.images / g.f.tags)
		i := app*g.f.tags + g.f.tags - 1 // the app's last tag: its layers exist
		r, err := g.report(ctx, i, at)
		if err != nil {
			return err
		}
		r.Target.ManifestDigest = digest("further", k)
		r.Target.ImageID = digest("further-config", k)
		code := digest("further-code", k)
		r.Target.Layers[len(r.Target.Layers)-1].DiffID = code
		r.Target.RepoTags = []string{strings.Replace(r.Target.Ref, ":1.", ":2.", 1) + "-" + strconv.Itoa(k)}
		t := time.Now()
		if _, err := st.Record(ctx, store.Input{Report: r, Now: at}); err != nil {
			return err
		}
		recs = append(recs, time.Since(t))
	}
	after, err := storeSize(ctx, st, c.dsn)
	if err != nil {
		return err
	}
	slices.Sort(recs)
	fmt.Printf("recording a further image: p50 %s, p90 %s; growth %.1f KB an image (%d images on shared layers)\n",
		ms(recs[len(recs)/2]), ms(recs[len(recs)*9/10]), float64(after-before)/further/1000, further)

	// Re-evaluation: against the DB the fleet was matched with (digests
	// kept), then after the update changing 1% of the advisories.
	c0 := cpu()
	res, err := reevaluate.Run(ctx, st, reevaluate.Options{DBPath: db1, Version: "storebench"})
	if err != nil {
		return err
	}
	fmt.Printf("re-evaluation against the same build: %s (CPU %s, %s; %d subjects, %d re-matched, %d keys digested)\n",
		res.Duration.Round(time.Millisecond), (cpu() - c0).Round(time.Millisecond), load(), res.Subjects, res.Rematched, res.Keys)
	c0 = cpu()
	res, err = reevaluate.Run(ctx, st, reevaluate.Options{DBPath: db2, Version: "storebench"})
	if err != nil {
		return err
	}
	fmt.Printf("re-evaluation after a DB update changing %d advisories (1%%): %s (CPU %s, %s; %d subjects: %d re-matched, %d changed, %d kept; %d of %d keys changed)\n",
		changed, res.Duration.Round(time.Millisecond), (cpu() - c0).Round(time.Millisecond), load(), res.Subjects, res.Rematched, res.Changed, res.Kept, res.ChangedKeys, res.Keys)
	if c.full {
		c0 = cpu()
		res, err = reevaluate.Run(ctx, st, reevaluate.Options{DBPath: db2, Version: "storebench", Full: true})
		if err != nil {
			return err
		}
		fmt.Printf("full re-evaluation: %s (CPU %s, %s; %d subjects re-matched, %d changed)\n",
			res.Duration.Round(time.Second), (cpu() - c0).Round(time.Second), load(), res.Rematched, res.Changed)
	}
	return sizes(ctx, st, c.dsn)
}

// copyFile copies src to dst.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
