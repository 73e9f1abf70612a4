package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/browsertest"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The browser harness: a headless Chromium driven over the DevTools
// protocol. Every browser watches its page for the whole test, and the
// test fails (at the end, with the list) on any console error, uncaught
// exception, browser log error, JavaScript dialog, or request to an
// origin the test did not open: nothing may leave the machine.

const (
	// browserTestTime bounds a whole browser test, browser included.
	browserTestTime = 5 * time.Minute
	// waitTime bounds one wait or action: a guard against a hang, long
	// enough for a machine busy with other jobs.
	waitTime = time.Minute
)

type browser struct {
	t   *testing.T
	ctx context.Context // the tab's context; cancelling it ends the browser

	mu       sync.Mutex
	origins  map[string]bool // where the page may send requests
	allowed  []string        // error texts expected in this phase
	problems []string
	errors   []string      // every console and log error, allowed or not
	logged   chan struct{} // closed and replaced at each error
	shotDir  string
	over     func() bool // the test function has returned
}

type browserConfig struct {
	lang string
}

type browserOption func(*browserConfig)

// withLang starts the browser with this user-interface language (and
// Accept-Language), as a browser set up in that language would be.
func withLang(lang string) browserOption { return func(c *browserConfig) { c.lang = lang } }

// newBrowser starts a headless Chromium with a fresh profile; it is
// stopped, and its watch reported, when the test ends. Without Chromium
// the test is skipped, unless CARAVAN_REQUIRE_BROWSER=1.
func newBrowser(t *testing.T, opts ...browserOption) *browser {
	t.Helper()
	browsertest.Require(t)
	cfg := browserConfig{lang: "en-US"}
	for _, o := range opts {
		o(&cfg)
	}
	alloc := browsertest.Options(t,
		chromedp.WindowSize(1280, 800),
		chromedp.Flag("lang", cfg.lang),
		chromedp.Flag("accept-lang", cfg.lang),
		chromedp.Env("LANGUAGE="+cfg.lang, "LANG=C.UTF-8"),
	)
	ctx, cancel := context.WithTimeout(context.Background(), browserTestTime)
	actx, acancel := chromedp.NewExecAllocator(ctx, alloc...)
	tctx, tcancel := chromedp.NewContext(actx)
	b := &browser{t: t, ctx: tctx, origins: map[string]bool{}, shotDir: browsertest.ShotDir(t, ""), logged: make(chan struct{})}
	// What happens after the test function returned (a node stopped
	// at cleanup before the browser) is no concern of the test's.
	testDone := t.Context()
	b.over = func() bool { return testDone.Err() != nil }
	t.Cleanup(func() {
		if t.Failed() {
			if err := b.saveShot("FAILED", nil); err != nil {
				t.Logf("no screenshot of the failure: %v", err)
			}
		}
		tcancel()
		acancel()
		cancel()
		b.report()
	})
	if err := chromedp.Listen(tctx, b.watch); err != nil {
		t.Fatalf("start %s: %v", browsertest.Path, err)
	}
	b.run("set the viewport", desktop())
	return b
}

// desktop lays pages out on a laptop's screen.
func desktop() chromedp.Action[chromedp.Void] { return chromedp.EmulateViewport(1280, 800) }

// watch sees every event of the tab, in order, on the tab's reading
// goroutine: it must not block or run commands.
func (b *browser) watch(ev any) {
	if b.over() {
		return
	}
	if msg := browsertest.Problem(ev, false); msg != "" {
		b.problem("%s", msg)
		return
	}
	switch ev := ev.(type) {
	case *page.EventJavascriptDialogOpening:
		b.mu.Lock()
		b.problems = append(b.problems, fmt.Sprintf("a %s dialog opened: %q", ev.Type, ev.Message))
		b.mu.Unlock()
		// The dialog blocks the page until answered; answer it elsewhere.
		go chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
	case *network.EventRequestWillBeSent:
		u := ev.Request.URL
		if !b.mayRequest(u) {
			b.mu.Lock()
			b.problems = append(b.problems, fmt.Sprintf("request left the allowed origins: %s %s (from %s)", ev.Request.Method, u, ev.DocumentURL))
			b.mu.Unlock()
		}
	}
}

