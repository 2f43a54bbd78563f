package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/customs-scanner/customs/internal/golden"
	"github.com/customs-scanner/customs/internal/service/servicetest"
)

// browser is a headless Chromium tab that records what must not happen
// on a page: console errors and warnings, uncaught exceptions, errors the
// browser logs itself (a resource that fails to load, a CSP violation)
// and JavaScript dialogs.
type browser struct {
	ctx  context.Context
	base string
	// shots is where screenshots go; empty takes none (they are kept
	// only under go test -artifacts).
	shots string
	// dialogs are answered by goroutines of their own, waited for by wg.
	wg sync.WaitGroup
	mu sync.Mutex
	// closing is set, under mu, before wg is waited for: a dialog
	// that opens after it starts no goroutine (WaitGroup.Add must not
	// race with Wait).
	closing  bool
	problems []problem
}

// problem is something a page must not do.
type problem struct {
	text string
	// url is the resource a network error is about.
	url string
}

// watch runs in every document before its own scripts: it keeps the
// page's CSP violations for the test to read (a violation is also
// logged, but the event says which directive).
const watch = `window.customsCSP = [];
document.addEventListener("securitypolicyviolation", e =>
  window.customsCSP.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline code") + " at " + e.sourceFile + ":" + e.lineNumber));`

func newBrowser(t *testing.T, chromium, base string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800))
	if os.Geteuid() == 0 {
		// Chromium refuses to run as root with its sandbox (CI containers).
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.WithoutCancel(t.Context()), opts...)
	b := &browser{base: base}
	if f := flag.Lookup("test.artifacts"); f != nil && f.Value.String() == "true" {
		b.shots = t.ArtifactDir()
		t.Logf("screenshots go to %s", b.shots)
	}
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(b.listen))
	b.ctx = ctx
	t.Cleanup(func() {
		b.mu.Lock()
		b.closing = true
		b.mu.Unlock()
		b.wg.Wait()
		cancel()
		cancelAlloc()
	})
	// The first action starts the browser; no deadline on it, or the
	// deadline would end the browser.
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: watch})
		return err
	})); err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}
	return b
}

// listen runs on the goroutine that reads the tab's messages, before
// the reply to any later command: a check run after a page loaded sees
// what that page logged. It must not block or run a command.
func (b *browser) listen(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		switch ev.Type {
		case runtime.ConsoleAPICalledTypeError, runtime.ConsoleAPICalledTypeWarning, runtime.ConsoleAPICalledTypeAssert:
			var args []string
			for _, a := range ev.Args {
				args = append(args, strings.Trim(string(a.Value), `"`)+a.Description)
			}
			b.problem("console.%s: %s", ev.Type, strings.Join(args, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		what := d.Text
		if d.Exception != nil {
			what += " " + d.Exception.Description
		}
		b.problem("uncaught exception at %s:%d: %s", d.URL, d.LineNumber+1, what)
	case *cdplog.EventEntryAdded:
		if e := ev.Entry; e.Level == cdplog.EntryLevelError || e.Level == cdplog.EntryLevelWarning {
			b.mu.Lock()
			b.problems = append(b.problems, problem{text: fmt.Sprintf("browser %s (%s): %s %s", e.Level, e.Source, e.Text, e.URL), url: e.URL})
			b.mu.Unlock()
		}
	case *page.EventJavascriptDialogOpening:
		b.problem("a %s dialog opened: %q", ev.Type, ev.Message)
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.closing {
			return // the tab is closing: nothing waits for an answer
		}
		b.wg.Go(func() {
			// Dismiss it, or the page stays blocked.
			chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{})
		})
	}
}

func (b *browser) problem(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, problem{text: fmt.Sprintf(format, args...)})
}

// take returns and forgets the problems seen so far.
func (b *browser) take() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var texts []string
	for _, p := range b.problems {
		texts = append(texts, p.text)
	}
	b.problems = nil
	return texts
}

// notFound checks that the page shown was answered 404 and forgets the
// error the browser logs for it (the 404 is the answer: a search that
// finds nothing).
func (b *browser) notFound(t *testing.T, status int64) {
	t.Helper()
	if status != http.StatusNotFound {
		t.Errorf("status %d, want 404", status)
	}
	href := eval[string](t, b, "location", `location.href`)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = slices.DeleteFunc(b.problems, func(p problem) bool { return p.url == href })
}

// stepTimeout bounds every step in the browser.
const stepTimeout = 20 * time.Second

