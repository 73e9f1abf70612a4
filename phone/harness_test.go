package phone_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/browsertest"
	"github.com/caravan-mesh/caravan/internal/nodetest"
	"github.com/caravan-mesh/caravan/localapi"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/phone"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The harness of the phone page's browser tests: real nodes serving the
// page on loopback, and headless Chromiums laid out as phones (390×844
// CSS pixels, touch, mobile), each with its own profile: two browsers
// are two phones. Every browser watches its page for the whole test and
// fails it on any console error, uncaught exception, dialog, or request
// to an origin the test did not open; and it records every request and
// websocket frame the page sends, for the tests that look for a secret
// in them.

const (
	// browserTestTime bounds a whole browser test.
	browserTestTime = 8 * time.Minute
	// waitTime bounds one wait: a guard against a hang, long enough for
	// a machine busy with other jobs (scrypt in the page takes seconds).
	waitTime = 2 * time.Minute
)

// testNode is a real node in a temporary directory, serving its relay
// endpoint (with the phone page) and its local API on loopback.
type testNode struct {
	t    testing.TB
	Node *node.Node
	Dir  string
	// Base is the relay port's origin, where the phone page is:
	// http://127.0.0.1:PORT.
	Base string
	// API is a client of the node's local API.
	API *localapi.Client

	token              string
	relayAddr, apiAddr string
	stop               func()
}

type nodeConfig struct {
	identity string // name of an identity to make, unlocked
	pageOff  bool
	options  node.Options
	page     func(http.ResponseWriter, *http.Request) bool
}

type nodeOption func(*nodeConfig)

// withIdentity gives the node an identity (a desktop user's).
func withIdentity(name string) nodeOption { return func(c *nodeConfig) { c.identity = name } }

// withPageOff leaves the phone page off, as a node's default is.
func withPageOff() nodeOption { return func(c *nodeConfig) { c.pageOff = true } }

// withOptions opens the node with o (its keys still protected with the
// weakest scrypt cost, for speed).
func withOptions(o node.Options) nodeOption { return func(c *nodeConfig) { c.options = o } }

// withPage serves page on the relay port in place of the phone page.
func withPage(page func(http.ResponseWriter, *http.Request) bool) nodeOption {
	return func(c *nodeConfig) { c.page = page }
}

// startNode opens a node, turns the phone page on and serves it until
// the test ends, as 'caravan serve' does (cmd/caravan/serve.go).
func startNode(t testing.TB, opts ...nodeOption) *testNode {
	t.Helper()
	var cfg nodeConfig
	for _, o := range opts {
		o(&cfg)
	}
	dir := t.TempDir()
	if cfg.options.KeyLogN == 0 {
		cfg.options.KeyLogN = 4
	}
	n, err := node.Open(dir, cfg.options)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	if cfg.page != nil {
		n.OnRelayHTTP(cfg.page)
	} else {
		n.Config.PhonePage = !cfg.pageOff
		phone.New(n)
	}
	if cfg.identity != "" {
		if _, err := n.NewIdentity(cfg.identity, "desk passphrase", false); err != nil {
			t.Fatal(err)
		}
	}
	b := make([]byte, 32)
	rand.Read(b)
	tn := &testNode{t: t, Node: n, Dir: dir, token: hex.EncodeToString(b), relayAddr: "127.0.0.1:0", apiAddr: "127.0.0.1:0"}
	tn.serve()
	t.Cleanup(tn.stopServing)
	tn.API = localapi.NewClient("http://"+tn.apiAddr, tn.token)
	t.Cleanup(func() { tn.API.Close() })
	return tn
}

// serve starts serving on the node's ports (new ones the first time, the
// same ones after stopServing) and returns once both listen.
func (tn *testNode) serve() {
	t := tn.t
	t.Helper()
	if tn.stop != nil {
		t.Fatal("already serving")
	}
	relayLn, err := nodetest.Listen(tn.relayAddr)
	if err != nil {
		t.Fatal(err)
	}
	apiLn, err := nodetest.Listen(tn.apiAddr)
	if err != nil {
		relayLn.Close()
		t.Fatal(err)
	}
	tn.relayAddr, tn.apiAddr = relayLn.Addr().String(), apiLn.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan node.Runtime, 1)
	done := make(chan error, 1)
	go func() {
		done <- tn.Node.Serve(ctx, node.ServeOptions{
			Relay: relayLn, API: apiLn, APIHandler: localapi.NewHandler(tn.Node, tn.token), Token: tn.token, NoLAN: true,
			Ready: func(rt node.Runtime) { ready <- rt },
		})
	}()
	select {
	case <-ready:
		tn.Base = "http://" + tn.relayAddr
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v", err)
	}
	tn.stop = func() {
		relayLn.Drop()
		apiLn.Drop()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}
}

