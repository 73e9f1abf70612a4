package phone_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/browsertest"
	"github.com/caravan-mesh/caravan/internal/nodetest"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/phone"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/nbd-wtf/go-nostr"
)

// The Public tab's browser tests run its module (assets/js/feed) in a
// real Chromium laid out as a phone (390×844, touch), against a real
// node (SQLite on disk, its relay port on loopback). The page that mounts
// the module is testdata/feed: a stand-in for the shell with the api the
// shell gives the tab, served by the node's relay port at "/" (the same
// origin as its blobs, as the phone page is). The module, its styles and
// catalogues are the package's embedded assets.

const (
	feedTestTime = 5 * time.Minute // a whole test, browser included
	feedWait     = time.Minute     // one wait: a guard against a hang on a busy machine
)

type feedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *feedClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// feedNode is a real node serving its relay port, with the test page.
type feedNode struct {
	t     *testing.T
	n     *node.Node
	base  string // http://127.0.0.1:PORT
	clock *feedClock

	mu    sync.Mutex
	paths []string // what the page asked the page server for
}

// startFeedNode opens a node with cfg on a clock of its own (which stands
// still: rate limits are what cfg says, whatever the machine's speed) and
// serves it on loopback until the test ends.
func startFeedNode(t *testing.T, cfg node.Config) *feedNode {
	t.Helper()
	fn := &feedNode{t: t, clock: &feedClock{t: time.Now().Truncate(time.Second)}}
	fn.n = nodetest.Open(t, node.Options{Config: &cfg, Now: fn.clock.Now})
	fn.n.OnRelayHTTP(fn.serve)
	relayLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	apiLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan node.Runtime, 1)
	done := make(chan error, 1)
	go func() {
		done <- fn.n.Serve(ctx, node.ServeOptions{Relay: relayLn, API: apiLn, APIHandler: http.NotFoundHandler(), Token: "t", NoLAN: true,
			Ready: func(rt node.Runtime) { ready <- rt }})
	}()
	select {
	case rt := <-ready:
		fn.base = "http://" + strings.TrimPrefix(rt.Relay, "ws://")
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return fn
}

// serve answers for the test page: "/" and /harness/ from testdata/feed,
// /phone/ from the package's assets. The page gets a CSP as strict as the
// phone page's: its scripts only, its import map by hash, connections and
// images only from its own origin.
func (fn *feedNode) serve(w http.ResponseWriter, r *http.Request) bool {
	fn.mu.Lock()
	fn.paths = append(fn.paths, r.URL.Path)
	fn.mu.Unlock()
	var fsys fs.FS
	var name string
	switch p := r.URL.Path; {
	case p == "/":
		fsys, name = os.DirFS("testdata/feed"), "index.html"
	case strings.HasPrefix(p, "/harness/"):
		fsys, name = os.DirFS("testdata/feed"), strings.TrimPrefix(p, "/harness/")
	case strings.HasPrefix(p, "/phone/"):
		fsys, name = phone.Assets, strings.TrimPrefix(p, "/phone/")
	default:
		return false
	}
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		http.NotFound(w, r)
		return true
	}
	h := w.Header()
	h.Set("Content-Type", map[string]string{".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
		".css": "text/css; charset=utf-8", ".json": "application/json"}[path.Ext(name)])
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	if r.URL.Path == "/" {
		m := importMapRE.FindSubmatch(b)
		sum := sha256.Sum256(m[1])
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self' 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+
			"'; connect-src 'self' ws://"+r.Host+"; img-src 'self' blob: data:; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	}
	w.Write(b)
	return true
}

// asked reports whether the page server was asked for path.
func (fn *feedNode) asked(p string) bool {
	fn.mu.Lock()
	defer fn.mu.Unlock()
	for _, q := range fn.paths {
		if q == p {
			return true
		}
	}
	return false
}

// feedKey is a person's key pair in the tests.
type feedKey struct{ sk, pk string }

func newFeedKey(t *testing.T) feedKey {
	sk := nostr.GeneratePrivateKey()
	pk, err := nostr.GetPublicKey(sk)
	if err != nil {
		t.Fatal(err)
	}
	return feedKey{sk, pk}
}

