package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/localapi"
	"github.com/caravan-mesh/caravan/reports"
	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip19"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

const passField = `#signin-form input[name=passphrase]`

// TestBrowserSignIn: the link 'caravan open' opens signs in once; the
// passphrase signs in, and a wrong one is answered next to the field;
// the page speaks the browser's language until told otherwise.
func TestBrowserSignIn(t *testing.T) {
	t.Parallel()
	tn := startNode(t, "ann")
	b := newBrowser(t)

	link := tn.Base + "/#code=" + tn.UI.MintCode()
	b.open(link)
	b.waitScreen("feed")
	var loc string
	b.evalInto(`location.href`, &loc)
	if strings.Contains(loc, "code=") {
		t.Errorf("the code stays in the address bar: %s", loc)
	}
	b.waitVisible("#top")
	b.shot("feed")

	// The same link again, in a browser that forgot the token.
	b.evalInto(`localStorage.removeItem('caravan.token')`, nil)
	end := b.allowErrors("status of 401") // the refused exchange
	b.open(link)
	b.waitScreen("signin")
	b.waitText("#signin-form .notice", "this sign-in link was used already or is too old")
	end()
	if b.text("#signin-form .notice") == "" || b.text("#signin-form h1") != "Sign in" {
		t.Errorf("sign-in page after a used link: %q", b.text("#signin-form"))
	}
	b.shot("signin-used-link")

	// A wrong passphrase: the API's words, next to the field.
	end = b.allowErrors("status of 403")
	b.typeInto(passField, "not my passphrase\n")
	b.waitText(`#signin-form [data-field=passphrase] .field-error`, "wrong passphrase")
	end()
	var invalid bool
	b.evalInto(`document.querySelector(`+jsString(passField)+`).getAttribute('aria-invalid') === 'true'`, &invalid)
	if !invalid {
		t.Error("the passphrase field is not marked invalid")
	}
	b.shot("signin-wrong-passphrase")
	b.shotPhone("signin-wrong-passphrase")

	// The right one, a second later (attempts are spaced).
	tn.Clock.Advance(time.Second)
	b.clearField(passField)
	b.typeInto(passField, testPassphrase+"\n")
	b.waitScreen("feed")
	b.waitVisible("#top")
	var token string
	b.evalInto(`localStorage.getItem('caravan.token')`, &token)
	if token != tn.Token {
		t.Errorf("token after passphrase sign-in: %q", token)
	}

	// A browser set up in Russian.
	ru := newBrowser(t, withLang("ru"))
	ru.open(tn.Base + "/")
	ru.waitScreen("signin")
	if got := ru.text("#signin-form h1"); got != "Вход" {
		t.Errorf("sign-in title in a Russian browser: %q", got)
	}
	var htmlLang string
	ru.evalInto(`document.documentElement.lang`, &htmlLang)
	if htmlLang != "ru" {
		t.Errorf("<html lang> %q", htmlLang)
	}
	ru.shot("signin-ru")
	ru.shotPhone("signin-ru")

	// Choosing English is remembered over the browser's language.
	ru.signIn(tn)
	ru.waitText("#nav", "Лента")
	ru.selectOption("#lang", "en")
	ru.waitText("#nav", "Feed")
	ru.waitText("#main h1", "Feed")
	ru.open(tn.Base + "/")
	ru.waitScreen("feed")
	ru.waitText("#nav", "Feed")
	ru.evalInto(`localStorage.removeItem('caravan.token')`, nil)
	ru.open(tn.Base + "/")
	ru.waitScreen("signin")
	if got := ru.text("#signin-form h1"); got != "Sign in" {
		t.Errorf("sign-in title after choosing English: %q", got)
	}
	ru.shot("signin-en-chosen")
}

