package relay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/internal/nodetest"
	"github.com/caravan-mesh/caravan/negentropy"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/relay"
	"github.com/coder/websocket"
	"github.com/nbd-wtf/go-nostr"
)

var (
	alice = evtest.NewKey("alice")
	bob   = evtest.NewKey("bob")
)

// clock is the node's and the relay's clock in these tests: it stands
// still until a test moves it, so rate limits and timeouts do not depend
// on how fast the machine runs the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().Round(0)} }

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// server is a real node (SQLite on disk) behind a real HTTP server.
type server struct {
	n     *node.Node
	rl    *relay.Relay
	url   string
	clock *clock
}

// serve starts a node with cfg on a clock of its own. If wrap is set, it
// stands between the HTTP server and the relay.
func serve(t testing.TB, cfg node.Config, wrap func(http.Handler) http.Handler) *server {
	t.Helper()
	clk := newClock()
	n, err := node.Open(t.TempDir(), node.Options{Config: &cfg, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	rl := n.NewRelay()
	var h http.Handler = rl
	if wrap != nil {
		h = wrap(rl)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = smallBuffers{srv.Listener}
	srv.Start()
	t.Cleanup(func() {
		rl.Close()
		srv.Close()
		n.Close()
	})
	return &server{n: n, rl: rl, url: "ws" + strings.TrimPrefix(srv.URL, "http"), clock: clk}
}

// smallBuffers gives each connection small socket buffers, so that what a
// client does not read waits in the relay, where the tests look for it,
// rather than in the kernel.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(64 << 10)
	}
	return c, err
}

// start runs a real node behind a real HTTP server.
func start(t *testing.T, cfg node.Config) (*node.Node, string) {
	t.Helper()
	s := serve(t, cfg, nil)
	return s.n, s.url
}

type client struct {
	t  testing.TB
	ws *websocket.Conn
	// challenge is the NIP-42 challenge the relay sent as the client
	// connected (dialWith reads it).
	challenge string
}

func dial(t testing.TB, url string) *client {
	t.Helper()
	return dialWith(t, url, nil)
}

// dialWith dials with opts, over a socket with a small receive buffer (see
// smallBuffers).
func dialWith(t testing.TB, url string, opts *websocket.DialOptions) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if opts == nil {
		opts = &websocket.DialOptions{}
	}
	dialer := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetReadBuffer(64 << 10)
		}
		return c, err
	}
	opts.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: dialer}}
	ws, _, err := websocket.Dial(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	ws.SetReadLimit(8 << 20)
	t.Cleanup(func() { ws.CloseNow() })
	c := &client{t: t, ws: ws}
	m := c.expect("AUTH")
	if c.challenge = str(m[1]); c.challenge == "" {
		t.Fatalf("AUTH without a challenge: %s", joinRaw(m))
	}
	return c
}

func (c *client) send(msg string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) sendJSON(v ...any) {
	c.t.Helper()
	b, _ := json.Marshal(v)
	c.send(string(b))
}

// next reads the next message as a JSON array.
func (c *client) next() []json.RawMessage {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, b, err := c.ws.Read(ctx)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(b, &arr); err != nil {
		c.t.Fatalf("relay sent non-JSON %q", b)
	}
	return arr
}

func str(r json.RawMessage) string {
	var s string
	json.Unmarshal(r, &s)
	return s
}

// expect reads the next message and checks its label.
func (c *client) expect(label string) []json.RawMessage {
	c.t.Helper()
	m := c.next()
	if str(m[0]) != label {
		c.t.Fatalf("got %s, want %s", joinRaw(m), label)
	}
	return m
}

func joinRaw(m []json.RawMessage) string {
	b, _ := json.Marshal(m)
	return string(b)
}

func (c *client) publish(ev *nostr.Event) (bool, string) {
	c.t.Helper()
	c.sendJSON("EVENT", ev)
	m := c.expect("OK")
	var ok bool
	json.Unmarshal(m[2], &ok)
	if str(m[1]) != ev.ID {
		c.t.Fatalf("OK for %s, want %s", str(m[1]), ev.ID)
	}
	return ok, str(m[3])
}

