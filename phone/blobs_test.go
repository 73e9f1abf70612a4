package phone_test

import (
	"context"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserBlobsCannotReadTheKey: blobs are served on the phone page's
// origin (the relay port), where the page keeps its encrypted key. Files
// made to run a script there (HTML, SVG, and HTML behind the first bytes
// of a GIF and of a PDF) are stored on the node and opened in the
// phone's browser at their blob addresses, with and without an
// extension: none runs, none reads the key or sends anything, because
// every blob is served with nosniff and a sandboxing CSP (an opaque
// origin), and as a download unless its bytes confirm a media type.
func TestBrowserBlobsCannotReadTheKey(t *testing.T) {
	t.Parallel()
	tn := startNode(t)
	p := newPhone(t, "ann", "en-US")
	p.createIdentity(tn, passA)

	const steal = `window.__ran = 1; document.title = 'ran'; const k = localStorage.getItem('caravan.phone.key'); new Image().src = '/exfil-img?k=' + k; fetch('/exfil-fetch?k=' + k); navigator.sendBeacon('/exfil-beacon', k);`
	files := map[string]string{
		"html":         `<!doctype html><html><body><script>` + steal + `</script><img src=x onerror="` + steal + `"></body></html>`,
		"svg":          `<svg xmlns="http://www.w3.org/2000/svg" onload="` + steal + `"><script>` + steal + `</script></svg>`,
		"gif polyglot": "GIF89a\x01\x00\x01\x00\x00\x00\x00;<html><script>" + steal + "</script></html>",
		"pdf polyglot": "%PDF-1.4\n<html><script>" + steal + "</script></html>",
	}
	declared := map[string]string{"html": "text/html", "svg": "image/svg+xml", "gif polyglot": "image/gif", "pdf polyglot": "application/pdf"}
	ctx := context.Background()
	// The browser's own image and PDF viewers style themselves inline (the
	// sandboxing CSP refuses it), ask for a favicon, and the PDF viewer is
	// a built-in extension.
	end := p.allowErrors("sandboxed", "ERR_ABORTED", "ERR_BLOCKED_BY_RESPONSE", "Applying inline style violates", "/favicon.ico")
	p.mu.Lock()
	p.origins["chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai"] = true
	p.mu.Unlock()
	for name, body := range files {
		sum, err := tn.Node.PutBlob(ctx, []byte(body), declared[name])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		hash := hex.EncodeToString(sum[:])
		for _, u := range []string{tn.Base + "/" + hash, tn.Base + "/" + hash + ".html", tn.Base + "/" + hash + ".svg"} {
			resp, err := http.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			h := resp.Header
			if h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
				t.Errorf("%s at %s: nosniff %q, CSP %q", name, u, h.Get("X-Content-Type-Options"), h.Get("Content-Security-Policy"))
			}
			if ct := h.Get("Content-Type"); strings.Contains(ct, "html") || strings.Contains(ct, "svg") {
				t.Errorf("%s at %s is served as %s", name, u, ct)
			}
			// Opened in the browser that holds the key: a download is
			// aborted, anything shown is sandboxed.
			ctx, cancel := context.WithTimeout(p.ctx, waitTime)
			chromedp.Run(ctx, chromedp.Navigate(u))
			cancel()
			var state struct {
				Ran    bool   `json:"ran"`
				Origin string `json:"origin"`
				Title  string `json:"title"`
				Href   string `json:"href"`
			}
			p.evalInto(`({ ran: !!window.__ran, origin: String(self.origin), title: document.title, href: location.href })`, &state)
			if state.Ran || state.Title == "ran" {
				t.Errorf("%s at %s: its script ran", name, u)
			}
			if state.Href == u && state.Origin != "null" && !strings.Contains(h.Get("Content-Type"), "pdf") {
				t.Errorf("%s at %s is shown in the node's origin %q, not an opaque one", name, u, state.Origin)
			}
			shown := "not shown (a download)"
			if state.Href == u {
				shown = "shown, in origin " + state.Origin
			}
			t.Logf("%s at %s: %s, %s", name, u, h.Get("Content-Type"), shown)
		}
	}
	end()
	for _, s := range p.sentSoFar() {
		if strings.Contains(s, "/exfil") {
			t.Errorf("a blob's script sent a request: %.200s", s)
		}
	}
	// The key is still where it was, and the page still works.
	p.open(tn.Base + "/")
	p.waitScreen("unlock")
}
