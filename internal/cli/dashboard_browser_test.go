package cli

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/service/servicetest"
	"github.com/customs-scanner/customs/internal/shareddata"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/store/backend"
	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/build"
)

// dashboardSite is customs serve over a store of three scanned images.
type dashboardSite struct {
	url, token string
	// alpine is the Alpine 3.10 test image; app adds a layer of Python
	// packages the OSV feed flags; untrusted is app with
	// servicetest.Hostile in a package name, a file name, a label and the
	// layer's created_by.
	alpine, app, untrusted *report.Report
}

// serveDashboard scans the images, records them in a SQLite store at
// different times (so the trend chart has a history), makes a read token
// and runs customs serve on loopback.
func serveDashboard(t *testing.T) *dashboardSite {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	db := filepath.Join(dir, "customs.db")
	feeds := filepath.Join(servicetest.Root(), "testdata", "feeds")
	if _, err := build.Build(ctx, db, []build.Source{
		{Kind: "alpine-secdb", Path: filepath.Join(feeds, "alpine-secdb", "v3.10")},
		{Kind: "osv", Path: filepath.Join(feeds, "osv-pypi")},
		{Kind: "kev", Path: filepath.Join(feeds, "kev", "known_exploited_vulnerabilities.json")},
	}, nil); err != nil {
		t.Fatal(err)
	}
	app, err := servicetest.AppImage(dir, "registry.test/shop/app:1.4")
	if err != nil {
		t.Fatal(err)
	}
	untrusted, err := servicetest.HostileImage(dir, "registry.test/shop/untrusted:0.1")
	if err != nil {
		t.Fatal(err)
	}
	dsn := "sqlite:" + filepath.Join(dir, "store.db")
	st, err := backend.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	site := &dashboardSite{}
	opts := scan.Options{DBPath: db, Version: "test"}
	now := time.Now()
	for _, img := range []struct {
		path string
		r    **report.Report
		ago  time.Duration
		// secrets: the untrusted image's secret is in a file named with
		// markup; the others are not searched (slow under -race).
		secrets bool
	}{{alpineImage, &site.alpine, 20 * 24 * time.Hour, false}, {app, &site.app, 9 * 24 * time.Hour, false},
		{untrusted, &site.untrusted, 2 * 24 * time.Hour, true}} {
		opts.Secrets = img.secrets
		if *img.r, err = scan.Scan(ctx, img.path, opts); err != nil {
			t.Fatalf("scan %s: %v", img.path, err)
		}
		if _, err := st.Record(ctx, store.Input{Report: *img.r, Now: now.Add(-img.ago)}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	r := run(t, "token", "create", "--scope", "read", "--name", "browser", "--store", dsn)
	if r.code != 0 {
		t.Fatalf("token create: %s", r.stderr)
	}
	site.token = strings.TrimSpace(r.stdout)

	addr := freePort(t)
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var stderr lockedBuffer
	done := make(chan int)
	go func() {
		done <- Main(sctx, []string{"serve", "--listen", addr, "--store", dsn, "--db", db, "--cache-dir", filepath.Join(dir, "cache"),
			"--workers", "0", "--db-update-every", "0"}, strings.NewReader(""), &lockedBuffer{}, &stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("customs serve did not stop within 30 s")
		}
	})
	site.url = "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(site.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("customs serve is not up after 30 s: %v\n%s", err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return site
}

// worstAffecting returns the most severe finding of r that affects it,
// in a layer, with a CVE ID or alias, and that CVE.
func worstAffecting(t *testing.T, r *report.Report) (report.Finding, string) {
	t.Helper()
	var (
		worst report.Finding
		cve   string
		rank  = -1
	)
	for _, f := range r.Findings {
		if !report.Affects(f.Status) || f.Layer == "" {
			continue
		}
		n, _ := vulndb.SeverityRank(f.Severity)
		if n <= rank {
			continue
		}
		for _, id := range append([]string{f.VulnerabilityID}, f.Aliases...) {
			if strings.HasPrefix(id, "CVE-") {
				worst, cve, rank = f, id, n
				break
			}
		}
	}
	if cve == "" {
		t.Fatalf("%s has no finding with a CVE to follow", r.Target.Ref)
	}
	return worst, cve
}

// TestDashboardInChromium serves the dashboard with customs serve over a
// store of real scanned images and uses it as a person would, in a
// headless Chromium: signs in with a token through the form, goes from
// the overview to a CVE found with the search box, to an affected image,
// to the layer that brought the package in, to the package's spread
// across the fleet; then browses an image whose package name, file name
// and label are markup and script. Every page is checked (browser.check):
// no console errors, no CSP violation, nothing executed, labelled
// controls, text contrast of WCAG AA; the keyboard reaches the search box
// and the content, with the focus visible. Screenshots of every page go
// to the test's artifact directory under go test -artifacts; with -update the
// overview and the vulnerability page are written to docs/ for the
// README.
func TestDashboardInChromium(t *testing.T) {
	chromium := shareddata.Chromium(t)
	began := time.Now()
	site := serveDashboard(t)
	served := time.Now()
	b := newBrowser(t, chromium, site.url)
	t.Logf("store and server ready in %v, Chromium started in %v", served.Sub(began).Round(time.Millisecond), time.Since(served).Round(time.Millisecond))

	finding, vuln := worstAffecting(t, site.app)
	pkg := finding.PackageName
	app, untrusted := site.app.Target.Digest(), site.untrusted.Target.Digest()
	layerPath := "/images/" + app + "/layers/" + finding.Layer

	signedIn := t.Run("SignIn", func(t *testing.T) {
		path, status := b.load(t, "open /", chromedp.Navigate(site.url+"/"))
		if path != "/signin?next=%2F" || status != http.StatusOK {
			t.Fatalf("/ without a session: at %s (%d), want the sign-in form at /signin?next=%%2F", path, status)
		}
		b.check(t, "signin")
		// By keyboard: Tab to the token field (past the skip link), type
		// the token, Enter submits the form.
		for range 3 {
			if f := b.tab(t); f.ID == "token" {
				wantFocusVisible(t, f)
				break
			}
		}
		if id := eval[string](t, b, "focus", `document.activeElement.id`); id != "token" {
			t.Fatalf("Tab does not reach the token field (at %q)", id)
		}
		path, status = b.load(t, "sign in", chromedp.KeyEvent(site.token+kb.Enter))
		if path != "/" || status != http.StatusOK {
			t.Fatalf("signed in: at %s (%d), want the overview", path, status)
		}
	})
	if !signedIn {
		t.Fatal("not signed in: the pages cannot be browsed")
	}

	t.Run("Overview", func(t *testing.T) {
		if h := b.text(t, "h1"); h != "Overview" {
			t.Errorf("h1 %q, want Overview", h)
		}
		b.wantText(t, ".cards", "3\nimages")
		b.wantText(t, "#images", "registry.test/shop/app:1.4", "registry.test/shop/untrusted:0.1")
		if eval[int](t, b, "charts", `document.querySelectorAll("#severity-chart rect").length + document.querySelectorAll("#trend-chart polyline").length`) == 0 {
			t.Error("the charts draw nothing")
		}
		b.check(t, "overview")
		b.docShot(t, "overview")
	})

	t.Run("Keyboard", func(t *testing.T) {
		b.load(t, "reload", chromedp.Navigate(site.url+"/"))
		// The first Tab stop is the skip link, shown when focused.
		f := b.tab(t)
		if f.Href != "#main" {
			t.Fatalf("the first Tab stop is %s %q, want the skip link", f.Tag, f.Text)
		}
		wantFocusVisible(t, f)
		var stops []string
		for range 12 {
			f = b.tab(t)
			wantFocusVisible(t, f)
			stops = append(stops, f.Text)
			if f.ID == "q" {
				break
			}
		}
		if f.ID != "q" {
			t.Fatalf("Tab does not reach the search box: it went %q", stops)
		}
		for _, want := range []string{"Overview", "Feeds", "Jobs", "Notifications"} {
			if !slices.Contains(stops, want) {
				t.Errorf("Tab went %q, skipping the %s link", stops, want)
			}
		}
		// The skip link moves the focus to the content; the next Tab
		// stop is a link in it.
		b.load(t, "reload", chromedp.Navigate(site.url+"/"))
		b.tab(t)
		b.run(t, "skip", chromedp.KeyEvent(kb.Enter))
		f = b.tab(t)
		if !f.InMain || f.Tag != "a" {
			t.Errorf("after the skip link, Tab goes to %s %q, want a link in the content", f.Tag, f.Text)
		}
		wantFocusVisible(t, f)
		b.take()
	})

	t.Run("Browse", func(t *testing.T) {
		// The search box, by keyboard: a CVE goes to its page.
		b.run(t, "focus the search box", chromedp.Focus(chromedp.CSS("#q")))
		path, status := b.load(t, "search "+vuln, chromedp.KeyEvent(vuln+kb.Enter))
		if path != "/vulnerabilities/"+vuln || status != http.StatusOK {
			t.Fatalf("search %s: at %s (%d)", vuln, path, status)
		}
		if h := b.text(t, "h1"); h != vuln {
			t.Errorf("h1 %q, want %s", h, vuln)
		}
		b.wantText(t, "#exposure", "registry.test/shop/app:1.4", pkg, finding.PackageVersion)
		b.wantText(t, "#advisory-h", "Advisories")
		b.check(t, "vulnerability")
		b.docShot(t, "vulnerability")

		b.follow(t, `#exposure a[href="/images/`+app+`"]`)
		if h := b.text(t, "h1"); h != "Image registry.test/shop/app:1.4" {
			t.Errorf("h1 %q, want the app image", h)
		}
		b.wantText(t, "#layers", "RUN pip install requests==2.19.1 urllib3==1.24.1")
		b.wantText(t, "#findings", finding.VulnerabilityID, pkg)
		b.wantText(t, "#packages", "musl", "requests", "urllib3")
		b.check(t, "image")

		b.follow(t, `#layers a[href="`+layerPath+`"]`)
		b.wantText(t, "h1", "Layer", "registry.test/shop/app:1.4")
		b.wantText(t, "#findings", finding.VulnerabilityID)
		b.wantText(t, "#packages", "requests", "urllib3")
		b.check(t, "layer")

		b.follow(t, `#packages a[href="/packages/`+pkg+`"]`)
		if h := b.text(t, "h1"); h != "Package "+pkg {
			t.Errorf("h1 %q, want Package %s", h, pkg)
		}
		b.wantText(t, "#versions", finding.PackageVersion, "registry.test/shop/app:1.4", "registry.test/shop/untrusted:0.1", finding.VulnerabilityID)
		b.check(t, "package")

		for _, p := range []struct{ path, name, h1 string }{
			{"/images", "images", ""}, {"/hosts", "hosts", ""},
			{"/feeds", "feeds", ""}, {"/jobs", "jobs", ""}, {"/notifications", "notifications", ""},
			{"/search?q=musl", "search", "Search: musl"}, {"/search", "search-empty", "Search"},
		} {
			path, status := b.load(t, "open "+p.path, chromedp.Navigate(site.url+p.path))
			if status != http.StatusOK && status != http.StatusSeeOther {
				t.Errorf("%s: status %d (at %s)", p.path, status, path)
			}
			if p.h1 != "" {
				if h := b.text(t, "h1"); h != p.h1 && !strings.HasPrefix(path, "/packages/") {
					t.Errorf("%s: h1 %q, want %q", p.path, h, p.h1)
				}
			}
			b.check(t, p.name)
		}
	})

	t.Run("Phone", func(t *testing.T) {
		// A phone's viewport: the page never scrolls sideways (wide
		// tables scroll in their own box), the search box keeps its
		// room, and the text stays readable.
		b.run(t, "emulate a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulatePortrait))
		defer b.run(t, "reset the viewport", chromedp.ResetViewport())
		for _, p := range []struct{ path, name string }{
			{"/", "phone-overview"}, {"/vulnerabilities/" + vuln, "phone-vulnerability"}, {"/images/" + app, "phone-image"},
			{layerPath, "phone-layer"}, {"/packages/" + pkg, "phone-package"},
		} {
			if _, status := b.load(t, "open "+p.path, chromedp.Navigate(site.url+p.path)); status != http.StatusOK {
				t.Errorf("%s: status %d", p.path, status)
			}
			got := eval[struct {
				Width, Scroll, Search int
				Font                  float64
			}](t, b, p.name, `({Width: innerWidth, Scroll: document.documentElement.scrollWidth,
  Search: Math.round(document.getElementById("q").getBoundingClientRect().width),
  Font: Math.min(...[...document.querySelectorAll("main p, main td, main dd, main li")].map(e => parseFloat(getComputedStyle(e).fontSize)))})`)
			if got.Width != 390 {
				t.Fatalf("%s: the page is %d px wide, want the phone's 390 (viewport meta)", p.name, got.Width)
			}
			if got.Scroll > got.Width {
				t.Errorf("%s: the page scrolls sideways: %d px wide in a %d px viewport", p.name, got.Scroll, got.Width)
			}
			if got.Search < 150 {
				t.Errorf("%s: the search box is %d px wide", p.name, got.Search)
			}
			if got.Font < 12 {
				t.Errorf("%s: text of %.1f px", p.name, got.Font)
			}
			b.check(t, p.name)
		}
	})

	t.Run("Untrusted", func(t *testing.T) {
		// The hostile strings are text on every page that shows them, and
		// nothing in them runs (check: no dialog, no window.customsXSS, no
		// CSP violation, which inline script would cause).
		shown := func(name string, min int) {
			t.Helper()
			got := eval[struct {
				Shown    int
				Injected []string
			}](t, b, name, fmt.Sprintf(`({Shown: document.body.textContent.split(%s).length - 1,
  Injected: [...document.querySelectorAll("script, img, [onerror], [onload]")].map(e => e.outerHTML.slice(0, 80))})`, jsString(servicetest.Hostile)))
			if got.Shown < min {
				t.Errorf("%s: the markup is shown as text %d times, want %d or more", name, got.Shown, min)
			}
			for _, e := range got.Injected {
				t.Errorf("%s: an element from the image's strings: %s", name, e)
			}
			b.check(t, name)
		}
		b.load(t, "open the untrusted image", chromedp.Navigate(site.url+"/images/"+untrusted))
		// Open the labels, so the label's value is shown too.
		b.run(t, "open the labels", chromedp.Click(chromedp.CSS("details.labels summary")))
		shown("untrusted-image", 4) // the package's name, the layer's created_by, the label, the secret's file
		top := site.untrusted.Target.Layers[len(site.untrusted.Target.Layers)-1].DiffID
		b.follow(t, `#layers a[href="/images/`+untrusted+`/layers/`+top+`"]`)
		shown("untrusted-layer", 3)
		sel := eval[string](t, b, "find the package", fmt.Sprintf(`(() => { const a = [...document.querySelectorAll("#packages a")].find(a => a.textContent === %s); return a ? "#packages tr:nth-child(" + ([...a.closest("tbody").children].indexOf(a.closest("tr")) + 1) + ") a" : ""; })()`, jsString(servicetest.Hostile)))
		if sel == "" {
			t.Fatal("the untrusted layer lists no package named with the markup")
		}
		b.follow(t, sel)
		shown("untrusted-package", 1)
		// Typed into the search box: the name finds the package, and a
		// query that finds nothing is shown back, as text.
		b.run(t, "focus the search box", chromedp.Focus(chromedp.CSS("#q")))
		if path, _ := b.load(t, "search the markup", chromedp.KeyEvent(servicetest.Hostile+kb.Enter)); !strings.HasPrefix(path, "/packages/") {
			t.Errorf("searching the package's name leads to %s, want its package page", path)
		}
		shown("untrusted-search-package", 1)
		query := servicetest.Hostile + " nowhere"
		b.run(t, "focus the search box", chromedp.Focus(chromedp.CSS("#q")))
		path, status := b.load(t, "search the markup", chromedp.KeyEvent(query+kb.Enter))
		if !strings.HasPrefix(path, "/search?") {
			t.Errorf("searching %q leads to %s, want the search page", query, path)
		}
		b.notFound(t, status)
		shown("untrusted-search", 2) // the heading, the answer
		if value := eval[string](t, b, "the search box", `document.getElementById("q").value`); value != query {
			t.Errorf("the search box holds %q, want the query %q", value, query)
		}

		// The watch itself: markup a page would inject is blocked by the
		// CSP, which the test sees, and a dialog is seen.
		eval[int](t, b, "inject", `document.body.insertAdjacentHTML("beforeend", '<img src="/static/none.png" onerror="window.customsXSS=3">');
  { const s = document.createElement("script"); s.textContent = "window.customsXSS = 4"; document.body.append(s); } 0`)
		b.wait(t, "inject", `window.customsCSP.length >= 2`)
		csp := eval[[]string](t, b, "violations", `window.customsCSP`)
		if eval[string](t, b, "injected", `typeof window.customsXSS`) != "undefined" {
			t.Errorf("injected script ran: the page's CSP does not hold")
		}
		if len(b.take()) == 0 {
			t.Error("the browser logged nothing for the blocked script and handler")
		}
		t.Logf("blocked as it should be: %q", csp)
		eval[int](t, b, "alert", `setTimeout(() => alert("probe"), 0), 0`)
		deadline := time.Now().Add(5 * time.Second)
		for !slices.ContainsFunc(b.take(), func(p string) bool { return strings.Contains(p, "dialog opened") }) {
			if time.Now().After(deadline) {
				t.Fatal("an alert opened and the browser watch did not see it")
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	t.Logf("the whole test took %v", time.Since(began).Round(time.Millisecond))
}
