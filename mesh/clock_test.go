package mesh

import (
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/policy"
	"github.com/nbd-wtf/go-nostr"
)

// TestPlainSinceFromTheFuture: a pass with a relay without NIP-77 recorded
// while the clock ran ahead does not hold the next passes back until the
// clock catches up: they start over from the newest events.
func TestPlainSinceFromTheFuture(t *testing.T) {
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	m := openMesh(t, node.Options{Now: func() time.Time { return t0 }})
	w := policy.Want{Class: policy.Own, Filter: nostr.Filter{Kinds: []int{1}}}
	relay := "wss://relay.example"
	m.peers.setSince(relay, wantKey(w), t0.Add(-time.Hour).Unix())
	if got := m.plainSince(relay, w); got != t0.Add(-time.Hour).Unix() {
		t.Fatalf("since an hour ago: %d", got)
	}
	m.peers.setSince(relay, wantKey(w), t0.Add(48*time.Hour).Unix())
	if got := m.plainSince(relay, w); got != 0 {
		t.Fatalf("since two days on: %d, want 0 (start over)", got)
	}
}

// openMesh opens a node in a temporary directory and makes its mesh.
// (The tests inside this package cannot use nodetest, which imports it.)
func openMesh(t *testing.T, o node.Options) *Service {
	t.Helper()
	n, err := node.Open(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	m, err := New(n)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
