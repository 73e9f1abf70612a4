package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/localapi"
	"github.com/caravan-mesh/caravan/web"
	"github.com/nbd-wtf/go-nostr"
)

// answer is an HTTP answer, its JSON body decoded when it has one.
type answer struct {
	Status int
	Header http.Header
	JSON   map[string]any
}

func (a answer) str(key string) string { s, _ := a.JSON[key].(string); return s }

// call sends one request to the node's port; mod changes it before.
func call(t *testing.T, method, u, body string, mod func(r *http.Request)) answer {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if mod != nil {
		mod(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{Status: resp.StatusCode, Header: resp.Header}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		json.Unmarshal(b, &a.JSON)
	}
	return a
}

func bearer(tok string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

// TestRefusesOtherSites: the node answers only requests its own pages
// make on a loopback name, and API calls only with the token, whatever
// the path: the API, the sign-in code, the UI and its sign-in endpoints.
func TestRefusesOtherSites(t *testing.T) {
	t.Parallel()
	tn := startNode(t, "ann")
	both := func(mods ...func(*http.Request)) func(*http.Request) {
		return func(r *http.Request) {
			for _, m := range mods {
				m(r)
			}
		}
	}
	good := bearer(tn.Token)
	foreign := []struct {
		name string
		mod  func(*http.Request)
	}{
		// A web page whose name the attacker points at 127.0.0.1.
		{"rebound host name", func(r *http.Request) { r.Host = "evil.example:" + r.URL.Port() }},
		{"rebound host name, no port", func(r *http.Request) { r.Host = "evil.example" }},
		{"other origin", func(r *http.Request) { r.Header.Set("Origin", "http://evil.example") }},
		{"other loopback origin", func(r *http.Request) { r.Header.Set("Origin", "http://127.0.0.1:1") }},
		{"null origin", func(r *http.Request) { r.Header.Set("Origin", "null") }},
		{"cross-site", func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") }},
		{"same-site", func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "same-site") }},
	}
	endpoints := []struct{ method, path, body string }{
		{"GET", "/api/v1/status", ""},
		{"POST", "/api/v1/post", `{"kind":1,"content":"forged"}`},
		{"POST", "/api/v1/panic", `{"confirm":"erase"}`},
		{"POST", "/api/v1/ui/code", ""},
		{"GET", "/", ""},
		{"GET", "/app.js", ""},
		{"POST", "/ui/exchange", `{"code":"00"}`},
		{"POST", "/ui/signin", `{"passphrase":"` + testPassphrase + `"}`},
	}
	for _, e := range endpoints {
		for _, f := range foreign {
			// With the token: a stolen token is no use from another site.
			if a := call(t, e.method, tn.Base+e.path, e.body, both(good, f.mod)); a.Status != http.StatusForbidden || a.str("code") != localapi.CodeForbidden {
				t.Errorf("%s %s, %s: %d %v, want 403 forbidden", e.method, e.path, f.name, a.Status, a.JSON)
			}
		}
	}
	for _, e := range endpoints {
		if !strings.HasPrefix(e.path, "/api/") {
			continue
		}
		for _, tok := range []func(*http.Request){nil, bearer("wrong"), bearer(""), func(r *http.Request) { r.Header.Set("Authorization", tn.Token) }} {
			if a := call(t, e.method, tn.Base+e.path, e.body, tok); a.Status != http.StatusUnauthorized || a.str("code") != localapi.CodeUnauthorized {
				t.Errorf("%s %s without the right token: %d %v, want 401", e.method, e.path, a.Status, a.JSON)
			}
		}
	}
	// Nothing was done: no note, the identity is still there.
	if evs, err := localapi.QueryEvents(context.Background(), tn.API, nostr.Filter{Kinds: []int{1}}); err != nil || len(evs) != 0 {
		t.Errorf("notes after the refused posts: %v %v", evs, err)
	}
	if _, err := tn.Node.Identity(""); err != nil {
		t.Errorf("identity after the refused panics: %v", err)
	}
	// The node's own pages, and its own CLI, are answered.
	for _, mod := range []func(*http.Request){
		good,
		both(good, func(r *http.Request) { r.Header.Set("Origin", tn.Base) }),
		both(good, func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "same-origin") }),
		both(good, func(r *http.Request) { r.Host = "localhost:" + r.URL.Port() }),
	} {
		if a := call(t, "GET", tn.Base+"/api/v1/status", "", mod); a.Status != http.StatusOK {
			t.Errorf("own request: %d %v", a.Status, a.JSON)
		}
	}
}

