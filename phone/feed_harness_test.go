package phone_test

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/browsertest"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/phone"
	"github.com/chromedp/chromedp"
	"github.com/nbd-wtf/go-nostr"
)

// The Public tab's browser tests run its module (assets/js/feed) in a
// phone of the phone harness (harness_test.go), against a node of it.
// The page that mounts the module is testdata/feed: a stand-in for the
// shell with the api the shell gives the tab, served by the node's relay
// port at "/" in place of the phone page (the same origin as its blobs,
// as the phone page is). The module, its styles and catalogues are the
// package's embedded assets.

type feedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *feedClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// feedNode is a test node serving the test page in place of the phone
// page.
type feedNode struct {
	*testNode
	clock *feedClock

	mu    sync.Mutex
	paths []string // what the page asked the page server for
}

// startFeedNode opens a node with cfg on a clock of its own (which stands
// still: rate limits are what cfg says, whatever the machine's speed) and
// serves it on loopback until the test ends.
func startFeedNode(t *testing.T, cfg node.Config) *feedNode {
	t.Helper()
	fn := &feedNode{clock: &feedClock{t: time.Now().Truncate(time.Second)}}
	fn.testNode = startNode(t, withOptions(node.Options{Config: &cfg, Now: fn.clock.Now}), withPage(fn.serve))
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
	return ingest(fn.t, fn.Node, k, kind, fn.clock.Now().Add(-ago), tags, content)
}

// feedBrowser is a phone that opens the test page.
type feedBrowser struct {
	*phoneBrowser
	origin string
}

// newFeedBrowser starts a phone for fn's test page, its screenshots in
// artifacts/screenshots/<test> (without the phone tests' prefix).
func newFeedBrowser(t *testing.T, fn *feedNode) *feedBrowser {
	t.Helper()
	p := newPhone(t, "reader", "en-US")
	p.shotDir = browsertest.ShotDir(t, "")
	p.mu.Lock()
	p.origins[fn.Base] = true
	p.mu.Unlock()
	return &feedBrowser{phoneBrowser: p, origin: fn.Base}
}

// allow lets errors containing text pass (a refusal the test asks for)
// until the test ends.
func (b *feedBrowser) allow(text string) { b.allowErrors(text) }

// open loads the test page as key k reading in lang, with contacts
// marked as the reader's, and waits until the tab is mounted.
func (b *feedBrowser) open(k feedKey, lang string, contacts ...string) {
	b.t.Helper()
	u := b.origin + "/#sk=" + k.sk + "&lang=" + lang + "&contacts=" + strings.Join(contacts, ",")
	b.run("open the page", chromedp.Navigate("about:blank"), chromedp.Navigate(u))
	b.waitJS(`window.harnessReady === true`)
}

// count is how many elements match sel.
func (b *feedBrowser) count(sel string) int {
	b.t.Helper()
	var n int
	b.evalInto(fmt.Sprintf(`document.querySelectorAll(%s).length`, jsString(sel)), &n)
	return n
}

// tap taps the element matching sel, as a finger would.
func (b *feedBrowser) tap(sel string) {
	b.t.Helper()
	b.run("tap "+sel, chromedp.Tap(chromedp.CSS(sel), chromedp.NodeVisible))
}

// choose sets a <select> as a person choosing value would.
func (b *feedBrowser) choose(sel, value string) {
	b.t.Helper()
	var ok bool
	b.evalInto(fmt.Sprintf(`(() => { const s = document.querySelector(%s);
		if (![...s.options].some((o) => o.value === %[2]s)) return false;
		s.value = %[2]s; s.dispatchEvent(new Event('change', { bubbles: true })); return true; })()`, jsString(sel), jsString(value)), &ok)
	if !ok {
		b.t.Fatalf("%s has no option %q", sel, value)
	}
}