// evilPage is a page of another site that tries every way a page can
// reach the node: reading the API, posting to it with and without
// credentials and with a real sign-in code, forms, and an image. It
// writes what it saw to window.results and sets window.done.
const evilPage = `<!doctype html>
<meta charset="utf-8">
<title>Another site</title>
<h1>Another site</h1>
<form id="post" method="POST" action="{{NODE}}/api/v1/post" enctype="text/plain" target="sink-post"><input name='{"kind":1,"content":"forged by a form","x":"' value='"}'></form>
<form id="panic" method="POST" action="{{NODE}}/api/v1/panic" enctype="text/plain" target="sink-panic"><input name='{"confirm":"erase","x":"' value='"}'></form>
<iframe name="sink-post"></iframe><iframe name="sink-panic"></iframe>
<pre id="out"></pre>
<script>
const node = '{{NODE}}';
window.results = {};
async function attempt(name, f) {
  try {
    const r = await f();
    results[name] = 'answered ' + r.status + ' ' + r.type + ' ' + (await r.text().catch(() => ''));
  } catch (e) {
    results[name] = 'failed: ' + e;
  }
}
const text = { 'Content-Type': 'text/plain' };
(async () => {
  await attempt('read status', () => fetch(node + '/api/v1/status'));
  await attempt('read status with credentials', () => fetch(node + '/api/v1/status', { credentials: 'include' }));
  await attempt('read status with a guessed token', () => fetch(node + '/api/v1/status', { headers: { Authorization: 'Bearer 00' } }));
  await attempt('post', () => fetch(node + '/api/v1/post', { method: 'POST', mode: 'no-cors', credentials: 'include', headers: text, body: '{"kind":1,"content":"forged by fetch"}' }));
  await attempt('post, cors', () => fetch(node + '/api/v1/post', { method: 'POST', credentials: 'include', headers: text, body: '{"kind":1,"content":"forged by fetch"}' }));
  await attempt('panic', () => fetch(node + '/api/v1/panic', { method: 'POST', mode: 'no-cors', headers: text, body: '{"confirm":"erase"}' }));
  await attempt('exchange a real code', () => fetch(node + '/ui/exchange', { method: 'POST', headers: text, body: '{"code":"{{CODE}}"}' }));
  await attempt('sign in', () => fetch(node + '/ui/signin', { method: 'POST', headers: text, body: '{"passphrase":"{{PASS}}"}' }));
  results['image'] = await new Promise((done) => {
    const img = new Image();
    img.onload = () => done('loaded ' + img.naturalWidth + 'x' + img.naturalHeight);
    img.onerror = () => done('failed');
    img.src = node + '/api/v1/blob?sha256={{BLOB}}';
  });
  document.getElementById('post').submit();
  document.getElementById('panic').submit();
  document.getElementById('out').textContent = JSON.stringify(results, null, 2);
  window.done = true;
})();
</script>`

// TestBrowserCrossOrigin: a page of another origin, in a real browser,
// can make the browser send requests to the node, but the node refuses
// every one and nothing happens: no note, no panic, no token, no file.
func TestBrowserCrossOrigin(t *testing.T) {
	t.Parallel()
	tn := startNode(t, "ann")
	ctx := context.Background()
	att, err := tn.API.Attach(ctx, "", "dot.png", "", "image/png", pngDot(t), true)
	if err != nil {
		t.Fatal(err)
	}
	code := tn.UI.MintCode() // as if the other site had learnt it

	page := strings.NewReplacer("{{NODE}}", tn.Base, "{{CODE}}", code, "{{PASS}}", testPassphrase, "{{BLOB}}", att.SHA256).Replace(evilPage)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	}))
	defer evil.Close()
	_, port, _ := net.SplitHostPort(evil.Listener.Addr().String())

	b := newBrowser(t)
	// The node's refusals, as the browser reports them.
	end := b.allowErrors("blocked by CORS policy", "net::ERR_FAILED", "net::ERR_BLOCKED_BY_RESPONSE.NotSameOrigin",
		"the server responded with a status of 403", "in a frame because it set 'X-Frame-Options' to 'deny'")
	// Another port on the same address (same site, other origin), and
	// another name (another site).
	for i, origin := range []string{"http://127.0.0.1:" + port, "http://localhost:" + port} {
		b.allowOrigin(tn.Base) // the page may ask; the node must refuse
		b.open(origin + "/")
		b.waitJS(`window.done === true`)
		var results map[string]string
		b.evalInto(`window.results`, &results)
		for what, got := range results {
			t.Logf("%s: %s: %s", origin, what, got)
			if strings.HasPrefix(got, "answered 200") || strings.HasPrefix(got, "loaded") || strings.Contains(got, tn.Token) {
				t.Errorf("%s: %s succeeded: %s", origin, what, got)
			}
		}
		if len(results) != 9 {
			t.Errorf("%s: %d results, want 9: %v", origin, len(results), results)
		}
		// The forms' posts reach the node, and are refused.
		tn.waitRequests("/api/v1/post", 3*(i+1))
		tn.waitRequests("/api/v1/panic", 2*(i+1))
		b.shot("other-site-" + map[int]string{0: "same-site", 1: "cross-site"}[i])
	}
	end()

	for _, path := range []string{"/api/v1/status", "/api/v1/post", "/api/v1/panic", "/api/v1/blob", "/ui/exchange", "/ui/signin"} {
		reqs := tn.requests(path)
		if len(reqs) == 0 {
			t.Errorf("no request for %s reached the node: the test proves nothing for it", path)
		}
		for _, r := range reqs {
			t.Logf("%s %s, Origin %q, Sec-Fetch-Site %q: %d", r.Method, r.Path, r.Origin, r.SecFetchSite, r.Status)
			if r.Status != http.StatusForbidden {
				t.Errorf("%s %s from %q (Sec-Fetch-Site %q): %d, want 403", r.Method, r.Path, r.Origin, r.SecFetchSite, r.Status)
			}
		}
	}
	if evs, err := localapi.QueryEvents(ctx, tn.API, nostr.Filter{Kinds: []int{1}}); err != nil || len(evs) != 0 {
		t.Errorf("notes after the other site's posts: %d %v", len(evs), err)
	}
	if id, err := tn.Node.Identity(""); err != nil || !id.Unlocked {
		t.Errorf("identity after the other site's panic: %+v %v", id, err)
	}
	// The code the other site tried is still good: refused requests
	// never reach the exchange.
	b.open(tn.Base + "/#code=" + code)
	b.waitScreen("feed")
}

