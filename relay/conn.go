package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/link"
	"github.com/nbd-wtf/go-nostr"
)

// Conn is one client connection.
type Conn struct {
	r      *Relay
	link   link.Conn
	ip     string
	ctx    context.Context
	cancel context.CancelFunc
	out    *outbox
	events *bucket
	peer   *bucket // shared by all connections from the same address; nil if none
	reqs   *bucket
	slots  chan struct{} // requests in progress
	wg     sync.WaitGroup

	// NIP-42 (auth.go): the challenge sent ("" for links served with
	// ServeConn), the request's Host, and the keys authenticated
	// (written under authMu, read without a lock).
	challenge string
	host      string
	addr      string
	exempt    bool
	authMu    sync.Mutex
	authed    atomic.Pointer[[]string]

	mu   sync.Mutex
	subs map[string]*subscription
	negs map[string]*negSession
	// missed lists the new events that found no room in the send queue,
	// to be sent from the store once there is (see deliver); catching
	// says a goroutine is doing so.
	missed   []missedEvent
	catching bool
	// Values holds per-connection state for extension handlers.
	Values sync.Map
}

type subscription struct {
	id      string
	filters nostr.Filters
	ctx     context.Context
	cancel  context.CancelFunc
	// lost says more new events were missed than the connection may
	// list; the subscription is closed once those listed are sent.
	lost bool
}

type missedEvent struct {
	sub *subscription
	id  string
}

// maxMissed bounds the new events one connection may have listed as
// missed: one for each KiB of its outbox (8,192 by default), each taking
// about 24 bytes (the id is the event's own string). Past it, the
// subscriptions that miss more are closed.
func (c *Conn) maxMissed() int { return max(c.r.lim.OutboxBytes>>10, 1) }

// client describes a connection's client.
type client struct {
	ip     string
	addr   string // see addressOf
	exempt bool
	host   string // the Host the client asked for; "" for stream links
	peer   *bucket
}

func newConn(r *Relay, l link.Conn, cl client) *Conn {
	ctx, cancel := context.WithCancel(context.Background())
	now := r.opts.Now()
	c := &Conn{
		r: r, link: l, ip: cl.ip, cancel: cancel,
		out:    newOutbox(r.lim.OutboxBytes, r.sending, r.opts.Now),
		events: newBucket(r.lim.EventsPerSecond, now),
		peer:   cl.peer,
		reqs:   newBucket(r.lim.ReqsPerSecond, now),
		slots:  make(chan struct{}, r.lim.InFlight),
		subs:   map[string]*subscription{},
		negs:   map[string]*negSession{},
		host:   cl.host, addr: cl.addr, exempt: cl.exempt,
	}
	if cl.host != "" {
		c.challenge = newChallenge()
	}
	c.ctx = context.WithValue(ctx, connKey{}, c)
	return c
}

// Context is cancelled when the connection ends.
func (c *Conn) Context() context.Context { return c.ctx }

// RemoteIP is the client's address.
func (c *Conn) RemoteIP() string { return c.ip }

func (c *Conn) run() {
	defer c.cancel()
	if c.challenge != "" {
		c.out.pushSmall(c.ctx, authMessage(c.challenge), urgent)
	}
	go c.writeLoop()
	if p, ok := c.link.(link.Pinger); ok {
		go c.pingLoop(p)
	}
	for {
		msg, err := c.link.Read(c.ctx)
		if err != nil {
			if !errors.Is(err, link.ErrTooBig) {
				break
			}
			c.Notice(fmt.Sprintf("invalid: message larger than %d bytes (NIP-11 max_message_length); it was ignored", c.r.lim.MaxMessageBytes))
			continue
		}
		c.handle(msg)
	}
	c.cancel()
	// From here on nothing is queued, and what was held for this
	// client counts no more against the relay's total.
	c.out.close()
	c.mu.Lock() // no goroutine starts after this (see catchUp)
	for id, s := range c.subs {
		s.cancel()
		delete(c.subs, id)
	}
	negs := c.negs
	c.negs = map[string]*negSession{}
	c.missed = nil
	c.mu.Unlock()
	for _, s := range negs {
		s.release(c.r) // their sets no longer count against NegItemsTotal
	}
	c.wg.Wait()
	c.link.Close("")
}

