package dashboard_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/customs-scanner/customs/internal/dashboard"
	"github.com/customs-scanner/customs/internal/drift"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/service"
	"github.com/customs-scanner/customs/internal/service/servicetest"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/store/backend"
	"github.com/customs-scanner/customs/internal/target"
	"github.com/customs-scanner/customs/internal/vulndb/build"
)

// hostile is what the hostile image carries in its package name, its
// file name and its label: markup that must reach the page as text.
const hostile = `<script>alert("x")</script>`

// fixture is a dashboard over a SQLite store.
type fixture struct {
	url string
	st  store.Store
	// alpine is the Alpine 3.10 image's report (scanned for
	// vulnerabilities only); app the derived image's, with the hostile
	// layer on top (scanned for secrets and misconfigurations too). The
	// Alpine report is also recorded as the host machineID (build-7), and
	// a Kubernetes deployment runs the app.
	alpine, app *report.Report
}

// machineID and hostname are the recorded host's.
const (
	machineID = "4c4c4544004e3610804cb8c04f4e3132"
	hostname  = "build-7"
)

// start runs the dashboard over a fresh store, with the images recorded
// when record is set, listing pageSize rows a page (0: the default).
func start(t *testing.T, record bool, pageSize int) *fixture {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	db := filepath.Join(dir, "customs.db")
	feeds := filepath.Join(servicetest.Root(), "testdata", "feeds")
	_, err := build.Build(ctx, db, []build.Source{
		{Kind: "alpine-secdb", Path: filepath.Join(feeds, "alpine-secdb")},
		{Kind: "osv", Path: filepath.Join(feeds, "osv-pypi")},
		{Kind: "kev", Path: filepath.Join(feeds, "kev", "known_exploited_vulnerabilities.json")},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dsn := "sqlite:" + filepath.Join(dir, "store.db")
	st, err := backend.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fx := &fixture{st: st}
	if record {
		opts := scan.Options{DBPath: db, Version: "test"}
		base := filepath.Join(servicetest.Root(), "testdata", "images", "alpine-310.tar.gz")
		if fx.alpine, err = scan.Scan(ctx, base, opts); err != nil {
			t.Fatal(err)
		}
		app := hostileImage(t, base, dir)
		all := opts
		all.Secrets, all.Config = true, true
		if fx.app, err = scan.Scan(ctx, app, all); err != nil {
			t.Fatal(err)
		}
		now := time.Now().Add(-48 * time.Hour)
		for i, r := range []*report.Report{fx.alpine, fx.app} {
			if _, err := st.Record(ctx, store.Input{Report: r, Now: now.Add(time.Duration(i) * time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
		host := *fx.alpine
		host.Target = report.Target{Ref: "dir:/", Kind: "rootfs"}
		if _, err := st.Record(ctx, store.Input{Report: &host, Host: &store.Host{MachineID: machineID, Hostname: hostname}, Now: now.Add(3 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		recordDrift(t, st, filepath.Join(dir, "alpine.tar"), base, dir, opts)
		web := store.Placement{Runtime: "k8s", Source: "deploy/shop.yaml", Namespace: "shop", Kind: "Deployment", Name: "web", Container: "app", Image: "registry.test/shop/evil:1.0"}
		if err := st.Place(ctx, []store.Placement{web}, now); err != nil {
			t.Fatal(err)
		}
	}
	svc, err := service.New(ctx, service.Config{DSN: dsn, Store: st, Workers: 0, Version: "test",
		Scan: scan.Options{DBPath: db}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	d, err := dashboard.New(svc, dashboard.Options{PageSize: pageSize})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(d)
	t.Cleanup(hs.Close)
	fx.url = hs.URL
	return fx
}

// recordDrift records the drift of a host made from the Alpine image
// (its files, with a machine-id and the quick start's Python packages
// installed) from that image: packages added, and their findings.
func recordDrift(t *testing.T, st store.Store, plain, base, dir string, opts scan.Options) {
	t.Helper()
	img, err := tarball.ImageFromPath(plain, nil)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "host")
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(root, filepath.FromSlash(h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(path, 0o755)
		case tar.TypeReg:
			if err = os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
				var b []byte
				if b, err = io.ReadAll(tr); err == nil {
					err = os.WriteFile(path, b, 0o644)
				}
			}
		case tar.TypeSymlink:
			if err = os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
				err = os.Symlink(h.Linkname, path)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	site := "usr/local/lib/python3.8/site-packages/"
	files := map[string]string{"etc/machine-id": machineID + "\n", "etc/hostname": hostname + "\n"}
	for _, d := range []string{"requests-2.19.1.dist-info", "urllib3-1.24.1.dist-info"} {
		b, err := os.ReadFile(filepath.Join(servicetest.Root(), "testdata", "quickstart", "app", filepath.FromSlash(site), d, "METADATA"))
		if err != nil {
			t.Fatal(err)
		}
		files[site+d+"/METADATA"] = string(b)
	}
	for name, body := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := drift.Host(t.Context(), target.Parse("dir:"+root), drift.Options{Scan: opts, Against: base})
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.RecordDrift(t.Context(), store.DriftInput{Record: rep.Record(), Report: data}); err != nil {
		t.Fatal(err)
	}
}

// hostileImage writes the Alpine image with a layer holding a Python
// package whose name is markup, in a file whose name is markup, with a
// label that is markup.
func hostileImage(t *testing.T, base, dir string) string {
	t.Helper()
	plain := filepath.Join(dir, "alpine.tar")
	in, err := os.Open(base)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	z, err := gzip.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(plain)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, z); err != nil {
		t.Fatal(err)
	}
	out.Close()
	img, err := tarball.ImageFromPath(plain, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	meta := "Metadata-Version: 2.1\nName: " + hostile + "\nVersion: 1.0\n"
	files := []struct{ name, body string }{
		{"usr/lib/python3.8/site-packages/evil-1.0.dist-info/METADATA", meta},
		{"srv/" + hostile + ".txt", "aws_access_key_id = AKIA2OGYBAH6STMMNXNN\n"},
	}
	site := "usr/local/lib/python3.8/site-packages/"
	for _, d := range []string{"requests-2.19.1.dist-info", "urllib3-1.24.1.dist-info"} {
		b, err := os.ReadFile(filepath.Join(servicetest.Root(), "testdata", "quickstart", "app", filepath.FromSlash(site), d, "METADATA"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, struct{ name, body string }{site + d + "/METADATA", string(b)})
	}
	for _, f := range files {
		tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(f.body))
	}
	tw.Close()
	b := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{CreatedBy: "RUN echo " + hostile}})
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg := cf.Config
	cfg.Labels = map[string]string{"org.example.note": hostile}
	if img, err = mutate.Config(img, cfg); err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewTag("registry.test/shop/evil:1.0")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "evil.tar")
	if err := tarball.WriteToFile(path, ref, img); err != nil {
		t.Fatal(err)
	}
	return path
}

// get fetches path without following redirects.
func (fx *fixture) get(t *testing.T, path string) (int, string, http.Header) {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(fx.url + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// page fetches a page, wants code, and checks what every page has.
func (fx *fixture) page(t *testing.T, path string, code int) string {
	t.Helper()
	got, body, h := fx.get(t, path)
	if got != code {
		t.Fatalf("GET %s: %d, want %d\n%s", path, got, code, body)
	}
	if ct := h.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("GET %s: Content-Type %q", path, ct)
	}
	for _, want := range []string{`<main id="main"`, `class="skip-link" href="#main"`, `<form role="search" action="/search" method="get"`,
		`<label for="q">`, `<h1>`, `name="viewport"`} {
		if !strings.Contains(body, want) {
			t.Errorf("GET %s: no %s", path, want)
		}
	}
	if strings.Contains(body, "<script") {
		t.Errorf("GET %s: a <script element in the page", path)
	}
	return body
}

func contains(t *testing.T, path, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("GET %s: no %q in the page", path, w)
		}
	}
}

// TestEmptyStore: every page renders over an empty store.
func TestEmptyStore(t *testing.T) {
	fx := start(t, false, 0)
	for _, path := range []string{"/", "/feeds", "/jobs", "/notifications", "/notifications?state=failed", "/search", "/search?q="} {
		body := fx.page(t, path, http.StatusOK)
		if path == "/" {
			contains(t, path, body, `id="severity-chart"`, `id="trend-chart"`, "no images or hosts yet")
		}
	}
	for _, path := range []string{"/images/sha256:" + strings.Repeat("0", 64), "/images/sha256:" + strings.Repeat("0", 64) + "/layers/sha256:1",
		"/vulnerabilities/CVE-1999-0001", "/packages/openssl", "/no/such/page", "/search?q=openssl"} {
		fx.page(t, path, http.StatusNotFound)
	}
	fx.page(t, "/notifications?state=bogus", http.StatusBadRequest)
	fx.page(t, "/?next=bogus", http.StatusBadRequest)
	if code, _, _ := fx.get(t, "/static/style.css"); code != http.StatusOK {
		t.Errorf("GET /static/style.css: %d", code)
	}
}

// TestPages follows the pages of a store holding two real images.
func TestPages(t *testing.T) {
	fx := start(t, true, 0)
	alpine := fx.alpine.Target.Digest()
	app := fx.app.Target.Digest()
	// An affecting finding with an alias (a PYSEC record's CVE), whose
	// alias the image's and the layer's pages link as well.
	var vuln, alias, pkg string
	for _, f := range fx.app.Findings {
		if report.Affects(f.Status) && len(f.Aliases) > 0 {
			vuln, alias, pkg = f.VulnerabilityID, f.Aliases[0], f.PackageName
			break
		}
	}
	if vuln == "" {
		t.Fatal("the app image has no findings with aliases to show")
	}

	body := fx.page(t, "/", http.StatusOK)
	contains(t, "/", body, `id="severity-chart"`, `id="trend-chart"`, `id="images"`, `href="/images/`+alpine+`"`, "registry.test/shop/evil:1.0",
		`<span class="num">2</span> images`, `DB built <span class="num">just now</span></li>`)

	body = fx.page(t, "/images/"+alpine, http.StatusOK)
	diffID := fx.alpine.Target.Layers[0].DiffID
	contains(t, "alpine", body, `id="layers"`, `id="packages"`, `href="/packages/musl"`, `id="history"`, "No findings.",
		`href="/images/`+alpine+`/layers/`+diffID+`"`)
	body = fx.page(t, "/images/"+alpine+"/layers/"+diffID, http.StatusOK)
	contains(t, "alpine layer", body, `id="packages"`, `href="/packages/musl"`)

	body = fx.page(t, "/images/"+app, http.StatusOK)
	top := fx.app.Target.Layers[len(fx.app.Target.Layers)-1].DiffID
	contains(t, "app", body, `id="layers"`, `id="findings"`, `id="packages"`, `href="/vulnerabilities/`+vuln+`"`,
		`href="/vulnerabilities/`+alias+`"`, `href="/packages/`+pkg+`"`, `href="/images/`+app+`/layers/`+top+`"`)
	body = fx.page(t, "/images/"+app+"/layers/"+top, http.StatusOK)
	contains(t, "app layer", body, `id="findings"`, `id="packages"`, `href="/packages/`+pkg+`"`, `href="/vulnerabilities/`+vuln+`"`,
		`href="/vulnerabilities/`+alias+`"`)

	body = fx.page(t, "/vulnerabilities/"+vuln, http.StatusOK)
	contains(t, "vulnerability", body, `id="exposure"`, `href="/images/`+app+`"`, `href="/packages/`+pkg+`"`, "Advisories")

	body = fx.page(t, "/packages/"+pkg, http.StatusOK)
	contains(t, "package", body, `id="versions"`, `href="/images/`+app+`"`, `href="/vulnerabilities/`+vuln+`"`)
	body = fx.page(t, "/packages/musl", http.StatusOK)
	contains(t, "musl", body, `href="/images/`+alpine+`"`, `href="/images/`+app+`"`)

	// The hostile image: its markup is text on every page that shows it.
	escaped := `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`
	body = fx.page(t, "/images/"+app, http.StatusOK)
	contains(t, "app", body, escaped)
	body = fx.page(t, "/images/"+app+"/layers/"+top, http.StatusOK)
	contains(t, "app layer", body, escaped)

	// Search: an ID, a digest (whole, or a prefix), an image ID, a
	// reference, a repository, a host, a package by name or PURL.
	appHex := strings.TrimPrefix(app, "sha256:")
	for q, want := range map[string]string{
		vuln:                          "/vulnerabilities/" + vuln,
		strings.ToLower(vuln):         "/vulnerabilities/" + vuln,
		app:                           "/images/" + app,
		appHex[:12]:                   "/images/" + app,
		"sha256:" + appHex[:8]:        "/images/" + app,
		fx.app.Target.ImageID:         "/images/" + app,
		"registry.test/shop/evil:1.0": "/images/" + app,
		"registry.test/shop/evil":     "/images/" + app,
		hostname:                      "/hosts/" + machineID,
		machineID:                     "/hosts/" + machineID,
		pkg:                           "/packages/" + pkg,
		"pkg:pypi/urllib3":            "/packages/pkg:pypi/urllib3",
	} {
		code, _, h := fx.get(t, "/search?q="+urlQuery(q))
		if code != http.StatusSeeOther || h.Get("Location") != want {
			t.Errorf("search %q: %d to %q, want 303 to %q", q, code, h.Get("Location"), want)
		}
	}
	fx.page(t, "/search?q=no-such-thing-at-all", http.StatusNotFound)
	// musl: the two images and the host hold it, and no subject is named
	// so: one hit, the package.
	code, _, h := fx.get(t, "/search?q=musl")
	if code != http.StatusSeeOther || h.Get("Location") != "/packages/musl" {
		t.Errorf("search musl: %d to %q, want the package", code, h.Get("Location"))
	}
	// Alpine's digest prefix is also the host's report: the image alone
	// has that digest.
	body = fx.page(t, "/search?q="+urlQuery("sha256:"), http.StatusNotFound)
	contains(t, "search sha256:", body, `id="search-results"`)
	fx.page(t, "/images/"+alpine+"/layers/sha256:"+strings.Repeat("1", 64), http.StatusNotFound)
	fx.page(t, "/images/"+alpine+"?next=-4", http.StatusBadRequest)
	if code, _, _ := fx.get(t, "/images/"+alpine+"?x="+urlQuery(hostile)); code != http.StatusOK {
		t.Errorf("a query parameter with markup: %d", code)
	}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, fx.url+"/", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d, want 405", resp.StatusCode)
	}
}

func urlQuery(s string) string {
	r := strings.NewReplacer("%", "%25", "&", "%26", "+", "%2B", "#", "%23", " ", "%20", "<", "%3C", ">", "%3E", `"`, "%22")
	return r.Replace(s)
}

// TestSubjects: the lists by kind, a host's page, an image's secrets,
// misconfigurations and workloads, and the vulnerability page's workloads
// and advisories.
func TestSubjects(t *testing.T) {
	fx := start(t, true, 0)
	alpine := fx.alpine.Target.Digest()
	app := fx.app.Target.Digest()

	body := fx.page(t, "/", http.StatusOK)
	contains(t, "/", body, `<span class="num">2</span> images`, `<span class="num">1</span> hosts`, `href="/hosts/`+machineID+`">`+hostname+`</a>`)
	body = fx.page(t, "/images", http.StatusOK)
	contains(t, "/images", body, `href="/images/`+alpine+`"`, `href="/images/`+app+`"`)
	if strings.Contains(body, machineID) {
		t.Error("/images lists the host")
	}
	body = fx.page(t, "/hosts", http.StatusOK)
	contains(t, "/hosts", body, `href="/hosts/`+machineID+`">`+hostname+`</a>`)
	if strings.Contains(body, alpine) || strings.Contains(body, app) {
		t.Error("/hosts lists an image")
	}

	// A host at an image's address, and an image at a host's, are sent
	// to their own page.
	for path, want := range map[string]string{
		"/images/" + machineID + "?next=0": "/hosts/" + machineID + "?next=0",
		"/hosts/" + alpine:                 "/images/" + alpine,
	} {
		code, _, h := fx.get(t, path)
		if code != http.StatusSeeOther || h.Get("Location") != want {
			t.Errorf("GET %s: %d to %q, want 303 to %q", path, code, h.Get("Location"), want)
		}
	}
	body = fx.page(t, "/hosts/"+machineID, http.StatusOK)
	contains(t, "host", body, "<h1>Host "+hostname+"</h1>", "Machine ID", `id="packages"`, `href="/packages/musl"`, `id="history"`, "History (1 snapshots)")
	contains(t, "host", body, `id="drift"`, "Drift (1 reports)", `href="/drift/1"`, "image <code>")
	body = fx.page(t, "/drift/1", http.StatusOK)
	contains(t, "drift", body, "<h1>Drift of host "+hostname+"</h1>", `id="items"`, "package-added", `id="packages"`, `href="/packages/requests"`,
		`id="findings"`, `href="/vulnerabilities/`, `href="/images/`+fx.alpine.Target.ImageID+`"`, `href="/hosts/`+machineID+`"`)
	fx.page(t, "/drift/2", http.StatusNotFound)
	fx.page(t, "/drift/x", http.StatusNotFound)
	if code, _, _ := fx.get(t, "/images/"+fx.alpine.Target.ImageID); code != http.StatusOK {
		t.Errorf("the Alpine image by its image ID: %d", code)
	}
	for _, not := range []string{`id="layers"`, `id="running"`, "/v1/images/"} {
		if strings.Contains(body, not) {
			t.Errorf("the host's page has %s", not)
		}
	}

	// The app: scanned for secrets and misconfigurations, run by a
	// deployment; Alpine: neither scanned nor run.
	if len(fx.app.Secrets) == 0 {
		t.Fatal("the app image's scan found no secret")
	}
	sec := fx.app.Secrets[0]
	body = fx.page(t, "/images/"+app, http.StatusOK)
	contains(t, "app", body, `id="secrets"`, sec.Rule, `<code>`+sec.Match+`</code>`, `id="running"`, "Runs in (1)", "shop/Deployment/web", "deploy/shop.yaml",
		"Image ID", fx.app.Target.ImageID)
	if strings.Contains(body, "AKIA2OGYBAH6STMMNXNN") {
		t.Error("the app's page shows the whole secret")
	}
	if fx.app.Misconfigurations != nil {
		if len(fx.app.Misconfigurations) > 0 {
			contains(t, "app", body, `id="misconfigurations"`, fx.app.Misconfigurations[0].ID)
		} else {
			contains(t, "app", body, "No misconfigurations found.")
		}
	}
	body = fx.page(t, "/images/"+alpine, http.StatusOK)
	contains(t, "alpine", body, "Not scanned for secrets", "Not checked for misconfigurations", "Runs in (0)", "No audited workload runs this image",
		"Drift (0 reports)")

	// A vulnerability of the app's Python packages: the deployment runs
	// it; the OSV advisory's text is there.
	var f report.Finding
	for _, x := range fx.app.Findings {
		if x.PackageType == "pypi" && report.Affects(x.Status) {
			f = x
			break
		}
	}
	if f.VulnerabilityID == "" {
		t.Fatal("the app image has no Python finding")
	}
	body = fx.page(t, "/vulnerabilities/"+f.VulnerabilityID, http.StatusOK)
	contains(t, "vulnerability", body, `id="exposure"`, `id="workloads"`, "shop/Deployment/web", `<span class="num">1</span> images running in 1 workloads`,
		`id="advisory-h"`, `<h3>`+f.VulnerabilityID+` <span class="source">(osv)</span></h3>`, `href="/packages/`+f.PackageName+`"`)
	if f.FixedVersion != "" {
		contains(t, "vulnerability", body, "<dt>Fixed in</dt><dd><code>"+f.FixedVersion+"</code>")
	}
}

// TestPaging follows the "Next page" links of the long lists, two rows a
// page: every row is shown once, in order.
func TestPaging(t *testing.T) {
	fx := start(t, true, 2)
	alpine := fx.alpine.Target.Digest()
	app := fx.app.Target.Digest()
	next := regexp.MustCompile(`<a rel="next" href="([^"]+)">`)
	// rows returns the matches of row in the table with id table, on
	// every page from path on.
	rows := func(path, table string, row *regexp.Regexp) []string {
		t.Helper()
		var out []string
		for pages := 0; path != ""; pages++ {
			if pages > 200 {
				t.Fatalf("%s: more than 200 pages", table)
			}
			body := fx.page(t, path, http.StatusOK)
			i := strings.Index(body, `id="`+table+`"`)
			if i < 0 {
				t.Fatalf("GET %s: no table %s", path, table)
			}
			part := body[i:]
			part = part[:strings.Index(part, "</table>")]
			var n int
			for _, m := range row.FindAllStringSubmatch(part, -1) {
				out = append(out, strings.Join(m[1:], " "))
				n++
			}
			if n > 2 {
				t.Errorf("GET %s: %d rows in %s, want at most 2", path, n, table)
			}
			path = ""
			rest := body[i:]
			if m := next.FindStringSubmatch(rest[:strings.Index(rest, "</section>")]); m != nil {
				path = strings.ReplaceAll(m[1], "&amp;", "&")
			}
		}
		return out
	}
	// The Alpine image's packages.
	var want []string
	for _, p := range fx.alpine.Packages {
		want = append(want, p.Name)
	}
	slices.Sort(want)
	got := rows("/images/"+alpine, "packages", regexp.MustCompile(`<tr>\s*<td><a href="/packages/[^"]*">([^<]*)</a>`))
	if len(want) < 5 || !slices.Equal(want, got) {
		t.Errorf("the Alpine image's packages, page by page: %q, want %q", got, want)
	}
	// The app's findings, most severe first.
	want = nil
	for _, f := range fx.app.Findings {
		want = append(want, f.VulnerabilityID+" "+f.PackageName)
	}
	got = rows("/images/"+app+"?packages=2", "findings", regexp.MustCompile(`<tr>\s*<td><a href="/vulnerabilities/([^"]*)">(?s:.*?)<td><a href="/packages/[^"]*">([^<]*)</a>`))
	slices.Sort(want)
	if slices.Sort(got); !slices.Equal(got, want) {
		t.Errorf("the app's findings, page by page: %q, want %q", got, want)
	}
	// The subjects: two images and the host, oldest first.
	got = rows("/", "images", regexp.MustCompile(`<tr>\s*<td><a href="([^"]*)">`))
	if diff := slices.Compare(got, []string{"/images/" + alpine, "/images/" + app, "/hosts/" + machineID}); diff != 0 {
		t.Errorf("the overview's subjects, page by page: %q", got)
	}
}
