package sim

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"sync"
	"sync/atomic"

	netlink "github.com/caravan-mesh/caravan/link"
)

// A contact's link is a pair of in-memory link.Conns. It carries events
// until the contact's capacity (its length times its bandwidth) is used,
// then closes, as two phones walking apart drop their connection.
//
// Only EVENT messages are charged against the capacity: the events, and
// the attachment each may stand for (a photo or a file, which the
// simulator does not materialise). Reconciliation, requests and
// acknowledgements are counted (Overhead) but not charged, so that where a
// session is cut depends only on the order events are sent in, which
// carry's serial mode fixes, and not on the timing of the goroutines on
// both sides. The overhead is reported beside the bytes.

// errOutOfRange ends a session whose contact's capacity is used up.
var errOutOfRange = errors.New("out of range: the contact ended")

// meter is shared by the two ends of one contact's link.
type meter struct {
	capacity int64
	extra    func(id string) int64 // attachment bytes an event stands for

	mu       sync.Mutex
	used     int64            // charged bytes (events and their attachments)
	overhead atomic.Int64     // everything else
	offsets  map[string]int64 // event id -> charged bytes when it crossed
	cut      bool
}

func newMeter(capacity int64, extra func(string) int64) *meter {
	return &meter{capacity: capacity, extra: extra, offsets: map[string]int64{}}
}

var eventPrefix = []byte(`["EVENT",`)

// charge accounts for one message, and says whether it fits.
func (m *meter) charge(msg []byte) bool {
	if !bytes.HasPrefix(msg, eventPrefix) {
		m.overhead.Add(int64(len(msg)))
		return true
	}
	id := eventID(msg)
	cost := int64(len(msg))
	if id != "" && m.extra != nil {
		cost += m.extra(id)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cut || m.used+cost > m.capacity {
		m.cut = true
		return false
	}
	m.used += cost
	if id != "" {
		m.offsets[id] = m.used
	}
	return true
}

// offset is how many charged bytes had crossed when event id had.
func (m *meter) offset(id string) (int64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.offsets[id]
	return o, ok
}

func (m *meter) charged() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.used
}

var idKey = []byte(`"id":"`)

// eventID finds the event's id in an EVENT message without decoding it.
func eventID(msg []byte) string {
	i := bytes.Index(msg, idKey)
	if i < 0 || len(msg) < i+len(idKey)+64 {
		return ""
	}
	id := msg[i+len(idKey) : i+len(idKey)+64]
	if _, err := hex.Decode(make([]byte, 32), id); err != nil {
		return ""
	}
	return string(id)
}

// queue is one direction of a link. After close, what was written before
// stays readable, as on a TCP connection after FIN.
type queue struct {
	mu     sync.Mutex
	msgs   [][]byte
	closed bool
	ready  chan struct{} // signalled when msgs grows or the queue closes
}

func newQueue() *queue { return &queue{ready: make(chan struct{}, 1)} }

func (q *queue) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

func (q *queue) push(b []byte) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.msgs = append(q.msgs, b)
	q.signal()
	return true
}

func (q *queue) isClosed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

func (q *queue) pop(ctx context.Context) ([]byte, error) {
	for {
		q.mu.Lock()
		if len(q.msgs) > 0 {
			b := q.msgs[0]
			q.msgs[0] = nil
			q.msgs = q.msgs[1:]
			if len(q.msgs) > 0 {
				q.signal() // more to read: keep the next reader awake
			}
			q.mu.Unlock()
			return b, nil
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return nil, errOutOfRange
		}
		select {
		case <-q.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// memConn is one end of a contact's link.
type memConn struct {
	name    string
	in, out *queue
	m       *meter
	nin     atomic.Int64
	nout    atomic.Int64
}

// pipe makes the two ends of a link with the given capacity; a is named
// after b's node and b after a's.
func pipe(aName, bName string, m *meter) (a, b *memConn) {
	ab, ba := newQueue(), newQueue()
	a = &memConn{name: bName, in: ba, out: ab, m: m}
	b = &memConn{name: aName, in: ab, out: ba, m: m}
	return a, b
}

func (c *memConn) Read(ctx context.Context) ([]byte, error) {
	b, err := c.in.pop(ctx)
	if err == nil {
		c.nin.Add(int64(len(b)))
	}
	return b, err
}

func (c *memConn) Write(ctx context.Context, msg []byte) error {
	if c.out.isClosed() {
		return errOutOfRange
	}
	if !c.m.charge(msg) {
		c.Close("out of range")
		return errOutOfRange
	}
	// The reader owns what it reads: copy, as a socket would.
	if !c.out.push(bytes.Clone(msg)) {
		return errOutOfRange
	}
	c.nout.Add(int64(len(msg)))
	return nil
}

// Close ends both directions; what was already written can still be read.
func (c *memConn) Close(string) error {
	c.in.close()
	c.out.close()
	return nil
}

func (c *memConn) Stats() netlink.Stats { return netlink.Stats{In: c.nin.Load(), Out: c.nout.Load()} }

func (c *memConn) String() string { return c.name }