// collect reads a subscription's stored events up to EOSE.
func (c *client) collect(sub string) []string {
	c.t.Helper()
	var ids []string
	for {
		m := c.next()
		switch str(m[0]) {
		case "EVENT":
			if str(m[1]) != sub {
				c.t.Fatalf("event for subscription %s, want %s", str(m[1]), sub)
			}
			var ev nostr.Event
			json.Unmarshal(m[2], &ev)
			ids = append(ids, ev.ID)
		case "EOSE":
			return ids
		default:
			c.t.Fatalf("unexpected %s", joinRaw(m))
		}
	}
}

func TestPublishQuerySubscribe(t *testing.T) {
	_, url := start(t, node.Config{})
	c := dial(t, url)
	now := time.Now().Unix()
	e1 := alice.Event(1, now-10, "first", nostr.Tag{"t", "almaty"})
	e2 := alice.Event(1, now-5, "second")
	for _, ev := range []*nostr.Event{e1, e2} {
		if ok, msg := c.publish(ev); !ok {
			t.Fatalf("publish refused: %s", msg)
		}
	}
	if ok, msg := c.publish(e1); !ok || !strings.HasPrefix(msg, "duplicate:") {
		t.Fatalf("republish: %v %q, want true duplicate:", ok, msg)
	}

	c.sendJSON("REQ", "all", nostr.Filter{Authors: []string{alice.Public}})
	if got := c.collect("all"); len(got) != 2 || got[0] != e2.ID || got[1] != e1.ID {
		t.Fatalf("stored events %v, want [e2 e1]", got)
	}
	c.sendJSON("REQ", "tagged", nostr.Filter{Tags: nostr.TagMap{"t": {"almaty"}}})
	if got := c.collect("tagged"); len(got) != 1 || got[0] != e1.ID {
		t.Fatalf("tag query %v", got)
	}

	// Live: another client publishes; only the matching subscription
	// receives it.
	c.sendJSON("REQ", "bobs", nostr.Filter{Authors: []string{bob.Public}})
	if got := c.collect("bobs"); len(got) != 0 {
		t.Fatalf("bob has no events yet, got %v", got)
	}
	other := dial(t, url)
	live := bob.Event(1, now, "live from bob")
	if ok, msg := other.publish(live); !ok {
		t.Fatal(msg)
	}
	m := c.expect("EVENT")
	var got nostr.Event
	json.Unmarshal(m[2], &got)
	if str(m[1]) != "bobs" || got.ID != live.ID {
		t.Fatalf("live delivery %s, want bob's event on 'bobs'", joinRaw(m))
	}
	// After CLOSE, nothing more arrives on that subscription: a sentinel
	// REQ's EOSE comes next.
	c.sendJSON("CLOSE", "bobs")
	if ok, _ := other.publish(bob.Event(1, now+1, "after close")); !ok {
		t.Fatal("publish refused")
	}
	c.sendJSON("REQ", "sentinel", nostr.Filter{IDs: []string{live.ID}})
	if got := c.collect("sentinel"); len(got) != 1 {
		t.Fatalf("sentinel query: %v", got)
	}
}

func TestRejectionsSayWhy(t *testing.T) {
	_, url := start(t, node.Config{})
	c := dial(t, url)
	now := time.Now().Unix()

	badSig := alice.Event(1, now, "tampered")
	badSig.Content = "changed after signing"
	cases := []struct {
		name string
		ev   *nostr.Event
		want string
	}{
		{"bad signature", func() *nostr.Event {
			ev := alice.Event(1, now, "x")
			ev.Sig = strings.Repeat("ab", 64)
			return ev
		}(), "invalid: signature"},
		{"content changed", badSig, "invalid: id does not match"},
		{"far future", alice.Event(1, now+3600, "from the future"), "invalid: created_at is"},
		{"expired", alice.Event(1, now-100, "gone", nostr.Tag{"expiration", fmt.Sprint(now - 10)}), "invalid: event expired"},
		{"too big", alice.Event(1, now, strings.Repeat("x", 300<<10)), "invalid: event is"},
	}
	for _, tc := range cases {
		ok, msg := c.publish(tc.ev)
		if ok || !strings.HasPrefix(msg, tc.want) {
			t.Errorf("%s: OK %v %q, want false %q...", tc.name, ok, msg, tc.want)
		}
	}
}

