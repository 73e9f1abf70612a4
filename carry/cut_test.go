package carry_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/carry"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/policy"
	"github.com/nbd-wtf/go-nostr"
)

// slowLocal stores nothing until released: a node busy storing, whose
// link backs up behind it (a slow reader, for the relay it pulls from).
type slowLocal struct {
	carry.Local
	busy    chan struct{} // closed at the first batch to store
	release chan struct{}
	once    *sync.Once
}

func (l slowLocal) Ingest(ctx context.Context, evs ...*nostr.Event) []error {
	l.once.Do(func() { close(l.busy) })
	<-l.release
	return l.Local.Ingest(ctx, evs...)
}

// The serving side drops the link in the middle of a pull while this node
// is a slow reader (the relay endpoint does so to a client whose send
// queue is full; here its shutdown, which closes connections the same
// way). The session ends at once with an error saying the link failed,
// having stored what arrived, and its last progress counts exactly that.
func TestServingSideClosesMidPull(t *testing.T) {
	a := newNode(t, "a")
	b := newNodeWith(t, "b", node.Options{Config: &generous})
	k := evtest.NewKey("prolific")
	now := time.Now().Unix()
	var evs []*nostr.Event
	for i := range 3000 {
		evs = append(evs, evtest.NewKey(fmt.Sprint(k.Public, i)).Event(1, now-int64(i), fmt.Sprint("note ", i)))
	}
	put(t, b, evs...)
	generousFor(t, a)

	ca, cb := pipe()
	rl := b.NewRelay()
	go rl.ServeConn(stream(cb, "client"))
	slow := slowLocal{Local: localOf(a), busy: make(chan struct{}), release: make(chan struct{}), once: new(sync.Once)}
	var (
		mu    sync.Mutex
		calls []carry.Progress
	)
	type result struct {
		p   carry.Progress
		err error
	}
	done := make(chan result, 1)
	go func() {
		p, err := carry.Run(context.Background(), stream(ca, "relay"), slow, carry.Options{
			Wants: []policy.Want{{Class: policy.Stranger, Filter: nostr.Filter{}, Pull: true}},
			Progress: func(p carry.Progress) {
				mu.Lock()
				calls = append(calls, p)
				mu.Unlock()
			},
		})
		done <- result{p, err}
	}()
	<-slow.busy
	rl.Close() // drops the connection, as for a slow reader
	close(slow.release)

	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Minute):
		t.Fatal("the session did not notice that the serving side closed the link")
	}
	if r.err == nil || errors.Is(r.err, context.Canceled) || errors.Is(r.err, carry.ErrPeer) {
		t.Fatalf("session ended with %v; want the link's failure", r.err)
	}
	t.Logf("ended with: %v", r.err)
	held := len(ids(t, a))
	if r.p.Received != held || held == 0 || held == len(evs) {
		t.Fatalf("received %d, and a holds %d of the %d events; want some, counted exactly", r.p.Received, held, len(evs))
	}
	mu.Lock()
	defer mu.Unlock()
	if last := calls[len(calls)-1]; last.Phase != "done" || last.Received != held {
		t.Fatalf("the last progress shown is %+v; want the final one, with %d received", last, held)
	}
}

// generousFor lets n take any number of strangers' events.
func generousFor(t *testing.T, n *node.Node) {
	t.Helper()
	if _, err := n.ChangeNodeSettings(context.Background(), node.NodeSettingsChange{Policy: &generous.Policy}); err != nil {
		t.Fatal(err)
	}
}

// A peer that misbehaves while we pull ends the session at once, even
// while an event we pushed waits for its answer: the push does not go on
// waiting (here for an answer that never comes) until the peer is silent
// for Options.Stall.
func TestPullFailureEndsThePush(t *testing.T) {
	k := evtest.NewKey("k")
	now := time.Now().Unix()
	offered := []*nostr.Event{k.Event(1, now, "one"), k.Event(1, now-1, "two")}
	a := newNode(t, "a")
	put(t, a, k.Event(1, now-2, "only a has this one"))
	// The fake peer never answers EVENT, and answers REQ with an event
	// that was not asked for.
	conn := fakePeer(t, offered, func(send func(v ...any), sub string, asked []string) {
		send("EVENT", sub, k.Event(1, now-3, "never offered"))
	})
	done := make(chan error, 1)
	go func() {
		_, err := carry.Run(context.Background(), conn, localOf(a), carry.Options{
			Wants: []policy.Want{{Class: policy.Stranger, Filter: nostr.Filter{Authors: []string{k.Public}}, Pull: true, Push: true}},
			Stall: time.Hour,
		})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, carry.ErrPeer) || !strings.Contains(err.Error(), "not asked for") {
			t.Fatalf("session ended with %v; want the peer's misbehaviour", err)
		}
	case <-time.After(10 * time.Minute):
		t.Fatal("the session went on waiting for the push after the pull failed")
	}
}

// A batch with an invalid event ends the session, and the valid events of
// the same batch, which were stored, are counted as received.
func TestInvalidEventCountsTheRestOfItsBatch(t *testing.T) {
	k := evtest.NewKey("k")
	now := time.Now().Unix()
	offered := []*nostr.Event{k.Event(1, now, "one"), k.Event(1, now-1, "two"), k.Event(1, now-2, "three")}
	forged := k.Event(1, now, "one")
	forged.Sig = offered[1].Sig
	a := newNode(t, "a")
	conn := fakePeer(t, offered, func(send func(v ...any), sub string, asked []string) {
		send("EVENT", sub, forged)
		send("EVENT", sub, offered[1])
		send("EVENT", sub, offered[2])
		send("EOSE", sub)
	})
	p, err := carry.Run(context.Background(), conn, localOf(a), carry.Options{
		Wants: []policy.Want{{Class: policy.Stranger, Filter: nostr.Filter{Authors: []string{k.Public}}, Pull: true}},
	})
	if !errors.Is(err, carry.ErrPeer) || !strings.Contains(err.Error(), "invalid event") {
		t.Fatalf("session ended with %v; want the invalid event named", err)
	}
	if held := len(ids(t, a)); p.Received != held || held != 2 {
		t.Fatalf("received %d, and a holds %d events; want the 2 valid ones, counted", p.Received, held)
	}
}
