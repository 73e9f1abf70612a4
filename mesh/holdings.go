package mesh

import (
	"context"
	"sync"
	"time"

	"github.com/caravan-mesh/caravan/node"
)

// holdings records, for "report status", the ids each peer is seen to
// hold: what passed to or from it (node.Handover). It collects them per
// session and records them in batches: when the session ends, when a
// thousand are waiting, and half a second after the first of a burst.
type holdings struct {
	m    *Service
	mu   sync.Mutex
	open map[batchKey]*batch
	// ending holds, for each session whose batches are being recorded,
	// a channel closed when they are: whoever else ends the session
	// (the session's own goroutine, or syncConn when its sync returns)
	// waits for it, so that what a finished sync saw is recorded when it
	// returns.
	ending map[context.Context]chan struct{}
}

type batchKey struct {
	session context.Context
	peer    string
}

// batch is one session's ids not yet recorded.
type batch struct {
	h     *holdings
	peer  string
	write sync.Mutex // held while ids taken out are written
	mu    sync.Mutex
	ids   []string
	timed bool // a flush is scheduled
}

func newHoldings(m *Service) *holdings {
	return &holdings{m: m, open: map[batchKey]*batch{}, ending: map[context.Context]chan struct{}{}}
}

// handed is the OnHandover listener.
func (h *holdings) handed(ho node.Handover) {
	h.batch(ho.Session, ho.Peer).add(ho.ID)
}

// batch returns the batch of a session with peer, making it. A session
// that never ends (or none) keeps one batch, recorded on its timer.
func (h *holdings) batch(session context.Context, peer string) *batch {
	if session != nil && session.Done() == nil {
		session = nil
	}
	k := batchKey{session, peer}
	h.mu.Lock()
	defer h.mu.Unlock()
	b, ok := h.open[k]
	if !ok {
		b = &batch{h: h, peer: peer}
		h.open[k] = b
		if session != nil {
			go func() {
				<-session.Done()
				h.end(session)
			}()
		}
	}
	return b
}

// end records what the session's peers were seen to hold.
func (h *holdings) end(session context.Context) {
	h.mu.Lock()
	if ch, ok := h.ending[session]; ok {
		h.mu.Unlock()
		<-ch
		return
	}
	ch := make(chan struct{})
	h.ending[session] = ch
	defer func() {
		h.mu.Lock()
		delete(h.ending, session)
		h.mu.Unlock()
		close(ch)
	}()
	var done []*batch
	for k, b := range h.open {
		if k.session == session {
			done = append(done, b)
			delete(h.open, k)
		}
	}
	h.mu.Unlock()
	for _, b := range done {
		b.flush()
	}
}

func (b *batch) add(id string) {
	b.mu.Lock()
	b.ids = append(b.ids, id)
	full := len(b.ids) >= 1000
	if !full && !b.timed {
		// Record soon even if the session lasts: one write for a burst.
		b.timed = true
		time.AfterFunc(500*time.Millisecond, func() {
			b.mu.Lock()
			b.timed = false
			b.mu.Unlock()
			b.flush()
		})
	}
	b.mu.Unlock()
	if full {
		b.flush()
	}
}

func (b *batch) flush() {
	// A flush that finds nothing left waits for one writing what it took.
	b.write.Lock()
	defer b.write.Unlock()
	b.mu.Lock()
	ids := b.ids
	b.ids = nil
	b.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	p := b.h.m.p
	if err := p.Store.AddHoldings(context.Background(), b.peer, ids); err != nil {
		p.Logf("record what %s holds: %v", b.peer, err)
	}
}