func (c *Conn) handle(b []byte) {
	m, err := ParseMessage(b, c.r.lim.MaxFilters)
	if err != nil {
		var pe *ParseError
		errors.As(err, &pe)
		switch {
		case pe.Label == "EVENT" && pe.EventID != "":
			c.OK(pe.EventID, false, pe.Error())
		case (pe.Label == "REQ" || pe.Label == "COUNT") && pe.SubID != "":
			c.Closed(pe.SubID, pe.Error())
		case strings.HasPrefix(pe.Label, "NEG-") && pe.SubID != "":
			c.NegErr(pe.SubID, pe.Error())
		default:
			c.Notice(pe.Error())
		}
		return
	}
	switch m.Label {
	case "EVENT":
		c.handleEvent(m.Event)
	case "REQ":
		c.handleReq(m.SubID, m.Filters)
	case "CLOSE":
		c.mu.Lock()
		if s, ok := c.subs[m.SubID]; ok {
			s.cancel()
			delete(c.subs, m.SubID)
		}
		c.mu.Unlock()
	case "COUNT":
		c.Closed(m.SubID, "unsupported: COUNT (NIP-45) is not supported by this node")
	case "NEG-OPEN":
		c.negOpen(m)
	case "NEG-MSG":
		c.negMsg(m)
	case "NEG-CLOSE":
		c.dropNeg(m.SubID, nil)
	case "AUTH":
		c.handleAuth(m)
	default:
		if h, ok := c.r.opts.Handlers[m.Label]; ok {
			h(c, m)
			return
		}
		c.Notice(fmt.Sprintf("invalid: unknown message type %q; this node speaks EVENT, REQ and CLOSE (NIP-01)", event.Clip(m.Label)))
	}
}

// Go runs f as one of the connection's in-flight requests: it waits for a
// free slot (so a client flooding requests slows only itself) and is
// waited for when the connection ends.
func (c *Conn) Go(f func()) { c.tryGo(f) }

// tryGo is Go, reporting whether f was started: not when the connection
// ended first.
func (c *Conn) tryGo(f func()) bool {
	select {
	case c.slots <- struct{}{}:
	case <-c.ctx.Done():
		return false
	}
	c.wg.Add(1)
	go func() {
		defer func() { <-c.slots; c.wg.Done() }()
		f()
	}()
	return true
}

func (c *Conn) handleEvent(ev *nostr.Event) {
	if ev.Kind == event.KindAuth {
		// NIP-42: never stored nor passed on to anyone.
		c.OK(ev.ID, false, fmt.Sprintf("invalid: kind %d is for AUTH messages (NIP-42), never published", event.KindAuth))
		return
	}
	now := c.r.opts.Now()
	if !c.events.allow(now) {
		c.OK(ev.ID, false, fmt.Sprintf("rate-limited: more than %g events a second; slow down", c.r.lim.EventsPerSecond))
		return
	}
	if c.peer != nil && !c.peer.allow(now) {
		c.OK(ev.ID, false, fmt.Sprintf("rate-limited: more than %g events a second from your address; slow down", c.r.lim.EventsPerSecondPerIP))
		return
	}
	// An event that was read is stored even if the connection ends
	// meanwhile (run waits for it; a write that failed ends it before the
	// last messages read are handled): a client cut off right after
	// sending must not find its last events kept or lost by chance.
	accept := func() {
		ok, msg := c.r.b.Accept(context.WithoutCancel(c.ctx), ev)
		c.OK(ev.ID, ok, msg)
	}
	if !c.tryGo(accept) {
		accept()
	}
}