// TestUIHeaders: every response outside the API carries the UI's
// Content-Security-Policy and the headers that keep it out of frames,
// errors and refusals included; scripts are served as scripts.
func TestUIHeaders(t *testing.T) {
	t.Parallel()
	tn := startNode(t, "ann")
	cases := []struct {
		method, path, body string
		mod                func(*http.Request)
		status             int
		typ                string
	}{
		{"GET", "/", "", nil, 200, "text/html"},
		{"GET", "/feed", "", nil, 200, "text/html"},
		{"GET", "/app.js", "", nil, 200, "text/javascript"},
		{"GET", "/screens/feed.js", "", nil, 200, "text/javascript"},
		{"GET", "/app.css", "", nil, 200, "text/css"},
		{"GET", "/i18n/ru/core.json", "", nil, 200, "application/json"},
		{"GET", "/icon.svg", "", nil, 200, "image/svg+xml"},
		{"GET", "/missing.js", "", nil, 404, ""},
		{"POST", "/", "", nil, 404, ""},
		{"POST", "/ui/exchange", `{"code":"00"}`, nil, 401, "application/json"},
		{"POST", "/ui/signin", `{}`, nil, 400, "application/json"},
		{"GET", "/", "", func(r *http.Request) { r.Host = "evil.example" }, 403, "application/json"},
	}
	for _, c := range cases {
		a := call(t, c.method, tn.Base+c.path, c.body, c.mod)
		if a.Status != c.status {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, a.Status, c.status)
		}
		if got := a.Header.Get("Content-Security-Policy"); got != web.CSP {
			t.Errorf("%s %s: Content-Security-Policy %q", c.method, c.path, got)
		}
		for h, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"} {
			if got := a.Header.Get(h); got != want {
				t.Errorf("%s %s: %s %q, want %q", c.method, c.path, h, got, want)
			}
		}
		if c.typ != "" && !strings.HasPrefix(a.Header.Get("Content-Type"), c.typ) {
			t.Errorf("%s %s: Content-Type %q, want %s", c.method, c.path, a.Header.Get("Content-Type"), c.typ)
		}
	}
	// The policy itself: nothing from anywhere but the node, no inline
	// script, no frames, no form posts.
	for _, want := range []string{"default-src 'none'", "script-src 'self';", "connect-src 'self';", "img-src 'self' blob:;", "frame-ancestors 'none'", "form-action 'none'", "base-uri 'none'"} {
		if !strings.Contains(web.CSP, want) {
			t.Errorf("CSP lacks %q: %s", want, web.CSP)
		}
	}
	if strings.Contains(web.CSP, "unsafe") {
		t.Errorf("CSP allows something unsafe: %s", web.CSP)
	}
}

func exchange(t *testing.T, tn *testNode, code string) answer {
	t.Helper()
	return call(t, "POST", tn.Base+"/ui/exchange", `{"code":"`+code+`"}`, nil)
}

