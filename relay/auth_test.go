package relay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/link"
	"github.com/caravan-mesh/caravan/node"
	"github.com/coder/websocket"
	"github.com/nbd-wtf/go-nostr"
)

// page dials as a web page does (with an Origin header): not one of the
// user's own clients, though on loopback.
func page(t testing.TB, url string) *client {
	t.Helper()
	return dialWith(t, url, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"http://phone.example"}}})
}

// authEvent is a NIP-42 AUTH event by k for relay url and challenge, at at.
func authEvent(k evtest.Key, url, challenge string, at time.Time, extra ...nostr.Tag) *nostr.Event {
	tags := append([]nostr.Tag{{"relay", url}, {"challenge", challenge}}, extra...)
	return k.Event(event.KindAuth, at.Unix(), "", tags...)
}

// auth sends an AUTH event and returns the OK's verdict.
func (c *client) auth(ev *nostr.Event) (bool, string) {
	c.t.Helper()
	c.sendJSON("AUTH", ev)
	m := c.expect("OK")
	var ok bool
	json.Unmarshal(m[2], &ok)
	if str(m[1]) != ev.ID {
		c.t.Fatalf("OK for %s, want %s", str(m[1]), ev.ID)
	}
	return ok, str(m[3])
}

// received reads a subscription's events up to EOSE or CLOSED, and
// returns their ids and the CLOSED reason ("" after EOSE).
func (c *client) received(sub string) (ids []string, closed string) {
	c.t.Helper()
	for {
		m := c.next()
		switch {
		case str(m[0]) == "EVENT" && str(m[1]) == sub:
			var ev nostr.Event
			json.Unmarshal(m[2], &ev)
			ids = append(ids, ev.ID)
		case str(m[0]) == "EOSE" && str(m[1]) == sub:
			return ids, ""
		case str(m[0]) == "CLOSED" && str(m[1]) == sub:
			return ids, str(m[2])
		default:
			c.t.Fatalf("waiting for %s: unexpected %s", sub, joinRaw(m))
		}
	}
}

// TestAuth: the relay sends each websocket client a challenge of its own
// and takes AUTH events as NIP-42 describes, refusing each kind of
// unsound one with a reason; a connection may authenticate several keys.
func TestAuth(t *testing.T) {
	s := serve(t, node.Config{}, nil)
	c := page(t, s.url)
	if other := page(t, s.url); other.challenge == c.challenge || len(c.challenge) < 32 {
		t.Fatalf("challenges %q and %q: want a long random one per connection", c.challenge, other.challenge)
	}
	now := s.clock.Now()
	host := strings.TrimPrefix(s.url, "ws://")
	_, port, _ := net.SplitHostPort(host)
	tampered := authEvent(alice, s.url, c.challenge, now)
	tampered.Tags = append(tampered.Tags, nostr.Tag{"x", "added after signing"})
	cases := []struct {
		name string
		ev   *nostr.Event
		want string // "" for success
	}{
		{"wrong kind", alice.Event(1, now.Unix(), "", nostr.Tag{"relay", s.url}, nostr.Tag{"challenge", c.challenge}), "invalid: an AUTH event must be of kind 22242"},
		{"tampered", tampered, "invalid: id does not match"},
		{"another connection's challenge", authEvent(alice, s.url, strings.Repeat("0", 32), now), "invalid: the AUTH event's challenge tag does not match"},
		{"no challenge", alice.Event(event.KindAuth, now.Unix(), "", nostr.Tag{"relay", s.url}), "invalid: the AUTH event's challenge tag does not match"},
		{"another relay", authEvent(alice, "wss://relay.example.com/", c.challenge, now), `invalid: the AUTH event's relay tag names "wss://relay.example.com/"`},
		{"no relay", alice.Event(event.KindAuth, now.Unix(), "", nostr.Tag{"challenge", c.challenge}), "invalid: the AUTH event has no relay tag"},
		{"too old", authEvent(alice, s.url, c.challenge, now.Add(-11*time.Minute)), "invalid: the AUTH event's created_at is 11m"},
		{"too new", authEvent(alice, s.url, c.challenge, now.Add(12*time.Minute)), "invalid: the AUTH event's created_at is 1"},
		// NIP-42: the relay URL may be normalised; the host is what counts.
		{"as given", authEvent(alice, s.url, c.challenge, now), ""},
		{"slash, wss, other port", authEvent(bob, "wss://127.0.0.1:9/", c.challenge, now.Add(-9*time.Minute)), ""},
		{"no scheme", authEvent(bob, "127.0.0.1:"+port, c.challenge, now), ""},
	}
	for _, tc := range cases {
		ok, msg := c.auth(tc.ev)
		if ok != (tc.want == "") || !strings.HasPrefix(msg, tc.want) ||
			strings.HasPrefix(tc.name, "too old") && !strings.Contains(msg, "behind this node's clock") ||
			strings.HasPrefix(tc.name, "too new") && !strings.Contains(msg, "ahead of this node's clock") {
			t.Errorf("%s: OK %v %q, want %q", tc.name, ok, msg, tc.want)
		}
	}
	// A malformed AUTH is answered too.
	c.send(`["AUTH", "not an event"]`)
	if m := c.expect("NOTICE"); !strings.Contains(str(m[1]), "AUTH event") {
		t.Errorf("malformed AUTH: %s", joinRaw(m))
	}

	// Both keys are authenticated: each reads the wraps addressed to it.
	for _, k := range []evtest.Key{alice, bob} {
		w := evtest.NewKey("one-time "+k.Public).Event(event.KindGiftWrap, now.Unix(), "sealed", nostr.Tag{"p", k.Public})
		if r := s.n.Ingest(context.Background(), w)[0]; !r.OK() {
			t.Fatal(r.Message())
		}
	}
	c.sendJSON("REQ", "mine", nostr.Filter{Kinds: []int{event.KindGiftWrap}})
	if ids, closed := c.received("mine"); len(ids) != 2 || closed != "" {
		t.Errorf("wraps for both keys authenticated: %v %q", ids, closed)
	}

	// An AUTH event is never published, stored nor passed on.
	if ok, msg := c.publish(authEvent(alice, s.url, c.challenge, now)); ok || !strings.HasPrefix(msg, "invalid: kind 22242 is for AUTH") {
		t.Errorf("AUTH event as EVENT: %v %q", ok, msg)
	}
}

