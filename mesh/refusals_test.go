package mesh_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/carry"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/internal/nodetest"
	"github.com/caravan-mesh/caravan/link"
	"github.com/caravan-mesh/caravan/mesh"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/policy"
	"github.com/nbd-wtf/go-nostr"
)

// counted is a link that counts the events it reads.
type counted struct {
	link.Conn
	events *atomic.Int64
}

func (c counted) Read(ctx context.Context) ([]byte, error) {
	b, err := c.Conn.Read(ctx)
	if err == nil && bytes.HasPrefix(b, []byte(`["EVENT"`)) {
		c.events.Add(1)
	}
	return b, err
}

// pullFrom has n sync with peer, n initiating over a pipe, and returns
// how many events n read from the peer and how many it kept.
func pullFrom(t *testing.T, n, peer *node.Node) (read int64, kept int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ca, cb := net.Pipe()
	var wg sync.WaitGroup
	wg.Go(func() { meshOf(t, peer).ServeLink(ctx, link.Stream(cb, cb, cb, 4<<20, "n")) })
	var events atomic.Int64
	prog, err := meshOf(t, n).SyncLink(ctx, counted{link.Stream(ca, ca, ca, 4<<20, "peer"), &events}, "stdio", mesh.SyncOptions{})
	wg.Wait()
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return events.Load(), prog.Received
}

// strangers signs count notes by as many strangers, created from at on.
func strangers(prefix string, count int, at int64) []*nostr.Event {
	evs := make([]*nostr.Event, count)
	for i := range evs {
		evs[i] = evtest.NewKey(fmt.Sprint(prefix, i)).Event(1, at+int64(i), fmt.Sprint(prefix, " note ", i))
	}
	return evs
}

// A node whose quota for strangers' events is full does not ask a peer
// again for the events it refused for lack of room: the next sync pulls
// only what is new. Once it has room again, it asks for them and keeps
// them; and a day later (on its clock) it asks again in any case.
func TestRefusedForLackOfRoomNotAskedAgain(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Now().Unix())
	now := func() time.Time { return time.Unix(clock.Load(), 0) }
	full := policy.Config{Strangers: policy.Cap{Events: 20}}
	n := nodetest.Open(t, node.Options{Config: &node.Config{Policy: full}, Now: now})
	peer := nodetest.Open(t, node.Options{})

	t0 := clock.Load() - 3600
	old := strangers("old", 30, t0)
	put(t, peer, old...)
	if read, got := pullFrom(t, n, peer); read != 30 || got != 20 {
		t.Fatalf("first sync: read %d events, kept %d; want 30 read, the newest 20 kept", read, got)
	}
	// The 10 oldest were refused: weaker than all that was kept.

	fresh := strangers("fresh", 2, t0+100)
	put(t, peer, fresh...)
	if read, got := pullFrom(t, n, peer); read != 2 || got != 2 {
		t.Fatalf("with the quota full, the next sync read %d events and kept %d; want only the 2 new ones", read, got)
	}

	// Room again: what was refused is asked for, and kept (with the two
	// the new ones evicted).
	if _, err := n.ChangeNodeSettings(context.Background(), node.NodeSettingsChange{Policy: &policy.Config{Strangers: policy.Cap{Events: 100}}}); err != nil {
		t.Fatal(err)
	}
	if read, got := pullFrom(t, n, peer); read != 12 || got != 12 {
		t.Fatalf("with room again, the sync read %d events and kept %d; want the 10 refused and the 2 evicted", read, got)
	}
	if have, _ := nodetest.Store(n).Has(context.Background(), ids(old)); len(have) != len(old) {
		t.Fatalf("n holds %d of the %d old events, though it has room now", len(have), len(old))
	}

	// Full again, with a day's refusals: a day later they are asked for
	// again (and refused again).
	if _, err := n.ChangeNodeSettings(context.Background(), node.NodeSettingsChange{Policy: &full}); err != nil {
		t.Fatal(err)
	}
	more := strangers("more", 5, t0-100) // older than all held: refused
	put(t, peer, more...)
	if read, got := pullFrom(t, n, peer); read != 5 || got != 0 {
		t.Fatalf("sync over quota: read %d, kept %d; want 5 read and refused", read, got)
	}
	if read, _ := pullFrom(t, n, peer); read != 0 {
		t.Fatalf("the next sync read %d events; want none", read)
	}
	clock.Add(25 * 3600)
	if read, got := pullFrom(t, n, peer); read != 5 || got != 0 {
		t.Fatalf("a day later: read %d, kept %d; want the 5 asked for again, and refused", read, got)
	}
}

