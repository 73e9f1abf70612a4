package relay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/relay"
	"github.com/coder/websocket"
	"github.com/nbd-wtf/go-nostr"
)

// ingest stores evs in n, failing the test if any is refused.
func ingest(t *testing.T, n *node.Node, evs ...*nostr.Event) {
	t.Helper()
	for _, r := range n.Ingest(context.Background(), evs...) {
		if !r.OK() {
			t.Fatal(r.Message())
		}
	}
}

// roomy is a node configuration that keeps large events from strangers.
func roomy(l relay.Limits) node.Config {
	cfg := node.Config{Relay: l}
	cfg.Policy.PerStranger.Bytes = 256 << 20
	cfg.Policy.Strangers.Bytes = 256 << 20
	cfg.Policy.Reports.Bytes = 256 << 20
	return cfg
}

// waitHeld waits until the relay holds at least n bytes for its clients.
func waitHeld(t *testing.T, rl *relay.Relay, n int) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); relay.Held(rl) < n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the relay holds %d bytes, never %d", relay.Held(rl), n)
		}
	}
}

// A client pulling more than its send queue holds (a sync session
// fetching a backlog by id) and reading it slowly gets back-pressure: the
// query waits for room. New events for its live subscription that find no
// room are sent once there is, from the store. It is not disconnected,
// whatever it asked for, as long as it reads.
func TestSlowReaderGetsBackPressure(t *testing.T) {
	s := serve(t, roomy(relay.Limits{OutboxBytes: 64 << 10, EventsPerSecond: 10000,
		StallTimeout: event.Duration(100 * time.Millisecond)}), nil)
	now := time.Now().Unix()
	var ids []string
	for i := range 40 {
		ev := alice.Event(1, now-int64(i), fmt.Sprint(i, " ", strings.Repeat("b", 20<<10)))
		ingest(t, s.n, ev)
		ids = append(ids, ev.ID)
	}
	puller := dial(t, s.url)
	puller.sendJSON("REQ", "live", nostr.Filter{Kinds: []int{1}, LimitZero: true})
	puller.sendJSON("REQ", "get", nostr.Filter{IDs: ids})
	// The puller reads nothing yet: its send queue fills with the answer
	// (three quarters of 64 KiB, the part for query results).
	waitHeld(t, s.rl, 32<<10)

	pub := dial(t, s.url)
	var live []string
	for i := range 5 {
		ev := bob.Event(1, now, fmt.Sprint("live ", i, strings.Repeat("n", 20<<10)))
		if ok, msg := pub.publish(ev); !ok {
			t.Fatal(msg)
		}
		live = append(live, ev.ID)
	}
	if n := s.rl.Connections(); n != 2 {
		t.Fatalf("%d clients connected after new events found the puller's queue full, want 2", n)
	}

	// Now it reads, slowly: everything arrives, each once.
	got := map[string][]string{}
	eose := false
	for !eose || len(got["live"]) < len(live) {
		m := puller.next()
		switch str(m[0]) {
		case "EVENT":
			var ev nostr.Event
			json.Unmarshal(m[2], &ev)
			got[str(m[1])] = append(got[str(m[1])], ev.ID)
		case "EOSE":
			eose = eose || str(m[1]) == "get"
		default:
			t.Fatalf("unexpected %s", joinRaw(m))
		}
	}
	if !slices.Equal(got["get"], ids) {
		t.Fatalf("pulled %d events, want the %d asked for, newest first", len(got["get"]), len(ids))
	}
	slices.Sort(live)
	slices.Sort(got["live"])
	if !slices.Equal(got["live"], live) {
		t.Fatalf("live subscription got %v, want %v", got["live"], live)
	}
}

// A REQ's filters are answered together, newest first across filters,
// each event once, each filter within its own limit: the same as reading
// each filter whole and merging, though the events are read and sent a
// page at a time.
func TestQueryPagesMergeFilters(t *testing.T) {
	s := serve(t, roomy(relay.Limits{EventsPerSecond: 10000}), nil)
	now := time.Now().Unix()
	var all []*nostr.Event
	for i := range 60 {
		k := alice
		if i%3 == 0 {
			k = bob
		}
		// Big enough for a page to hold only a few; many share a second.
		ev := k.Event([]int{1, 7}[i%2], now-int64(i/4), fmt.Sprint(i, strings.Repeat("p", 100<<10)), nostr.Tag{"t", fmt.Sprint(i % 5)})
		all = append(all, ev)
	}
	ingest(t, s.n, all...)
	filters := []nostr.Filter{
		{Authors: []string{bob.Public}},
		{Kinds: []int{7}, Limit: 7},
		{Tags: nostr.TagMap{"t": {"0", "1"}}},
		{Authors: []string{bob.Public}, Kinds: []int{1}, Limit: 3},
	}
	var want []event.Raw
	seen := map[string]bool{}
	for _, f := range filters {
		n := len(all)
		if f.Limit > 0 {
			n = f.Limit
		}
		raws, err := s.n.Query(context.Background(), f, n)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range raws {
			if !seen[r.ID] {
				seen[r.ID] = true
				want = append(want, r)
			}
		}
	}
	event.SortRaw(want)
	c := dial(t, s.url)
	msg := []any{"REQ", "q"}
	for _, f := range filters {
		msg = append(msg, f)
	}
	c.sendJSON(msg...)
	got := c.collect("q")
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i].ID {
			t.Fatalf("event %d is %s, want %s", i, got[i], want[i].ID)
		}
	}
}