// pngDot is a 1×1 PNG.
func pngDot(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 1, 1))
	img.Set(0, 0, color.RGBA{200, 80, 20, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Hostile strings, each with a part that shows it was displayed.
var hostile = []struct{ full, marker string }{
	{`<img src=x onerror=window.__xss=1>`, `onerror=window.__xss=1`},
	{`<script>window.__xss=1</script>`, `<script>window.__xss`},
	{`"><svg onload=window.__xss=1>`, `<svg onload`},
	{`javascript:window.__xss=1`, `javascript:window.__xss`},
}

// hostileMarkdown is a report body with everything the renderer must
// drop or neutralise.
const hostileMarkdown = `# Heading <script>window.__xss=1</script>

<img src=x onerror=window.__xss=1>

<iframe src="https://evil.example/"></iframe><object data="https://evil.example/o"></object>

<a href="https://evil.example/" onclick="window.__xss=1">raw link</a>

[x](javascript:window.__xss=1) [y](JaVaScRiPt:window.__xss=1) [z](data:text/html,<script>window.__xss=1</script>) [v](vbscript:msgbox)

![i](https://evil.example/track.png)

![dot]({{DOT}})

<style>body{background:url(https://evil.example/bg.png)}</style>
`

// noXSS checks the page as it is: returns what is wrong.
const noXSS = `(() => {
  const bad = [];
  if (window.__xss !== undefined) bad.push('window.__xss is set: a hostile script ran');
  for (const e of document.querySelectorAll('script:not([src]), iframe, frame, object, embed, base, meta[http-equiv], link:not([rel=stylesheet]):not([rel=icon]), style, svg script, form[action]'))
    bad.push('element <' + e.tagName.toLowerCase() + '>: ' + e.outerHTML.slice(0, 120));
  for (const e of document.querySelectorAll('script[src], link[href], img[src], video[src], audio[src], source[src]')) {
    const u = new URL(e.getAttribute('src') || e.getAttribute('href'), location.href);
    if (u.origin !== location.origin && u.protocol !== 'blob:') bad.push('loads from elsewhere: ' + e.outerHTML.slice(0, 120));
  }
  for (const e of document.querySelectorAll('*')) {
    for (const a of e.attributes) {
      if (/^on/i.test(a.name)) bad.push('event handler attribute ' + a.name + ' on <' + e.tagName.toLowerCase() + '>');
      if (/^\s*(javascript|vbscript|data):/i.test(a.value) && a.name !== 'alt' && a.name !== 'title') bad.push('script URL in ' + a.name + ': ' + a.value.slice(0, 80));
    }
  }
  const text = document.body.innerText;
  for (const [full, marker] of HOSTILE) {
    if (text.includes(marker) && !text.includes(full)) bad.push('shown, but not as the literal text ' + full);
  }
  return bad;
})()`

// TestBrowserXSS: hostile profiles, notes and reports, in the node before
// the browser opens, run no script, open no dialog, load nothing from
// elsewhere, and show as text, on every screen.
func TestBrowserXSS(t *testing.T) {
	t.Parallel()
	tn := startNode(t, "ann")
	ctx := context.Background()

	// The node's own identity, as if its owner had pasted hostile text.
	dot, err := tn.API.Attach(ctx, "", "dot.png", `<img src=x onerror=window.__xss=1>`, "image/png", pngDot(t), true)
	if err != nil {
		t.Fatal(err)
	}
	profile, _ := json.Marshal(map[string]string{"name": hostile[0].full, "about": hostile[1].full, "picture": "https://evil.example/me.png"})
	for _, ev := range []*nostr.Event{
		{Kind: 0, Content: string(profile)},
		{Kind: 1, Content: hostile[1].full + " " + hostile[0].full + " https://evil.example/x.png " + hostile[3].full},
	} {
		if _, err := tn.Node.Publish(ctx, "", ev); err != nil {
			t.Fatal(err)
		}
	}
	own, err := reports.New(tn.Node).Publish(ctx, "", reports.Input{
		Title: hostile[2].full, Summary: hostile[0].full, Lang: "en", Tags: []string{"xss"},
		Markdown:    strings.ReplaceAll(hostileMarkdown, "{{DOT}}", dot.URL),
		Attachments: []reports.Attachment{dot},
	})
	if err != nil {
		t.Fatal(err)
	}

	// A stranger's events, signed elsewhere and carried here.
	sk := nostr.GeneratePrivateKey()
	pk, _ := nostr.GetPublicKey(sk)
	npub, _ := nip19.EncodePublicKey(pk)
	strangerProfile, _ := json.Marshal(map[string]string{"name": hostile[0].full, "display_name": hostile[2].full, "picture": "javascript:alert(1)", "banner": "https://evil.example/b.png"})
	now := nostr.Timestamp(time.Now().Unix())
	evs := []*nostr.Event{
		{Kind: 0, CreatedAt: now, Content: string(strangerProfile)},
		{Kind: 1, CreatedAt: now, Content: hostile[1].full + " ![i](https://evil.example/n.png)"},
		{Kind: 30023, CreatedAt: now, Content: strings.ReplaceAll(hostileMarkdown, "{{DOT}}", "https://evil.example/dot.png"), Tags: nostr.Tags{
			{"d", "hostile"}, {"title", hostile[2].full}, {"summary", hostile[1].full},
			{"published_at", fmt.Sprint(now)}, {"L", "ISO-639-1"}, {"l", "en", "ISO-639-1"},
			{"image", "https://evil.example/cover.png"},
			{"imeta", "url javascript:alert(1)", "m image/png", "x " + strings.Repeat("ab", 32), "alt " + hostile[0].full},
			{"imeta", "url https://evil.example/track.png", "m image/png", "x " + strings.Repeat("cd", 32)},
		}},
	}
	for _, ev := range evs {
		if err := ev.Sign(sk); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range tn.Node.Ingest(ctx, evs...) {
		if !r.OK() {
			t.Fatalf("ingest %d: %s", evs[i].Kind, r.Message())
		}
	}
	theirs, err := nip19.EncodeEntity(pk, 30023, "hostile", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := localapi.Call(ctx, tn.API, localapi.AddPerson, localapi.PersonRequest{Who: npub, Name: hostile[0].full}); err != nil {
		t.Logf("the hostile contact name was refused (fine): %v", err)
	}

	// What the report screen will insert as HTML: the renderer's output.
	for _, addr := range []string{own.Naddr, theirs} {
		view, err := localapi.Call(ctx, tn.API, localapi.ViewReport, localapi.ReportViewRequest{Addr: addr})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range unsafeHTML(t, view.HTML) {
			t.Errorf("rendered report %s: %s\n%s", addr, p, view.HTML)
		}
		if addr == own.Naddr && !strings.Contains(view.HTML, `data-blob="`+dot.SHA256+`"`) {
			t.Errorf("the held image is not a data-blob image:\n%s", view.HTML)
		}
	}

	b := newBrowser(t)
	b.signIn(tn)
	check := strings.Replace(noXSS, "HOSTILE", hostileJS(), 1)
	routes := []string{
		"#/feed", "#/report/" + own.Naddr, "#/report/" + theirs, "#/translate/" + theirs, "#/write",
		"#/chats", "#/chat/" + npub, "#/contacts", "#/links", "#/bundles", "#/settings", "#/welcome",
	}
	for _, route := range routes {
		b.show(route)
		var bad []string
		b.evalInto(check, &bad)
		for _, p := range bad {
			t.Errorf("%s: %s", route, p)
		}
	}
	b.show("#/report/" + own.Naddr)
	b.shot("report-hostile")
	b.show("#/feed")
	b.shot("feed-hostile")
	b.checkClean()
}

func hostileJS() string {
	var pairs [][2]string
	for _, h := range hostile {
		pairs = append(pairs, [2]string{h.full, h.marker})
	}
	j, _ := json.Marshal(pairs)
	return string(j)
}

// unsafeHTML returns what in a rendered report could run a script or
// load something: elements other than text markup, event handlers,
// links other than http, https, mailto, nostr and the page's own, and
// images other than held blobs (data-blob, no src).
func unsafeHTML(t *testing.T, s string) []string {
	t.Helper()
	nodes, err := html.ParseFragment(strings.NewReader(s), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{}
	for _, e := range strings.Fields("p h1 h2 h3 h4 h5 h6 a img em strong del code pre blockquote ul ol li hr br table thead tbody tr th td sup sub span") {
		allowed[e] = true
	}
	var bad []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if !allowed[n.Data] {
				bad = append(bad, "element <"+n.Data+">")
			}
			for _, a := range n.Attr {
				v := strings.ToLower(strings.TrimSpace(a.Val))
				switch {
				case strings.HasPrefix(a.Key, "on"):
					bad = append(bad, "attribute "+a.Key)
				case a.Key == "src" || a.Key == "srcset" || a.Key == "style":
					bad = append(bad, "attribute "+a.Key+"="+a.Val)
				case a.Key == "href" && !(strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://") || strings.HasPrefix(v, "mailto:") || strings.HasPrefix(v, "nostr:") || strings.HasPrefix(v, "#")):
					bad = append(bad, "link to "+a.Val)
				}
			}
			if n.Data == "img" && !slices.ContainsFunc(n.Attr, func(a html.Attribute) bool { return a.Key == "data-blob" }) {
				bad = append(bad, "image that is not a held blob")
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	return bad
}

// TestBrowserReconnectBanner: when the node stops, the page says so in
// its banner; when it is back (same port, same token), the banner goes
// away by itself and the page is still signed in.
func TestBrowserReconnectBanner(t *testing.T) {
	t.Parallel()
	tn := startNode(t, "ann")
	b := newBrowser(t)
	b.signIn(tn)
	b.waitHidden("#banner")

	// While the node is down the browser logs the cut stream and every
	// attempt to reconnect.
	end := b.allowErrors("net::ERR_CONNECTION_REFUSED", "net::ERR_INCOMPLETE_CHUNKED_ENCODING", "net::ERR_EMPTY_RESPONSE", "net::ERR_CONNECTION_RESET")
	tn.stopServing()
	b.waitVisible("#banner")
	b.waitText("#banner", "Lost connection to your Caravan node")
	b.shot("node-down")
	b.shotPhone("node-down")
	// The page tried again, failed, and keeps trying.
	b.waitError("net::ERR_CONNECTION_REFUSED")
	b.waitVisible("#banner")

	tn.serve()
	b.waitHidden("#banner")
	end()
	b.waitScreen("feed")
	var token string
	b.evalInto(`localStorage.getItem('caravan.token')`, &token)
	if token != tn.Token {
		t.Errorf("token after the node came back: %q", token)
	}
	b.shot("node-back")
}