// pushTo has peer sync with the relay endpoint at url, peer initiating
// over a websocket, and returns peer's progress: what it pushed (Sent
// taken, Refused) and pulled. The sync must complete.
func pushTo(t *testing.T, peer *node.Node, url string) carry.Progress {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, err := meshOf(t, peer).SyncURL(ctx, url, mesh.SyncOptions{Proxy: "direct"})
	if err != nil || p.Error != "" || p.Incomplete {
		t.Fatalf("sync: %v (progress %+v)", err, p)
	}
	return p
}

// A node whose quota for strangers' events is full remembers what it
// refused for lack of room when a peer pushed it to its relay endpoint,
// and counts it as held when the peer reconciles again: the peer pushes
// only what is new. A peer that lacks those events asks for them in
// vain, and its sync completes. A day later (the node's clock) they are
// pushed again; once the node has room, they are pushed and kept.
func TestRefusedOverTheRelayNotPushedAgain(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Now().Unix())
	now := func() time.Time { return time.Unix(clock.Load(), 0) }
	full := policy.Config{Strangers: policy.Cap{Events: 20}}
	a := nodetest.Open(t, node.Options{Config: &node.Config{Policy: full}, Now: now})
	meshOf(t, a) // its hooks on a's core
	srv := httptest.NewServer(a.NewRelay())
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	b := nodetest.Open(t, node.Options{})

	t0 := clock.Load() - 3600
	kept := strangers("kept", 20, t0+1000)
	old := strangers("old", 30, t0) // older than all a keeps: refused
	put(t, a, kept...)
	put(t, b, kept...)
	put(t, b, old...)
	if p := pushTo(t, b, url); p.Sent != 0 || p.Refused != 30 {
		t.Fatalf("first sync: %d pushed events taken, %d refused; want the 30 old ones refused", p.Sent, p.Refused)
	}

	fresh := strangers("fresh", 2, t0+2000)
	put(t, b, fresh...)
	if p := pushTo(t, b, url); p.Sent != 2 || p.Refused != 0 {
		t.Fatalf("with the quota full, the next sync pushed %d events taken and %d refused; want only the 2 new ones, taken", p.Sent, p.Refused)
	}
	// The two the new ones evicted are pushed once more, refused and
	// remembered in turn.
	if p := pushTo(t, b, url); p.Sent != 0 || p.Refused != 2 {
		t.Fatalf("the sync after: %d taken, %d refused; want the 2 evicted refused", p.Sent, p.Refused)
	}
	if p := pushTo(t, b, url); p.Sent+p.Refused != 0 {
		t.Fatalf("nothing new: the sync pushed %d events", p.Sent+p.Refused)
	}

	// c lacks what a counts as held: it asks for it, gets nothing, and
	// gets all a holds.
	c := nodetest.Open(t, node.Options{})
	if p := pushTo(t, c, url); p.Received != 20 {
		t.Fatalf("a peer lacking a's refusals received %d events; want the 20 a holds", p.Received)
	}
	if have, _ := nodetest.Store(c).Has(context.Background(), ids(old)); len(have) != 0 {
		t.Fatalf("c got %d events a refused", len(have))
	}

	// A day later on a's clock they are pushed again (and refused).
	clock.Add(25 * 3600)
	if p := pushTo(t, b, url); p.Sent != 0 || p.Refused != 32 {
		t.Fatalf("a day later: %d taken, %d refused; want the 32 refused pushed again, and refused", p.Sent, p.Refused)
	}
	if p := pushTo(t, b, url); p.Sent+p.Refused != 0 {
		t.Fatalf("the next sync pushed %d events; want none", p.Sent+p.Refused)
	}

	// Room again: b pushes them and a keeps them.
	if _, err := a.ChangeNodeSettings(context.Background(), node.NodeSettingsChange{Policy: &policy.Config{Strangers: policy.Cap{Events: 100}}}); err != nil {
		t.Fatal(err)
	}
	if p := pushTo(t, b, url); p.Sent != 32 || p.Refused != 0 {
		t.Fatalf("with room again: %d taken, %d refused; want the 32 refused before, taken", p.Sent, p.Refused)
	}
	if have, _ := nodetest.Store(a).Has(context.Background(), ids(old)); len(have) != len(old) {
		t.Fatalf("a holds %d of the %d old events, though it has room now", len(have), len(old))
	}
}

func put(t *testing.T, n *node.Node, evs ...*nostr.Event) {
	t.Helper()
	for _, r := range n.Ingest(context.Background(), evs...) {
		if !r.OK() {
			t.Fatalf("ingest: %s", r.Message())
		}
	}
}

func ids(evs []*nostr.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.ID
	}
	return out
}
