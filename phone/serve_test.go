package phone_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/caravan-mesh/caravan/phone"
)

func get(t *testing.T, u string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	// The transport must not undo the compression under test.
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

var importMapRE = regexp.MustCompile(`(?s)<script type="importmap">(.*?)</script>`)

// TestServePage: "/" is the page, with a CSP that allows its import map
// by the hash of exactly what is served, only the node's own scripts, and
// connections back to the node; every module is in the import map under
// a versioned address, cached for good there and revalidated elsewhere;
// text is gzipped for browsers that take it; the catalogues come merged,
// one file a language.
func TestServePage(t *testing.T) {
	tn := startNode(t)
	resp, body := get(t, tn.Base+"/")
	h := resp.Header
	if resp.StatusCode != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", resp.StatusCode, h.Get("Content-Type"))
	}
	m := importMapRE.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no import map in %s", body)
	}
	sum := sha256.Sum256(m[1])
	hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	host := strings.TrimPrefix(tn.Base, "http://")
	wantCSP := "default-src 'none'; script-src 'self' " + hash + "; connect-src 'self' ws://" + host +
		"; img-src 'self' blob: data:; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	if got := h.Get("Content-Security-Policy"); got != wantCSP {
		t.Errorf("CSP\n got %s\nwant %s", got, wantCSP)
	}
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache", "X-Frame-Options": "DENY"} {
		if h.Get(k) != v {
			t.Errorf("%s: %q, want %q", k, h.Get(k), v)
		}
	}
	if r, _ := get(t, tn.Base+"/", "If-None-Match", h.Get("ETag")); r.StatusCode != http.StatusNotModified {
		t.Errorf("GET / with its ETag: %d, want 304", r.StatusCode)
	}

	var im struct{ Imports map[string]string }
	if err := json.Unmarshal(m[1], &im); err != nil {
		t.Fatal(err)
	}
	modules := 0
	fs.WalkDir(phone.Assets, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") && !strings.HasSuffix(p, ".mjs") {
			return err
		}
		modules++
		v, ok := im.Imports["/phone/"+p]
		if !ok || !strings.HasPrefix(v, "/phone/"+p+"?v=") {
			t.Errorf("the import map sends /phone/%s to %q", p, v)
		}
		return nil
	})
	for bare, want := range map[string]string{"@noble/hashes/sha2.js": "/phone/vendor/@noble/hashes/sha2.js?v=", "nostr-tools/pure.js": "/phone/vendor/nostr-tools/lib/esm/pure.js?v=", "@scure/base": "/phone/vendor/@scure/base/index.js?v="} {
		if !strings.HasPrefix(im.Imports[bare], want) {
			t.Errorf("the import map sends %s to %q", bare, im.Imports[bare])
		}
	}
	app := regexp.MustCompile(`<script type="module" src="(/phone/js/app\.js\?v=[0-9a-f]+)"`).FindSubmatch(body)
	if app == nil || string(app[1]) != im.Imports["/phone/js/app.js"] {
		t.Fatalf("index.html loads app.js as %q, the import map says %q", app, im.Imports["/phone/js/app.js"])
	}

	// Versioned: kept for good; gzipped when asked for.
	plainResp, plain := get(t, tn.Base+string(app[1]))
	if cc := plainResp.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("a versioned module: Cache-Control %q", cc)
	}
	gzResp, gz := get(t, tn.Base+string(app[1]), "Accept-Encoding", "gzip, deflate")
	if gzResp.Header.Get("Content-Encoding") != "gzip" || gzResp.Header.Get("ETag") == plainResp.Header.Get("ETag") {
		t.Fatalf("gzip: Content-Encoding %q, ETags %q and %q", gzResp.Header.Get("Content-Encoding"), gzResp.Header.Get("ETag"), plainResp.Header.Get("ETag"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	if un, _ := io.ReadAll(zr); !bytes.Equal(un, plain) {
		t.Error("the gzipped module is not the module")
	}
	if r, _ := get(t, tn.Base+string(app[1]), "Accept-Encoding", "gzip;q=0"); r.Header.Get("Content-Encoding") != "" {
		t.Error("gzip sent to a client that refuses it")
	}
	// Unversioned, or an old version: asked again each time.
	if r, _ := get(t, tn.Base+"/phone/js/app.js?v=0ld"); r.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("an old version: Cache-Control %q", r.Header.Get("Cache-Control"))
	}

	// The catalogues, merged.
	r, b := get(t, tn.Base+"/phone/i18n/ru.json")
	var ru map[string]string
	if r.StatusCode != 200 || json.Unmarshal(b, &ru) != nil || ru["tab.chats"] == "" || ru["chats.title"] == "" {
		t.Errorf("/phone/i18n/ru.json: %d %.200s", r.StatusCode, b)
	}

	// Not the page's.
	if r, _ := get(t, tn.Base+"/phone/nothing.js"); r.StatusCode != 404 || r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("a missing file: %d", r.StatusCode)
	}
	if r, b := get(t, tn.Base+"/", "Accept", "application/nostr+json"); r.StatusCode != 200 || !bytes.Contains(b, []byte(`"supported_nips"`)) {
		t.Errorf("NIP-11 at /: %d %.100s", r.StatusCode, b)
	}
	// A Host that is not a host name does not reach the CSP.
	req, _ := http.NewRequest("GET", tn.Base+"/", nil)
	req.Host = "evil; script-src *"
	if r, err := http.DefaultTransport.RoundTrip(req); err == nil {
		if csp := r.Header.Get("Content-Security-Policy"); strings.Contains(csp, "evil") {
			t.Errorf("the Host header reached the CSP: %s", csp)
		}
		r.Body.Close()
	}
	t.Logf("%d modules in the import map", modules)
}

