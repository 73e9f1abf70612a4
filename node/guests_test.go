package node_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/nbd-wtf/go-nostr"

	"github.com/caravan-mesh/caravan/blossom"
	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/node"
)

// guestClock is the node's clock in these tests: it stands still until
// a test moves it.
type guestClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *guestClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *guestClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// guestNode is a node on disk with one identity, which follows carol,
// serving its relay endpoint and Blossom over real HTTP.
type guestNode struct {
	n     *node.Node
	url   string // ws://
	blobs string // http://
	close func()
}

var (
	carol = evtest.NewKey("carol") // a contact
	guest = evtest.NewKey("guest") // a phone's key
	other = evtest.NewKey("other guest")
)

func openGuestNode(t *testing.T, dir string, cfg node.Config, clk *guestClock, identity bool) *guestNode {
	t.Helper()
	n, err := node.Open(dir, node.Options{Config: &cfg, Now: clk.Now, KeyLogN: 4})
	if err != nil {
		t.Fatal(err)
	}
	if identity {
		if _, err := n.NewIdentity("me", "", true); err != nil {
			t.Fatal(err)
		}
		if _, err := n.Follow(context.Background(), "", keys.PublicKey(carol.Public), "", "carol"); err != nil {
			t.Fatal(err)
		}
	}
	rl := n.NewRelay()
	srv := httptest.NewServer(rl)
	bl := httptest.NewServer(n.NewBlossom())
	var once sync.Once
	g := &guestNode{n: n, url: "ws" + strings.TrimPrefix(srv.URL, "http"), blobs: bl.URL, close: func() {
		once.Do(func() {
			rl.Close()
			srv.Close()
			bl.Close()
			n.Close()
		})
	}}
	t.Cleanup(g.close)
	return g
}

// wsClient is a websocket client of the relay endpoint.
type wsClient struct {
	t         *testing.T
	ws        *websocket.Conn
	url       string
	challenge string
}

// dialRelay connects as a web page (with Origin) or, if own, as one of
// the user's own clients on loopback, and reads the AUTH challenge.
func dialRelay(t *testing.T, url string, own bool) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	opts := &websocket.DialOptions{}
	if !own {
		opts.HTTPHeader = http.Header{"Origin": {"http://phone.example"}}
	}
	ws, _, err := websocket.Dial(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	c := &wsClient{t: t, ws: ws, url: url}
	if m := c.next(); c.label(m, 0) != "AUTH" {
		t.Fatalf("first message %s, want the AUTH challenge", m)
	} else {
		c.challenge = c.label(m, 1)
	}
	return c
}

func (c *wsClient) send(v ...any) {
	c.t.Helper()
	b, _ := json.Marshal(v)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatal(err)
	}
}

func (c *wsClient) next() []json.RawMessage {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, b, err := c.ws.Read(ctx)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	var m []json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || len(m) == 0 {
		c.t.Fatalf("the relay sent %q", b)
	}
	return m
}

func (c *wsClient) label(m []json.RawMessage, i int) string {
	var s string
	if i < len(m) {
		json.Unmarshal(m[i], &s)
	}
	return s
}

// ok sends label with ev and returns the OK's verdict.
func (c *wsClient) ok(label string, ev *nostr.Event) (bool, string) {
	c.t.Helper()
	c.send(label, ev)
	for {
		m := c.next()
		if c.label(m, 0) == "OK" && c.label(m, 1) == ev.ID {
			var ok bool
			json.Unmarshal(m[2], &ok)
			return ok, c.label(m, 3)
		}
	}
}

func (c *wsClient) publish(ev *nostr.Event) (bool, string) { c.t.Helper(); return c.ok("EVENT", ev) }

// auth authenticates k at the node's time, with extra tags.
func (c *wsClient) auth(k evtest.Key, at time.Time, extra ...nostr.Tag) (bool, string) {
	c.t.Helper()
	tags := append([]nostr.Tag{{"relay", c.url}, {"challenge", c.challenge}}, extra...)
	return c.ok("AUTH", k.Event(event.KindAuth, at.Unix(), "", tags...))
}