// A link served with ServeConn (a stdio pipe) is the user's own: it is
// sent no challenge and sees every wrap.
func TestStreamLinkHasNoChallenge(t *testing.T) {
	s := serve(t, node.Config{}, nil)
	now := time.Now().Unix()
	w := alice.Event(event.KindGiftWrap, now, "sealed", nostr.Tag{"p", bob.Public})
	if r := s.n.Ingest(context.Background(), w)[0]; !r.OK() {
		t.Fatal(r.Message())
	}
	a, b := net.Pipe()
	go s.rl.ServeConn(link.Stream(a, a, a, 1<<20, "pipe"))
	l := link.Stream(b, b, b, 1<<20, "node")
	defer l.Close("")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Write(ctx, []byte(`["REQ","w",{"kinds":[1059]}]`)); err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		msg, err := l.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var m []json.RawMessage
		json.Unmarshal(msg, &m)
		if str(m[0]) == "EOSE" {
			break
		}
		got = append(got, str(m[0]))
	}
	if !slices.Equal(got, []string{"EVENT"}) {
		t.Fatalf("over a stream link: %v, want the wrap and no AUTH", got)
	}
}

// TestWrapsGoToTheirRecipients: a client that is not the user's own sees
// no gift wrap in the answer to a filter, stored or live, unless it
// authenticated as the wrap's recipient, or asks for it by id (a node
// pulling what reconciliation showed), or asks only for new events (a
// sync session's live subscription). A filter that asks only for wraps
// it may not see is refused; a wider one leaves them out, within its
// limit. The user's own clients see everything.
func TestWrapsGoToTheirRecipients(t *testing.T) {
	s := serve(t, node.Config{}, nil)
	ctx := context.Background()
	now := s.clock.Now().Unix()
	carol := evtest.NewKey("carol")
	note := carol.Event(1, now-100, "a note")
	var toAlice, toBob []*nostr.Event
	for i := range 3 {
		toAlice = append(toAlice, evtest.NewKey("wrapper").Event(event.KindGiftWrap, now-50+int64(i), "for alice", nostr.Tag{"p", alice.Public}))
		toBob = append(toBob, evtest.NewKey("wrapper").Event(event.KindGiftWrap, now-40+int64(i), "for bob", nostr.Tag{"p", bob.Public}))
	}
	for _, ev := range append(append([]*nostr.Event{note}, toAlice...), toBob...) {
		if r := s.n.Ingest(ctx, ev)[0]; !r.OK() {
			t.Fatal(r.Message())
		}
	}
	ids := func(evs ...*nostr.Event) []string {
		var out []string
		for _, ev := range evs {
			out = append(out, ev.ID)
		}
		return out
	}
	newestFirst := func(evs ...*nostr.Event) []string {
		out := ids(evs...)
		slices.Reverse(out)
		return out
	}

	c := page(t, s.url)
	check := func(name string, f nostr.Filter, want []string, closed string) {
		t.Helper()
		c.sendJSON("REQ", name, f)
		got, why := c.received(name)
		if !slices.Equal(got, want) || !strings.HasPrefix(why, closed) || (closed == "") != (why == "") {
			t.Errorf("%s: got %v closed %q, want %v closed %q", name, got, why, want, closed)
		}
	}
	wraps := []int{event.KindGiftWrap}
	check("wraps", nostr.Filter{Kinds: wraps}, nil, "auth-required: sealed messages (kind 1059) are served only to their recipient")
	check("alice's wraps", nostr.Filter{Kinds: wraps, Tags: nostr.TagMap{"p": {alice.Public}}}, nil, "auth-required:")
	// Left out within the limit: the note is older than all six wraps.
	check("everything", nostr.Filter{Limit: 1}, ids(note), "")
	check("notes and wraps", nostr.Filter{Kinds: []int{1, event.KindGiftWrap}}, ids(note), "")
	check("by id", nostr.Filter{IDs: ids(toBob[0])}, ids(toBob[0]), "")

	if ok, msg := c.auth(authEvent(alice, s.url, c.challenge, s.clock.Now())); !ok {
		t.Fatal(msg)
	}
	check("wraps as alice", nostr.Filter{Kinds: wraps}, newestFirst(toAlice...), "")
	check("bob's wraps as alice", nostr.Filter{Kinds: wraps, Tags: nostr.TagMap{"p": {bob.Public}}}, nil, "restricted:")
	check("both as alice", nostr.Filter{Kinds: wraps, Tags: nostr.TagMap{"p": {bob.Public, alice.Public}}}, newestFirst(toAlice...), "")
	check("everything as alice", nostr.Filter{Limit: 3}, newestFirst(toAlice...), "")
	check("everything else as alice", nostr.Filter{Limit: 4}, append(newestFirst(toAlice...), note.ID), "")
	check("notes and wraps as alice", nostr.Filter{Kinds: []int{1, event.KindGiftWrap}, Limit: 2}, newestFirst(toAlice[1:]...), "")

	// Live: alice's client gets the new wrap to her, not the one to bob;
	// another page that did not authenticate gets neither, but a note.
	stranger := page(t, s.url)
	stranger.sendJSON("REQ", "all", nostr.Filter{Limit: 1})
	if got, _ := stranger.received("all"); len(got) != 1 {
		t.Fatalf("stranger's stored events: %v", got)
	}
	stranger.sendJSON("REQ", "new", nostr.Filter{Kinds: wraps, LimitZero: true})
	stranger.expect("EOSE")
	since := nostr.Timestamp(now)
	c.sendJSON("REQ", "live", nostr.Filter{Kinds: wraps, Since: &since})
	c.received("live")
	newBob := evtest.NewKey("wrapper").Event(event.KindGiftWrap, now, "new for bob", nostr.Tag{"p", bob.Public})
	newAlice := evtest.NewKey("wrapper").Event(event.KindGiftWrap, now, "new for alice", nostr.Tag{"p", alice.Public})
	later := carol.Event(1, now, "later")
	for _, ev := range []*nostr.Event{newBob, newAlice, later} {
		if r := s.n.Ingest(ctx, ev)[0]; !r.OK() {
			t.Fatal(r.Message())
		}
	}
	m := c.expect("EVENT")
	var ev nostr.Event
	json.Unmarshal(m[2], &ev)
	if ev.ID != newAlice.ID {
		t.Errorf("alice's live subscription got %s, want her new wrap only", ev.Content)
	}
	// The stranger's "new events only" subscription is a sync peer's:
	// it gets new wraps as they come, as reconciliation would show them.
	var live []string
	for len(live) < 3 {
		m := stranger.expect("EVENT")
		var ev nostr.Event
		json.Unmarshal(m[2], &ev)
		live = append(live, str(m[1])+" "+ev.Content)
	}
	if want := []string{"new new for bob", "new new for alice", "all later"}; !slices.Equal(live, want) {
		t.Errorf("the stranger's live events: %v, want %v", live, want)
	}

	// NIP-77 still lists every wrap's id for anyone who reconciles.
	stranger.sendJSON("NEG-OPEN", "neg", nostr.Filter{Kinds: wraps}, "6100000200")
	stranger.expect("NEG-MSG")

	// The user's own client (loopback, no Origin) sees every wrap.
	own := dial(t, s.url)
	own.sendJSON("REQ", "all", nostr.Filter{Kinds: wraps})
	if got, closed := own.received("all"); len(got) != 8 || closed != "" {
		t.Errorf("the user's own client got %d wraps (%q), want all 8", len(got), closed)
	}
}

