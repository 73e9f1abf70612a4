//go:build !race

// khatru v0.19.1 has a data race of its own (notifyListeners reads the
// listener list while removeListenerId rewrites it: listener.go:139 and
// :95), so this test is left out of race-detector runs; scripts/test runs
// it once more without the detector.

package interop

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/internal/nodetest"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/mesh"
	"github.com/caravan-mesh/caravan/node"
	"github.com/fiatjaf/eventstore/slicestore"
	"github.com/fiatjaf/khatru"
	"github.com/nbd-wtf/go-nostr"
)

// TestPublicRelayKhatru syncs a node with khatru, a different relay
// implementation, as a public relay: with NIP-77 and with plain REQ/EVENT.
// The user's own events and the public reports the node carries go out;
// what is addressed to the user and what contacts publish comes in;
// nothing else moves either way.
func TestPublicRelayKhatru(t *testing.T) {
	for _, neg := range []bool{true, false} {
		t.Run(fmt.Sprintf("nip77=%v", neg), func(t *testing.T) {
			ctx := context.Background()
			store := &lockedStore{s: &slicestore.SliceStore{}}
			store.s.Init()
			rl := khatru.NewRelay()
			rl.StoreEvent = append(rl.StoreEvent, store.SaveEvent)
			rl.QueryEvents = append(rl.QueryEvents, store.QueryEvents)
			rl.DeleteEvent = append(rl.DeleteEvent, store.DeleteEvent)
			rl.Negentropy = neg
			srv := httptest.NewServer(rl)
			defer srv.Close()
			url := "ws" + strings.TrimPrefix(srv.URL, "http")

			n, err := node.Open(t.TempDir(), node.Options{KeyLogN: 4})
			if err != nil {
				t.Fatal(err)
			}
			defer n.Close()
			me, _ := n.NewIdentity("me", "", true)
			friend, stranger := evtest.NewKey("friend"), evtest.NewKey("stranger")
			if _, err := n.Follow(ctx, "", keys.PublicKey(friend.Public), "", ""); err != nil {
				t.Fatal(err)
			}
			now := time.Now().Unix()
			var mine []string
			for i := 0; i < 5; i++ {
				ev, err := n.Publish(ctx, "", &nostr.Event{Kind: 1, Content: fmt.Sprint("mine ", i)})
				if err != nil {
					t.Fatal(err)
				}
				mine = append(mine, ev.ID)
			}
			// Carried for others: must never reach a public relay.
			carried := []*nostr.Event{
				stranger.Event(1, now, "a stranger's note we carry"),
				evtest.NewKey("w").Event(1059, now, "sealed", nostr.Tag{"p", stranger.Public}),
			}
			n.Ingest(ctx, carried...)
			// A stranger's report: written for the world, so it goes out.
			report := stranger.Event(30023, now, "# From the square\n\nWhat we saw.", nostr.Tag{"d", "square"}, nostr.Tag{"title", "From the square"})
			if r := n.Ingest(ctx, report)[0]; !r.OK() {
				t.Fatal(r.Message())
			}

			// On the relay: a contact's notes, a mention of me, noise.
			want := []*nostr.Event{
				friend.Event(1, now-10, "from my contact"),
				stranger.Event(1, now-5, "hello @me", nostr.Tag{"p", me.PubKey.Hex()}),
			}
			noise := stranger.Event(1, now-3, "unrelated")
			theirReport := evtest.NewKey("elsewhere").Event(30023, now-3, "a report from elsewhere", nostr.Tag{"d", "x"})
			for _, ev := range append(want, noise, theirReport) {
				if err := store.SaveEvent(ctx, ev); err != nil {
					t.Fatal(err)
				}
			}

			p, err := meshOf(t, n).SyncURL(ctx, url, mesh.SyncOptions{Relay: true})
			if err != nil {
				t.Fatal(err)
			}
			if p.NIP77 != neg {
				t.Fatalf("NIP-77 used: %v, relay supports it: %v", p.NIP77, neg)
			}
			for _, ev := range want {
				if got, _ := nodetest.Store(n).Get(ctx, ev.ID); got == nil {
					t.Errorf("did not pull %q", ev.Content)
				}
			}
			if got, _ := nodetest.Store(n).Get(ctx, noise.ID); got != nil {
				t.Error("pulled an unrelated stranger's event")
			}
			if got, _ := nodetest.Store(n).Get(ctx, theirReport.ID); got != nil {
				t.Error("pulled the relay's reports: reports only go out")
			}
			onRelay := func(id string) bool {
				ch, _ := store.QueryEvents(ctx, nostr.Filter{IDs: []string{id}})
				for range ch {
					return true
				}
				return false
			}
			for _, id := range mine {
				if !onRelay(id) {
					t.Errorf("own event %s not pushed to the relay", id[:8])
				}
			}
			if !onRelay(report.ID) {
				t.Error("the stranger's report the node carries did not reach the relay")
			}
			for _, ev := range carried {
				if onRelay(ev.ID) {
					t.Errorf("pushed %q, carried for someone else, to a public relay", ev.Content)
				}
			}
			// A second pass moves nothing new.
			p2, err := meshOf(t, n).SyncURL(ctx, url, mesh.SyncOptions{Relay: true})
			if err != nil || p2.Sent != 0 || p2.Received != 0 {
				t.Fatalf("second sync: sent %d received %d, %v", p2.Sent, p2.Received, err)
			}
		})
	}
}

// lockedStore serializes eventstore's slicestore, which is not safe for
// the concurrent calls khatru makes (its QueryEvents reads the slice from a
// goroutine while SaveEvent appends; the race detector sees it).
type lockedStore struct {
	mu sync.Mutex
	s  *slicestore.SliceStore
}

func (l *lockedStore) SaveEvent(ctx context.Context, ev *nostr.Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s.SaveEvent(ctx, ev)
}

func (l *lockedStore) DeleteEvent(ctx context.Context, ev *nostr.Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s.DeleteEvent(ctx, ev)
}

func (l *lockedStore) QueryEvents(ctx context.Context, f nostr.Filter) (chan *nostr.Event, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch, err := l.s.QueryEvents(ctx, f)
	if err != nil {
		return nil, err
	}
	var evs []*nostr.Event
	for ev := range ch {
		evs = append(evs, ev)
	}
	out := make(chan *nostr.Event, len(evs))
	for _, ev := range evs {
		out <- ev
	}
	close(out)
	return out, nil
}

// meshOf is the mesh of n.
func meshOf(t testing.TB, n *node.Node) *mesh.Service {
	t.Helper()
	m, err := mesh.New(n)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
