package carry

import (
	"fmt"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/nbd-wtf/go-nostr"
)

// The memory of refusals is bounded (the oldest go first), forgets on
// its clock and when the node has room, and adds to a reconciliation only
// what a filter matches, leaving out what it cannot tell (tags other
// than "p") and limited sets.
func TestRefusalsRememberWithinBounds(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	room := map[string]bool{}
	r := NewRefusals(RefusalOptions{Max: 3, Keep: time.Hour, Room: func(ev *nostr.Event, size int) bool { return room[ev.ID] }})
	k := evtest.NewKey("k")
	ev := func(i int, tags ...nostr.Tag) *nostr.Event {
		return k.Event(1, t0.Unix()-int64(i), fmt.Sprint(i), tags...)
	}
	evs := []*nostr.Event{ev(0), ev(1), ev(2), ev(3)}
	for i, e := range evs {
		r.add(e, t0.Add(time.Duration(i)*time.Minute))
	}
	r.add(evs[3], t0) // twice: once
	if got := len(r.matching(nostr.Filter{})); got != 3 || r.Len() != 3 {
		t.Fatalf("remembered %d (matching %d), want the newest 3", r.Len(), got)
	}
	for _, it := range r.matching(nostr.Filter{}) {
		if it.Time == uint64(evs[0].CreatedAt) {
			t.Fatal("the oldest refusal was kept over the bound")
		}
	}

	since, until := nostr.Timestamp(t0.Unix()-2), nostr.Timestamp(t0.Unix()-2)
	other := evtest.NewKey("other").Public
	for _, c := range []struct {
		f    nostr.Filter
		want int
	}{
		{nostr.Filter{Authors: []string{k.Public}}, 3},
		{nostr.Filter{Authors: []string{other}}, 0},
		{nostr.Filter{Kinds: []int{1, 7}}, 3},
		{nostr.Filter{Kinds: []int{7}}, 0},
		{nostr.Filter{Since: &since}, 2},
		{nostr.Filter{Until: &until}, 2},
		{nostr.Filter{IDs: []string{evs[2].ID}}, 1},
		{nostr.Filter{Tags: nostr.TagMap{"t": {"news"}}}, 0},
		{nostr.Filter{Tags: nostr.TagMap{"p": {other}}}, 0},
		// A limited set is not all the filter matches: nothing joins it.
		{nostr.Filter{Limit: 10}, 0},
	} {
		if got := len(r.matching(c.f)); got != c.want {
			t.Errorf("filter %v matches %d, want %d", c.f, got, c.want)
		}
	}
	wrap := ev(9, nostr.Tag{"p", other})
	r.add(wrap, t0.Add(10*time.Minute))
	if got := len(r.matching(nostr.Filter{Tags: nostr.TagMap{"p": {other}}})); got != 1 {
		t.Errorf("a #p filter matches %d of the refusals tagging that key, want 1", got)
	}

	room[evs[2].ID] = true
	r.prune(t0.Add(30 * time.Minute))
	if r.Len() != 2 {
		t.Fatalf("after room for one: %d remembered, want 2", r.Len())
	}
	r.prune(t0.Add(time.Hour + 5*time.Minute))
	if r.Len() != 1 {
		t.Fatalf("an hour on: %d remembered, want only the last refusal", r.Len())
	}
}