func TestMalformedMessages(t *testing.T) {
	_, url := start(t, node.Config{})
	c := dial(t, url)
	ev := alice.Event(1, time.Now().Unix(), "x")
	evJSON, _ := json.Marshal(ev)
	upper := strings.Replace(string(evJSON), ev.ID, strings.ToUpper(ev.ID), 1)
	cases := []struct {
		msg   string
		label string // expected reply
		want  string // substring of the reason
	}{
		{`not json`, "NOTICE", "JSON array"},
		{`["EVENT", {"id": 1}`, "NOTICE", "not valid JSON"},
		{`[]`, "NOTICE", "empty array"},
		{`[42]`, "NOTICE", "first element must be a string"},
		{`["HELLO"]`, "NOTICE", "unknown message type"},
		{`["EVENT"]`, "NOTICE", "EVENT takes one event"},
		{`["EVENT", "x"]`, "NOTICE", "must be a JSON object"},
		{`["EVENT", {"id":"` + ev.ID + `","kind":"one"}]`, "OK", "invalid:"},
		{`["EVENT", ` + strings.Replace(string(evJSON), `"tags":[]`, `"tags":[[1]]`, 1) + `]`, "OK", "invalid:"},
		{`["EVENT", ` + upper + `]`, "OK", "invalid:"},
		{`["REQ"]`, "NOTICE", "subscription id"},
		{`["REQ", "s1"]`, "CLOSED", "at least one filter"},
		{`["REQ", 5, {}]`, "NOTICE", "must be a string"},
		{`["REQ", "` + strings.Repeat("s", 65) + `", {}]`, "NOTICE", "1 to 64"},
		{`["REQ", "s2", {"authors": ["abc"]}]`, "CLOSED", "invalid: authors must be 64"},
		{`["REQ", "s3", {"kinds": "1"}]`, "CLOSED", "wrong type"},
		{`["REQ", "s4", {"limit": -1}]`, "CLOSED", "negative"},
		{`["REQ", "s5", {"#emoji": ["x"]}]`, "CLOSED", "single-letter"},
		{`["REQ", "s6", {"search": "x"}]`, "CLOSED", "unsupported: search"},
		{`["COUNT", "s7", {}]`, "CLOSED", "unsupported: COUNT"},
		{`["CLOSE"]`, "NOTICE", "exactly one subscription id"},
	}
	for _, tc := range cases {
		c.send(tc.msg)
		m := c.next()
		if str(m[0]) != tc.label || !strings.Contains(joinRaw(m), tc.want) {
			t.Errorf("%s\n  got  %s\n  want %s containing %q", tc.msg, joinRaw(m), tc.label, tc.want)
		}
	}
	// The connection still works after all that.
	if ok, msg := c.publish(ev); !ok {
		t.Fatalf("publish after garbage: %s", msg)
	}
}

func TestOversizedMessage(t *testing.T) {
	_, url := start(t, node.Config{Relay: relay.Limits{MaxMessageBytes: 4096}})
	c := dial(t, url)
	c.send(`["EVENT", {"content": "` + strings.Repeat("a", 10000) + `"}]`)
	m := c.expect("NOTICE")
	if !strings.Contains(str(m[1]), "larger than 4096 bytes") {
		t.Fatalf("notice %q", str(m[1]))
	}
	// Past four times the limit the connection is closed, not read.
	c.send(strings.Repeat(" ", 20000))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, _, err := c.ws.Read(ctx); websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Fatalf("huge message: %v, want close 1009", err)
	}
}