// TestServeLeavesAPIAlone: the page does not answer /phone/v1/ (the
// node's JSON endpoints for it, answered elsewhere) or anything but GET
// and HEAD.
func TestServeLeavesAPIAlone(t *testing.T) {
	tn := startNode(t)
	asked := 0
	tn.Node.OnRelayHTTP(func(w http.ResponseWriter, r *http.Request) bool {
		asked++
		w.WriteHeader(http.StatusTeapot)
		return true
	})
	for _, c := range []struct{ method, path string }{{"POST", "/phone/v1/elsewhere"}, {"GET", "/phone/v1/x"}, {"POST", "/"}, {"PUT", "/phone/js/app.js"}} {
		req, _ := http.NewRequest(c.method, tn.Base+c.path, nil)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusTeapot {
			t.Errorf("%s %s: %d: the page answered it", c.method, c.path, r.StatusCode)
		}
	}
	if asked != 4 {
		t.Errorf("the next handler was asked %d times, want 4", asked)
	}
}

// TestServeOff: with the page off, "/" says so in the browser's language,
// says how to turn it on and links to /apps/; the page's files are not
// served.
func TestServeOff(t *testing.T) {
	tn := startNode(t, withPageOff())
	for lang, want := range map[string]string{"": "turned off", "ru-RU,ru;q=0.9": "выключена", "es": "desactivada", "kk": "өшірулі"} {
		r, b := get(t, tn.Base+"/", "Accept-Language", lang)
		body := string(b)
		if r.StatusCode != 200 || !strings.Contains(body, want) || !strings.Contains(body, "caravan serve --community") ||
			!strings.Contains(body, `"phone_page": true`) && !strings.Contains(body, "&#34;phone_page&#34;: true") || !strings.Contains(body, `href="/apps/"`) {
			t.Errorf("Accept-Language %q: %d %s", lang, r.StatusCode, body)
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'; style-src 'sha256-") {
			t.Errorf("CSP %q", csp)
		}
	}
	if r, _ := get(t, tn.Base+"/phone/js/app.js"); r.StatusCode != 404 {
		t.Errorf("a file of the page while it is off: %d", r.StatusCode)
	}
}

// TestBrowserFirstLoad measures what a phone downloads to show the page
// the first time (compressed, headers included), and what a second visit
// costs: the versioned modules come from the browser's cache.
func TestBrowserFirstLoad(t *testing.T) {
	t.Parallel()
	tn := startNode(t)
	p := newPhone(t, "first", "ru-RU")
	p.open(tn.Base + "/")
	p.waitScreen("welcome")
	p.evalInto("0", nil)
	p.mu.Lock()
	first := p.received
	p.received = 0
	p.mu.Unlock()
	p.reload()
	p.waitScreen("welcome")
	p.evalInto("0", nil)
	p.mu.Lock()
	second := p.received
	p.mu.Unlock()
	t.Logf("first load: %d bytes over the wire; a second visit: %d bytes", first, second)
	if first > 300<<10 {
		t.Errorf("the first load takes %d bytes, more than 300 KB", first)
	}
	if second >= first/4 {
		t.Errorf("a second visit takes %d bytes of the first's %d: the modules are not kept", second, first)
	}
}

// TestBrowserPageOff: the page at "/" while the phone page is off shows
// in the browser's language, styled (its inline style allowed by hash).
func TestBrowserPageOff(t *testing.T) {
	t.Parallel()
	tn := startNode(t, withPageOff())
	p := newPhone(t, "off", "ru-RU")
	p.open(tn.Base + "/")
	p.waitText("#phone-off", "выключена")
	var font string
	p.evalInto(`getComputedStyle(document.body).fontFamily`, &font)
	if !strings.Contains(font, "system-ui") {
		t.Errorf("the page's style did not apply: font %q", font)
	}
	p.shot("off")
}
