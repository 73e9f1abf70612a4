package node

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/link"
)

// These helpers are internal/nodetest's, for the core's own tests (which
// cannot import it: it imports this package).

func person(t *testing.T, name, pass string) *Node {
	t.Helper()
	n, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	n.Keys.LogN = 4
	if _, err := n.Keys.New(name, pass, pass == ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func pk(t *testing.T, n *Node) string {
	id, err := n.Keys.Get("")
	if err != nil {
		t.Fatal(err)
	}
	return id.PubKey.Hex()
}

// meet syncs two nodes once over an in-memory pipe, as stdio would. The
// deadline only guards against a hang: on a loaded machine under the race
// detector, a sync of a few events has taken over 30 s.
func meet(t *testing.T, a, b *Node) {
	t.Helper()
	meetWithin(t, a, b, 2*time.Minute)
}

// meetWithin is meet with a longer guard, for large syncs.
func meetWithin(t *testing.T, a, b *Node, guard time.Duration) {
	t.Helper()
	ca, cb := net.Pipe()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	var wg sync.WaitGroup
	var errA, errB error
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, _, errA = a.SyncStream(ctx, link.Stream(ca, ca, ca, 4<<20, "b"), SyncOptions{})
	}()
	go func() {
		defer wg.Done()
		_, _, errB = b.SyncStream(ctx, link.Stream(cb, cb, cb, 4<<20, "a"), SyncOptions{})
	}()
	wg.Wait()
	if errA != nil || errB != nil {
		t.Fatalf("sync: %v / %v", errA, errB)
	}
}

func benchNode(b *testing.B, name string) *Node {
	n, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	n.Keys.LogN = 4
	if _, err := n.Keys.New(name, "", true); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { n.Close() })
	return n
}