func TestSubscriptionLimitAndReplace(t *testing.T) {
	_, url := start(t, node.Config{Relay: relay.Limits{MaxSubscriptions: 3}})
	c := dial(t, url)
	for i := 0; i < 3; i++ {
		c.sendJSON("REQ", fmt.Sprint("s", i), nostr.Filter{Kinds: []int{1}})
		c.collect(fmt.Sprint("s", i))
	}
	// Reusing an id replaces the subscription rather than adding one.
	c.sendJSON("REQ", "s0", nostr.Filter{Kinds: []int{7}})
	c.collect("s0")
	c.sendJSON("REQ", "s3", nostr.Filter{})
	m := c.expect("CLOSED")
	if str(m[1]) != "s3" || !strings.HasPrefix(str(m[2]), "rate-limited:") {
		t.Fatalf("4th subscription: %s", joinRaw(m))
	}
	c.sendJSON("CLOSE", "s1")
	c.sendJSON("REQ", "s3", nostr.Filter{})
	c.collect("s3")
}

func TestRateLimits(t *testing.T) {
	_, url := start(t, node.Config{Relay: relay.Limits{EventsPerSecond: 1, ReqsPerSecond: 1}})
	c := dial(t, url)
	now := time.Now().Unix()
	limited := false
	// The burst is 10; the 12th event within a second must be refused.
	for i := 0; i < 12; i++ {
		if ok, msg := c.publish(alice.Event(1, now, fmt.Sprint(i))); !ok {
			if !strings.HasPrefix(msg, "rate-limited:") {
				t.Fatalf("refused for another reason: %s", msg)
			}
			limited = true
		}
	}
	if !limited {
		t.Fatal("12 events at once were all accepted with a limit of 1/s, burst 10")
	}
	limited = false
	for i := 0; i < 12; i++ {
		c.sendJSON("REQ", "q", nostr.Filter{Limit: 1})
		m := c.next()
		for str(m[0]) == "EVENT" {
			m = c.next()
		}
		if str(m[0]) == "CLOSED" && strings.HasPrefix(str(m[2]), "rate-limited:") {
			limited = true
		}
	}
	if !limited {
		t.Fatal("12 REQs at once were all answered with a limit of 1/s, burst 10")
	}
}

// A client that stops reading must not hold up delivery to others. It is
// disconnected once it has taken nothing for StallTimeout (on the node's
// clock), and not before, however much waits for it.
func TestStalledClientDoesNotBlockOthers(t *testing.T) {
	cfg := node.Config{Relay: relay.Limits{OutboxBytes: 64 << 10, EventsPerSecond: 10000, StallTimeout: event.Duration(100 * time.Millisecond)}}
	cfg.Policy.PerStranger.Bytes = 64 << 20
	s := serve(t, cfg, nil)
	stalled := dial(t, s.url)
	stalled.sendJSON("REQ", "all", nostr.Filter{})
	stalled.collect("all")
	// From here on, stalled never reads; its socket and then its send
	// queue fill up.

	healthy := dial(t, s.url)
	healthy.sendJSON("REQ", "all", nostr.Filter{})
	healthy.collect("all")
	pub := dial(t, s.url)
	now := time.Now().Unix()
	big := strings.Repeat("z", 60<<10)
	for i := 0; i < 60; i++ {
		ev := alice.Event(1, now, fmt.Sprint(i, big))
		if ok, msg := pub.publish(ev); !ok {
			t.Fatal(msg)
		}
		m := healthy.expect("EVENT")
		var got nostr.Event
		json.Unmarshal(m[2], &got)
		if got.ID != ev.ID {
			t.Fatalf("healthy client got %s, want %s", got.ID, ev.ID)
		}
	}
	if n := s.rl.Connections(); n != 3 {
		t.Fatalf("%d clients connected before the clock moved, want 3: the stalled one was cut off too soon", n)
	}
	// What waits for the stalled client is bounded: its own share, not
	// the 3.6 MB published.
	if held := relay.Held(s.rl); held > 64<<10+64<<10 {
		t.Fatalf("the relay holds %d bytes for its clients, want at most the stalled one's outbox and one event", held)
	}
	s.clock.Add(time.Second)
	for deadline := time.Now().Add(time.Minute); s.rl.Connections() != 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("stalled client was never disconnected")
		}
	}
	// What it held is given back.
	for deadline := time.Now().Add(time.Minute); relay.Held(s.rl) != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the relay still holds %d bytes after the stalled client left", relay.Held(s.rl))
		}
	}
}