// publish signs an event as k, made ago before the node's clock, and
// stores it in the node as a relay client's would be.
func (fn *feedNode) publish(k feedKey, kind int, ago time.Duration, tags nostr.Tags, content string) *nostr.Event {
	fn.t.Helper()
	ev := &nostr.Event{Kind: kind, CreatedAt: nostr.Timestamp(fn.clock.Now().Add(-ago).Unix()), Tags: tags, Content: content}
	if err := ev.Sign(k.sk); err != nil {
		fn.t.Fatal(err)
	}
	if r := fn.n.Ingest(context.Background(), ev)[0]; !r.OK() {
		fn.t.Fatalf("the node refused %s: %s", content, r.Message())
	}
	return ev
}

// feedBrowser is a headless Chromium laid out as a phone. It watches the
// page for the whole test and fails it on any console error, uncaught
// exception, browser log error, dialog, or request to another origin.
type feedBrowser struct {
	t      *testing.T
	ctx    context.Context
	origin string

	mu       sync.Mutex
	problems []string
	allowed  []string
}

var (
	feedShotsMu sync.Mutex
	feedShots   = map[string]int{}
)

func newFeedBrowser(t *testing.T, fn *feedNode) *feedBrowser {
	t.Helper()
	browsertest.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), feedTestTime)
	actx, acancel := chromedp.NewExecAllocator(ctx, browsertest.Options(t, chromedp.WindowSize(390, 844))...)
	tctx, tcancel := chromedp.NewContext(actx)
	b := &feedBrowser{t: t, ctx: tctx, origin: fn.base}
	over := t.Context()
	t.Cleanup(func() {
		if t.Failed() {
			b.shotTry("FAILED")
		}
		tcancel()
		acancel()
		cancel()
		b.mu.Lock()
		defer b.mu.Unlock()
		if len(b.problems) > 0 {
			t.Errorf("the browser saw %d problem(s):\n  %s", len(b.problems), strings.Join(b.problems, "\n  "))
		}
	})
	if err := chromedp.Listen(tctx, func(ev any) {
		if over.Err() == nil {
			b.watch(ev)
		}
	}); err != nil {
		t.Fatalf("start %s: %v", browsertest.Path, err)
	}
	b.run("lay the page out as a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
	return b
}

func (b *feedBrowser) watch(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert || ev.Type == runtime.ConsoleAPICalledTypeWarning {
			var parts []string
			for _, a := range ev.Args {
				if a.Value != nil {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			b.problem("console.%s: %s", ev.Type, strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + d.Exception.Description
		}
		b.problem("uncaught exception at %s:%d: %s", d.URL, d.LineNumber+1, text)
	case *cdplog.EventEntryAdded:
		if ev.Entry.Level == cdplog.EntryLevelError {
			b.problem("browser log (%s): %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
		}
	case *page.EventJavascriptDialogOpening:
		b.problem("a %s dialog opened: %q", ev.Type, ev.Message)
		// The dialog blocks the page until answered; answer it elsewhere.
		go chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
	case *network.EventRequestWillBeSent:
		u, err := url.Parse(ev.Request.URL)
		if err != nil || !(u.Scheme == "data" || u.Scheme == "blob" || u.Scheme == "about" ||
			(u.Scheme == "http" || u.Scheme == "ws") && "http://"+u.Host == b.origin) {
			b.problem("a request left the node: %s %s", ev.Request.Method, ev.Request.URL)
		}
	}
}

func (b *feedBrowser) problem(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, a := range b.allowed {
		if strings.Contains(msg, a) {
			return
		}
	}
	b.problems = append(b.problems, msg)
}

// allow lets errors containing text pass (a refusal the test asks for).
func (b *feedBrowser) allow(text string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.allowed = append(b.allowed, text)
}

func (b *feedBrowser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, feedWait)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// open loads the test page as key k reading in lang, with contacts
// marked as the reader's, and waits until the tab is mounted.
func (b *feedBrowser) open(k feedKey, lang string, contacts ...string) {
	b.t.Helper()
	u := b.origin + "/#sk=" + k.sk + "&lang=" + lang + "&contacts=" + strings.Join(contacts, ",")
	b.run("open the page", chromedp.Navigate("about:blank"), chromedp.Navigate(u))
	b.waitJS(`window.harnessReady === true`)
}

// waitJS waits until the JavaScript expression cond is truthy.
func (b *feedBrowser) waitJS(cond string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, feedWait)
	defer cancel()
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[json.RawMessage](cond, chromedp.WithPollingTimeout(feedWait)))
		if err == nil {
			return
		}
		// A navigation replaced the page: poll in the new one.
		if ctx.Err() == nil && (strings.Contains(err.Error(), "context was destroyed") || strings.Contains(err.Error(), "Cannot find context")) {
			continue
		}
		if errors.Is(err, chromedp.ErrPollingTimeout) || ctx.Err() != nil {
			b.t.Fatalf("waited %v for %s", feedWait, cond)
		}
		b.t.Fatalf("wait for %s: %v", cond, err)
	}
}

