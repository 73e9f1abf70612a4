package node

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/evtest"
)

// TestSameSeedSameEvents opens nodes with a seeded random source and a
// fixed clock, as the simulator does, and checks that they write the same
// events byte for byte (so the same ids): an identity, a private message
// (wraps with their one-time keys, nonces and jittered times) and a
// group; package reports checks its reports the same way. With another
// seed, everything random differs.
func TestSameSeedSameEvents(t *testing.T) {
	type outcome struct {
		nodeID, pub, group string
		wraps              []string
	}
	run := func(seed byte) outcome {
		t.Helper()
		var s [32]byte
		s[0] = seed
		n, err := Open(t.TempDir(), Options{Now: func() time.Time { return t0 }, Rand: rand.NewChaCha8(s)})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		id, err := n.Keys.New("me", "", true)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		friend := evtest.NewKey("friend").Public
		m, err := n.Send(ctx, "me", []string{friend}, "the bridge is closed", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		g, err := n.NewGroup(ctx, "me", "neighbours", []string{friend})
		if err != nil {
			t.Fatal(err)
		}
		return outcome{nodeID: n.id, pub: id.PubKey.Hex(), group: g.ID, wraps: m.Wraps}
	}
	a, b, c := run(1), run(1), run(2)
	if a.nodeID != b.nodeID || a.pub != b.pub || a.group != b.group || !slices.Equal(a.wraps, b.wraps) {
		t.Errorf("the same seed gave different results:\n%+v\n%+v", a, b)
	}
	if len(a.wraps) != 2 {
		t.Errorf("a message to one person made %d wraps, want 2 (theirs and ours)", len(a.wraps))
	}
	if a.nodeID == c.nodeID || a.pub == c.pub || a.group == c.group {
		t.Errorf("another seed gave the same results:\n%+v\n%+v", a, c)
	}
	for i := range a.wraps {
		if i < len(c.wraps) && a.wraps[i] == c.wraps[i] {
			t.Errorf("wrap %d is the same with another seed", i)
		}
	}
}