func TestNIP11(t *testing.T) {
	_, url := start(t, node.Config{Name: "Almaty café"})
	httpURL := "http" + strings.TrimPrefix(url, "ws")
	req, _ := http.NewRequest("GET", httpURL, nil)
	req.Header.Set("Accept", "application/nostr+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info relay.Info
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" || info.Name != "Almaty café" ||
		info.Limitation == nil || info.Limitation.MaxLimit != 500 || info.Limitation.CreatedAtUpperLimit != 900 {
		t.Fatalf("NIP-11 document: %+v (CORS %q)", info, resp.Header.Get("Access-Control-Allow-Origin"))
	}
}

func TestEphemeralEventsAreRelayedNotStored(t *testing.T) {
	n, url := start(t, node.Config{})
	sub := dial(t, url)
	sub.sendJSON("REQ", "eph", nostr.Filter{Kinds: []int{20001}})
	sub.collect("eph")
	pub := dial(t, url)
	ev := alice.Event(20001, time.Now().Unix(), "typing...")
	if ok, msg := pub.publish(ev); !ok {
		t.Fatal(msg)
	}
	sub.expect("EVENT")
	if got, _ := nodetest.Store(n).Get(context.Background(), ev.ID); got != nil {
		t.Fatal("ephemeral event was stored")
	}
}

func TestConnectionLimit(t *testing.T) {
	_, url := start(t, node.Config{Relay: relay.Limits{MaxConnections: 2}})
	a, b := dial(t, url), dial(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, url, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("third connection: %v (%v), want HTTP 503", err, resp)
	}
	// The first two still work, and a slot frees when one leaves.
	a.sendJSON("REQ", "x", nostr.Filter{})
	a.collect("x")
	b.ws.Close(websocket.StatusNormalClosure, "")
	var c *websocket.Conn
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, _, err = websocket.Dial(ctx, url, nil); err == nil {
			break
		}
	}
	if c == nil {
		t.Fatalf("no slot after a client left: %v", err)
	}
	c.CloseNow()
}

func TestNIP77Errors(t *testing.T) {
	_, url := start(t, node.Config{Relay: relay.Limits{NegSessions: 2}})
	c := dial(t, url)
	cases := []struct {
		msg, label, want string
	}{
		{`["NEG-OPEN","n1",{},"zz"]`, "NEG-ERR", "not valid hex"},
		{`["NEG-OPEN","n1",{}]`, "NEG-ERR", "takes 3 elements"},
		{`["NEG-OPEN","n1",{"authors":["x"]},"61"]`, "NEG-ERR", "invalid: authors"},
		{`["NEG-MSG","nope","61"]`, "NEG-ERR", "closed: no open reconciliation"},
		{`["NEG-OPEN","n2",{},"6100ff"]`, "NEG-ERR", "invalid: malformed negentropy message"},
		{`["NEG-OPEN","n3",{},"62"]`, "NEG-MSG", `"61"`}, // unknown version: we answer with ours
	}
	for _, tc := range cases {
		c.send(tc.msg)
		m := c.next()
		if str(m[0]) != tc.label || !strings.Contains(joinRaw(m), tc.want) {
			t.Errorf("%s\n  got  %s\n  want %s containing %q", tc.msg, joinRaw(m), tc.label, tc.want)
		}
	}
	// The session limit: n3 is open; two more make three.
	c.send(`["NEG-OPEN","n4","{}","61"]`)
	c.next()
	c.send(`["NEG-OPEN","n4",{},"6100000200"]`)
	c.next()
	c.send(`["NEG-OPEN","n5",{},"6100000200"]`)
	if m := c.next(); str(m[0]) != "NEG-ERR" || !strings.Contains(str(m[2]), "blocked:") {
		t.Fatalf("third open reconciliation: %s", joinRaw(m))
	}
	c.sendJSON("NEG-CLOSE", "n3")
	c.send(`["NEG-OPEN","n5",{},"6100000200"]`)
	if m := c.next(); str(m[0]) != "NEG-MSG" {
		t.Fatalf("after NEG-CLOSE: %s", joinRaw(m))
	}
	// Still a working connection.
	c.sendJSON("REQ", "ok", nostr.Filter{})
	c.collect("ok")
}

