package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/event"
	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip19"
)

// plantedPage is what a stranger uploads and references as image/png: a
// page whose script, if it ever ran in the node's origin, would leave a
// mark there (localStorage, a cookie) and call the canary server.
const plantedPage = `<!doctype html><meta charset="utf-8"><title>planted</title>
<script>
localStorage.setItem('planted', '1');
document.cookie = 'planted=1; path=/';
fetch('CANARY/fetch', { mode: 'no-cors' });
new Image().src = 'CANARY/img';
</script>
<p>planted page</p>
`

// plant has a stranger publish a report referencing each of files as
// image/png, and the node take the files as a sync session brings them
// (node.PutBlobPart). It returns the report's naddr and the files' hashes.
func plant(t *testing.T, tn *testNode, files ...[]byte) (string, []string) {
	t.Helper()
	ctx := context.Background()
	sk := nostr.GeneratePrivateKey()
	pk, _ := nostr.GetPublicKey(sk)
	now := nostr.Timestamp(time.Now().Unix())
	tags := nostr.Tags{{"d", "planted"}, {"title", "Photos from the square"}, {"published_at", fmt.Sprint(now)}, {"L", "ISO-639-1"}, {"l", "en", "ISO-639-1"}}
	var sums []string
	var md strings.Builder
	md.WriteString("Photos:\n\n")
	for i, f := range files {
		h := sha256.Sum256(f)
		sum := hex.EncodeToString(h[:])
		sums = append(sums, sum)
		u := "https://blossom.invalid/" + sum + ".png"
		tags = append(tags, nostr.Tag{"imeta", "url " + u, "m image/png", "x " + sum, fmt.Sprintf("size %d", len(f)), fmt.Sprintf("alt photo %d", i)})
		fmt.Fprintf(&md, "![photo %d](%s)\n\n", i, u)
	}
	ev := &nostr.Event{Kind: event.KindReport, CreatedAt: now, Content: md.String(), Tags: tags}
	if err := ev.Sign(sk); err != nil {
		t.Fatal(err)
	}
	if r := tn.Node.Ingest(ctx, ev)[0]; !r.OK() {
		t.Fatalf("ingest the stranger's report: %s", r.Message())
	}
	for i, f := range files {
		if _, done, err := tn.Node.PutBlobPart(ctx, sums[i], 0, int64(len(f)), f); err != nil || !done {
			t.Fatalf("the node did not take blob %d as a sync would give it: done %v, %v", i, done, err)
		}
	}
	naddr, err := nip19.EncodeEntity(pk, event.KindReport, "planted", nil)
	if err != nil {
		t.Fatal(err)
	}
	return naddr, sums
}

// relayHTTP is the node's relay port as an http:// origin.
func relayHTTP(tn *testNode) string { return "http://" + strings.TrimPrefix(tn.Relay, "ws://") }

// TestBlobsOnTheNodesPorts: on a real node, a page a stranger planted as
// image/png is served on the relay port (GET, HEAD, ranges) and by the
// local API as a download of bytes, never sniffed and sandboxed; a real
// PNG as image/png; errors are never sniffed either.
func TestBlobsOnTheNodesPorts(t *testing.T) {
	t.Parallel()
	tn := startNode(t, "ann")
	pagebytes := []byte(strings.ReplaceAll(plantedPage, "CANARY", "http://127.0.0.1:1"))
	_, sums := plant(t, tn, pagebytes, pngDot(t))
	relay := relayHTTP(tn)

	check := func(what string, resp *http.Response, typ string) {
		t.Helper()
		h := resp.Header
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Security-Policy") != "default-src 'none'; sandbox" {
			t.Errorf("%s: %d: nosniff %q, CSP %q", what, resp.StatusCode, h.Get("X-Content-Type-Options"), h.Get("Content-Security-Policy"))
		}
		if typ == "" {
			return
		}
		if h.Get("Content-Type") != typ || (h.Get("Content-Disposition") == "attachment") != (typ == "application/octet-stream") {
			t.Errorf("%s: %d: Content-Type %q, Content-Disposition %q; want %s", what, resp.StatusCode, h.Get("Content-Type"), h.Get("Content-Disposition"), typ)
		}
	}
	send := func(method, u string, hdr ...string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, u, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	for i, typ := range []string{"application/octet-stream", "image/png"} {
		u := relay + "/" + sums[i] + ".png"
		resp, body := send("GET", u)
		if resp.StatusCode != 200 || len(body) == 0 {
			t.Errorf("GET %s: %d, %d bytes", typ, resp.StatusCode, len(body))
		}
		check("GET "+typ, resp, typ)
		resp, _ = send("HEAD", u)
		check("HEAD "+typ, resp, typ)
		resp, body = send("GET", u, "Range", "bytes=0-7")
		if resp.StatusCode != 206 || len(body) != 8 {
			t.Errorf("range %s: %d %q", typ, resp.StatusCode, body)
		}
		check("range "+typ, resp, typ)
		resp, _ = send("GET", tn.Base+"/api/v1/blob?sha256="+sums[i], "Authorization", "Bearer "+tn.Token)
		if resp.StatusCode != 200 {
			t.Errorf("API %s: %d", typ, resp.StatusCode)
		}
		check("API "+typ, resp, typ)
	}
	for _, c := range []struct{ method, path string }{
		{"GET", "/" + strings.Repeat("ab", 32) + ".html"},
		{"DELETE", "/" + sums[0]},
		{"PUT", "/upload"},
	} {
		resp, _ := send(c.method, relay+c.path)
		if resp.StatusCode < 400 {
			t.Errorf("%s %s: %d", c.method, c.path, resp.StatusCode)
		}
		check(c.method+" "+c.path, resp, "")
	}
}