// Wraps left out do not cost a filter its events: past many wraps newer
// than anything else, and among wraps interleaved with notes, a page
// gets the notes in order, each once, up to its limit.
func TestWrapsLeftOutAcrossPages(t *testing.T) {
	s := serve(t, node.Config{}, nil)
	now := s.clock.Now().Unix()
	wrapper, author := evtest.NewKey("wrapper"), evtest.NewKey("author")
	var evs []*nostr.Event
	var notes []string // newest first
	for i := range 1500 {
		evs = append(evs, wrapper.Event(event.KindGiftWrap, now-int64(i%100), fmt.Sprint("newer ", i), nostr.Tag{"p", alice.Public}))
	}
	for i := range 300 {
		at := now - 1000 - int64(i)
		note := author.Event(1, at, fmt.Sprint("note ", i))
		evs = append(evs, note, wrapper.Event(event.KindGiftWrap, at, fmt.Sprint("among ", i), nostr.Tag{"p", alice.Public}))
		notes = append(notes, note.ID)
	}
	for _, r := range s.n.Ingest(context.Background(), evs...) {
		if !r.OK() {
			t.Fatal(r.Message())
		}
	}
	c := page(t, s.url)
	for _, limit := range []int{0, 200, 1} {
		c.sendJSON("REQ", "all", nostr.Filter{Limit: limit})
		got, closed := c.received("all")
		want := notes
		if limit > 0 {
			want = notes[:limit]
		}
		if closed != "" || !slices.Equal(got, want) {
			t.Errorf("limit %d: %d events (closed %q), want the %d newest notes in order", limit, len(got), closed, len(want))
		}
	}
}