// stopServing stops the relay port and the API, as a node that went away
// would; serve starts them again on the same ports.
func (tn *testNode) stopServing() {
	if tn.stop != nil {
		tn.stop()
		tn.stop = nil
	}
}

// phoneBrowser is one phone: a headless Chromium with its own profile.
type phoneBrowser struct {
	t    testing.TB
	name string
	ctx  context.Context

	mu       sync.Mutex
	origins  map[string]bool
	allowed  []string
	problems []string
	// sent is every request (method, address, headers, body) and every
	// websocket frame the browser sent.
	sent []string
	// received counts the bytes of every response, as they crossed the
	// wire (compressed, headers included).
	received int64
	shotDir  string
	over     func() bool
}

// newPhone starts a phone whose browser speaks lang (its interface
// language and Accept-Language).
func newPhone(t testing.TB, name, lang string) *phoneBrowser {
	t.Helper()
	browsertest.Require(t)
	alloc := browsertest.Options(t,
		chromedp.WindowSize(390, 844),
		chromedp.Flag("lang", lang),
		chromedp.Flag("accept-lang", lang),
		chromedp.Env("LANGUAGE="+lang, "LANG=C.UTF-8"),
	)
	ctx, cancel := context.WithTimeout(context.Background(), browserTestTime)
	actx, acancel := chromedp.NewExecAllocator(ctx, alloc...)
	tctx, tcancel := chromedp.NewContext(actx)
	p := &phoneBrowser{t: t, name: name, ctx: tctx, origins: map[string]bool{}, shotDir: browsertest.ShotDir(t, "phone-")}
	testDone := t.Context()
	p.over = func() bool { return testDone.Err() != nil }
	t.Cleanup(func() {
		if t.Failed() {
			if err := p.saveShot(name + "-FAILED"); err != nil {
				t.Logf("no screenshot of the failure: %v", err)
			}
		}
		tcancel()
		acancel()
		cancel()
		p.report()
	})
	if err := chromedp.Listen(tctx, p.watch); err != nil {
		t.Fatalf("start %s: %v", browsertest.Path, err)
	}
	p.run("lay the page out as a phone's", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
	return p
}

func (p *phoneBrowser) watch(ev any) {
	if p.over() {
		return
	}
	if msg := browsertest.Problem(ev, true); msg != "" {
		p.problem("%s", msg)
		return
	}
	switch ev := ev.(type) {
	case *page.EventJavascriptDialogOpening:
		p.mu.Lock()
		p.problems = append(p.problems, fmt.Sprintf("a %s dialog opened: %q", ev.Type, ev.Message))
		p.mu.Unlock()
		go chromedp.Call(p.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
	case *network.EventRequestWillBeSent:
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s", ev.Request.Method, ev.Request.URL)
		for k, v := range ev.Request.Headers {
			fmt.Fprintf(&b, "\n%s: %v", k, v)
		}
		for _, e := range ev.Request.PostDataEntries {
			b.WriteString("\n")
			b.Write(e.Bytes)
		}
		p.mu.Lock()
		p.sent = append(p.sent, b.String())
		p.mu.Unlock()
		if !p.mayRequest(ev.Request.URL) {
			p.mu.Lock()
			p.problems = append(p.problems, fmt.Sprintf("request left the allowed origins: %s %s", ev.Request.Method, ev.Request.URL))
			p.mu.Unlock()
		}
	case *network.EventWebSocketCreated:
		if !p.mayRequest(ev.URL) {
			p.mu.Lock()
			p.problems = append(p.problems, "websocket to an origin not allowed: "+ev.URL)
			p.mu.Unlock()
		}
	case *network.EventLoadingFinished:
		p.mu.Lock()
		p.received += int64(ev.EncodedDataLength)
		p.mu.Unlock()
	case *network.EventWebSocketFrameSent:
		p.mu.Lock()
		p.sent = append(p.sent, "WS "+string(ev.Response.PayloadData))
		p.mu.Unlock()
	}
}

func (p *phoneBrowser) problem(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	// A node without POST /phone/v1/carried answers 404, and the page
	// then stops asking: no trouble.
	if strings.Contains(msg, "status of 404") && strings.Contains(msg, phone.APIPrefix+"carried") {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range p.allowed {
		if strings.Contains(msg, a) {
			return
		}
	}
	p.problems = append(p.problems, msg)
}

func (p *phoneBrowser) mayRequest(u string) bool {
	pu, err := url.Parse(u)
	if err != nil {
		return false
	}
	switch pu.Scheme {
	case "blob", "data", "about":
		return true
	case "ws":
		pu.Scheme = "http"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.origins[pu.Scheme+"://"+pu.Host]
}

func (p *phoneBrowser) report() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.problems) > 0 {
		p.t.Errorf("%s's browser saw %d problem(s):\n  %s", p.name, len(p.problems), strings.Join(p.problems, "\n  "))
	}
}

// allowErrors lets console and log errors containing any of texts pass
// (a fetch refused while the node is away, for example) until the
// returned func is called.
func (p *phoneBrowser) allowErrors(texts ...string) (end func()) {
	p.mu.Lock()
	p.allowed = append(p.allowed, texts...)
	p.mu.Unlock()
	return func() {
		p.evalInto("0", nil) // what the browser sent before now belongs to the phase
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, text := range texts {
			for i, a := range p.allowed {
				if a == text {
					p.allowed = append(p.allowed[:i], p.allowed[i+1:]...)
					break
				}
			}
		}
	}
}

// sentSoFar is everything the browser has sent.
func (p *phoneBrowser) sentSoFar() []string {
	p.evalInto("0", nil)
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.sent...)
}

func (p *phoneBrowser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitTime)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %s: %v", p.name, what, err)
	}
}