func wrapFor(pk string, at int64, content string) *nostr.Event {
	return evtest.NewKey("one-time "+content).Event(event.KindGiftWrap, at, content, nostr.Tag{"p", pk})
}

// mustPublish publishes ev and fails the test if it is refused.
func (c *wsClient) mustPublish(what string, ev *nostr.Event) {
	c.t.Helper()
	if ok, msg := c.publish(ev); !ok {
		c.t.Fatalf("%s: refused: %s", what, msg)
	}
}

// mustAuth authenticates k and fails the test if it is refused.
func (c *wsClient) mustAuth(what string, k evtest.Key, at time.Time, extra ...nostr.Tag) {
	c.t.Helper()
	if ok, msg := c.auth(k, at, extra...); !ok {
		c.t.Fatalf("%s: refused: %s", what, msg)
	}
}

func expectRefused(t *testing.T, what string, ok bool, msg, want string) {
	t.Helper()
	if ok || !strings.HasPrefix(msg, want) {
		t.Fatalf("%s: OK %v %q, want false %q...", what, ok, msg, want)
	}
}

// TestGuestQuota: a guest writes its own events and the wraps it sends
// within the day's events and bytes; duplicates and refusals do not
// count; the next day (UTC, on the node's clock) it writes again. The
// node's contacts, and the user's own clients, are not counted.
func TestGuestQuota(t *testing.T) {
	clk := &guestClock{t: time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC)}
	g := openGuestNode(t, t.TempDir(), node.Config{Guests: node.Guests{EventsPerDay: 3, BytesPerDay: 4000}}, clk, true)
	at := clk.Now().Unix()
	p := dialRelay(t, g.url, false)
	p.mustAuth("auth", guest, clk.Now())

	e1 := guest.Event(1, at, "one")
	p.mustPublish("first note", e1)
	ok, msg := p.publish(e1)
	if !ok || !strings.HasPrefix(msg, "duplicate:") {
		t.Fatalf("again: %q", msg)
	}
	bad := guest.Event(1, at, "tampered")
	bad.Content = "changed"
	ok, msg = p.publish(bad)
	expectRefused(t, "a bad event", ok, msg, "invalid:")
	p.mustPublish("second note", guest.Event(1, at, "two"))
	p.mustPublish("a wrap sent", wrapFor(carol.Public, at, "hello carol"))
	ok, msg = p.publish(guest.Event(1, at, "three"))
	expectRefused(t, "over the day's events", ok, msg, "rate-limited: this key has written 3 events here today, a guest's daily limit; more in 1h0m0s")
	ok, msg = p.publish(wrapFor(carol.Public, at, "and again"))
	expectRefused(t, "a wrap over the day's events", ok, msg, "rate-limited: this key has written 3 events")

	// Another guest has a day of its own; a contact and the user's own
	// clients are not counted.
	q := dialRelay(t, g.url, false)
	q.mustAuth("auth", other, clk.Now())
	q.mustPublish("another guest", other.Event(1, at, "mine"))
	c := dialRelay(t, g.url, false)
	c.mustAuth("auth", carol, clk.Now())
	own := dialRelay(t, g.url, true)
	own.mustAuth("auth", guest, clk.Now())
	for i := range 5 {
		c.mustPublish("the contact", carol.Event(1, at, fmt.Sprint("carol ", i)))
		c.mustPublish("the contact's wrap", wrapFor(guest.Public, at, fmt.Sprint("to guest ", i)))
		own.mustPublish("the user's own client", guest.Event(1, at, fmt.Sprint("own ", i)))
	}

	// The next day starts at midnight UTC: events again, then bytes run out.
	clk.Add(time.Hour)
	at = clk.Now().Unix()
	big := strings.Repeat("x", 2500)
	p.mustPublish("the next day", guest.Event(1, at, big))
	ok, msg = p.publish(guest.Event(1, at, big+"y"))
	expectRefused(t, "over the day's bytes", ok, msg, "rate-limited: this key has written ")
	if !strings.Contains(msg, "of the 4000 bytes a guest may write here in a day") {
		t.Errorf("over the day's bytes: %q", msg)
	}
	p.mustPublish("a small one still fits", guest.Event(1, at, "small"))
}