// startFrom is start with every connection seeming to come from addr, a
// remote address (the limits by address exempt loopback).
func startFrom(t *testing.T, cfg node.Config, addr string) string {
	t.Helper()
	return serve(t, cfg, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.RemoteAddr = addr
			h.ServeHTTP(w, r)
		})
	}).url
}

// One peer opening several connections shares one budget of events: it
// cannot multiply its rate, and so cannot starve others, by connecting
// more.
func TestLimitsByAddress(t *testing.T) {
	cfg := node.Config{Relay: relay.Limits{EventsPerSecond: 2, EventsPerSecondPerIP: 2, MaxConnectionsPerIP: 3}}
	url := startFrom(t, cfg, "192.0.2.7:40000")
	conns := []*client{dial(t, url), dial(t, url), dial(t, url)}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, resp, err := websocket.Dial(ctx, url, nil); err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("fourth connection from one address: %v (%v), want HTTP 503", err, resp)
	}
	// Each connection alone may burst 20; together they may too.
	now := time.Now().Unix()
	accepted, byAddress := 0, 0
	for i := 0; i < 45; i++ {
		ok, msg := conns[i%3].publish(alice.Event(1, now, fmt.Sprint("burst ", i)))
		switch {
		case ok:
			accepted++
		case strings.Contains(msg, "from your address"):
			byAddress++
		case !strings.HasPrefix(msg, "rate-limited:"):
			t.Fatalf("refused for another reason: %s", msg)
		}
	}
	if accepted > 21 || byAddress == 0 {
		t.Fatalf("three connections from one address published %d of 45 (%d refused for the address), want at most the shared burst of 20", accepted, byAddress)
	}

	// Loopback clients (the user's own apps) are not limited by address.
	_, local := start(t, cfg)
	locals := []*client{dial(t, local), dial(t, local), dial(t, local), dial(t, local)}
	accepted = 0
	for i := 0; i < 60; i++ {
		if ok, _ := locals[i%4].publish(bob.Event(1, now, fmt.Sprint("local ", i))); ok {
			accepted++
		}
	}
	if accepted < 60 {
		t.Fatalf("four local connections published %d of 60 within their own bursts", accepted)
	}
}

// slowItems is a relay backend whose listings wait until released, like a
// store listing a million events. It serves nothing else.
type slowItems struct {
	relay.Backend
	started chan struct{}
	release chan struct{}
}

func (slowItems) Subscribe(func(*nostr.Event, []byte)) func() { return func() {} }

