package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/store"
)

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func openTest(t *testing.T, cfg Config) *Node {
	t.Helper()
	n, err := Open(t.TempDir(), Options{Now: func() time.Time { return t0 }, Config: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	n.kr.LogN = 4
	t.Cleanup(func() { n.Close() })
	return n
}

func TestIngestVerdicts(t *testing.T) {
	n := openTest(t, Config{Events: event.Limits{MaxEventBytes: 2000, MaxFuture: event.Duration(time.Minute)}})
	k := evtest.NewKey("k")
	good := k.Event(1, t0.Unix(), "fine")
	forged := k.Event(1, t0.Unix(), "forged")
	forged.Sig = evtest.NewKey("other").Event(1, t0.Unix(), "forged").Sig
	cases := []struct {
		name string
		ev   *nostr.Event
		ok   bool
		msg  string
	}{
		{"good", good, true, ""},
		{"duplicate", good, true, "duplicate:"},
		{"forged signature", forged, false, "invalid: signature does not verify"},
		{"too far ahead", k.Event(1, t0.Add(2*time.Minute).Unix(), "x"), false, "invalid: created_at is 2m0s in the future"},
		{"just within", k.Event(1, t0.Add(time.Minute).Unix(), "x"), true, ""},
		{"too big", k.Event(1, t0.Unix(), strings.Repeat("x", 2000)), false, "invalid: event is"},
		{"ephemeral", k.Event(20000, t0.Unix(), "x"), true, ""},
	}
	for _, c := range cases {
		r := n.Ingest(context.Background(), c.ev)[0]
		if r.OK() != c.ok || !strings.HasPrefix(r.Message(), c.msg) {
			t.Errorf("%s: OK %v %q, want %v %q", c.name, r.OK(), r.Message(), c.ok, c.msg)
		}
	}
}

func TestIngestBatchMixed(t *testing.T) {
	n := openTest(t, Config{})
	var evs []*nostr.Event
	for i := 0; i < 100; i++ {
		ev := evtest.NewKey(fmt.Sprint(i%7)).Event(1, t0.Unix()-int64(i), fmt.Sprint(i))
		if i%10 == 3 {
			ev.Content += " tampered"
		}
		evs = append(evs, ev)
	}
	res := n.Ingest(context.Background(), evs...)
	for i, r := range res {
		if r.OK() == (i%10 == 3) {
			t.Fatalf("event %d: OK %v (%s)", i, r.OK(), r.Message())
		}
		if r.OK() && r.Outcome != store.Stored {
			t.Fatalf("event %d: %v", i, r.Outcome)
		}
	}
	st, _ := n.st.Stats(context.Background())
	if st.Events != 90 {
		t.Fatalf("stored %d, want 90", st.Events)
	}
}

func TestSubscribersSeeNewEventsOnce(t *testing.T) {
	n := openTest(t, Config{})
	var seen []string
	cancel := n.OnStored(func(ev *nostr.Event, raw []byte) { seen = append(seen, ev.ID) })
	ev := evtest.NewKey("k").Event(1, t0.Unix(), "x")
	n.Ingest(context.Background(), ev)
	n.Ingest(context.Background(), ev)
	cancel()
	n.Ingest(context.Background(), evtest.NewKey("k").Event(1, t0.Unix(), "y"))
	if len(seen) != 1 || seen[0] != ev.ID {
		t.Fatalf("subscriber saw %v, want the one new event once", seen)
	}
}

func TestPublishNeedsUnlockedIdentity(t *testing.T) {
	n := openTest(t, Config{})
	if _, err := n.Publish(context.Background(), "", &nostr.Event{Kind: 1, Content: "x"}); !errors.Is(err, keys.ErrNoIdentity) {
		t.Fatalf("publish without identity: %v", err)
	}
	if _, err := n.kr.New("me", "pw", false); err != nil {
		t.Fatal(err)
	}
	n.kr.Lock()
	if _, err := n.Publish(context.Background(), "", &nostr.Event{Kind: 1, Content: "x"}); !errors.Is(err, keys.ErrLocked) {
		t.Fatalf("publish while locked: %v", err)
	}
	n.kr.Unlock("", "pw")
	ev, err := n.Publish(context.Background(), "", &nostr.Event{Kind: 1, Content: "x"})
	if err != nil || ev.CreatedAt != nostr.Timestamp(t0.Unix()) {
		t.Fatalf("publish: %v %v", ev, err)
	}
}

func TestFollowUnfollow(t *testing.T) {
	n := openTest(t, Config{})
	n.kr.New("me", "", true)
	a, b := keys.PublicKey(evtest.NewKey("a").Public), keys.PublicKey(evtest.NewKey("b").Public)
	ctx := context.Background()
	if _, err := n.Follow(ctx, "", a, "", "Aigerim"); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Follow(ctx, "", b, "ws://10.1.1.1:7447", ""); err != nil {
		t.Fatal(err)
	}
	// Following again updates the entry instead of duplicating it.
	if _, err := n.Follow(ctx, "", a, "", "Aika"); err != nil {
		t.Fatal(err)
	}
	cs, _ := n.Contacts(ctx, "")
	if len(cs) != 2 || cs[0].Petname != "Aika" || cs[1].Relay != "ws://10.1.1.1:7447" {
		t.Fatalf("contacts: %+v", cs)
	}
	if _, err := n.Unfollow(ctx, "", a); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Unfollow(ctx, "", a); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unfollow twice: %v", err)
	}
	cs, _ = n.Contacts(ctx, "")
	if len(cs) != 1 || cs[0].PubKey != b {
		t.Fatalf("after unfollow: %+v", cs)
	}
	// Only the newest list is kept (kind 3 is replaceable), even though
	// all were made in the same second.
	st, _ := n.st.Stats(ctx)
	if st.ByKind[3] != 1 {
		t.Fatalf("%d contact lists stored, want 1", st.ByKind[3])
	}
}

func TestDataDirectoryIsLocked(t *testing.T) {
	dir := t.TempDir()
	n, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrBusy) {
		t.Fatalf("second open: %v, want ErrBusy", err)
	}
	n.Close()
	n2, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	n2.Close()
}

func TestBadConfigIsExplained(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/config.json", `{"listen": "0.0.0.0:7447", "relay": {"max_limt": 5}}`)
	_, err := Open(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "max_limt") || !strings.Contains(err.Error(), "config.json") {
		t.Fatalf("bad config: %v", err)
	}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}