// BenchmarkReqPastWraps measures a page's REQ for the newest 500 events
// on a store whose 20,000 newest events are wraps it may not see, against
// the user's own client asking for the 500 newest (wraps and all).
func BenchmarkReqPastWraps(b *testing.B) {
	s := serve(b, node.Config{}, nil)
	now := s.clock.Now().Unix()
	wrapper, author := evtest.NewKey("wrapper"), evtest.NewKey("author")
	var evs []*nostr.Event
	for i := range 20000 {
		evs = append(evs, wrapper.Event(event.KindGiftWrap, now-int64(i/10), fmt.Sprint("newer ", i), nostr.Tag{"p", alice.Public}))
	}
	for i := range 500 {
		evs = append(evs, author.Event(1, now-5000-int64(i), fmt.Sprint("note ", i)))
	}
	for len(evs) > 0 {
		batch := evs[:min(len(evs), 2000)]
		evs = evs[len(batch):]
		for _, r := range s.n.Ingest(context.Background(), batch...) {
			if !r.OK() {
				b.Fatal(r.Message())
			}
		}
	}
	for _, who := range []struct {
		name string
		c    *client
	}{{"page", page(b, s.url)}, {"own", dial(b, s.url)}} {
		b.Run(who.name, func(b *testing.B) {
			who.c.t = b
			for range b.N {
				who.c.sendJSON("REQ", "all", nostr.Filter{Limit: 500})
				if got, _ := who.c.received("all"); len(got) != 500 {
					b.Fatalf("%d events", len(got))
				}
			}
		})
	}
}
