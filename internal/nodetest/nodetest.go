// Package nodetest opens nodes for the tests of the core and of the
// feature packages, and makes them meet.
package nodetest

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/nodehost"
	"github.com/caravan-mesh/caravan/link"
	"github.com/caravan-mesh/caravan/mesh"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/policy"
	"github.com/caravan-mesh/caravan/store"
)

// Open opens a node in a new temporary directory, closed when the test
// ends. Its keys are protected with the weakest scrypt cost, for speed.
func Open(t testing.TB, opts node.Options) *node.Node {
	t.Helper()
	if opts.KeyLogN == 0 {
		opts.KeyLogN = 4
	}
	n, err := node.Open(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// Store is n's event store, for tests that look inside it or fill it
// faster than ingest would.
func Store(n *node.Node) *store.Store { return nodehost.Of(n).Store }

// Policy is n's policy, for tests that ask how it classifies events.
func Policy(n *node.Node) *policy.Policy { return nodehost.Of(n).Policy }

// Person opens a node with one identity, name, protected by pass (none
// if pass is empty).
func Person(t testing.TB, name, pass string) *node.Node {
	t.Helper()
	n := Open(t, node.Options{})
	if _, err := n.NewIdentity(name, pass, pass == ""); err != nil {
		t.Fatal(err)
	}
	return n
}

// PubKey is the hex public key of n's default identity.
func PubKey(t testing.TB, n *node.Node) string {
	t.Helper()
	id, err := n.Identity("")
	if err != nil {
		t.Fatal(err)
	}
	return id.PubKey.Hex()
}

// Meet syncs two nodes once over an in-memory pipe, as stdio would
// (package mesh). The
// deadline only guards against a hang: on a loaded machine under the race
// detector, a sync of a few events has taken over 30 s.
func Meet(t testing.TB, a, b *node.Node) {
	t.Helper()
	MeetWithin(t, a, b, 2*time.Minute)
}

// MeetWithin is Meet with another guard, for large syncs.
func MeetWithin(t testing.TB, a, b *node.Node, guard time.Duration) {
	t.Helper()
	ca, cb := net.Pipe()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
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
	var errA, errB error
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, _, errA = ma.SyncStream(ctx, link.Stream(ca, ca, ca, 4<<20, "b"), mesh.SyncOptions{})
	}()
	go func() {
		defer wg.Done()
		_, _, errB = mb.SyncStream(ctx, link.Stream(cb, cb, cb, 4<<20, "a"), mesh.SyncOptions{})
	}()
	wg.Wait()
	if errA != nil || errB != nil {
		t.Fatalf("sync: %v / %v", errA, errB)
	}
}