func (b *browser) problem(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.errors = append(b.errors, msg)
	close(b.logged)
	b.logged = make(chan struct{})
	for _, a := range b.allowed {
		if strings.Contains(msg, a) {
			return
		}
	}
	b.problems = append(b.problems, msg)
}

// waitError waits until the page has logged an error containing text
// (allowed or not), for a test that needs the page to have tried and
// failed.
func (b *browser) waitError(text string) {
	b.t.Helper()
	timeout := time.After(waitTime)
	for {
		b.mu.Lock()
		logged := b.logged
		found := slices.ContainsFunc(b.errors, func(e string) bool { return strings.Contains(e, text) })
		b.mu.Unlock()
		if found {
			return
		}
		select {
		case <-logged:
		case <-timeout:
			b.t.Fatalf("waited %v for the page to log an error with %q", waitTime, text)
		}
	}
}

func (b *browser) mayRequest(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	switch p.Scheme {
	case "blob", "data", "about":
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.origins[p.Scheme+"://"+p.Host]
}

// report fails the test with what the watch saw.
func (b *browser) report() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.problems) > 0 {
		b.t.Errorf("the browser saw %d problem(s):\n  %s", len(b.problems), strings.Join(b.problems, "\n  "))
	}
}

// checkClean fails the test now if the watch saw a problem so far.
func (b *browser) checkClean() {
	b.t.Helper()
	b.sync()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.problems) > 0 {
		b.t.Fatalf("the browser saw %d problem(s):\n  %s", len(b.problems), strings.Join(b.problems, "\n  "))
	}
}

// sync returns once the watch has seen every event the browser sent
// before now (events arrive in order with command replies).
func (b *browser) sync() {
	b.t.Helper()
	b.evalInto("0", nil)
}

// allowErrors lets console and log errors containing any of texts pass
// until the returned func is called (for example
// net::ERR_CONNECTION_REFUSED while the node is stopped on purpose).
// Dialogs and requests to other origins are never allowed.
func (b *browser) allowErrors(texts ...string) (end func()) {
	b.mu.Lock()
	b.allowed = append(b.allowed, texts...)
	b.mu.Unlock()
	return func() {
		b.sync() // errors sent before now belong to the phase
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, text := range texts {
			for i, a := range b.allowed {
				if a == text {
					b.allowed = append(b.allowed[:i], b.allowed[i+1:]...)
					break
				}
			}
		}
	}
}

// allowOrigin lets the page send requests to origin (scheme://host:port).
func (b *browser) allowOrigin(origin string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.origins[strings.TrimSuffix(origin, "/")] = true
}

// run runs actions, bounded by waitTime; what says what for the failure.
func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTime)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// open loads u as a new page (even when only its fragment differs from
// the current page's), and lets the page talk to u's origin.
func (b *browser) open(u string) {
	b.t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		b.t.Fatal(err)
	}
	b.allowOrigin(p.Scheme + "://" + p.Host)
	b.run("open "+u, chromedp.Navigate("about:blank"), chromedp.Navigate(u))
}

// signIn opens the node's UI with a one-time code, as 'caravan open'
// does, and waits until a signed-in screen is drawn; it returns its name.
func (b *browser) signIn(tn *testNode) string {
	b.t.Helper()
	b.open(tn.Base + "/#code=" + tn.UI.MintCode())
	var screen string
	b.waitJS(`localStorage.getItem('caravan.token') && document.querySelector('#main[data-screen]:not([data-screen=signin])')`)
	b.evalInto(`document.getElementById('main').dataset.screen`, &screen)
	return screen
}

// show goes to an app route ("#/feed", "#/report/naddr1...") without
// reloading and waits until its screen is drawn.
func (b *browser) show(route string) {
	b.t.Helper()
	name := strings.SplitN(strings.TrimPrefix(route, "#/"), "/", 2)[0]
	b.evalInto(fmt.Sprintf(`location.hash = %s`, jsString(route)), nil)
	b.waitScreen(name)
}

// waitScreen waits until the app has drawn the screen name (its route's
// first part: feed, signin, report...).
func (b *browser) waitScreen(name string) {
	b.t.Helper()
	b.waitJS(fmt.Sprintf(`document.getElementById('main').dataset.screen === %s`, jsString(name)))
}

