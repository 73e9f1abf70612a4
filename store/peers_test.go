package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/nbd-wtf/go-nostr"
)

// Every stored id is found by its 8-byte prefix, whatever byte follows it.
func TestHeldByPrefix(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	k := evtest.NewKey("prefix")
	var found *nostr.Event
	for i := 0; found == nil; i++ {
		ev := k.Event(1, 1700000000, fmt.Sprint("note ", i))
		if ev.ID[16:18] == "ff" {
			found = ev
		}
	}
	if _, err := s.Save(ctx, found); err != nil {
		t.Fatal(err)
	}
	held, err := s.HeldByPrefix(ctx, []string{found.ID[:16], "0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	if !held[found.ID[:16]] || held["0123456789abcdef"] {
		t.Fatalf("held %v for %s", held, found.ID)
	}
}

// An event sent in two bundles is confirmed by either one's
// acknowledgement; a confirmed one is not made unconfirmed again.
func TestConfirmBundles(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	k := evtest.NewKey("sender")
	a, b := k.Event(1, 1700000000, "a"), k.Event(1, 1700000001, "b")
	s.Save(ctx, a, b)
	peer := "peer"
	s.AddPeerEvents(ctx, peer, PeerSentTo, []byte("bundle1"), []string{a.ID, b.ID})
	s.AddPeerEvents(ctx, peer, PeerSentTo, []byte("bundle2"), []string{a.ID})
	if n, _ := s.CountUnconfirmed(ctx, peer); n != 2 {
		t.Fatalf("unconfirmed %d, want 2", n)
	}
	if n, err := s.ConfirmBundles(ctx, peer, [][]byte{[]byte("bundle2")}); err != nil || n != 1 {
		t.Fatalf("confirming bundle 2: %d %v", n, err)
	}
	s.AddPeerEvents(ctx, peer, PeerSentTo, []byte("bundle3"), []string{a.ID})
	left, _ := s.Candidates(ctx, nostr.Filter{}, CandidateOptions{Peer: peer, Resend: true})
	if len(left) != 1 || left[0].ID != b.ID {
		t.Fatalf("with resend, candidates %v, want only b", left)
	}
}
