package node

import (
	"testing"
	"time"
)

// These helpers are internal/nodetest's, for the core's own tests (which
// cannot import it: it imports this package).

func person(t *testing.T, name, pass string) *Node {
	t.Helper()
	n, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	n.kr.LogN = 4
	if _, err := n.kr.New(name, pass, pass == ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func pk(t *testing.T, n *Node) string {
	id, err := n.kr.Get("")
	if err != nil {
		t.Fatal(err)
	}
	return id.PubKey.Hex()
}

// meet syncs two nodes once over an in-memory pipe, as stdio would.
func meet(t *testing.T, a, b *Node) {
	t.Helper()
	MeetWithin(t, a, b, 2*time.Minute)
}

// meetWithin is meet with a longer guard, for large syncs.
func meetWithin(t *testing.T, a, b *Node, guard time.Duration) {
	t.Helper()
	MeetWithin(t, a, b, guard)
}

// MeetWithin syncs two nodes through package mesh, which is built on
// this one; meet_test.go (package node_test) sets it to
// nodetest.MeetWithin.
var MeetWithin func(t testing.TB, a, b *Node, guard time.Duration)

func benchNode(b *testing.B, name string) *Node {
	n, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	n.kr.LogN = 4
	if _, err := n.kr.New(name, "", true); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { n.Close() })
	return n
}