// waitJS waits until the JavaScript expression cond is truthy.
func (b *browser) waitJS(cond string) {
	b.t.Helper()
	if err := browsertest.WaitJS(b.ctx, cond, waitTime); err != nil {
		b.t.Fatal(err)
	}
}

// waitVisible waits until an element matching the CSS selector is shown.
func (b *browser) waitVisible(sel string) {
	b.t.Helper()
	b.run("wait until "+sel+" is visible", chromedp.WaitVisible(chromedp.CSS(sel)))
}

// waitHidden waits until the element matching sel exists but is hidden.
func (b *browser) waitHidden(sel string) {
	b.t.Helper()
	b.run("wait until "+sel+" is hidden", chromedp.WaitNotVisible(chromedp.CSS(sel)))
}

// waitText waits until the element matching sel shows text containing s.
func (b *browser) waitText(sel, s string) {
	b.t.Helper()
	b.waitJS(fmt.Sprintf(`(document.querySelector(%s)?.innerText || '').includes(%s)`, jsString(sel), jsString(s)))
}

// click clicks the element matching sel, as a mouse would.
func (b *browser) click(sel string) {
	b.t.Helper()
	b.run("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// typeInto types text into the field matching sel, key by key, after
// what it holds already ("\n" presses Enter).
func (b *browser) typeInto(sel, text string) {
	b.t.Helper()
	b.run("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), text, chromedp.NodeVisible))
}

// clearField empties the field matching sel and tells the page, as
// deleting its text would. (chromedp.SetValue cannot set "": v0.23.0
// passes the empty string as undefined.)
func (b *browser) clearField(sel string) {
	b.t.Helper()
	b.waitVisible(sel)
	b.evalInto(fmt.Sprintf(`(() => {
		const f = document.querySelector(%s);
		f.value = '';
		f.dispatchEvent(new Event('input', { bubbles: true }));
		f.dispatchEvent(new Event('change', { bubbles: true }));
	})()`, jsString(sel)), nil)
}

// selectOption chooses value in the <select> matching sel and tells the
// page, as choosing it with the mouse would (a native select's popup
// cannot be driven headless).
func (b *browser) selectOption(sel, value string) {
	b.t.Helper()
	b.waitVisible(sel)
	var ok bool
	b.evalInto(fmt.Sprintf(`(() => {
		const s = document.querySelector(%s);
		if (![...s.options].some((o) => o.value === %[2]s)) return false;
		s.value = %[2]s;
		s.dispatchEvent(new Event('input', { bubbles: true }));
		s.dispatchEvent(new Event('change', { bubbles: true }));
		return true;
	})()`, jsString(sel), jsString(value)), &ok)
	if !ok {
		b.t.Fatalf("%s has no option %q", sel, value)
	}
}

// text returns the visible text of the element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	var s string
	b.evalInto(fmt.Sprintf(`(() => { const e = document.querySelector(%s); return e ? e.innerText : null; })()`, jsString(sel)), &s)
	return s
}

// evalInto evaluates a JavaScript expression (awaiting a promise) and
// decodes its JSON value into out, unless out is nil.
func (b *browser) evalInto(js string, out any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTime)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			b.t.Fatalf("evaluate %s: %s: %v", js, raw, err)
		}
	}
}

// shot saves a full-page PNG of the page as NN-name.png in the test's
// screenshot directory.
func (b *browser) shot(name string) {
	b.t.Helper()
	if err := b.saveShot(name, nil); err != nil {
		b.t.Fatal(err)
	}
}

// shotPhone saves a full-page PNG of the page laid out on a phone
// (390×844 CSS pixels, touch, mobile), as NN-name-phone.png, then lays
// the page out for the desktop again.
func (b *browser) shotPhone(name string) {
	b.t.Helper()
	err := b.saveShot(name+"-phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
	if err != nil {
		b.t.Fatal(err)
	}
	b.run("restore the desktop viewport", desktop())
}

func (b *browser) saveShot(name string, before chromedp.Action[chromedp.Void]) error {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTime)
	defer cancel()
	if before != nil {
		if err := chromedp.Do(ctx, before); err != nil {
			return fmt.Errorf("screenshot %s: %w", name, err)
		}
	}
	return browsertest.Screenshot(ctx, b.t, b.shotDir, name)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
