package store

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/caravan-mesh/caravan/event"
	"github.com/nbd-wtf/go-nostr"
)

// Paging through Refs, whatever the page size, lists what Query returns,
// in the same order, with each event's size: across seconds shared by
// many events, through the tag index, and with earlier versions of
// addressable events among ids.
func TestRefsPageThroughQuery(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	base := t0.Unix() - 1000
	var all []*nostr.Event
	for i := range 40 {
		k := alice
		if i%3 == 0 {
			k = bob
		}
		// Four events a second, so pages end inside a second.
		all = append(all, k.Event(1, base-int64(i/4), fmt.Sprint(i, strings.Repeat("x", i)), nostr.Tag{"t", fmt.Sprint(i % 4)}))
	}
	var versions []string
	for i := range 5 {
		ev := alice.Event(30023, base-int64(i), fmt.Sprint("version ", i), nostr.Tag{"d", "report"})
		all = append(all, ev)
		versions = append(versions, ev.ID)
	}
	save(t, s, all...)
	idList := append([]string{all[0].ID, all[5].ID, all[6].ID, all[7].ID, all[39].ID}, versions...)
	filters := map[string]nostr.Filter{
		"all":        {},
		"kind":       {Kinds: []int{1}},
		"author":     {Authors: []string{bob.Public}, Kinds: []int{1}},
		"tag":        {Tags: nostr.TagMap{"t": {"1"}}},
		"tags":       {Tags: nostr.TagMap{"t": {"1", "2"}}},
		"time":       {Since: ts(base - 5), Until: ts(base - 2)},
		"ids":        {IDs: idList},
		"ids+kind":   {IDs: idList, Kinds: []int{30023}},
		"ids+since":  {IDs: idList, Since: ts(base - 2)},
		"limit zero": {LimitZero: true},
	}
	for name, f := range filters {
		want, err := s.Query(ctx, f, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, size := range []int{1, 2, 3, 7, 1000} {
			var (
				got  []event.Ref
				from *event.Ref
			)
			for range 100 {
				page, err := s.Refs(ctx, f, from, size)
				if err != nil {
					t.Fatalf("%s, pages of %d: %v", name, size, err)
				}
				if len(page) > size {
					t.Fatalf("%s: a page of %d holds %d", name, size, len(page))
				}
				got = append(got, page...)
				if len(page) == 0 {
					break
				}
				from = &page[len(page)-1]
			}
			if len(got) != len(want) {
				t.Fatalf("%s, pages of %d: %d refs, want %d", name, size, len(got), len(want))
			}
			for i := range want {
				if got[i].ID != want[i].ID || got[i].CreatedAt != want[i].CreatedAt || got[i].Size != len(want[i].JSON) {
					t.Fatalf("%s, pages of %d: ref %d is %+v, want %s at %d, %d bytes", name, size, i, got[i], want[i].ID, want[i].CreatedAt, len(want[i].JSON))
				}
			}
		}
	}
}

// A page that starts past an event still walks the index that answers
// the filter, without sorting everything.
func TestRefsPlansUseIndexes(t *testing.T) {
	s, _ := openTest(t)
	from := &after{at: 5, id: make([]byte, 32)}
	cases := []struct {
		name string
		f    nostr.Filter
		want string
	}{
		{"kind", nostr.Filter{Kinds: []int{1}}, "events_kind"},
		{"author+kind", nostr.Filter{Authors: []string{alice.Public}, Kinds: []int{1}}, "events_author"},
		{"tag", nostr.Filter{Tags: nostr.TagMap{"p": {alice.Public}}}, "PRIMARY KEY"},
		{"recent", nostr.Filter{}, "events_created"},
	}
	for _, c := range cases {
		q, args := buildSelect("e.id, e.created_at, length(e.raw)", c.f, 10, 0, from)
		joined := queryPlan(t, s, q, args)
		if !strings.Contains(joined, c.want) || strings.Contains(joined, "TEMP B-TREE FOR ORDER BY") {
			t.Errorf("%s: plan %q does not use %s or sorts everything", c.name, joined, c.want)
		}
		t.Logf("%s: %s", c.name, joined)
	}
}
