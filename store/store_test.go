package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/negentropy"
	"github.com/nbd-wtf/go-nostr"
)

var (
	alice = evtest.NewKey("alice")
	bob   = evtest.NewKey("bob")
	t0    = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func openTest(t *testing.T) (*Store, *clock) {
	t.Helper()
	c := &clock{t: t0}
	s, err := Open(filepath.Join(t.TempDir(), "caravan.db"), Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, c
}

func save(t *testing.T, s *Store, evs ...*nostr.Event) []Outcome {
	t.Helper()
	out, err := s.Save(context.Background(), evs...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func ids(rs []Raw) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func ts(v int64) *nostr.Timestamp { t := nostr.Timestamp(v); return &t }

func TestQueryFilters(t *testing.T) {
	s, _ := openTest(t)
	base := t0.Unix() - 1000
	a1 := alice.Event(1, base+1, "hello", nostr.Tag{"t", "news"})
	a2 := alice.Event(1, base+2, "world", nostr.Tag{"t", "news"}, nostr.Tag{"p", bob.Public})
	a3 := alice.Event(7, base+3, "+", nostr.Tag{"e", a1.ID})
	b1 := bob.Event(1, base+4, "bob here", nostr.Tag{"t", "almaty"})
	b2 := bob.Event(30023, base+5, "report", nostr.Tag{"d", "r1"}, nostr.Tag{"t", "news"})
	for i, o := range save(t, s, a1, a2, a3, b1, b2) {
		if o != Stored {
			t.Fatalf("event %d: %v, want stored", i, o)
		}
	}
	cases := []struct {
		name string
		f    nostr.Filter
		want []*nostr.Event
	}{
		{"all newest first", nostr.Filter{}, []*nostr.Event{b2, b1, a3, a2, a1}},
		{"ids", nostr.Filter{IDs: []string{a1.ID, b1.ID}}, []*nostr.Event{b1, a1}},
		{"author", nostr.Filter{Authors: []string{alice.Public}}, []*nostr.Event{a3, a2, a1}},
		{"author+kind", nostr.Filter{Authors: []string{alice.Public}, Kinds: []int{1}}, []*nostr.Event{a2, a1}},
		{"kinds", nostr.Filter{Kinds: []int{7, 30023}}, []*nostr.Event{b2, a3}},
		{"one tag value", nostr.Filter{Tags: nostr.TagMap{"t": {"news"}}}, []*nostr.Event{b2, a2, a1}},
		{"tag values OR", nostr.Filter{Tags: nostr.TagMap{"t": {"news", "almaty"}}}, []*nostr.Event{b2, b1, a2, a1}},
		{"two tags AND", nostr.Filter{Tags: nostr.TagMap{"t": {"news"}, "p": {bob.Public}}}, []*nostr.Event{a2}},
		{"tag and kind", nostr.Filter{Kinds: []int{30023}, Tags: nostr.TagMap{"t": {"news"}}}, []*nostr.Event{b2}},
		{"d tag", nostr.Filter{Tags: nostr.TagMap{"d": {"r1"}}}, []*nostr.Event{b2}},
		{"e tag", nostr.Filter{Tags: nostr.TagMap{"e": {a1.ID}}}, []*nostr.Event{a3}},
		{"empty tag list", nostr.Filter{Tags: nostr.TagMap{"t": {}}}, nil},
		{"since", nostr.Filter{Since: ts(base + 4)}, []*nostr.Event{b2, b1}},
		{"until", nostr.Filter{Until: ts(base + 2)}, []*nostr.Event{a2, a1}},
		{"since+until+tag", nostr.Filter{Since: ts(base + 2), Until: ts(base + 5), Tags: nostr.TagMap{"t": {"news"}}}, []*nostr.Event{b2, a2}},
		{"limit", nostr.Filter{Limit: 2}, []*nostr.Event{b2, b1}},
		{"limit zero", nostr.Filter{LimitZero: true}, nil},
		{"no match", nostr.Filter{Authors: []string{evtest.NewKey("carol").Public}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.Query(context.Background(), c.f, 500)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, ev := range c.want {
				want = append(want, ev.ID)
			}
			if !equal(ids(got), want) {
				t.Fatalf("got %v\nwant %v", ids(got), want)
			}
		})
	}
}

func TestQueryTiesLowestIDFirst(t *testing.T) {
	s, _ := openTest(t)
	var evs []*nostr.Event
	for i := 0; i < 6; i++ {
		evs = append(evs, alice.Event(1, t0.Unix()-10, fmt.Sprint("same second ", i)))
	}
	save(t, s, evs...)
	got, err := s.Query(context.Background(), nostr.Filter{}, 500)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(got); i++ {
		if got[i-1].ID > got[i].ID {
			t.Fatalf("ties not ordered by id: %v", ids(got))
		}
	}
}

func TestMaxLimitCaps(t *testing.T) {
	s, _ := openTest(t)
	for i := 0; i < 20; i++ {
		save(t, s, alice.Event(1, t0.Unix()-int64(i), fmt.Sprint(i)))
	}
	got, _ := s.Query(context.Background(), nostr.Filter{Limit: 1000}, 7)
	if len(got) != 7 {
		t.Fatalf("got %d events, want the cap of 7", len(got))
	}
}

func TestCheckFilterRejects(t *testing.T) {
	bad := []nostr.Filter{
		{IDs: []string{"abc"}},
		{Authors: []string{"ZZ" + alice.Public[2:]}},
		{Kinds: []int{70000}},
		{Tags: nostr.TagMap{"emoji": {"x"}}},
		{Search: "protest"},
		{IDs: make([]string, MaxFilterValues+1)},
	}
	s, _ := openTest(t)
	for i, f := range bad {
		if _, err := s.Query(context.Background(), f, 10); err == nil {
			t.Errorf("filter %d accepted, want a rejection", i)
		}
	}
}

func TestDuplicate(t *testing.T) {
	s, _ := openTest(t)
	ev := alice.Event(1, t0.Unix(), "once")
	if o := save(t, s, ev, ev); o[0] != Stored || o[1] != Duplicate {
		t.Fatalf("got %v, want [stored duplicate]", o)
	}
}

func TestReplaceable(t *testing.T) {
	s, _ := openTest(t)
	old := alice.Event(0, t0.Unix()-100, `{"name":"old"}`)
	cur := alice.Event(0, t0.Unix()-50, `{"name":"new"}`)
	if o := save(t, s, old, cur); o[0] != Stored || o[1] != Stored {
		t.Fatal(o)
	}
	// old was replaced and not kept: a second arrival is judged again.
	if o := save(t, s, old); o[0] != Obsolete {
		t.Fatalf("re-sent old profile: %v, want obsolete", o)
	}
	older := alice.Event(0, t0.Unix()-200, `{"name":"older"}`)
	if o := save(t, s, older); o[0] != Obsolete {
		t.Fatalf("older profile: %v, want obsolete", o)
	}
	got, _ := s.Query(context.Background(), nostr.Filter{Kinds: []int{0}}, 10)
	if !equal(ids(got), []string{cur.ID}) {
		t.Fatalf("profiles held: %v, want only the newest", ids(got))
	}

	// Same timestamp: the lowest id wins.
	x := alice.Event(10002, t0.Unix(), "x")
	y := alice.Event(10002, t0.Unix(), "y")
	lo, hi := x, y
	if hi.ID < lo.ID {
		lo, hi = hi, lo
	}
	save(t, s, hi, lo)
	got, _ = s.Query(context.Background(), nostr.Filter{Kinds: []int{10002}}, 10)
	if !equal(ids(got), []string{lo.ID}) {
		t.Fatalf("tie kept %v, want lowest id %s", ids(got), lo.ID)
	}
}

func TestAddressableKeepsEarlierVersions(t *testing.T) {
	s, _ := openTest(t)
	v1 := alice.Event(30023, t0.Unix()-100, "first draft", nostr.Tag{"d", "report"})
	v2 := alice.Event(30023, t0.Unix()-50, "edited", nostr.Tag{"d", "report"})
	other := alice.Event(30023, t0.Unix()-70, "another", nostr.Tag{"d", "other"})
	save(t, s, v1, v2, other)
	got, _ := s.Query(context.Background(), nostr.Filter{Kinds: []int{30023}}, 10)
	if !equal(ids(got), []string{v2.ID, other.ID}) {
		t.Fatalf("current versions %v, want v2 and other", ids(got))
	}
	ev, err := s.Get(context.Background(), v1.ID)
	if err != nil || ev == nil || ev.Content != "first draft" {
		t.Fatalf("earlier version by id: %v %v", ev, err)
	}
	got, _ = s.Query(context.Background(), nostr.Filter{IDs: []string{v1.ID}}, 10)
	if !equal(ids(got), []string{v1.ID}) {
		t.Fatalf("REQ by id of earlier version: %v", ids(got))
	}
	// An older version arriving late is kept as a version, not made current.
	v0 := alice.Event(30023, t0.Unix()-200, "zeroth", nostr.Tag{"d", "report"})
	if o := save(t, s, v0); o[0] != Obsolete {
		t.Fatalf("late older version: %v", o)
	}
	if ev, _ := s.Get(context.Background(), v0.ID); ev == nil {
		t.Fatal("late older version not readable by id")
	}
	if o := save(t, s, v0); o[0] != Duplicate {
		t.Fatalf("second arrival of kept version: %v, want duplicate", o)
	}
}

func TestDeletion(t *testing.T) {
	s, _ := openTest(t)
	mine := alice.Event(1, t0.Unix()-100, "regret")
	theirs := bob.Event(1, t0.Unix()-100, "bob's")
	save(t, s, mine, theirs)
	del := alice.Event(5, t0.Unix()-10, "oops", nostr.Tag{"e", mine.ID}, nostr.Tag{"e", theirs.ID})
	save(t, s, del)
	if ev, _ := s.Get(context.Background(), mine.ID); ev != nil {
		t.Fatal("own event still served after deletion request")
	}
	if ev, _ := s.Get(context.Background(), theirs.ID); ev == nil {
		t.Fatal("someone else's event deleted by alice's request")
	}
	if o := save(t, s, mine); o[0] != Deleted {
		t.Fatalf("deleted event arriving again: %v, want deleted", o)
	}
	// The request itself stays, so it can travel to other nodes.
	if ev, _ := s.Get(context.Background(), del.ID); ev == nil {
		t.Fatal("deletion request not kept")
	}
	// Deleting a deletion request has no effect.
	undel := alice.Event(5, t0.Unix()-5, "", nostr.Tag{"e", del.ID})
	save(t, s, undel)
	if ev, _ := s.Get(context.Background(), del.ID); ev == nil {
		t.Fatal("deletion of a deletion removed it")
	}
}

func TestDeletionBeforeTarget(t *testing.T) {
	s, _ := openTest(t)
	target := alice.Event(1, t0.Unix()-100, "will be deleted")
	save(t, s, alice.Event(5, t0.Unix()-10, "", nostr.Tag{"e", target.ID}))
	if o := save(t, s, target); o[0] != Deleted {
		t.Fatalf("target after its deletion: %v, want deleted", o)
	}
	// bob cannot pre-delete alice's events.
	victim := alice.Event(1, t0.Unix()-90, "keep me")
	save(t, s, bob.Event(5, t0.Unix()-10, "", nostr.Tag{"e", victim.ID}))
	if o := save(t, s, victim); o[0] != Stored {
		t.Fatalf("event named by a stranger's deletion: %v, want stored", o)
	}
}

func TestDeletionByAddress(t *testing.T) {
	s, _ := openTest(t)
	v1 := alice.Event(30023, t0.Unix()-100, "v1", nostr.Tag{"d", "r"})
	v2 := alice.Event(30023, t0.Unix()-50, "v2", nostr.Tag{"d", "r"})
	save(t, s, v1, v2)
	addr := fmt.Sprintf("30023:%s:r", alice.Public)
	save(t, s, alice.Event(5, t0.Unix()-40, "", nostr.Tag{"a", addr}))
	for _, ev := range []*nostr.Event{v1, v2} {
		if got, _ := s.Get(context.Background(), ev.ID); got != nil {
			t.Fatalf("version %q survived deletion by address", ev.Content)
		}
	}
	if o := save(t, s, v2); o[0] != Deleted {
		t.Fatalf("deleted version re-sent: %v", o)
	}
	v3 := alice.Event(30023, t0.Unix()-30, "v3 after the deletion", nostr.Tag{"d", "r"})
	if o := save(t, s, v3); o[0] != Stored {
		t.Fatalf("newer version after deletion: %v, want stored", o)
	}
}

func TestExpiration(t *testing.T) {
	s, c := openTest(t)
	soon := alice.Event(1, t0.Unix(), "soon gone", nostr.Tag{"expiration", fmt.Sprint(t0.Unix() + 60)})
	stays := alice.Event(1, t0.Unix(), "stays")
	save(t, s, soon, stays)
	got, _ := s.Query(context.Background(), nostr.Filter{}, 10)
	if len(got) != 2 {
		t.Fatalf("before expiry: %d events", len(got))
	}
	c.Set(t0.Add(2 * time.Minute))
	got, _ = s.Query(context.Background(), nostr.Filter{}, 10)
	if !equal(ids(got), []string{stays.ID}) {
		t.Fatalf("after expiry: %v", ids(got))
	}
	if ev, _ := s.Get(context.Background(), soon.ID); ev != nil {
		t.Fatal("expired event returned by Get")
	}
	gone, err := s.PurgeExpired(context.Background())
	if err != nil || len(gone) != 1 || gone[0].Event.ID != soon.ID {
		t.Fatalf("purge: %v, %v", gone, err)
	}
	st, _ := s.Stats(context.Background())
	if st.Events != 1 {
		t.Fatalf("events after purge: %d", st.Events)
	}
}

func TestReopenKeepsEvents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "caravan.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ev := alice.Event(1, time.Now().Unix(), "durable")
	save(t, s, ev)
	s.Close()
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, _ := s.Get(context.Background(), ev.ID); got == nil {
		t.Fatal("event lost across reopen")
	}
	if v, _ := s.IntegrityCheck(context.Background()); v != "ok" {
		t.Fatalf("integrity_check: %s", v)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "caravan.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, _ := sql.Open("sqlite", path)
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion+1)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(path, Options{}); !errors.Is(err, ErrTooNew) {
		t.Fatalf("opening a newer schema: %v, want ErrTooNew", err)
	}
}

func TestConcurrentSavesAllDurable(t *testing.T) {
	s, _ := openTest(t)
	const writers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	all := make([][]*nostr.Event, writers)
	for w := 0; w < writers; w++ {
		k := evtest.NewKey(fmt.Sprint("writer", w))
		for i := 0; i < each; i++ {
			all[w] = append(all[w], k.Event(1, t0.Unix()-int64(i), fmt.Sprint(i)))
		}
		wg.Add(1)
		go func(evs []*nostr.Event) {
			defer wg.Done()
			for _, ev := range evs {
				if out, err := s.Save(context.Background(), ev); err != nil || out[0] != Stored {
					errs <- fmt.Errorf("save: %v %v", out, err)
					return
				}
			}
		}(all[w])
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st, _ := s.Stats(context.Background())
	if st.Events != writers*each {
		t.Fatalf("stored %d events, want %d", st.Events, writers*each)
	}
}

func TestSaveRefusesUnvalidated(t *testing.T) {
	s, _ := openTest(t)
	ev := alice.Event(1, t0.Unix(), "x")
	ev.ID = "not hex"
	if _, err := s.Save(context.Background(), ev); !errors.Is(err, ErrUnvalidated) {
		t.Fatalf("got %v, want ErrUnvalidated", err)
	}
}

// TestCloseLeavesOneFile: a closed store is its database file alone (the
// write-ahead log folded in and removed), so it can be copied or carried;
// a connection left open would keep the log, and the files, open.
func TestCloseLeavesOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	save(t, s, alice.Event(1, t0.Unix(), "kept"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(path + suffix); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there after Close (%v)", filepath.Base(path+suffix), err)
		}
	}
}

// TestItems: the set of a filter holds (created_at, id) of exactly the
// events Query finds, in negentropy order, across the set's blocks.
func TestItems(t *testing.T) {
	s, _ := openTest(t)
	var evs []*nostr.Event
	for i := range 5000 {
		k := alice
		if i%3 == 0 {
			k = bob
		}
		evs = append(evs, k.Event(1, t0.Unix()-int64(i%700), fmt.Sprint("note ", i)))
	}
	save(t, s, evs...)
	ctx := context.Background()
	for _, f := range []nostr.Filter{{}, {Authors: []string{bob.Public}}, {Limit: 10}} {
		set, err := s.Items(ctx, f, 0)
		if err != nil {
			t.Fatal(err)
		}
		want, err := s.Query(ctx, f, 10_000)
		if err != nil {
			t.Fatal(err)
		}
		if set.Size() != len(want) {
			t.Fatalf("%v: %d items, Query finds %d events", f, set.Size(), len(want))
		}
		in := map[string]bool{}
		for _, r := range want {
			in[r.ID] = true
		}
		var prev negentropy.Item
		for i := 0; i < set.Size(); i++ {
			it := set.Item(i)
			if !in[hex.EncodeToString(it.ID[:])] || (i > 0 && negentropy.Compare(prev, it) >= 0) {
				t.Fatalf("%v: item %d is not one of the events, or out of order", f, i)
			}
			prev = it
		}
	}
	// A listing asked to stop at a maximum stops there.
	if _, err := s.Items(ctx, nostr.Filter{}, 4999); !errors.Is(err, negentropy.ErrTooMany) {
		t.Fatalf("5000 events, at most 4999: %v", err)
	}
	if set, err := s.Items(ctx, nostr.Filter{}, 5000); err != nil || set.Size() != 5000 {
		t.Fatalf("5000 events, at most 5000: %v", err)
	}
}

// One listing at a time: a caller that gives up waiting for another's
// gets ErrBusy, which the relay turns into "rate-limited:".
func TestItemsOneAtATime(t *testing.T) {
	s, _ := openTest(t)
	s.listing <- struct{}{} // a listing in progress
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Items(ctx, nostr.Filter{}, 0); !errors.Is(err, ErrBusy) {
		t.Fatalf("while another listing runs: %v, want ErrBusy", err)
	}
	<-s.listing
	if _, err := s.Items(context.Background(), nostr.Filter{}, 0); err != nil {
		t.Fatal(err)
	}
}