// open loads u and lets the page talk to u's origin.
func (p *phoneBrowser) open(u string) {
	p.t.Helper()
	pu, err := url.Parse(u)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.origins[pu.Scheme+"://"+pu.Host] = true
	p.mu.Unlock()
	p.run("open "+u, chromedp.Navigate("about:blank"), chromedp.Navigate(u))
}

// reload loads the page again, as a person coming back to it would.
func (p *phoneBrowser) reload() {
	p.t.Helper()
	p.run("reload", chromedp.Reload())
}

// waitJS waits until the JavaScript expression cond is truthy.
func (p *phoneBrowser) waitJS(cond string) {
	p.t.Helper()
	if err := browsertest.WaitJS(p.ctx, cond, waitTime); err != nil {
		p.t.Fatalf("%s: %v", p.name, err)
	}
}

// waitScreen waits until the page shows the screen name.
func (p *phoneBrowser) waitScreen(name string) {
	p.t.Helper()
	p.waitJS(fmt.Sprintf(`document.getElementById('app')?.dataset.screen === %s`, jsString(name)))
}

// show goes to a route ("#/people") and waits for its screen.
func (p *phoneBrowser) show(route, screen string) {
	p.t.Helper()
	p.evalInto(fmt.Sprintf(`location.hash = %s`, jsString(route)), nil)
	p.waitScreen(screen)
}

// waitText waits until the element matching sel shows text containing s.
func (p *phoneBrowser) waitText(sel, s string) {
	p.t.Helper()
	p.waitJS(fmt.Sprintf(`(document.querySelector(%s)?.innerText || '').includes(%s)`, jsString(sel), jsString(s)))
}

// click taps the element matching sel.
func (p *phoneBrowser) click(sel string) {
	p.t.Helper()
	p.run("tap "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// typeInto types text into the field matching sel, key by key.
func (p *phoneBrowser) typeInto(sel, text string) {
	p.t.Helper()
	p.run("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), text, chromedp.NodeVisible))
}

// setField sets a field's value at once (a long text pasted) and tells
// the page.
func (p *phoneBrowser) setField(sel, value string) {
	p.t.Helper()
	p.run("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	p.evalInto(fmt.Sprintf(`(() => {
		const f = document.querySelector(%s);
		f.value = %s;
		f.dispatchEvent(new Event('input', { bubbles: true }));
		f.dispatchEvent(new Event('change', { bubbles: true }));
	})()`, jsString(sel), jsString(value)), nil)
}

// text is the visible text of the element matching sel ("" if none).
func (p *phoneBrowser) text(sel string) string {
	p.t.Helper()
	var s string
	p.evalInto(fmt.Sprintf(`document.querySelector(%s)?.innerText ?? ''`, jsString(sel)), &s)
	return s
}

// evalInto evaluates a JavaScript expression (awaiting a promise) and
// decodes its JSON value into out, unless out is nil.
func (p *phoneBrowser) evalInto(js string, out any) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitTime)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](js, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("%s: evaluate %s: %v", p.name, js, err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			p.t.Fatalf("%s: evaluate %s: %s: %v", p.name, js, raw, err)
		}
	}
}

// shot saves a full-page PNG as NN-name.png in the test's screenshot
// directory.
func (p *phoneBrowser) shot(name string) {
	p.t.Helper()
	if err := p.saveShot(name); err != nil {
		p.t.Fatal(err)
	}
}

func (p *phoneBrowser) saveShot(name string) error {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitTime)
	defer cancel()
	return browsertest.Screenshot(ctx, p.t, p.shotDir, name)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// waitFor polls cond (a question to the node, which has no event to wait
// on from outside) until it holds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTime)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", waitTime, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fontSize sets the browser's default text size in CSS pixels (16 is
// the usual; a phone set for large text shows pages larger).
func (p *phoneBrowser) fontSize(px int64) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitTime)
	defer cancel()
	if _, err := chromedp.Call(ctx, page.SetFontSizes, page.SetFontSizesParams{FontSizes: &page.FontSizes{Standard: px, Fixed: px * 13 / 16}}); err != nil {
		p.t.Fatalf("set the text size: %v", err)
	}
}