// Connections from a web page count against the limits by address even
// on loopback: a browser always sends Origin, so a page the user opens
// cannot take the exemption of the user's own apps.
func TestWebPagesOnLoopbackAreLimited(t *testing.T) {
	cfg := node.Config{Relay: relay.Limits{MaxConnectionsPerIP: 2, EventsPerSecond: 100, EventsPerSecondPerIP: 1}}
	s := serve(t, cfg, nil)
	page := &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://some.site.example"}}}
	other := &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"http://localhost:3000"}}}
	pages := []*client{dialWith(t, s.url, page), dialWith(t, s.url, other)}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, resp, err := websocket.Dial(ctx, s.url, page); err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a third connection from web pages on loopback: %v (%v), want HTTP 503", err, resp)
	}
	// They share one address's events budget: 1 a second, bursts of 10.
	now := time.Now().Unix()
	accepted := 0
	for i := range 20 {
		if ok, _ := pages[i%2].publish(alice.Event(1, now, fmt.Sprint("page ", i))); ok {
			accepted++
		}
	}
	if accepted != 10 {
		t.Fatalf("web pages published %d of 20, want the shared burst of 10", accepted)
	}
	// Native clients on loopback (no Origin) are still exempt.
	natives := []*client{dial(t, s.url), dial(t, s.url), dial(t, s.url)}
	accepted = 0
	for i := range 30 {
		if ok, _ := natives[i%3].publish(bob.Event(1, now, fmt.Sprint("native ", i))); ok {
			accepted++
		}
	}
	if accepted != 30 {
		t.Fatalf("three native clients published %d of 30 within their own bursts", accepted)
	}
}

// Many clients that ask for a lot and read nothing hold no more than the
// relay's total budget and one message each; a client that reads still
// publishes and reads meanwhile.
func TestNonReadingClientsShareABoundedBudget(t *testing.T) {
	const total = 1 << 20
	s := serve(t, roomy(relay.Limits{OutboxBytes: 256 << 10, OutboxBytesTotal: total, EventsPerSecond: 10000}), nil)
	now := time.Now().Unix()
	for i := range 30 {
		k := evtest.NewKey(fmt.Sprint("reporter ", i))
		ingest(t, s.n, k.Event(1, now-int64(i), strings.Repeat("r", 150<<10)))
	}
	const readers = 16
	for range readers {
		c := dial(t, s.url)
		for q := range 8 {
			c.sendJSON("REQ", fmt.Sprint("q", q), nostr.Filter{Kinds: []int{1}, Limit: 500})
		}
	}
	waitHeld(t, s.rl, total/2)
	honest := dial(t, s.url)
	for i := range 5 {
		ev := alice.Event(7, now, fmt.Sprint("still here ", i))
		if ok, msg := honest.publish(ev); !ok {
			t.Fatal(msg)
		}
		honest.sendJSON("REQ", "mine", nostr.Filter{IDs: []string{ev.ID}})
		if got := honest.collect("mine"); len(got) != 1 {
			t.Fatalf("read back %v", got)
		}
		honest.sendJSON("CLOSE", "mine")
	}
	// Each may have one page beyond the budget: at most the part of its
	// outbox for query results (192 KiB), or a single event.
	if held, bound := relay.Held(s.rl), total+readers*(192<<10+1<<10); held > bound {
		t.Fatalf("the relay holds %d bytes for clients that read nothing, want at most %d", held, bound)
	}
}

// A client that reads, but slower than new events come, has those that
// find no room listed and sent later; past what a connection may list,
// the subscription is closed with a reason (the client may subscribe
// again), and the connection stays.
func TestTooManyMissedEventsCloseTheSubscription(t *testing.T) {
	// A connection may list one missed event for each KiB of its outbox.
	s := serve(t, roomy(relay.Limits{OutboxBytes: 16 << 10}), nil)
	c := dial(t, s.url)
	c.sendJSON("REQ", "live", nostr.Filter{Kinds: []int{1}, LimitZero: true})
	c.expect("EOSE")
	// More than the sockets, the send queue and the list of 16 missed
	// events hold, while the client reads nothing.
	now := time.Now().Unix()
	var evs []*nostr.Event
	for i := range 100 {
		evs = append(evs, alice.Event(1, now, fmt.Sprint(i, strings.Repeat(" news", 2<<10))))
	}
	ingest(t, s.n, evs...)
	events := 0
	for {
		m := c.next()
		if str(m[0]) == "EVENT" {
			events++
			continue
		}
		if str(m[0]) != "CLOSED" || str(m[1]) != "live" || !strings.HasPrefix(str(m[2]), "error: more than 16 new events") {
			t.Fatalf("after %d events: %s, want CLOSED live error: more than 16 new events...", events, joinRaw(m))
		}
		break
	}
	t.Logf("%d of %d events sent before the subscription was closed", events, len(evs))
	c.sendJSON("REQ", "again", nostr.Filter{Kinds: []int{1}, Limit: 1})
	if got := c.collect("again"); len(got) != 1 {
		t.Fatalf("subscribing again: %v", got)
	}
}