// TestInvitation: with an invitation code, a page must authenticate with
// an admitted key before it writes; a key is admitted by presenting the
// code (remembered across restarts), by being a contact; wrong codes
// are refused and, from one address, slowed down. Unauthenticated
// clients (other nodes syncing) may still push what is by or for the
// people admitted; the user's own clients anything.
func TestInvitation(t *testing.T) {
	clk := &guestClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	cfg := node.Config{Guests: node.Guests{Invite: "tulip-42"}}
	dir := t.TempDir()
	g := openGuestNode(t, dir, cfg, clk, true)
	at := clk.Now().Unix()
	stranger := evtest.NewKey("stranger")

	p := dialRelay(t, g.url, false)
	ok, msg := p.publish(guest.Event(1, at, "hello"))
	expectRefused(t, "before AUTH", ok, msg, "auth-required: this node takes events only from invited people")
	p.mustAuth("auth without a code", guest, clk.Now())
	ok, msg = p.publish(guest.Event(1, at, "hello"))
	expectRefused(t, "not invited", ok, msg, "restricted: the keys this connection authenticated were not invited here")
	ok, msg = p.auth(other, clk.Now(), nostr.Tag{"invite", "tulip-43"})
	expectRefused(t, "a wrong code", ok, msg, "restricted: wrong invitation code")
	p.mustAuth("the code", guest, clk.Now(), nostr.Tag{"invite", " TULIP-42 "}) // typed from paper: case and spaces do not count
	p.mustPublish("invited", guest.Event(1, at, "hello"))

	// Guessing from one address is slowed down: the right code waits too.
	q := dialRelay(t, g.url, false)
	for i := range 4 { // one was wrong above
		ok, msg := q.auth(other, clk.Now(), nostr.Tag{"invite", fmt.Sprint("guess ", i)})
		expectRefused(t, "a guess", ok, msg, "restricted: wrong invitation code")
	}
	ok, msg = q.auth(other, clk.Now(), nostr.Tag{"invite", "tulip-42"})
	expectRefused(t, "after five wrong codes", ok, msg, "rate-limited: too many wrong invitation codes from your address; try again in 1m0s")
	clk.Add(time.Minute)
	q.mustAuth("a minute later", other, clk.Now(), nostr.Tag{"invite", "tulip-42"})

	// A contact needs no code.
	c := dialRelay(t, g.url, false)
	c.mustAuth("auth", carol, clk.Now())
	c.mustPublish("a contact", carol.Event(1, at, "carol"))

	// Another node, syncing without AUTH, brings what is by or for the
	// people here, nothing else.
	peer := dialRelay(t, g.url, false)
	peer.mustPublish("an invited key's note", guest.Event(1, at-60, "carried back"))
	peer.mustPublish("a wrap for an invited key", wrapFor(guest.Public, at, "for guest"))
	peer.mustPublish("a wrap for a contact", wrapFor(carol.Public, at, "for carol"))
	ok, msg = peer.publish(wrapFor(stranger.Public, at, "for a stranger"))
	expectRefused(t, "a wrap for a stranger", ok, msg, "auth-required:")
	ok, msg = peer.publish(stranger.Event(1, at, "spam"))
	expectRefused(t, "a stranger's note", ok, msg, "auth-required:")
	own := dialRelay(t, g.url, true)
	own.mustPublish("the user's own client", stranger.Event(1, at, "imported"))

	// Blossom: uploads only from invited keys.
	blob := []byte("a photo, say")
	if code, reason := upload(t, g.blobs, stranger, clk.Now(), blob); code != http.StatusForbidden || !strings.HasPrefix(reason, "restricted: this node takes uploads only from its own people and invited guests") {
		t.Errorf("a stranger's upload: %d %q", code, reason)
	}
	if code, reason := upload(t, g.blobs, guest, clk.Now(), blob); code != http.StatusCreated {
		t.Errorf("an invited key's upload: %d %q", code, reason)
	}

	// Admissions outlast a restart, in a file only the user reads.
	g.close()
	path := filepath.Join(dir, node.GuestsFile)
	b, err := os.ReadFile(path)
	if err != nil || bytes.Count(b, []byte(guest.Public)) != 1 || bytes.Count(b, []byte(other.Public)) != 1 {
		t.Fatalf("%s: %q %v", node.GuestsFile, b, err)
	}
	if fi, _ := os.Stat(path); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("%s is %v, want 0600", node.GuestsFile, fi.Mode().Perm())
	}
	g = openGuestNode(t, dir, cfg, clk, false)
	p = dialRelay(t, g.url, false)
	p.mustAuth("auth after a restart", guest, clk.Now())
	p.mustPublish("still invited", guest.Event(1, at, "after the restart"))
	s := dialRelay(t, g.url, false)
	s.mustAuth("auth", stranger, clk.Now())
	ok, msg = s.publish(stranger.Event(1, at, "still not"))
	expectRefused(t, "still not invited", ok, msg, "restricted:")

	// A damaged file stops the node with a reason, not silently.
	g.close()
	os.WriteFile(path, append(b, []byte("not a key 1\n"+guest.Public+" 1\n")...), 0o600)
	if _, err := node.Open(dir, node.Options{Config: &cfg, Now: clk.Now}); err == nil || !strings.Contains(err.Error(), "is not a public key in hex and a time; fix or delete the line") {
		t.Errorf("a damaged %s: %v", node.GuestsFile, err)
	}
}

