package node

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestSameSeedSameEvents opens nodes with a seeded random source and a
// fixed clock, as the simulator does, and checks that they write the same
// identity byte for byte. With another seed, everything random differs.
// (Private messages and groups are checked so in package chat, reports in
// package reports.)
func TestSameSeedSameEvents(t *testing.T) {
	type outcome struct {
		nodeID, pub string
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
		id, err := n.kr.New("me", "", true)
		if err != nil {
			t.Fatal(err)
		}
		return outcome{nodeID: n.id, pub: id.PubKey.Hex()}
	}
	a, b, c := run(1), run(1), run(2)
	if a.nodeID != b.nodeID || a.pub != b.pub {
		t.Errorf("the same seed gave different results:\n%+v\n%+v", a, b)
	}
	if a.nodeID == c.nodeID || a.pub == c.pub {
		t.Errorf("another seed gave the same results:\n%+v\n%+v", a, c)
	}
}