// eval evaluates js (awaiting a promise) into out, unless out is nil.
func (b *feedBrowser) eval(js string, out any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, feedWait)
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

// text is the shown text of the first element matching sel, "" if none.
func (b *feedBrowser) text(sel string) string {
	b.t.Helper()
	var s string
	b.eval(fmt.Sprintf(`document.querySelector(%s)?.innerText ?? ''`, jsq(sel)), &s)
	return s
}

// count is how many elements match sel.
func (b *feedBrowser) count(sel string) int {
	b.t.Helper()
	var n int
	b.eval(fmt.Sprintf(`document.querySelectorAll(%s).length`, jsq(sel)), &n)
	return n
}

// tap taps the element matching sel, as a finger would.
func (b *feedBrowser) tap(sel string) {
	b.t.Helper()
	b.run("tap "+sel, chromedp.Tap(chromedp.CSS(sel), chromedp.NodeVisible))
}

// type types text into the field matching sel, key by key.
func (b *feedBrowser) typeInto(sel, text string) {
	b.t.Helper()
	b.run("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), text, chromedp.NodeVisible))
}

// choose sets a <select> as a person choosing value would.
func (b *feedBrowser) choose(sel, value string) {
	b.t.Helper()
	var ok bool
	b.eval(fmt.Sprintf(`(() => { const s = document.querySelector(%s);
		if (![...s.options].some((o) => o.value === %[2]s)) return false;
		s.value = %[2]s; s.dispatchEvent(new Event('change', { bubbles: true })); return true; })()`, jsq(sel), jsq(value)), &ok)
	if !ok {
		b.t.Fatalf("%s has no option %q", sel, value)
	}
}

// shot saves a PNG of the page as NN-name.png under
// artifacts/screenshots/<test> (or $CARAVAN_ARTIFACTS/<test>).
func (b *feedBrowser) shot(name string) {
	b.t.Helper()
	if err := b.shotTry(name); err != nil {
		b.t.Fatal(err)
	}
}

func (b *feedBrowser) shotTry(name string) error {
	ctx, cancel := context.WithTimeout(b.ctx, feedWait)
	defer cancel()
	// From the top, after two animation frames: the layout asked for is
	// painted.
	err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0), new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))`, chromedp.EvalAwaitPromise))
	if err != nil {
		return fmt.Errorf("screenshot %s: %w", name, err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return fmt.Errorf("screenshot %s: %w", name, err)
	}
	dir := feedShotDir(b.t)
	feedShotsMu.Lock()
	if feedShots[b.t.Name()] == 0 {
		os.RemoveAll(dir) // an earlier run's
	}
	feedShots[b.t.Name()]++
	file := filepath.Join(dir, fmt.Sprintf("%02d-%s.png", feedShots[b.t.Name()], name))
	feedShotsMu.Unlock()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b.t.Logf("screenshot %s", file)
	return os.WriteFile(file, png, 0o644)
}

func feedShotDir(t *testing.T) string {
	dir := os.Getenv("CARAVAN_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "artifacts", "screenshots")
	}
	name := regexp.MustCompile(`[^A-Za-z0-9_-]+`).ReplaceAllString(t.Name(), "-")
	return filepath.Join(dir, strings.ToLower(name))
}

func jsq(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