func (c *Conn) handleReq(id string, filters []nostr.Filter) {
	if !c.reqs.allow(c.r.opts.Now()) {
		c.Closed(id, fmt.Sprintf("rate-limited: more than %g subscriptions a second; slow down", c.r.lim.ReqsPerSecond))
		return
	}
	for i, f := range filters {
		if err := event.CheckFilter(f); err != nil {
			c.Closed(id, fmt.Sprintf("%s (filter %d)", event.Reason(err), i+1))
			return
		}
	}
	cs, err := c.plan(filters)
	if err != nil {
		c.Closed(id, event.Reason(err))
		return
	}
	c.mu.Lock()
	old, replacing := c.subs[id]
	if !replacing && len(c.subs) >= c.r.lim.MaxSubscriptions {
		c.mu.Unlock()
		c.Closed(id, fmt.Sprintf("rate-limited: %d subscriptions are open on this connection, the most allowed; CLOSE one first", len(c.subs)))
		return
	}
	if replacing {
		old.cancel()
	}
	ctx, cancel := context.WithCancel(c.ctx)
	// Registered before the query runs, so no event stored meanwhile is
	// missed (it may arrive twice; clients deduplicate by id).
	sub := &subscription{id: id, filters: filters, ctx: ctx, cancel: cancel}
	c.subs[id] = sub
	c.mu.Unlock()

	served := c.r.opts.Served != nil && len(filters) == 1 && len(filters[0].IDs) > 0
	c.Go(func() {
		err := c.sendStored(ctx, id, cs, served)
		if ctx.Err() != nil {
			return // closed or replaced meanwhile
		}
		if err != nil {
			c.mu.Lock()
			if c.subs[id] == sub {
				delete(c.subs, id)
			}
			c.mu.Unlock()
			cancel()
			c.out.pushSmall(c.ctx, mustJSON([]any{"CLOSED", id, event.Reason(err)}), urgent)
			return
		}
		c.out.pushSmall(ctx, mustJSON([]any{"EOSE", id}), bulk)
	})
}

// deliver sends a live event to the subscriptions it matches. It never
// blocks. An event that finds no room in the send queue (the client reads
// slower than events come, or is catching up with a large answer) is
// listed, and sent from the store once there is room; a client that reads
// nothing at all is disconnected after StallTimeout (see Relay.sweep).
func (c *Conn) deliver(ev *nostr.Event, raw []byte) {
	c.mu.Lock()
	var subs []*subscription
	for _, s := range c.subs {
		if !s.lost && c.sees(ev, s.filters) {
			subs = append(subs, s)
		}
	}
	c.mu.Unlock()
	for _, s := range subs {
		if c.out.pushLive(s.id, raw) {
			continue
		}
		c.mu.Lock()
		if c.ctx.Err() == nil {
			if len(c.missed) < c.maxMissed() {
				c.missed = append(c.missed, missedEvent{sub: s, id: ev.ID})
			} else if !s.lost {
				s.lost = true
				c.r.opts.Logf("relay: %s missed more than %d new events; closing its subscription %q", c.ip, c.maxMissed(), event.Clip(s.id))
			}
			if !c.catching {
				c.catching = true
				c.wg.Add(1)
				go c.catchUp()
			}
		}
		c.mu.Unlock()
	}
}

