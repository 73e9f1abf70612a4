package relay

import (
	"context"
	"sync"
	"time"
)

// What waits to be sent is bounded in bytes, for each connection
// (Limits.OutboxBytes) and for all of them together
// (Limits.OutboxBytesTotal). It counts the messages queued, the one being
// written, and the events a query has read from the store to send next:
// everything the relay holds for a client. Past either bound a query
// waits for room (back-pressure, never a buffer); a new event that finds
// no room is sent later from the store (see Conn.deliver). Whatever the
// total, a connection with nothing waiting may always have one message
// or one page: a client that reads is never starved by many that do not.

// Priorities of the send queue: answers, notices and live events go out
// before stored events answering a REQ, so that on a slow link a new
// message is not stuck behind a backlog.
const (
	urgent = 0
	bulk   = 1
)

// bulkShare is the part of a bound that bulk sends (query results,
// reconciliation replies, blob parts) may fill; the rest is kept for
// answers and new events.
func bulkShare(max int) int { return max - max/4 }

// budget is the relay-wide bound. Bulk waiters are served in the order
// they came, so a large page is not passed over for ever by small ones.
type budget struct {
	mu      sync.Mutex
	used    int
	max     int
	waiters []*waiter
}

type waiter struct {
	n     int
	ready chan struct{} // closed when n bytes were counted for it
}

// take counts n bytes whatever the bound: a connection's one message, or
// a small answer its own bound already admitted.
func (b *budget) take(n int) {
	b.mu.Lock()
	b.used += n
	b.mu.Unlock()
}

// tryTake counts n bytes for bulk if they fit in its share and no other
// bulk sender waits.
func (b *budget) tryTake(n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.waiters) > 0 || b.used+n > bulkShare(b.max) {
		return false
	}
	b.used += n
	return true
}

// tryTakeUrgent counts n bytes if they fit under the whole bound, ahead of
// bulk senders.
func (b *budget) tryTakeUrgent(n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.max {
		return false
	}
	b.used += n
	return true
}

// wait queues a bulk sender for n bytes.
func (b *budget) wait(n int) *waiter {
	w := &waiter{n: n, ready: make(chan struct{})}
	b.mu.Lock()
	b.waiters = append(b.waiters, w)
	b.grant()
	b.mu.Unlock()
	return w
}

// abandon takes w out of the queue; if its bytes were counted meanwhile,
// they are given back.
func (b *budget) abandon(w *waiter) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, x := range b.waiters {
		if x == w {
			b.waiters = append(b.waiters[:i], b.waiters[i+1:]...)
			b.grant()
			return
		}
	}
	b.used -= w.n // granted meanwhile
	b.grant()
}

// give returns n bytes.
func (b *budget) give(n int) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	b.grant()
	b.mu.Unlock()
}

// grant counts bytes for the waiters at the head of the queue while they
// fit (the first always fits once nothing is used, however big).
func (b *budget) grant() {
	for len(b.waiters) > 0 {
		w := b.waiters[0]
		if b.used > 0 && b.used+w.n > bulkShare(b.max) {
			return
		}
		b.used += w.n
		close(w.ready)
		b.waiters[0] = nil
		b.waiters = b.waiters[1:]
	}
}

// outbox is a connection's send queue, with two priorities, bounded in
// bytes by its own max and by the relay's budget.
type outbox struct {
	total *budget
	now   func() time.Time
	max   int

	mu      sync.Mutex
	q       [2][][]byte
	bytes   int // queued, being written, or held by queries
	pending int // messages queued or being written
	since   time.Time
	closed  bool
	wake    chan struct{} // something to send
	changed chan struct{} // closed and replaced when bytes were given back
}

func newOutbox(max int, total *budget, now func() time.Time) *outbox {
	return &outbox{total: total, now: now, max: max, wake: make(chan struct{}, 1), changed: make(chan struct{})}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// queue adds b, whose bytes are counted already. o.mu is held.
func (o *outbox) queue(b []byte, prio int) {
	if o.pending == 0 {
		o.since = o.now()
	}
	o.pending++
	o.q[prio] = append(o.q[prio], b)
	signal(o.wake)
}

// pushLive queues a new event for subscription sub if there is room now,
// without waiting. The message is made only then: a client that reads
// nothing costs no copies.
func (o *outbox) pushLive(sub string, raw []byte) bool {
	n := eventMessageSize(sub, raw)
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case o.closed:
		return false
	case o.bytes == 0:
		o.total.take(n)
	case o.bytes+n > o.max || !o.total.tryTakeUrgent(n):
		return false
	}
	o.bytes += n
	o.queue(eventMessage(sub, raw), urgent)
	return true
}