// upload puts data to Blossom as k, and returns the status and reason.
func upload(t *testing.T, base string, k evtest.Key, now time.Time, data []byte) (int, string) {
	t.Helper()
	sum := sha256.Sum256(data)
	authz := blossom.Authorization(k.Event(event.KindBlossomAuth, now.Unix()-10, "Upload",
		nostr.Tag{"t", "upload"}, nostr.Tag{"expiration", fmt.Sprint(now.Add(time.Hour).Unix())}, nostr.Tag{"x", hex.EncodeToString(sum[:])}))
	req, _ := http.NewRequest(http.MethodPut, base+"/upload", bytes.NewReader(data))
	req.Header.Set("Authorization", authz)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("X-Reason")
}

// TestGuestUploads: a guest's Blossom uploads count against its day's
// bytes, and are refused with 429 past them (also when it asks first,
// BUD-06); the next day it uploads again. A contact is not counted.
func TestGuestUploads(t *testing.T) {
	clk := &guestClock{t: time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC)}
	g := openGuestNode(t, t.TempDir(), node.Config{Guests: node.Guests{BytesPerDay: 1000}}, clk, true)
	blob := func(s string) []byte { return bytes.Repeat([]byte(s), 600) }
	if code, reason := upload(t, g.blobs, guest, clk.Now(), blob("a")); code != http.StatusCreated {
		t.Fatalf("within the day's bytes: %d %q", code, reason)
	}
	code, reason := upload(t, g.blobs, guest, clk.Now(), blob("b"))
	if code != http.StatusTooManyRequests || !strings.HasPrefix(reason, "rate-limited: this key has written 600 of the 1000 bytes a guest may write here in a day, and this takes 600 more; more in 30m0s") {
		t.Fatalf("past the day's bytes: %d %q", code, reason)
	}
	req, _ := http.NewRequest(http.MethodHead, g.blobs+"/upload", nil)
	sum := sha256.Sum256(blob("b"))
	req.Header.Set("Authorization", blossom.Authorization(guest.Event(event.KindBlossomAuth, clk.Now().Unix()-10, "Upload",
		nostr.Tag{"t", "upload"}, nostr.Tag{"expiration", fmt.Sprint(clk.Now().Add(time.Hour).Unix())}, nostr.Tag{"x", hex.EncodeToString(sum[:])})))
	req.Header.Set("X-Content-Length", "600")
	req.Header.Set("X-SHA-256", hex.EncodeToString(sum[:]))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("asking first: %v %v", resp.Status, err)
	}
	for i := range 3 {
		if code, reason := upload(t, g.blobs, carol, clk.Now(), blob(fmt.Sprint(i))); code != http.StatusCreated {
			t.Fatalf("a contact's upload %d: %d %q", i, code, reason)
		}
	}
	clk.Add(time.Hour)
	if code, reason := upload(t, g.blobs, guest, clk.Now(), blob("b")); code != http.StatusCreated {
		t.Fatalf("the next day: %d %q", code, reason)
	}
}