func (s slowItems) Items(ctx context.Context, f nostr.Filter, max int) (*negentropy.Set, error) {
	s.started <- struct{}{}
	select {
	case <-s.release:
		return negentropy.NewSet(nil), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Sets are listed one at a time: a client that finds the node busy
// listing for another is told so with "rate-limited:" (and may try
// again), instead of waiting past its patience or failing for good.
func TestNIP77BusyListing(t *testing.T) {
	b := slowItems{started: make(chan struct{}, 2), release: make(chan struct{})}
	rl := relay.New(b, relay.Options{Limits: relay.Limits{QueryTimeout: event.Duration(200 * time.Millisecond)}})
	srv := httptest.NewServer(rl)
	defer srv.Close()
	defer rl.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	first, second := dial(t, url), dial(t, url)

	first.send(`["NEG-OPEN","a",{},"6100000200"]`)
	<-b.started // the first listing holds the slot
	second.send(`["NEG-OPEN","b",{},"6100000200"]`)
	if m := second.next(); str(m[0]) != "NEG-ERR" || !strings.HasPrefix(str(m[2]), "rate-limited:") {
		t.Fatalf("while another set is listed: %s", joinRaw(m))
	}
	b.release <- struct{}{}
	if m := first.next(); str(m[0]) != "NEG-MSG" {
		t.Fatalf("the first listing: %s", joinRaw(m))
	}
	second.send(`["NEG-OPEN","b",{},"6100000200"]`)
	<-b.started
	b.release <- struct{}{}
	if m := second.next(); str(m[0]) != "NEG-MSG" {
		t.Fatalf("tried again: %s", joinRaw(m))
	}
}

// The events a reconciliation holds count against NegItemsTotal until it
// is closed or its connection ends, and no longer.
func TestNIP77HeldItemsAreGivenBack(t *testing.T) {
	n, url := start(t, node.Config{Relay: relay.Limits{NegItemsTotal: 2}})
	for _, r := range n.Ingest(context.Background(), alice.Event(1, time.Now().Unix(), "one"), alice.Event(1, time.Now().Unix(), "two")) {
		if !r.OK() {
			t.Fatal(r.Message())
		}
	}
	open := func(c *client, id string) []json.RawMessage {
		c.sendJSON("NEG-OPEN", id, nostr.Filter{}, "6100000200")
		return c.next()
	}
	c := dial(t, url)
	if m := open(c, "a"); str(m[0]) != "NEG-MSG" {
		t.Fatalf("first reconciliation: %s", joinRaw(m))
	}
	other := dial(t, url)
	if m := open(other, "b"); str(m[0]) != "NEG-ERR" || !strings.HasPrefix(str(m[2]), "rate-limited:") {
		t.Fatalf("while another holds the budget: %s", joinRaw(m))
	}
	c.sendJSON("NEG-CLOSE", "a")
	c.sendJSON("NEG-MSG", "a", "61") // answered once the close is done
	c.expect("NEG-ERR")
	if m := open(other, "b"); str(m[0]) != "NEG-MSG" {
		t.Fatalf("after NEG-CLOSE: %s", joinRaw(m))
	}
	other.ws.CloseNow() // leaves without closing "b"
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		m := open(c, "c")
		if str(m[0]) == "NEG-MSG" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the holder disconnected: %s", joinRaw(m))
		}
	}
}

// A reconciliation left open and idle is closed after NegIdle, and what it
// held is given back, though its client stays connected.
func TestNIP77IdleSessionIsClosed(t *testing.T) {
	s := serve(t, node.Config{Relay: relay.Limits{NegItemsTotal: 1, NegIdle: event.Duration(200 * time.Millisecond)}}, nil)
	for _, r := range s.n.Ingest(context.Background(), alice.Event(1, time.Now().Unix(), "one")) {
		if !r.OK() {
			t.Fatal(r.Message())
		}
	}
	idler, other := dial(t, s.url), dial(t, s.url)
	idler.sendJSON("NEG-OPEN", "a", nostr.Filter{}, "6100000200")
	idler.expect("NEG-MSG")
	// It never answers; once the clock has moved past NegIdle, the node
	// closes the session and says so.
	s.clock.Add(time.Second)
	if m := idler.next(); str(m[0]) != "NEG-ERR" || !strings.HasPrefix(str(m[2]), "closed:") {
		t.Fatalf("idle session: %s", joinRaw(m))
	}
	other.sendJSON("NEG-OPEN", "b", nostr.Filter{}, "6100000200")
	if m := other.next(); str(m[0]) != "NEG-MSG" {
		t.Fatalf("after the idle session was closed: %s", joinRaw(m))
	}
}