// canary is a loopback web server that records every request but for
// its own pages: a planted script that ran would call it.
type canary struct {
	*httptest.Server
	mu    sync.Mutex
	calls []string
	pages map[string]string
}

func newCanary(t *testing.T) *canary {
	c := &canary{pages: map[string]string{}}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if r.URL.Path == "/favicon.ico" {
			w.WriteHeader(http.StatusNoContent) // the browser asks for it, not a script
			return
		}
		if p, ok := c.pages[r.URL.Path]; ok {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, p)
			return
		}
		c.calls = append(c.calls, r.Method+" "+r.URL.Path)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *canary) called() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.calls...)
}

// TestBrowserPlantedPageNeverRuns: a real Chromium opens a page a
// stranger planted as image/png on the node's relay port. It downloads
// it as bytes: no script runs in the node's origin (no localStorage item
// or cookie there, no call to the canary). A real PNG from the same port
// still shows in an <img> on another site's page, and in the web UI's
// report screen, where the planted one shows as nothing and runs nothing
// in the UI's origin either.
func TestBrowserPlantedPageNeverRuns(t *testing.T) {
	t.Parallel()
	tn := startNode(t, "ann")
	can := newCanary(t)
	pagebytes := []byte(strings.ReplaceAll(plantedPage, "CANARY", can.URL))
	naddr, sums := plant(t, tn, pagebytes, pngDot(t))
	relay := relayHTTP(tn)
	planted, photo := relay+"/"+sums[0]+".png", relay+"/"+sums[1]+".png"
	can.mu.Lock()
	can.pages["/embed"] = `<!doctype html><title>another site</title><link rel="icon" href="data:,">` +
		`<img id="photo" src="` + photo + `" alt="photo"><img id="planted" src="` + planted + `" alt="planted">`
	can.mu.Unlock()

	b := newBrowser(t)
	b.allowOrigin(relay)
	downloads := t.TempDir()
	done := make(chan *cdpbrowser.EventDownloadProgress, 4)
	if err := chromedp.ListenBrowser(b.ctx, func(ev any) {
		if p, ok := ev.(*cdpbrowser.EventDownloadProgress); ok && p.State != cdpbrowser.DownloadProgressStateInProgress {
			select {
			case done <- p:
			default:
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	yes := true
	if _, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: &yes,
	}); err != nil {
		t.Fatal(err)
	}

	// Another site shows the node's photo; the planted page, as an
	// image, shows nothing.
	b.open(can.URL + "/embed")
	b.waitJS(`document.getElementById('photo').complete && document.getElementById('planted').complete`)
	var sizes [2]int
	b.evalInto(`[document.getElementById('photo').naturalWidth, document.getElementById('planted').naturalWidth]`, &sizes)
	if sizes[0] != 1 || sizes[1] != 0 {
		t.Errorf("natural widths: the photo %d (want 1), the planted page %d (want 0)", sizes[0], sizes[1])
	}

	// Opened at the top level, the planted page is a download.
	b.run("open about:blank", chromedp.Navigate("about:blank"))
	ctx, cancel := context.WithTimeout(b.ctx, waitTime)
	res, err := chromedp.Call(ctx, page.Navigate, page.NavigateParams{URL: planted})
	cancel()
	if err != nil {
		t.Fatalf("open %s: %v", planted, err)
	}
	if res.ErrorText == "" {
		t.Errorf("the planted page opened as a document")
		b.shot("planted-opened")
	} else {
		select {
		case p := <-done:
			got, err := os.ReadFile(filepath.Join(downloads, p.GUID))
			if p.State != cdpbrowser.DownloadProgressStateCompleted || err != nil || !bytes.Equal(got, pagebytes) {
				t.Errorf("the download of the planted page: %s, %v, %d bytes", p.State, err, len(got))
			}
		case <-time.After(waitTime):
			t.Errorf("waited %v for the planted page to download (navigation: %s)", waitTime, res.ErrorText)
		}
	}

	// Nothing ran in the node's origin.
	b.open(relay + "/")
	if m := b.plantedMarks(); m != "" {
		t.Errorf("the planted script ran in the relay port's origin: %s", m)
	}

	// The web UI shows the photo of the stranger's report; the planted
	// page, which the report calls a photo too, neither shows nor runs.
	b.signIn(tn)
	b.show("#/report/" + naddr)
	photoSel := fmt.Sprintf(`img[data-blob="%s"]`, sums[1])
	b.waitJS(fmt.Sprintf(`(() => { const i = document.querySelector(%s); return i && i.src.startsWith('blob:') && i.complete && i.naturalWidth === 1; })()`, jsString(photoSel)))
	if m := b.plantedMarks(); m != "" {
		t.Errorf("the planted script ran in the UI's origin: %s", m)
	}
	b.shot("report-with-planted-page")
	if calls := can.called(); len(calls) > 0 {
		t.Errorf("the planted script called the canary: %v", calls)
	}
	b.checkClean()
}

// plantedMarks says what marks of plantedPage's script the current page's
// origin holds: "" if none.
func (b *browser) plantedMarks() string {
	b.t.Helper()
	var m string
	b.evalInto(`[localStorage.getItem('planted') !== null ? 'a localStorage item' : '', document.cookie.includes('planted') ? 'a cookie' : ''].filter(Boolean).join(' and ')`, &m)
	return m
}
