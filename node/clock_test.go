package node

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/keys"
)

// clock is a settable clock without a monotonic reading, as a clock that
// is set by hand (or by a time server after days without one) behaves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.t = t.Round(0); c.mu.Unlock() }
func (c *clock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

// TestClockJumps moves the node's clock two days ahead and back again.
// Nothing stored is lost; what was written while the clock ran ahead stays
// stored and readable; events are judged by the clock of the moment; an
// event expiring in an hour is hidden while the clock is ahead and back
// once it is right, with no purge removing it; and a profile or follow
// list changed after the clock went back replaces the one written while
// it was ahead instead of being kept as obsolete.
func TestClockJumps(t *testing.T) {
	n, c := clockNode(t)
	n.kr.LogN = 4
	if _, err := n.kr.New("me", "", true); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	publish := func(kind int, content string) *nostr.Event {
		t.Helper()
		ev, err := n.Publish(ctx, "", &nostr.Event{Kind: kind, Content: content})
		if err != nil {
			t.Fatalf("publish %q at %s: %v", content, c.Now(), err)
		}
		return ev
	}
	other := evtest.NewKey("someone with a good clock")
	ingest := func(ev *nostr.Event) Result {
		t.Helper()
		return n.Ingest(ctx, ev)[0]
	}

	before := publish(1, "before the jump")
	publish(0, `{"name":"first"}`)
	soon := other.Event(1, t0.Unix(), "gone in an hour", nostr.Tag{"expiration", strconv.FormatInt(t0.Add(time.Hour).Unix(), 10)})
	if r := ingest(soon); !r.OK() {
		t.Fatal(r.Message())
	}

	c.Add(48 * time.Hour)
	ahead := publish(1, "written while the clock ran ahead")
	publish(0, `{"name":"written ahead"}`)
	if _, err := n.Follow(ctx, "", keys.PublicKey(other.Public), "", "good clock"); err != nil {
		t.Fatal(err)
	}
	if got, _ := n.st.Get(ctx, soon.ID); got != nil {
		t.Error("an event expired by the clock is still served")
	}
	if r := ingest(other.Event(1, t0.Unix(), "made on time, arriving late")); !r.OK() {
		t.Fatalf("an event made two days ago, by this clock: %s", r.Message())
	}

	c.Add(-48 * time.Hour)
	if gone, err := n.st.PurgeExpired(ctx); err != nil || len(gone) != 0 {
		t.Fatalf("purge after the clock went back: %d %v", len(gone), err)
	}
	for _, ev := range []*nostr.Event{before, ahead, soon} {
		if got, err := n.st.Get(ctx, ev.ID); err != nil || got == nil {
			t.Fatalf("%q is gone after the clock went back (%v)", ev.Content, err)
		}
	}
	if evs, _ := n.st.QueryEvents(ctx, nostr.Filter{Kinds: []int{1}, Authors: []string{ahead.PubKey}}, 10); len(evs) != 2 || evs[0].ID != ahead.ID {
		t.Fatalf("the own notes, newest first: %v", evs)
	}
	// Judged by the clock of the moment: an event dated two days on is
	// refused now, saying it is the clock, and taken once it is due.
	late := other.Event(1, t0.Add(48*time.Hour).Unix(), "from a clock that still runs ahead")
	if r := ingest(late); r.OK() || !errors.Is(r.Err, event.ErrFuture) {
		t.Fatalf("an event two days ahead of the clock: %v %q", r.OK(), r.Message())
	}
	now := publish(1, "after the clock went back")
	if now.CreatedAt != nostr.Timestamp(t0.Unix()) {
		t.Errorf("a note written now is dated %d, want %d", now.CreatedAt, t0.Unix())
	}
	publish(0, `{"name":"changed after"}`)
	if evs, _ := n.st.QueryEvents(ctx, nostr.Filter{Kinds: []int{0}, Authors: []string{now.PubKey}}, 1); len(evs) != 1 || evs[0].Content != `{"name":"changed after"}` {
		t.Fatalf("the profile changed after the clock went back was not kept: %v", evs)
	}
	friend := evtest.NewKey("a friend met after the clock went back")
	if _, err := n.Follow(ctx, "", keys.PublicKey(friend.Public), "", "friend"); err != nil {
		t.Fatalf("follow after the clock went back: %v", err)
	}
	if evs, _ := n.st.QueryEvents(ctx, nostr.Filter{Kinds: []int{3}, Authors: []string{now.PubKey}}, 1); len(evs) != 1 || len(evs[0].Tags) != 2 {
		t.Fatalf("the follow list after the clock went back: %v", evs)
	}
	c.Add(48*time.Hour + time.Minute)
	if r := ingest(late); !r.OK() {
		t.Fatalf("the event once due: %s", r.Message())
	}
}

// clockNode opens a node whose clock the test sets, starting at t0.
func clockNode(t *testing.T) (*Node, *clock) {
	t.Helper()
	c := &clock{}
	c.Set(t0)
	n, err := Open(t.TempDir(), Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n, c
}
