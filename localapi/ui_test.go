package localapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/chat"
	"github.com/caravan-mesh/caravan/internal/nodetest"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/qr"
	"github.com/caravan-mesh/caravan/reports"
	"github.com/nbd-wtf/go-nostr"
)

func authed(t *testing.T, method, u string, body io.Reader, header http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer secret-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestLiveStreamsActivity(t *testing.T) {
	n, srv := serveTest(t)
	if _, err := n.NewIdentity("me", "", true); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/live", nil)
	req.Header.Set("Authorization", "Bearer secret-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	next := func() node.Activity {
		t.Helper()
		if !lines.Scan() {
			t.Fatalf("live stream ended: %v", lines.Err())
		}
		var a node.Activity
		if err := json.Unmarshal(lines.Bytes(), &a); err != nil {
			t.Fatalf("line %q: %v", lines.Text(), err)
		}
		return a
	}
	if a := next(); a.Type != "hello" {
		t.Fatalf("first line is %+v, want hello", a)
	}
	ev, err := n.Publish(ctx, "", &nostr.Event{Kind: 1, Content: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	a := next()
	if a.Type != "event" || a.Event == nil || a.Event.ID != ev.ID || a.Event.Kind != 1 {
		t.Fatalf("got %+v, want the note %s", a, ev.ID)
	}
	n.KeysChanged()
	if a := next(); a.Type != "keys" {
		t.Fatalf("got %+v, want keys", a)
	}
}

func TestSettingsChangeAndPersist(t *testing.T) {
	n, srv := serveTest(t)
	c := NewClient(srv.URL, "secret-token")
	ctx := context.Background()
	s, err := Call(ctx, c, Settings, Empty{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Policy.FollowHops != 2 || s.LAN {
		t.Fatalf("defaults: %+v", s)
	}
	pol := s.Policy
	pol.FollowHops = 1
	pol.Strangers.Events = 500
	on := true
	if s, err = Call(ctx, c, ChangeSettings, node.NodeSettingsChange{LAN: &on, Policy: &pol}); err != nil {
		t.Fatal(err)
	}
	if got := nodetest.Policy(n).Config(); got.FollowHops != 1 || got.Strangers.Events != 500 {
		t.Fatalf("policy in effect: %+v", got)
	}
	cfg, err := node.LoadConfig(n.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.LAN == nil || !*cfg.LAN || cfg.Policy.FollowHops != 1 || cfg.Policy.Strangers.Events != 500 {
		t.Fatalf("config.json: %+v", cfg)
	}
	if !s.LAN {
		t.Errorf("LAN not reported on after turning it on (not serving: the next serve's setting)")
	}

	bad := pol
	bad.FollowHops = 7
	_, err = Call(ctx, c, ChangeSettings, node.NodeSettingsChange{Policy: &bad})
	var ae *Error
	if !errors.As(err, &ae) || ae.Code != CodeInvalid || !strings.Contains(ae.Msg, "follow_hops") {
		t.Fatalf("follow_hops 7: %v", err)
	}
	if nodetest.Policy(n).Config().FollowHops != 1 {
		t.Fatal("a refused change was applied")
	}
	loose := Route[map[string]any, node.NodeSettings]{ChangeSettings.Method, ChangeSettings.Path}
	_, err = Call(ctx, c, loose, map[string]any{"lan": "yes"})
	if !errors.As(err, &ae) || ae.Code != CodeInvalid {
		t.Fatalf("lan as a string: %v", err)
	}
}

func TestPanicErasesKeysAndPrivateData(t *testing.T) {
	n, srv := serveTest(t)
	ctx := context.Background()
	me, err := n.NewIdentity("me", "pass", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Unlock("me", "pass"); err != nil {
		t.Fatal(err)
	}
	other := nostr.GeneratePrivateKey()
	opk, _ := nostr.GetPublicKey(other)
	pk, _, err := keys.ParsePublicKey(opk)
	if err != nil {
		t.Fatal(err)
	}
	msgs := chat.New(n)
	if _, err := msgs.AddContact(ctx, "me", pk, "friend", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := msgs.Send(ctx, "me", []string{opk}, "meet at noon", "", nil); err != nil {
		t.Fatal(err)
	}
	note, err := n.Publish(ctx, "me", &nostr.Event{Kind: 1, Content: "public"})
	if err != nil {
		t.Fatal(err)
	}

	c := NewClient(srv.URL, "secret-token")
	var ae *Error
	if _, err := Call(ctx, c, Panic, PanicRequest{}); !errors.As(err, &ae) || ae.Code != CodeInvalid {
		t.Fatalf("panic without confirm: %v", err)
	}
	if _, err := n.Identity("me"); err != nil {
		t.Fatalf("an unconfirmed panic erased the key: %v", err)
	}
	res, err := Call(ctx, c, Panic, PanicRequest{Confirm: "erase"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Identities != 1 || res.Private == 0 {
		t.Fatalf("result %+v", res)
	}
	if _, err := n.Identity(""); !errors.Is(err, keys.ErrNoIdentity) {
		t.Fatalf("identity after panic: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(n.Dir, "keys"))
	for _, e := range entries {
		t.Errorf("left in the keyring: %s", e.Name())
	}
	if raw, _ := nodetest.Store(n).GetRaw(ctx, note.ID); raw == nil {
		t.Error("the public note was erased; panic erases private data only")
	}
	if again, err := n.Panic(ctx); err != nil || again.Private != 0 || again.Identities != 0 {
		t.Errorf("a second panic found more to erase: %+v %v", again, err)
	}
	// The same public key cannot be made to read anything any more, and
	// the node still takes events to carry.
	if _, err := n.NewIdentity("again", "", true); err != nil {
		t.Fatal(err)
	}
	if id, _ := n.Identity("again"); id.PubKey == me.PubKey {
		t.Fatal("new identity has the old key")
	}
	ev := &nostr.Event{Kind: 1, Content: "carried", CreatedAt: nostr.Now()}
	ev.Sign(other)
	if r := n.Ingest(ctx, ev)[0]; !r.OK() {
		t.Fatalf("ingest after panic: %s", r.Message())
	}
}

func TestBlobServedSafely(t *testing.T) {
	n, srv := serveTest(t)
	ctx := context.Background()
	put := func(data, typ string) [32]byte {
		sum, err := nodetest.Store(n).PutBlob(ctx, []byte(data), typ, nil)
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	for _, c := range []struct {
		name        string
		sum         [32]byte
		typ, dispos string
	}{
		{"PNG", put("\x89PNG\r\n\x1a\nfake", "image/png"), "image/png", ""},
		{"PNG declared JPEG", put("\x89PNG\r\n\x1a\nother", "image/jpeg"), "image/png", ""},
		{"HTML", put("<script>alert(1)</script>", "text/html"), "application/octet-stream", "attachment"},
		{"HTML declared PNG", put("<html><script>alert(2)</script>", "image/png"), "application/octet-stream", "attachment"},
		{"SVG", put(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(3)</script></svg>`, "image/svg+xml"), "application/octet-stream", "attachment"},
	} {
		resp := authed(t, "GET", srv.URL+"/api/v1/blob?sha256="+hexs(c.sum[:]), nil, nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != c.typ || resp.Header.Get("Content-Disposition") != c.dispos {
			t.Errorf("blob %s: %d %q %q", c.name, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
		}
		if resp.Header.Get("Content-Security-Policy") != "default-src 'none'; sandbox" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("blob %s served without nosniff and a sandbox CSP: %v", c.name, resp.Header)
		}
	}
	for q, want := range map[string]int{"sha256=nothex": 400, "sha256=" + strings.Repeat("a", 64): 404, "": 400} {
		if resp := authed(t, "GET", srv.URL+"/api/v1/blob?"+q, nil, nil); resp.StatusCode != want {
			t.Errorf("blob?%s: %d, want %d", q, resp.StatusCode, want)
		}
	}
}

func hexs(b []byte) string {
	const h = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, h[c>>4], h[c&15])
	}
	return string(out)
}

func TestQRImageRoundTrip(t *testing.T) {
	n, srv := serveTest(t)
	id, err := n.NewIdentity("me", "", true)
	if err != nil {
		t.Fatal(err)
	}
	text := qr.ContactText(id.PubKey, []string{"wss://relay.example"})
	resp := authed(t, "GET", srv.URL+"/api/v1/qr?text="+url.QueryEscape(text), nil, nil)
	img, err := io.ReadAll(resp.Body)
	if err != nil || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("qr image: %v %q", err, resp.Header.Get("Content-Type"))
	}
	var got QRText
	resp = authed(t, "POST", srv.URL+"/api/v1/qr/read", bytes.NewReader(img), http.Header{"Content-Type": {"image/png"}})
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != 200 {
		t.Fatalf("qr/read: %d %v", resp.StatusCode, err)
	}
	if got.Kind != "contact" || got.NPub != id.NPub || len(got.Relays) != 1 {
		t.Fatalf("read %+v", got)
	}

	var blank bytes.Buffer
	m := image.NewGray(image.Rect(0, 0, 50, 50))
	for i := range m.Pix {
		m.Pix[i] = 255
	}
	m.Set(1, 1, color.Black)
	png.Encode(&blank, m)
	for name, body := range map[string][]byte{"no code": blank.Bytes(), "not an image": []byte("hello"), "empty": nil} {
		resp := authed(t, "POST", srv.URL+"/api/v1/qr/read", bytes.NewReader(body), nil)
		var e Error
		json.NewDecoder(resp.Body).Decode(&e)
		if resp.StatusCode != 400 || e.Msg == "" {
			t.Errorf("%s: %d %+v", name, resp.StatusCode, e)
		}
	}
}

func TestReportViewIsSafeHTML(t *testing.T) {
	n, srv := serveTest(t)
	if _, err := n.NewIdentity("me", "", true); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rep, err := reports.New(n).Publish(ctx, "", reports.Input{Title: "t", Lang: "en",
		Markdown: "**bold** <script>alert(1)</script> [x](javascript:alert(1)) ![i](https://evil.example/t.png) [ok](https://example.org) " +
			"[mail](mailto:a@example.org) [n](nostr:npub1xyz) [up](../x)\n\n00[0]:\n* [0]:jAvAsCript:0000"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := Call(ctx, NewClient(srv.URL, "secret-token"), ViewReport, ReportViewRequest{Addr: rep.Naddr})
	if err != nil {
		t.Fatal(err)
	}
	if v.Title != "t" || !strings.Contains(v.HTML, "<strong>bold</strong>") || !strings.Contains(v.HTML, `href="https://example.org"`) {
		t.Fatalf("html %q", v.HTML)
	}
	// A remote image becomes a link: showing it would tell its server who reads what.
	// Links go only to http and https (and held blobs).
	for _, bad := range []string{"<script", "javascript:", "<img", "mailto:", "nostr:", `href="../`} {
		if strings.Contains(v.HTML, bad) {
			t.Errorf("html contains %q: %s", bad, v.HTML)
		}
	}
}

// gone waits until nothing matches pattern: the handler removes its
// temporary files after the client has read the whole answer.
func gone(t *testing.T, pattern string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		left, _ := filepath.Glob(pattern)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("left behind: %v", left)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A phone's photo is often larger than the 4 MiB a JSON body may be; an
// attachment may be up to MaxUpload.
func TestLargePhotoAttaches(t *testing.T) {
	n, srv := serveTest(t)
	if _, err := n.NewIdentity("me", "", true); err != nil {
		t.Fatal(err)
	}
	photo := bytes.Repeat([]byte{0x42}, 6<<20)
	resp := authed(t, "POST", srv.URL+"/api/v1/attachments?name=big.bin", bytes.NewReader(photo), http.Header{"Content-Type": {"application/octet-stream"}})
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("6 MiB attachment: %d %s", resp.StatusCode, b)
	}
	resp = authed(t, "POST", srv.URL+"/api/v1/attachments?name=huge.bin", io.LimitReader(zeros{}, MaxUpload+1), nil)
	var e Error
	json.NewDecoder(resp.Body).Decode(&e)
	if resp.StatusCode != 400 || !strings.Contains(e.Msg, "larger than") {
		t.Fatalf("over MaxUpload: %d %+v", resp.StatusCode, e)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// File names travel percent-encoded in a header (browsers send only
// Latin-1 there) and arrive in the message as they were.
func TestFileNameAnyScript(t *testing.T) {
	_, srv := serveTest(t)
	for _, name := range []string{"фото 1.jpg", "100%.txt", "плохо%zz", "a b"} {
		f, err := NewClient(srv.URL, "secret-token").UploadFile(context.Background(), []byte("x"), "text/plain", name)
		if err != nil || f.Name != name {
			t.Errorf("%q: got %q, %v", name, f.Name, err)
		}
	}
	resp := authed(t, "POST", srv.URL+"/api/v1/files", strings.NewReader("x"), http.Header{"X-File-Name": {"bad%zz"}})
	if resp.StatusCode != 400 {
		t.Errorf("undecodable name: %d", resp.StatusCode)
	}
}

// Stopping the node ends a web page's live stream at once, cleanly,
// instead of holding the shutdown until the connections are cut.
func TestLiveEndsWithServe(t *testing.T) {
	n, err := node.Open(t.TempDir(), node.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	relayLn, _ := net.Listen("tcp", "127.0.0.1:0")
	apiLn, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan node.Runtime, 1)
	served := make(chan error, 1)
	go func() {
		served <- n.Serve(ctx, node.ServeOptions{Relay: relayLn, API: apiLn, APIHandler: NewHandler(n, "secret-token"),
			Token: "secret-token", NoLAN: true, Ready: func(rt node.Runtime) { ready <- rt }})
	}()
	rt := <-ready
	req, _ := http.NewRequest("GET", rt.API+"/api/v1/live", nil)
	req.Header.Set("Authorization", "Bearer secret-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewReader(resp.Body)
	if _, err := lines.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	cancel()
	ended := make(chan error, 1)
	go func() { _, err := io.ReadAll(lines); ended <- err }()
	select {
	case err := <-ended:
		if err != nil {
			t.Fatalf("the live stream was cut (%v) instead of ending", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the live stream is still open after the node stopped serving")
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}
