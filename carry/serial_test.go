package carry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/carry"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/link"
	"github.com/caravan-mesh/caravan/node"
	"github.com/nbd-wtf/go-nostr"
)

// budgetLink is one end of an in-memory message link, as the simulator
// uses: both ends share a budget of EVENT bytes, and the message that
// would exceed it closes the link instead of crossing it. Messages that
// crossed before the close are still read by the other end.
type budgetLink struct {
	name string
	b    *budget
	in   *queue
	out  *queue
}

type budget struct {
	mu   sync.Mutex
	left int
	cut  bool
}

type queue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	msgs   [][]byte
	closed bool
}

func newQueue() *queue {
	q := &queue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

// budgetPipe returns the two ends of a link that carries at most n bytes
// of EVENT messages.
func budgetPipe(n int) (a, b *budgetLink) {
	bud := &budget{left: n}
	ab, ba := newQueue(), newQueue()
	return &budgetLink{name: "b", b: bud, in: ba, out: ab}, &budgetLink{name: "a", b: bud, in: ab, out: ba}
}

func (l *budgetLink) Read(ctx context.Context) ([]byte, error) {
	stop := context.AfterFunc(ctx, func() { l.in.mu.Lock(); l.in.cond.Broadcast(); l.in.mu.Unlock() })
	defer stop()
	l.in.mu.Lock()
	defer l.in.mu.Unlock()
	for len(l.in.msgs) == 0 && !l.in.closed && ctx.Err() == nil {
		l.in.cond.Wait()
	}
	if len(l.in.msgs) > 0 {
		m := l.in.msgs[0]
		l.in.msgs = l.in.msgs[1:]
		return m, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, errors.New("link closed")
}

func (l *budgetLink) Write(ctx context.Context, msg []byte) error {
	l.b.mu.Lock()
	if !l.b.cut && bytes.HasPrefix(msg, []byte(`["EVENT"`)) {
		if l.b.left < len(msg) {
			l.b.cut = true
		} else {
			l.b.left -= len(msg)
		}
	}
	cut := l.b.cut
	l.b.mu.Unlock()
	if cut {
		l.Close("")
		return errors.New("link cut")
	}
	l.out.mu.Lock()
	defer l.out.mu.Unlock()
	if l.out.closed {
		return errors.New("link closed")
	}
	l.out.msgs = append(l.out.msgs, slices.Clone(msg))
	l.out.cond.Broadcast()
	return nil
}

func (l *budgetLink) Close(string) error {
	l.b.mu.Lock()
	l.b.cut = true
	l.b.mu.Unlock()
	l.in.close()
	l.out.close()
	return nil
}

// Stats are not counted; nothing here depends on them.
func (l *budgetLink) Stats() link.Stats { return link.Stats{} }
func (l *budgetLink) String() string    { return l.name }

// TestSerialCutIsDeterministic runs a serial session between two nodes
// that each hold 300 events the other lacks, over a link cut after n bytes
// of EVENT messages, five times from the same stores; each side must end
// with the same events every time.
func TestSerialCutIsDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 30 nodes")
	}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	// Three authors a side, 300 notes a side over a day (every hour, day
	// and older slice), several sharing each created_at so that the
	// order depends on the tie-break by id.
	make300 := func(side string) []*nostr.Event {
		var evs []*nostr.Event
		for i := range 300 {
			k := evtest.NewKey(fmt.Sprint(side, i%3))
			evs = append(evs, k.Event(1, now.Unix()-int64(i/4)*1000, fmt.Sprintf("%s note %d %s", side, i, strings.Repeat("x", i%50))))
		}
		return evs
	}
	evsA, evsB := make300("a"), make300("b")

	run := func(n int) (ia, ib []string) {
		t.Helper()
		a := newNodeWith(t, "a", node.Options{Now: clock})
		b := newNodeWith(t, "b", node.Options{Now: clock})
		put(t, a, evsA...)
		put(t, b, evsB...)
		ca, cb := budgetPipe(n)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		rl := b.NewRelay()
		served := make(chan struct{})
		go func() { rl.ServeConn(cb); close(served) }()
		carry.Run(ctx, ca, localOf(a), carry.Options{Wants: a.Wants(ctx), Now: clock, Serial: true})
		ca.Close("")
		<-served // every EVENT b read is stored
		rl.Close()
		return ids(t, a), ids(t, b)
	}
	// About 400 bytes an event, and the last hour (16 events a side)
	// moves first: cut in its push (a to b), in its pull, then in the
	// push of the rest, and in its pull.
	for _, n := range []int{5_000, 9_000, 90_000, 160_000} {
		ia, ib := run(n)
		if len(ia)+len(ib) == 1200 || len(ia)+len(ib) == 600 {
			t.Fatalf("cut at %d: a holds %d, b %d; want a session cut after moving something", n, len(ia), len(ib))
		}
		for range 4 {
			ja, jb := run(n)
			if !slices.Equal(ia, ja) || !slices.Equal(ib, jb) {
				t.Fatalf("cut at %d: a holds %d then %d, b %d then %d events", n, len(ia), len(ja), len(ib), len(jb))
			}
		}
		t.Logf("cut at %d bytes of events: a holds %d, b %d", n, len(ia), len(ib))
	}
}