// TestNIP11ListsAuth: the relay says it speaks NIP-42, that reading needs
// no authentication, and whether writing is restricted (an invitation).
func TestNIP11ListsAuth(t *testing.T) {
	clk := &guestClock{t: time.Now()}
	for _, invite := range []string{"", "tulip-42"} {
		g := openGuestNode(t, t.TempDir(), node.Config{Guests: node.Guests{Invite: invite}}, clk, false)
		req, _ := http.NewRequest(http.MethodGet, "http"+strings.TrimPrefix(g.url, "ws"), nil)
		req.Header.Set("Accept", "application/nostr+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var info struct {
			NIPs       []int `json:"supported_nips"`
			Limitation struct {
				AuthRequired     *bool `json:"auth_required"`
				RestrictedWrites *bool `json:"restricted_writes"`
			} `json:"limitation"`
		}
		json.NewDecoder(resp.Body).Decode(&info)
		resp.Body.Close()
		l := info.Limitation
		if !strings.Contains(fmt.Sprint(info.NIPs), " 42 ") || l.AuthRequired == nil || *l.AuthRequired ||
			l.RestrictedWrites == nil || *l.RestrictedWrites != (invite != "") {
			t.Errorf("invite %q: NIPs %v, auth_required %v, restricted_writes %v", invite, info.NIPs, l.AuthRequired, l.RestrictedWrites)
		}
	}
}

// A client that authenticated (a person's app: a phone reading back what
// it sent) is not a peer the events it reads by id are handed over to;
// one that did not (a node pulling) is.
func TestAuthenticatedReadsAreNotHandovers(t *testing.T) {
	clk := &guestClock{t: time.Now()}
	g := openGuestNode(t, t.TempDir(), node.Config{}, clk, false)
	w := wrapFor(guest.Public, clk.Now().Unix(), "sent")
	if r := g.n.Ingest(context.Background(), w)[0]; !r.OK() {
		t.Fatal(r.Message())
	}
	var mu sync.Mutex
	var handed []string
	g.n.OnHandover(func(h node.Handover) {
		mu.Lock()
		handed = append(handed, h.Peer)
		mu.Unlock()
	})
	read := func(c *wsClient) {
		t.Helper()
		c.send("REQ", "back", nostr.Filter{IDs: []string{w.ID}})
		if m := c.next(); c.label(m, 0) != "EVENT" {
			t.Fatalf("read back: %s", m)
		}
		if m := c.next(); c.label(m, 0) != "EOSE" {
			t.Fatalf("read back: %s", m)
		}
	}
	phone := dialRelay(t, g.url, false)
	phone.mustAuth("auth", guest, clk.Now())
	read(phone)
	mu.Lock()
	if len(handed) != 0 {
		t.Errorf("a phone's read was a handover to %v", handed)
	}
	mu.Unlock()
	read(dialRelay(t, g.url, false))
	mu.Lock()
	defer mu.Unlock()
	if len(handed) != 1 || handed[0] != "client 127.0.0.1" {
		t.Errorf("a node's pull: handovers %v", handed)
	}
}