// pushSmall queues an answer (OK, CLOSED, EOSE, NOTICE, ...), waiting for
// room in this connection's bound only: answers are small, and their
// number follows what the client sends.
func (o *outbox) pushSmall(ctx context.Context, b []byte, prio int) bool {
	for {
		o.mu.Lock()
		if o.closed {
			o.mu.Unlock()
			return false
		}
		if o.bytes == 0 || o.bytes+len(b) <= o.max {
			o.total.take(len(b))
			o.bytes += len(b)
			o.queue(b, prio)
			o.mu.Unlock()
			return true
		}
		changed := o.changed
		o.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return false
		}
	}
}

// pushNow queues a short message at once, past the bounds if need be:
// for the relay's own few notices (one for each reconciliation it closes),
// sent where it must not wait for any one client.
func (o *outbox) pushNow(b []byte, prio int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return
	}
	o.total.take(len(b))
	o.bytes += len(b)
	o.queue(b, prio)
}

// pushBulk queues a large message once there is room for it within the
// bounds of bulk sends, at priority prio.
func (o *outbox) pushBulk(ctx context.Context, b []byte, prio int) bool {
	if !o.reserve(ctx, len(b)) {
		return false
	}
	o.fill(b, prio, len(b))
	return true
}

// reserve counts n bytes for bulk sending, waiting until they fit in both
// bounds (or this connection holds nothing). The caller queues them with
// fill and gives back what it did not use with release.
func (o *outbox) reserve(ctx context.Context, n int) bool {
	limit := bulkShare(o.max)
	for {
		o.mu.Lock()
		if o.closed {
			o.mu.Unlock()
			return false
		}
		changed := o.changed
		if o.bytes == 0 {
			o.total.take(n)
			o.bytes += n
			o.mu.Unlock()
			return true
		}
		if o.bytes+n > limit {
			o.mu.Unlock()
			select {
			case <-changed:
				continue
			case <-ctx.Done():
				return false
			}
		}
		if o.total.tryTake(n) {
			o.bytes += n
			o.mu.Unlock()
			return true
		}
		w := o.total.wait(n)
		o.mu.Unlock()
		select {
		case <-w.ready:
			o.mu.Lock()
			if o.closed {
				o.mu.Unlock()
				o.total.give(n)
				return false
			}
			o.bytes += n
			o.mu.Unlock()
			return true
		case <-changed:
			o.total.abandon(w) // this connection may hold nothing now
		case <-ctx.Done():
			o.total.abandon(w)
			return false
		}
	}
}

// fill queues b out of held reserved bytes, counting any excess, and
// returns what is left of held.
func (o *outbox) fill(b []byte, prio, held int) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return held // given back by close
	}
	if extra := len(b) - held; extra > 0 {
		o.total.take(extra)
		o.bytes += extra
		held = 0
	} else {
		held -= len(b)
	}
	o.queue(b, prio)
	return held
}

// release gives back n reserved bytes that were not used.
func (o *outbox) release(n int) {
	if n <= 0 {
		return
	}
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return
	}
	o.bytes -= n
	o.changedLocked()
	o.mu.Unlock()
	o.total.give(n)
}

func (o *outbox) changedLocked() {
	close(o.changed)
	o.changed = make(chan struct{})
}

// pop takes the next message to write; call sent once it is written.
func (o *outbox) pop(ctx context.Context) ([]byte, bool) {
	for {
		o.mu.Lock()
		for p := range o.q {
			if len(o.q[p]) > 0 {
				b := o.q[p][0]
				o.q[p][0] = nil
				o.q[p] = o.q[p][1:]
				o.mu.Unlock()
				return b, true
			}
		}
		o.mu.Unlock()
		select {
		case <-o.wake:
		case <-ctx.Done():
			return nil, false
		}
	}
}

// sent gives back the bytes of a message popped and written (or failed).
func (o *outbox) sent(b []byte) {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return
	}
	o.bytes -= len(b)
	o.pending--
	o.since = o.now()
	o.changedLocked()
	o.mu.Unlock()
	o.total.give(len(b))
}

// stalled reports whether something has waited to be sent for longer than
// d with nothing sent meanwhile: the client is not reading.
func (o *outbox) stalled(d time.Duration) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.pending > 0 && o.now().Sub(o.since) > d
}

// waiting reports whether something waits to be sent.
func (o *outbox) waiting() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.pending > 0
}

// close gives back everything the connection held; nothing is queued
// after it. The writer and every query must have stopped.
func (o *outbox) close() {
	o.mu.Lock()
	n := o.bytes
	o.closed = true
	o.bytes, o.pending = 0, 0
	o.q = [2][][]byte{}
	o.changedLocked()
	o.mu.Unlock()
	o.total.give(n)
}