// TestSignInCodes: a one-time code gives the token once, and not after
// CodeLifetime.
func TestSignInCodes(t *testing.T) {
	t.Parallel()
	tn := startNode(t, "ann")

	// The CLI's way: ask the node (with the token) for a code and a link.
	a := call(t, "POST", tn.Base+"/api/v1/ui/code", "", bearer(tn.Token))
	if a.Status != 200 || a.str("url") != tn.Base+"/#code="+a.str("code") || len(a.str("code")) != 32 {
		t.Fatalf("ui/code: %d %v", a.Status, a.JSON)
	}
	if a.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("ui/code may be cached: %q", a.Header.Get("Cache-Control"))
	}
	code := a.str("code")
	if got := exchange(t, tn, code); got.Status != 200 || got.str("token") != tn.Token {
		t.Fatalf("first use: %d %v", got.Status, got.JSON)
	}
	if got := exchange(t, tn, code); got.Status != 401 || !strings.Contains(got.str("error"), "used already") || got.str("hint") == "" {
		t.Errorf("second use: %d %v", got.Status, got.JSON)
	}

	// Expiry, on the server's clock.
	code = tn.UI.MintCode()
	tn.Clock.Advance(web.CodeLifetime - time.Second)
	if got := exchange(t, tn, code); got.Status != 200 {
		t.Errorf("just before expiry: %d %v", got.Status, got.JSON)
	}
	code = tn.UI.MintCode()
	tn.Clock.Advance(web.CodeLifetime + time.Second)
	if got := exchange(t, tn, code); got.Status != 401 || got.str("token") != "" {
		t.Errorf("expired code: %d %v", got.Status, got.JSON)
	}
	// An expired code is gone, not waiting for the clock to turn back.
	tn.Clock.Advance(-time.Hour)
	if got := exchange(t, tn, code); got.Status != 401 {
		t.Errorf("expired code, clock turned back: %d %v", got.Status, got.JSON)
	}

	for _, body := range []string{`{"code":""}`, `{"code":"` + strings.Repeat("0", 32) + `"}`, `{}`, `{"code":"x","token":"y"}`, `not json`} {
		if got := call(t, "POST", tn.Base+"/ui/exchange", body, nil); got.Status/100 != 4 || got.str("token") != "" {
			t.Errorf("exchange %s: %d %v", body, got.Status, got.JSON)
		}
	}
	if got := call(t, "GET", tn.Base+"/ui/exchange", "", nil); got.Status/100 != 4 {
		t.Errorf("GET /ui/exchange: %d", got.Status)
	}
}

func signin(t *testing.T, tn *testNode, pass string) answer {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"passphrase": pass})
	return call(t, "POST", tn.Base+"/ui/signin", string(b), nil)
}

// TestPassphraseSignIn: the passphrase of the default identity gives the
// token; attempts are at least a second apart; an identity without a
// passphrase cannot be signed in to this way.
func TestPassphraseSignIn(t *testing.T) {
	t.Parallel()
	tn := startNode(t, "ann")
	tn.Node.Lock()

	a := signin(t, tn, "wrong")
	if a.Status != 403 || a.str("code") != localapi.CodeBadPassphrase || a.str("token") != "" {
		t.Fatalf("wrong passphrase: %d %v", a.Status, a.JSON)
	}
	// Even the right passphrase waits its turn.
	a = signin(t, tn, testPassphrase)
	if a.Status != 403 || a.str("code") != localapi.CodeForbidden || !strings.Contains(a.str("error"), "too many attempts") {
		t.Fatalf("second attempt within a second: %d %v", a.Status, a.JSON)
	}
	tn.Clock.Advance(999 * time.Millisecond)
	if a = signin(t, tn, testPassphrase); a.Status != 403 {
		t.Fatalf("attempt 999ms after: %d %v", a.Status, a.JSON)
	}
	tn.Clock.Advance(time.Millisecond)
	a = signin(t, tn, testPassphrase)
	if a.Status != 200 || a.str("token") != tn.Token {
		t.Fatalf("right passphrase a second later: %d %v", a.Status, a.JSON)
	}
	if id, err := tn.Node.Identity(""); err != nil || !id.Unlocked {
		t.Errorf("signing in did not unlock the identity: %+v %v", id, err)
	}
	tn.Clock.Advance(time.Second)
	if a = signin(t, tn, ""); a.Status != 400 || a.str("code") != localapi.CodeInvalid {
		t.Errorf("empty passphrase: %d %v", a.Status, a.JSON)
	}

	// A key stored without a passphrase: any passphrase would do, so none
	// does.
	open := startNode(t, "bob", withPassphrase(""))
	for _, p := range []string{"anything", testPassphrase} {
		open.Clock.Advance(time.Second)
		if a := signin(t, open, p); a.Status != 403 || a.str("code") != localapi.CodeForbidden || a.str("token") != "" {
			t.Errorf("identity without passphrase, %q: %d %v", p, a.Status, a.JSON)
		}
	}

	none := startNode(t, "cat", withoutIdentity())
	if a := signin(t, none, "anything"); a.Status != 409 || a.str("code") != localapi.CodeNoIdentity || a.str("token") != "" {
		t.Errorf("no identity: %d %v", a.Status, a.JSON)
	}
}