// run runs steps with a deadline, failing the test on an error.
func (b *browser) run(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates expr in the page, failing the test on an error.
func eval[T any](t *testing.T, b *browser, what, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// load runs steps that load a page (a navigation, a click on a link, a
// form's submission) and returns the page's path and status.
func (b *browser) load(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) (string, int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return eval[string](t, b, what, `location.pathname + location.search`), resp.Status
}

// follow clicks the link sel and returns the page it loads, checking
// that it loaded the link's target.
func (b *browser) follow(t *testing.T, sel string) string {
	t.Helper()
	href := eval[string](t, b, "find "+sel, fmt.Sprintf(`(() => { const a = document.querySelector(%s); return a ? a.getAttribute("href") : ""; })()`, jsString(sel)))
	if href == "" {
		t.Fatalf("no link %s on the page", sel)
	}
	path, status := b.load(t, "follow "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	if status != http.StatusOK {
		t.Fatalf("follow %s to %s: status %d", sel, href, status)
	}
	if path != href {
		t.Fatalf("follow %s: at %s, want %s", sel, path, href)
	}
	return path
}

// text returns the text of the first element sel matches ("" when none).
func (b *browser) text(t *testing.T, sel string) string {
	t.Helper()
	return eval[string](t, b, "text of "+sel, fmt.Sprintf(`(() => { const e = document.querySelector(%s); return e ? e.innerText : ""; })()`, jsString(sel)))
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// wantText fails unless the element sel shows each of wants.
func (b *browser) wantText(t *testing.T, sel string, wants ...string) {
	t.Helper()
	got := b.text(t, sel)
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s shows %q, want %q in it", sel, got, w)
		}
	}
}

// check looks at the page the browser shows, named name: no console
// errors, exceptions, dialogs or CSP violations; nothing executed from
// the page (window.customsXSS); every form control labelled; every text
// at a contrast of 4.5:1 or more. Under go test -artifacts it saves a
// screenshot of the whole page as name.png.
func (b *browser) check(t *testing.T, name string) {
	t.Helper()
	b.wait(t, name, `document.readyState === "complete"`)
	state := eval[struct {
		CSP []string
		XSS string
	}](t, b, name, `({CSP: window.customsCSP || ["the watch script did not run"], XSS: typeof window.customsXSS})`)
	for _, v := range state.CSP {
		t.Errorf("%s: Content-Security-Policy violated: %s", name, v)
	}
	if state.XSS != "undefined" {
		t.Errorf("%s: script from the page ran (window.customsXSS is a %s)", name, state.XSS)
	}
	for _, u := range eval[[]string](t, b, name+": labels", labelsJS) {
		t.Errorf("%s: %s", name, u)
	}
	texts := eval[[]contrast](t, b, name+": contrast", contrastJS)
	if len(texts) == 0 {
		t.Errorf("%s: no text found to check its contrast", name)
	}
	for _, c := range texts {
		if c.Ratio < 4.5 {
			t.Errorf("%s: text %q (%s) is %s on %s: contrast %.2f:1, WCAG AA wants 4.5:1", name, c.Text, c.Where, c.FG, c.BG, c.Ratio)
		}
	}
	if b.shots != "" {
		png := b.screenshot(t, name, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range b.take() {
		t.Errorf("%s: %s", name, p)
	}
}

// contrast is one text's colours as contrastJS computes them.
type contrast struct {
	Text, Where, FG, BG string
	Ratio               float64
}

// contrastJS computes, for every element showing text (and every input's
// value and placeholder), the contrast ratio of its colour (fill, in SVG)
// over the colour behind it, blending translucent backgrounds down to
// the page's white (WCAG 2.2, 1.4.3: relative luminance, (L1+0.05)/(L2+0.05)).
const contrastJS = `(() => {
  const parse = c => {
    const m = /rgba?\(([^)]+)\)/.exec(c || "");
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom) => [0, 1, 2].map(i => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
  const lum = c => {
    const f = v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const behind = el => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let bg = [255, 255, 255, 1];
    for (const l of layers.reverse()) bg = over(l, bg);
    return bg;
  };
  const rgb = c => "rgb(" + c.slice(0, 3).map(Math.round).join(", ") + ")";
  const where = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.getAttribute("class") ? "." + el.getAttribute("class").trim().split(/\s+/).join(".") : "") +
    (el.parentElement ? " in " + el.parentElement.tagName.toLowerCase() : "");
  const out = [];
  const measure = (el, text, color) => {
    const bg = behind(el);
    const fg = over(parse(color), bg);
    const a = lum(fg), b = lum(bg);
    out.push({Text: text.trim().slice(0, 60), Where: where(el), FG: rgb(fg), BG: rgb(bg), Ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)});
  };
  const seen = new Set();
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n; (n = walk.nextNode());) {
    const el = n.parentElement;
    if (!n.textContent.trim() || seen.has(el) || el.closest("title, script, style")) continue;
    seen.add(el);
    const cs = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    if (cs.visibility !== "visible" || r.width === 0 || r.height === 0 || el.closest("details:not([open]) > :not(summary)")) continue;
    measure(el, n.textContent, el instanceof SVGElement ? cs.fill : cs.color);
  }
  for (const el of document.querySelectorAll("input:not([type=hidden]), textarea, button")) {
    const cs = getComputedStyle(el);
    if (el.value && el.tagName !== "BUTTON") measure(el, el.value, cs.color);
    if (el.placeholder) measure(el, el.placeholder, getComputedStyle(el, "::placeholder").color);
  }
  return out;
})()`

// labelsJS lists form controls without a label, links and buttons
// without a name, and images without a text alternative.
const labelsJS = `(() => {
  const out = [];
  const name = el => (el.getAttribute("aria-label") || "").trim() ||
    (el.getAttribute("aria-labelledby") || "").split(/\s+/).map(id => { const l = document.getElementById(id); return l ? l.textContent.trim() : ""; }).join("").trim();
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    const label = [...(el.labels || [])].map(l => l.textContent.trim()).join("");
    if (!label && !name(el)) out.push("the " + el.tagName.toLowerCase() + " " + (el.id || el.name) + " has no label");
  }
  for (const el of document.querySelectorAll("a[href], button")) {
    if (!el.textContent.trim() && !name(el)) out.push("the " + el.tagName.toLowerCase() + " " + el.outerHTML.slice(0, 80) + " has no name");
  }
  for (const el of document.querySelectorAll("img, svg[role=img]")) {
    if (!(el.getAttribute("alt") || "").trim() && !name(el)) out.push(el.outerHTML.slice(0, 80) + " has no text alternative");
  }
  return out;
})()`

// focused describes the element that has the focus.
type focused struct {
	Tag, ID, Text, Href string
	// Visible: it matches :focus-visible and draws an outline of
	// Outline px, at Contrast to the colour behind it; InView: it is
	// within the viewport.
	Visible, InView, InMain bool
	Outline, Contrast       float64
}

const focusedJS = `(() => {
  const el = document.activeElement;
  const cs = getComputedStyle(el);
  const parse = c => { const m = /rgba?\(([^)]+)\)/.exec(c || ""); return m ? m[1].split(/[\s,\/]+/).filter(Boolean).map(Number) : [0, 0, 0]; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  let bg = [255, 255, 255];
  for (let e = el.parentElement; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c.length < 4 || c[3] > 0) { bg = c; break; }
  }
  const a = lum(parse(cs.outlineColor)), b = lum(bg);
  const r = el.getBoundingClientRect();
  return {Tag: el.tagName.toLowerCase(), ID: el.id, Text: (el.innerText || el.value || "").trim().slice(0, 40), Href: el.getAttribute("href") || "",
    Visible: el.matches(":focus-visible") && cs.outlineStyle !== "none", Outline: parseFloat(cs.outlineWidth) || 0,
    Contrast: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
    InView: r.right > 0 && r.bottom > 0 && r.left < innerWidth && r.top < innerHeight, InMain: !!el.closest("main")};
})()`

// tab presses Tab and returns what has the focus then.
func (b *browser) tab(t *testing.T) focused {
	t.Helper()
	b.run(t, "Tab", chromedp.KeyEvent(kb.Tab))
	return eval[focused](t, b, "the focus", focusedJS)
}

// wantFocusVisible fails unless f shows that it has the focus: an
// outline of 2 px or more at 3:1 or more to what is behind it (WCAG 2.2,
// 1.4.11 and 2.4.7), within the viewport.
func wantFocusVisible(t *testing.T, f focused) {
	t.Helper()
	if !f.Visible || f.Outline < 2 || f.Contrast < 3 || !f.InView {
		t.Errorf("the focused %s %q (#%s) does not show its focus: visible %v, outline %.1f px at %.2f:1, in view %v",
			f.Tag, f.Text, f.ID, f.Visible, f.Outline, f.Contrast, f.InView)
	}
}

// docShot writes what the viewport shows to docs/dashboard-name.png under
// -update (the README shows them).
func (b *browser) docShot(t *testing.T, name string) {
	t.Helper()
	if !golden.Updating() {
		return
	}
	png := b.screenshot(t, name, chromedp.CaptureScreenshot())
	path := filepath.Join(servicetest.Root(), "docs", "dashboard-"+name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", path, len(png))
}

// wait polls expr in the page until it is true.
func (b *browser) wait(t *testing.T, what, expr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("%s: wait for %s: %v", what, expr, err)
	}
}

func (b *browser) screenshot(t *testing.T, what string, shot chromedp.Action[[]byte]) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		t.Fatalf("%s: screenshot: %v", what, err)
	}
	return png
}
