package carry_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/carry"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/internal/nodetest"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/link"
	"github.com/caravan-mesh/caravan/mesh"
	"github.com/caravan-mesh/caravan/negentropy"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/policy"
	"github.com/caravan-mesh/caravan/relay"
	"github.com/nbd-wtf/go-nostr"
)

func newNode(t testing.TB, name string) *node.Node {
	t.Helper()
	return newNodeWith(t, name, node.Options{})
}

// newNodeWith opens a node in a fresh directory with one identity, name.
func newNodeWith(t testing.TB, name string, o node.Options) *node.Node {
	t.Helper()
	if o.KeyLogN == 0 {
		o.KeyLogN = 4
	}
	n, err := node.Open(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.NewIdentity(name, "", true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func pubkey(t testing.TB, n *node.Node) string {
	id, err := n.Identity("")
	if err != nil {
		t.Fatal(err)
	}
	return id.PubKey.Hex()
}

func post(t testing.TB, n *node.Node, kind int, content string, tags ...nostr.Tag) *nostr.Event {
	t.Helper()
	ev, err := n.Publish(context.Background(), "", &nostr.Event{Kind: kind, Content: content, Tags: tags})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func put(t testing.TB, n *node.Node, evs ...*nostr.Event) {
	t.Helper()
	for _, r := range n.Ingest(context.Background(), evs...) {
		if !r.OK() {
			t.Fatalf("ingest: %s", r.Message())
		}
	}
}

// ids lists every event a node holds.
func ids(t testing.TB, n *node.Node) []string {
	t.Helper()
	items, err := nodetest.Store(n).Items(context.Background(), nostr.Filter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for it := range items.All() {
		out = append(out, hex.EncodeToString(it.ID[:]))
	}
	sort.Strings(out)
	return out
}

// pipe joins two nodes with an in-memory byte stream, as stdio would.
func pipe() (a, b net.Conn) { return net.Pipe() }

func stream(c net.Conn, name string) link.Conn { return link.Stream(c, c, c, 4<<20, name) }

// syncStream runs both ends of a stream sync and waits for both.
func syncStream(t testing.TB, a, b *node.Node, ca, cb net.Conn) (errA, errB error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ma, err := mesh.New(a)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := mesh.New(b)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _, _, errA = ma.SyncStream(ctx, stream(ca, "b"), mesh.SyncOptions{}) }()
	go func() { defer wg.Done(); _, _, errB = mb.SyncStream(ctx, stream(cb, "a"), mesh.SyncOptions{}) }()
	wg.Wait()
	return
}

// world fills two nodes with events of every class the policy knows.
func world(t testing.TB, a, b *node.Node) {
	ctx := context.Background()
	now := time.Now().Unix()
	// a follows b; b follows nobody.
	if _, err := a.Follow(ctx, "", keys.PublicKey(pubkey(t, b)), "", "b"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 40; i++ {
		post(t, a, 1, fmt.Sprint("a note ", i))
		post(t, b, 1, fmt.Sprint("b note ", i))
	}
	post(t, a, 30023, "a report", nostr.Tag{"d", "r1"}, nostr.Tag{"title", "Zhanaozen"})
	post(t, a, 30024, "a draft: stays home", nostr.Tag{"d", "draft"})
	stranger := evtest.NewKey("stranger")
	for i := 0; i < 30; i++ {
		put(t, b, stranger.Event(1, now-int64(i), fmt.Sprint("stranger ", i)))
		put(t, b, evtest.NewKey(fmt.Sprint("wrapper", i)).Event(1059, now-int64(i*60), "sealed", nostr.Tag{"p", pubkey(t, a)}))
	}
	put(t, b, stranger.Event(30023, now, "stranger's report", nostr.Tag{"d", "x"}))
}

func TestStreamSyncConverges(t *testing.T) {
	a, b := newNode(t, "a"), newNode(t, "b")
	world(t, a, b)
	ca, cb := pipe()
	if errA, errB := syncStream(t, a, b, ca, cb); errA != nil || errB != nil {
		t.Fatalf("sync: %v / %v", errA, errB)
	}
	ia, ib := ids(t, a), ids(t, b)
	// Everything converges except a's draft, which never leaves.
	if len(ia) != len(ib)+1 {
		t.Fatalf("a holds %d events, b %d; want b = a - 1 (the draft)", len(ia), len(ib))
	}
	drafts, err := nodetest.Store(b).Items(context.Background(), nostr.Filter{Kinds: []int{30024}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if drafts.Size() != 0 {
		t.Fatal("a's draft reached b")
	}
	if d := a.Counts().Duplicates.Load() + b.Counts().Duplicates.Load(); d != 0 {
		t.Fatalf("%d events were sent twice", d)
	}
	// A second encounter moves nothing.
	before := a.Counts().Stored.Load() + b.Counts().Stored.Load()
	ca, cb = pipe()
	syncStream(t, a, b, ca, cb)
	if after := a.Counts().Stored.Load() + b.Counts().Stored.Load(); after != before {
		t.Fatalf("second sync stored %d more events", after-before)
	}
}

// cutConn closes the link after n bytes have crossed it in total.
type cutConn struct {
	net.Conn
	budget *atomic.Int64
}

func (c cutConn) Write(p []byte) (int, error) {
	if left := c.budget.Add(-int64(len(p))); left < 0 {
		keep := len(p) + int(left)
		if keep > 0 {
			c.Conn.Write(p[:keep])
		}
		c.Conn.Close()
		return max(keep, 0), errors.New("link cut")
	}
	return c.Conn.Write(p)
}

// TestCutAtAnyByte cuts the link after N bytes for many N. Each cut
// session may fail; after all of them a clean session converges, and no
// event was ever stored twice (nothing that arrived was sent again).
func TestCutAtAnyByte(t *testing.T) {
	a, b := newNode(t, "a"), newNode(t, "b")
	world(t, a, b)
	// A clean sync of this world moves about 80 KB; cut all along it.
	var cuts []int64
	for n := int64(1); n < 100_000; n = n*12/10 + 97 {
		cuts = append(cuts, n)
	}
	for _, n := range cuts {
		budget := &atomic.Int64{}
		budget.Store(n)
		ca, cb := pipe()
		syncStream(t, a, b, cutConn{ca, budget}, cutConn{cb, budget})
	}
	ca, cb := pipe()
	if errA, errB := syncStream(t, a, b, ca, cb); errA != nil || errB != nil {
		t.Fatalf("final sync: %v / %v", errA, errB)
	}
	ia, ib := ids(t, a), ids(t, b)
	if len(ia) != len(ib)+1 {
		t.Fatalf("after cuts: a holds %d, b %d", len(ia), len(ib))
	}
	if d := a.Counts().Duplicates.Load() + b.Counts().Duplicates.Load(); d != 0 {
		t.Fatalf("%d events arrived twice across the cut sessions", d)
	}
	for _, n := range []*node.Node{a, b} {
		if v, _ := nodetest.Store(n).IntegrityCheck(context.Background()); v != "ok" {
			t.Fatalf("integrity: %s", v)
		}
	}
}

// TestPriorityOrder: own events reach the peer before wraps, reports and
// strangers' events.
func TestPriorityOrder(t *testing.T) {
	a, b := newNode(t, "a"), newNode(t, "b")
	now := time.Now().Unix()
	for i := 0; i < 20; i++ {
		put(t, a, evtest.NewKey(fmt.Sprint("s", i)).Event(1, now-int64(i), "stranger"))
		put(t, a, evtest.NewKey(fmt.Sprint("w", i)).Event(1059, now, "wrap", nostr.Tag{"p", pubkey(t, b)}))
	}
	for i := 0; i < 10; i++ {
		post(t, a, 1, fmt.Sprint("mine ", i))
	}
	var (
		mu    sync.Mutex
		order []policy.Class
	)
	b.OnStored(func(ev *nostr.Event, raw []byte) {
		mu.Lock()
		order = append(order, nodetest.Policy(a).Classify(ev))
		mu.Unlock()
	})
	// a initiates over a websocket to b's relay endpoint.
	conn := serveOver(t, b)
	p, err := carry.Run(context.Background(), conn, localOf(a), carry.Options{Wants: a.Wants(context.Background())})
	if err != nil {
		t.Fatal(err)
	}
	if p.Sent != 50 {
		t.Fatalf("sent %d, want 50", p.Sent)
	}
	mu.Lock()
	defer mu.Unlock()
	for i := 1; i < len(order); i++ {
		if order[i] < order[i-1] {
			t.Fatalf("arrival order by class %v is not by priority", order)
		}
	}
	if order[0] != policy.Own {
		t.Fatalf("first arrival is %s", order[0])
	}
}

// serveOver connects to n's relay endpoint over an in-memory stream.
func serveOver(t testing.TB, n *node.Node) link.Conn {
	ca, cb := pipe()
	rl := n.NewRelay()
	go rl.ServeConn(stream(cb, "client"))
	t.Cleanup(rl.Close)
	return stream(ca, "relay")
}

// localOf exposes a node as a carry.Local, as the node does internally.
func localOf(n *node.Node) carry.Local { return mesh.Local(n) }

// fakePeer answers NEG-OPEN honestly from a set of events, then plays
// the given trick when asked for events.
func fakePeer(t *testing.T, evs []*nostr.Event, trick func(send func(v ...any), sub string, asked []string)) link.Conn {
	t.Helper()
	return busyPeer(t, evs, 0, trick)
}

// busyPeer is fakePeer, but refuses the first busy NEG-OPENs as a busy
// relay does.
func busyPeer(t *testing.T, evs []*nostr.Event, busy int, trick func(send func(v ...any), sub string, asked []string)) link.Conn {
	t.Helper()
	ca, cb := pipe()
	peer := stream(cb, "fake")
	go func() {
		var items []negentropy.Item
		for _, ev := range evs {
			id, _ := hex.DecodeString(ev.ID)
			items = append(items, negentropy.Item{Time: uint64(ev.CreatedAt), ID: [32]byte(id)})
		}
		srv := negentropy.NewServer(negentropy.NewSet(items), 0)
		ctx := context.Background()
		for {
			b, err := peer.Read(ctx)
			if err != nil {
				return
			}
			var parts []json.RawMessage
			json.Unmarshal(b, &parts)
			var label, sub string
			json.Unmarshal(parts[0], &label)
			json.Unmarshal(parts[1], &sub)
			send := func(v ...any) {
				out, _ := json.Marshal(v)
				peer.Write(ctx, out)
			}
			switch label {
			case "NEG-OPEN", "NEG-MSG":
				if label == "NEG-OPEN" && busy > 0 {
					busy--
					send("NEG-ERR", sub, "rate-limited: the node is busy reconciling with other peers; try again in a few seconds")
					continue
				}
				var h string
				json.Unmarshal(parts[len(parts)-1], &h)
				msg, _ := hex.DecodeString(h)
				reply, _, _ := srv.Reconcile(msg)
				send("NEG-MSG", sub, hex.EncodeToString(reply))
			case "REQ":
				var f nostr.Filter
				f.UnmarshalJSON(parts[2])
				trick(send, sub, f.IDs)
			}
		}
	}()
	return stream(ca, "fake peer")
}

func TestHostilePeers(t *testing.T) {
	k := evtest.NewKey("k")
	now := time.Now().Unix()
	offered := []*nostr.Event{k.Event(1, now, "one"), k.Event(1, now-1, "two")}
	unasked := k.Event(1, now-2, "never offered")
	forged := k.Event(1, now, "one")
	forged.ID, forged.Sig = offered[0].ID, offered[1].Sig
	cases := []struct {
		name  string
		trick func(send func(v ...any), sub string, asked []string)
		want  string
	}{
		{"garbage", func(send func(v ...any), sub string, asked []string) { send("EVENT", sub, map[string]any{"id": 5}) }, "unreadable event"},
		{"not asked for", func(send func(v ...any), sub string, asked []string) { send("EVENT", sub, unasked) }, "not asked for"},
		{"forged", func(send func(v ...any), sub string, asked []string) { send("EVENT", sub, forged) }, "invalid event"},
		{"stall", func(send func(v ...any), sub string, asked []string) {}, "sent nothing"},
		{"wrong kind", func(send func(v ...any), sub string, asked []string) {
			send("EVENT", sub, k.Event(7, now, "+"))
		}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := newNode(t, "a")
			before := ids(t, a)
			conn := fakePeer(t, offered, c.trick)
			f := nostr.Filter{Authors: []string{k.Public}, Kinds: []int{1}}
			_, err := carry.Run(context.Background(), conn, localOf(a), carry.Options{
				Wants: []policy.Want{{Class: policy.Stranger, Filter: f, Pull: true}},
				Stall: 2 * time.Second,
			})
			if err == nil || !errors.Is(err, carry.ErrPeer) || (c.want != "" && !strings.Contains(err.Error(), c.want)) {
				t.Fatalf("session ended with %v, want a peer error about %q", err, c.want)
			}
			if after := ids(t, a); len(after) != len(before) {
				t.Fatalf("something entered the store: %d -> %d events", len(before), len(after))
			}
		})
	}
}

// A peer busy reconciling with others says so ("rate-limited:"); the
// session waits and tries again rather than failing.
func TestBusyPeerIsTriedAgain(t *testing.T) {
	k := evtest.NewKey("k")
	now := time.Now().Unix()
	offered := []*nostr.Event{k.Event(1, now, "one"), k.Event(1, now-1, "two")}
	byID := map[string]*nostr.Event{offered[0].ID: offered[0], offered[1].ID: offered[1]}
	a := newNode(t, "a")
	conn := busyPeer(t, offered, 1, func(send func(v ...any), sub string, asked []string) {
		for _, id := range asked {
			send("EVENT", sub, byID[id])
		}
		send("EOSE", sub)
	})
	f := nostr.Filter{Authors: []string{k.Public}, Kinds: []int{1}}
	p, err := carry.Run(context.Background(), conn, localOf(a), carry.Options{
		Wants: []policy.Want{{Class: policy.Stranger, Filter: f, Pull: true}},
		// Shorter than the pause before trying again: the pause is ours,
		// not the peer's silence.
		Stall: 900 * time.Millisecond,
	})
	if err != nil || p.Received != 2 {
		t.Fatalf("session: %+v, %v", p, err)
	}
}

// A peer that rate-limits what we push (past its burst of ten seconds'
// worth) gets it at its pace: sending pauses once for all the events it
// refused together, and none is given up on.
func TestPushSlowsDownWhenRateLimited(t *testing.T) {
	// Bursts of 1000; and room for more than one stranger's usual 1,000.
	cfg := node.Config{Relay: relay.Limits{EventsPerSecond: 100}, Policy: policy.Config{PerStranger: policy.Cap{Events: 10_000}}}
	a, err := node.Open(t.TempDir(), node.Options{Config: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := node.Open(t.TempDir(), node.Options{Config: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	k := evtest.NewKey("prolific")
	now := time.Now().Unix()
	var evs []*nostr.Event
	for i := range 1200 {
		evs = append(evs, k.Event(1, now-int64(i), fmt.Sprint("note ", i)))
	}
	put(t, a, evs...)
	// A bound on the whole session, far above the few seconds it takes,
	// so that a regression fails instead of hanging.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f := nostr.Filter{Authors: []string{k.Public}}
	p, err := carry.Run(ctx, serveOver(t, b), localOf(a), carry.Options{
		Wants: []policy.Want{{Class: policy.Stranger, Filter: f, Push: true}},
	})
	if err != nil || p.Sent != len(evs) || p.Refused != 0 {
		t.Fatalf("session: sent %d of %d, %d refused: %v", p.Sent, len(evs), p.Refused, err)
	}
	if got := len(ids(t, b)); got != len(evs) {
		t.Fatalf("b holds %d of the %d events", got, len(evs))
	}
}

// A relay may send an asked-for event twice (found in its store and as it
// arrived during the query): the copy is no reason to end the session.
func TestPeerSendsAnEventTwice(t *testing.T) {
	k := evtest.NewKey("k")
	now := time.Now().Unix()
	offered := []*nostr.Event{k.Event(1, now, "one"), k.Event(1, now-1, "two")}
	byID := map[string]*nostr.Event{offered[0].ID: offered[0], offered[1].ID: offered[1]}
	a := newNode(t, "a")
	conn := fakePeer(t, offered, func(send func(v ...any), sub string, asked []string) {
		for _, id := range asked {
			send("EVENT", sub, byID[id])
			send("EVENT", sub, byID[id])
		}
		send("EOSE", sub)
	})
	f := nostr.Filter{Authors: []string{k.Public}, Kinds: []int{1}}
	p, err := carry.Run(context.Background(), conn, localOf(a), carry.Options{
		Wants: []policy.Want{{Class: policy.Stranger, Filter: f, Pull: true}},
		Stall: 2 * time.Second,
	})
	if err != nil || p.Received != 2 {
		t.Fatalf("session: %+v, %v", p, err)
	}
}

// A peer that answers every negentropy message with a fresh mismatching
// fingerprint would keep a session going forever; it is cut off.
func TestEndlessRanges(t *testing.T) {
	a := newNode(t, "a")
	post(t, a, 1, "something to reconcile")
	ca, cb := pipe()
	peer := stream(cb, "endless")
	go func() {
		ctx := context.Background()
		for i := 0; ; i++ {
			b, err := peer.Read(ctx)
			if err != nil {
				return
			}
			var parts []json.RawMessage
			json.Unmarshal(b, &parts)
			var sub string
			json.Unmarshal(parts[1], &sub)
			// version, infinite bound, fingerprint mode, 16 bytes that never match
			msg := fmt.Sprintf("610000"+"01"+"%032x", i)
			out, _ := json.Marshal([]any{"NEG-MSG", sub, msg})
			if peer.Write(ctx, out) != nil {
				return
			}
		}
	}()
	_, err := carry.Run(context.Background(), stream(ca, "peer"), localOf(a), carry.Options{
		Wants: []policy.Want{{Class: policy.Stranger, Filter: nostr.Filter{Kinds: []int{1}}, Pull: true}},
	})
	if !errors.Is(err, carry.ErrPeer) || !strings.Contains(err.Error(), "does not converge") {
		t.Fatalf("endless peer: %v", err)
	}
}