// catchUp sends the missed events from the store, as room allows, then
// closes the subscriptions that missed more than could be listed.
func (c *Conn) catchUp() {
	defer c.wg.Done()
	for {
		c.mu.Lock()
		batch := c.missed[:min(len(c.missed), pageEvents)]
		c.missed = append([]missedEvent(nil), c.missed[len(batch):]...)
		if len(batch) == 0 {
			c.catching = false
			var lost []*subscription
			for id, s := range c.subs {
				if s.lost {
					lost = append(lost, s)
					delete(c.subs, id)
					s.cancel()
				}
			}
			c.mu.Unlock()
			// Behind the events sent for it, like an EOSE.
			for _, s := range lost {
				c.out.pushSmall(c.ctx, mustJSON([]any{"CLOSED", s.id, fmt.Sprintf(
					"error: more than %d new events waited while this connection was slow to read; subscribe again", c.maxMissed())}), bulk)
			}
			return
		}
		c.mu.Unlock()
		// In the order they came, a subscription at a time.
		var order []*subscription
		ids := map[*subscription][]string{}
		for _, m := range batch {
			if ids[m.sub] == nil {
				order = append(order, m.sub)
			}
			ids[m.sub] = append(ids[m.sub], m.id)
		}
		for _, s := range order {
			f := nostr.Filter{IDs: ids[s]}
			if err := c.sendStored(s.ctx, s.id, c.cursors([]nostr.Filter{f}), false); err != nil && s.ctx.Err() == nil {
				c.r.opts.Logf("relay: sending missed events to %s: %v", c.ip, err)
			}
		}
	}
}

// OK sends an OK message.
func (c *Conn) OK(id string, ok bool, msg string) {
	c.out.pushSmall(c.ctx, mustJSON([]any{"OK", id, ok, msg}), urgent)
}

// Closed sends a CLOSED message and forgets the subscription.
func (c *Conn) Closed(id, msg string) {
	c.mu.Lock()
	if s, ok := c.subs[id]; ok {
		s.cancel()
		delete(c.subs, id)
	}
	c.mu.Unlock()
	c.out.pushSmall(c.ctx, mustJSON([]any{"CLOSED", id, msg}), urgent)
}

// Notice sends a NOTICE message.
func (c *Conn) Notice(msg string) { c.out.pushSmall(c.ctx, mustJSON([]any{"NOTICE", msg}), urgent) }

// Send queues a short JSON message (an answer), waiting for room in the
// send queue.
func (c *Conn) Send(v any) { c.out.pushSmall(c.ctx, mustJSON(v), urgent) }

// SendBulk sends a message behind everything urgent (new events, answers):
// large transfers that must not delay them. It waits for room within the
// connection's and the relay's bounds (Limits.OutboxBytes and
// OutboxBytesTotal).
func (c *Conn) SendBulk(v any) { c.out.pushBulk(c.ctx, mustJSON(v), bulk) }

func (c *Conn) close(reason string) {
	c.cancel()
	go c.link.Close(reason)
}

func (c *Conn) writeLoop() {
	for {
		b, ok := c.out.pop(c.ctx)
		if !ok {
			return
		}
		// No time limit here: a client that reads slowly is let be, and
		// one that reads nothing is found by the sweep (StallTimeout).
		err := c.link.Write(c.ctx, b)
		c.out.sent(b)
		if err != nil {
			c.cancel()
			return
		}
	}
}

// pingLoop checks that an idle client is still there. A ping that is not
// answered in time ends the connection only if nothing waits to be sent:
// behind a backlog the answer comes late, and a client that reads slowly
// is judged by StallTimeout instead.
func (c *Conn) pingLoop(p link.Pinger) {
	every := time.Duration(c.r.lim.PingInterval)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(c.ctx, every)
			err := p.Ping(ctx)
			cancel()
			if err != nil && !c.out.waiting() {
				c.cancel()
				return
			}
		}
	}
}

func eventMessage(subID string, raw []byte) []byte {
	id, _ := json.Marshal(subID)
	b := make([]byte, 0, len(raw)+len(id)+len(`["EVENT",,]`))
	b = append(b, `["EVENT",`...)
	b = append(b, id...)
	b = append(b, ',')
	b = append(b, raw...)
	return append(b, ']')
}

// eventMessageSize is len(eventMessage(subID, raw)).
func eventMessageSize(subID string, raw []byte) int {
	id, _ := json.Marshal(subID)
	return len(raw) + len(id) + len(`["EVENT",,]`)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
