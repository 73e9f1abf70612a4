package relay

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/negentropy"
	"github.com/nbd-wtf/go-nostr"
)

// negSession is the relay side of one NIP-77 reconciliation.
type negSession struct {
	mu    sync.Mutex
	rec   *negentropy.Reconciler // nil while the items load
	items int
	used  time.Time
	done  bool
}

// NegErr sends a NEG-ERR and forgets the session.
func (c *Conn) NegErr(id, reason string) {
	c.dropNeg(id, nil)
	c.out.pushSmall(c.ctx, mustJSON([]any{"NEG-ERR", id, reason}), urgent)
}

func (c *Conn) dropNeg(id string, only *negSession) {
	c.mu.Lock()
	s, ok := c.negs[id]
	if ok && (only == nil || s == only) {
		delete(c.negs, id)
	}
	c.mu.Unlock()
	if ok && (only == nil || s == only) {
		s.release(c.r)
	}
}

func (s *negSession) release(r *Relay) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.done {
		s.done = true
		r.negHeld.Add(-int64(s.items))
	}
}

func (c *Conn) negOpen(m *Message) {
	if !c.reqs.allow(c.r.opts.Now()) {
		c.NegErr(m.SubID, fmt.Sprintf("rate-limited: more than %g requests a second; slow down", c.r.lim.ReqsPerSecond))
		return
	}
	if err := event.CheckFilter(m.Filters[0]); err != nil {
		c.NegErr(m.SubID, event.Reason(err))
		return
	}
	c.dropNeg(m.SubID, nil) // NIP-77: a NEG-OPEN on an open id closes it first
	c.mu.Lock()
	if len(c.negs) >= c.r.lim.NegSessions {
		c.mu.Unlock()
		c.NegErr(m.SubID, fmt.Sprintf("blocked: %d reconciliations are open on this connection, the most allowed", c.r.lim.NegSessions))
		return
	}
	s := &negSession{used: c.r.opts.Now()}
	c.negs[m.SubID] = s
	c.mu.Unlock()

	c.Go(func() {
		set, err := c.negItems(m.Filters[0])
		if err != nil {
			c.dropNeg(m.SubID, s)
			c.out.pushSmall(c.ctx, mustJSON([]any{"NEG-ERR", m.SubID, event.Reason(err)}), urgent)
			return
		}
		s.mu.Lock()
		if s.done { // closed meanwhile
			s.mu.Unlock()
			c.r.negHeld.Add(-int64(set.Size()))
			return
		}
		s.items = set.Size()
		s.rec = negentropy.NewServer(set, c.r.lim.NegFrameBytes)
		s.mu.Unlock()
		c.negReply(m.SubID, s, m.Neg)
	})
}

// negItems loads the relay's set for a filter, within the limits, and
// counts it in negHeld (the caller gives it back when the session ends).
// Sets are listed one at a time, in a slot of their own (so
// reconciliations never hold up REQs). A client that finds the node busy
// listing for another, or holding NegItemsTotal events for others, is told
// "rate-limited:" within QueryTimeout, and may try again.
func (c *Conn) negItems(f nostr.Filter) (*negentropy.Set, error) {
	busy := event.Reject(event.RateLimited, "the node is busy reconciling with other peers; try again in a few seconds")
	if held := c.r.negHeld.Load(); held >= int64(c.r.lim.NegItemsTotal) {
		return nil, busy
	}
	wait, cancel := context.WithTimeout(c.ctx, time.Duration(c.r.lim.QueryTimeout))
	defer cancel()
	select {
	case c.r.negListing <- struct{}{}:
		defer func() { <-c.r.negListing }()
	case <-wait.Done():
		return nil, busy
	}
	took := 2 * time.Duration(c.r.lim.QueryTimeout)
	qctx, cancel := context.WithTimeout(c.ctx, took)
	defer cancel()
	set, err := c.r.b.Items(qctx, f, c.r.lim.NegItems)
	switch {
	case errors.Is(err, event.ErrBusy):
		return nil, busy
	case errors.Is(err, negentropy.ErrTooMany):
		return nil, event.Reject(event.Blocked, "this query covers more than the %d events allowed; narrow the filter", c.r.lim.NegItems)
	case errors.Is(err, context.DeadlineExceeded):
		return nil, event.Reject(event.Error, "listing the events of this filter took longer than %s; narrow the filter", took)
	case err != nil:
		return nil, err
	}
	// Listings are one at a time, so nothing was added since this check.
	if held := c.r.negHeld.Load(); held > 0 && held+int64(set.Size()) > int64(c.r.lim.NegItemsTotal) {
		return nil, busy
	}
	c.r.negHeld.Add(int64(set.Size()))
	return set, nil
}

func (c *Conn) closeIdleNegs(now time.Time) {
	idle := func(s *negSession) bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.rec != nil && !s.done && now.Sub(s.used) > time.Duration(c.r.lim.NegIdle)
	}
	c.mu.Lock()
	dropped := map[string]*negSession{}
	for id, s := range c.negs {
		if idle(s) {
			delete(c.negs, id)
			dropped[id] = s
		}
	}
	c.mu.Unlock()
	for id, s := range dropped {
		s.release(c.r)
		c.out.pushNow(mustJSON([]any{"NEG-ERR", id, "closed: the reconciliation was idle too long; start again"}), urgent)
	}
}

func (c *Conn) negMsg(m *Message) {
	c.mu.Lock()
	s, ok := c.negs[m.SubID]
	c.mu.Unlock()
	if !ok {
		c.NegErr(m.SubID, "closed: no open reconciliation with this id; send NEG-OPEN first")
		return
	}
	s.mu.Lock()
	loading := s.rec == nil
	idle := c.r.opts.Now().Sub(s.used) > time.Duration(c.r.lim.NegIdle)
	s.mu.Unlock()
	switch {
	case loading:
		c.NegErr(m.SubID, "invalid: NEG-MSG sent before the reply to NEG-OPEN")
		return
	case idle:
		c.NegErr(m.SubID, "closed: the reconciliation was idle too long; start again")
		return
	}
	c.negReply(m.SubID, s, m.Neg)
}

func (c *Conn) negReply(id string, s *negSession, msg []byte) {
	s.mu.Lock()
	// Answer in frames about as big as the client's (within limits): a
	// client on a slow link sends small messages and is not flooded back.
	s.rec.SetFrameLimit(min(max(2*len(msg), 8<<10), c.r.lim.NegFrameBytes))
	reply, _, err := s.rec.Reconcile(msg)
	s.used = c.r.opts.Now()
	s.mu.Unlock()
	if err != nil {
		c.NegErr(id, "invalid: "+err.Error())
		return
	}
	// Replies are as big as a frame; like query results they wait for room
	// within the send queue's bounds, but go out ahead of them.
	c.out.pushBulk(c.ctx, mustJSON([]any{"NEG-MSG", id, hex.EncodeToString(reply)}), urgent)
}
