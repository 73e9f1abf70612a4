package web_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"
)

const passField = `#signin-form input[name=passphrase]`

// TestBrowserSignIn: the link 'caravan open' opens signs in once; the
// passphrase signs in, and a wrong one is answered next to the field;
// the page speaks the browser's language until told otherwise.
func TestBrowserSignIn(t *testing.T) {
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
	if evs, err := tn.API.Query(ctx, nostr.Filter{Kinds: []int{1}}); err != nil || len(evs) != 0 {
		t.Errorf("notes after the other site's posts: %d %v", len(evs), err)
	}
	if id, err := tn.Node.Keys.Get(""); err != nil || !id.Unlocked {
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
