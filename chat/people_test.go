package chat

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/internal/nodetest"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/policy"
)

func TestReceiptsSetting(t *testing.T) {
	ctx := context.Background()
	n := person(t, "a", "")
	if on, err := n.Receipts(ctx, ""); err != nil || !on {
		t.Fatalf("new identity: receipts %v, err %v; want on", on, err)
	}
	n.SetReceipts(ctx, "", false)
	if on, _ := n.Receipts(ctx, ""); on {
		t.Fatal("receipts still on after turning them off")
	}
}

// A contact kept only in the private address book is carried like any
// contact, but never named to a public relay.
func TestPrivateContactsFollowedQuietly(t *testing.T) {
	ctx := context.Background()
	s := person(t, "me", "")
	friend, secret := evtest.NewKey("friend"), evtest.NewKey("secret friend")
	s.n.Follow(ctx, "", keys.PublicKey(friend.Public), "", "")
	s.n.Wants(ctx) // the graph is built: adding the contact must have it built again
	if _, err := s.AddContact(ctx, "", keys.PublicKey(secret.Public), "s", ""); err != nil {
		t.Fatal(err)
	}
	named := func(ws []policy.Want) bool {
		for _, w := range ws {
			if slices.Contains(w.Filter.Authors, secret.Public) {
				return true
			}
		}
		return false
	}
	if !named(s.n.Wants(ctx)) {
		t.Error("a private contact's events are not asked of peers")
	}
	if named(s.n.RelayWants(ctx)) {
		t.Error("a private contact is named to public relays")
	}
	if !slices.ContainsFunc(s.n.RelayWants(ctx), func(w policy.Want) bool { return slices.Contains(w.Filter.Authors, friend.Public) }) {
		t.Error("the public follow is no longer asked of relays")
	}
	// Forgotten, the contact is no longer asked for.
	if err := s.RemoveContact(ctx, "", keys.PublicKey(secret.Public)); err != nil {
		t.Fatal(err)
	}
	if named(s.n.Wants(ctx)) {
		t.Error("a removed contact's events are still asked of peers")
	}
}

// A private contact's name resolves to their key, before the follow
// list's names.
func TestResolveFindsPrivateContacts(t *testing.T) {
	ctx := context.Background()
	s := person(t, "me", "")
	secret := evtest.NewKey("secret friend")
	if _, err := s.AddContact(ctx, "", keys.PublicKey(secret.Public), "Dana Medic", ""); err != nil {
		t.Fatal(err)
	}
	if pk, err := s.n.Resolve(ctx, "", "dana  medic"); err != nil || pk.Hex() != secret.Public {
		t.Fatalf("resolved %q, %v", pk, err)
	}
}

// TestSameSeedSameEvents opens nodes with a seeded random source and a
// fixed clock, as the simulator does, and checks that a private message
// (wraps with their one-time keys, nonces and jittered times) and a group
// come out the same byte for byte. With another seed, they differ.
func TestSameSeedSameEvents(t *testing.T) {
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	type outcome struct {
		group string
		wraps []string
	}
	run := func(seed byte) outcome {
		t.Helper()
		var seq [32]byte
		seq[0] = seed
		n := nodetest.Open(t, node.Options{Now: func() time.Time { return t0 }, Rand: rand.NewChaCha8(seq)})
		if _, err := n.NewIdentity("me", "", true); err != nil {
			t.Fatal(err)
		}
		s := New(n)
		ctx := context.Background()
		friend := evtest.NewKey("friend").Public
		m, err := s.Send(ctx, "me", []string{friend}, "the bridge is closed", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		g, err := s.NewGroup(ctx, "me", "neighbours", []string{friend})
		if err != nil {
			t.Fatal(err)
		}
		return outcome{group: g.ID, wraps: m.Wraps}
	}
	a, b, c := run(1), run(1), run(2)
	if a.group != b.group || !slices.Equal(a.wraps, b.wraps) {
		t.Errorf("the same seed gave different results:\n%+v\n%+v", a, b)
	}
	if len(a.wraps) != 2 {
		t.Errorf("a message to one person made %d wraps, want 2 (theirs and ours)", len(a.wraps))
	}
	if a.group == c.group {
		t.Errorf("another seed gave the same results:\n%+v\n%+v", a, c)
	}
	for i := range a.wraps {
		if i < len(c.wraps) && a.wraps[i] == c.wraps[i] {
			t.Errorf("wrap %d is the same with another seed", i)
		}
	}
}
