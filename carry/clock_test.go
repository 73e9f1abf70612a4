package carry_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/carry"
	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/nodetest"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/node"
	"github.com/nbd-wtf/go-nostr"
)

// clock is a settable clock for a node. Its times carry no monotonic
// reading, as times read back from a disk or a wall-clock jump would not.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t.Round(0)
	c.mu.Unlock()
}

func newNodeAt(t testing.TB, name string, c *clock) *node.Node {
	t.Helper()
	return newNodeWith(t, name, node.Options{Now: c.Now})
}

// TestPeerClockAhead: a's clock ran two days ahead while its user wrote;
// b, whose clock is right, follows a. b refuses the notes dated two days
// on (too far in its future) without taking a for a hostile peer, and
// takes everything else a has. When b's clock reaches their time, the
// next sync brings them.
func TestPeerClockAhead(t *testing.T) {
	now := time.Now().Round(0)
	ca, cb := &clock{}, &clock{}
	ca.Set(now)
	cb.Set(now)
	a, b := newNodeAt(t, "a", ca), newNodeAt(t, "b", cb)
	ctx := context.Background()
	if _, err := b.Follow(ctx, "", keys.PublicKey(pubkey(t, a)), "", "a"); err != nil {
		t.Fatal(err)
	}
	var onTime, ahead []string
	for i := range 20 {
		onTime = append(onTime, post(t, a, 1, fmt.Sprint("written on time ", i)).ID)
	}
	ca.Set(now.Add(48 * time.Hour))
	for i := range 20 {
		ahead = append(ahead, post(t, a, 1, fmt.Sprint("written while the clock ran ahead ", i)).ID)
	}

	p, err := carry.Run(ctx, serveOver(t, a), localOf(b), carry.Options{Wants: b.Wants(ctx), Now: b.Now})
	if err != nil {
		t.Fatalf("sync with a peer whose clock ran ahead: %v", err)
	}
	have, _ := nodetest.Store(b).Has(ctx, append(onTime, ahead...))
	for _, id := range onTime {
		if !have[id] {
			t.Fatalf("b lacks %s, written on time: %+v", id, p)
		}
	}
	for _, id := range ahead {
		if have[id] {
			t.Fatalf("b took %s, dated two days ahead of its clock", id)
		}
	}

	cb.Set(now.Add(48*time.Hour + time.Minute))
	if _, err := carry.Run(ctx, serveOver(t, a), localOf(b), carry.Options{Wants: b.Wants(ctx), Now: b.Now}); err != nil {
		t.Fatal(err)
	}
	if have, _ := nodetest.Store(b).Has(ctx, ahead); len(have) != len(ahead) {
		t.Fatalf("once b's clock reached them, b holds %d of the %d notes", len(have), len(ahead))
	}
}

// failing is a node that cannot store anything: its disk is full.
type failing struct{ carry.Local }

func (f failing) Ingest(ctx context.Context, evs ...*nostr.Event) []error {
	out := make([]error, len(evs))
	for i := range out {
		out[i] = &event.Rejection{Prefix: event.Error, Msg: "the disk holding /data is full; free space and retry"}
	}
	return out
}

// TestStoreFailureEndsSession: when this node cannot store what the peer
// sends, the session ends at once saying why, instead of pulling
// everything else only to drop it.
func TestStoreFailureEndsSession(t *testing.T) {
	a, b := newNode(t, "a"), newNode(t, "b")
	ctx := context.Background()
	if _, err := b.Follow(ctx, "", keys.PublicKey(pubkey(t, a)), "", "a"); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		post(t, a, 1, fmt.Sprint("note ", i))
	}
	p, err := carry.Run(ctx, serveOver(t, a), failing{localOf(b)}, carry.Options{Wants: b.Wants(ctx)})
	if err == nil || errors.Is(err, carry.ErrPeer) || !strings.Contains(err.Error(), "the disk holding /data is full") {
		t.Fatalf("sync that cannot store: %v", err)
	}
	if !p.Incomplete || p.Received != 0 {
		t.Fatalf("progress: %+v", p)
	}
}
