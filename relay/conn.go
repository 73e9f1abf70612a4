package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
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

	mu   sync.Mutex
	subs map[string]*subscription
	negs map[string]*negSession
	// Values holds per-connection state for extension handlers.
	Values sync.Map
}

type subscription struct {
	filters nostr.Filters
	cancel  context.CancelFunc
}

func newConn(r *Relay, l link.Conn, ip string) *Conn {
	ctx, cancel := context.WithCancel(context.Background())
	now := r.opts.Now()
	return &Conn{
		r: r, link: l, ip: ip, ctx: ctx, cancel: cancel,
		out:    newOutbox(r.lim.OutboxBytes),
		events: newBucket(r.lim.EventsPerSecond, now),
		peer:   r.shared(ip),
		reqs:   newBucket(r.lim.ReqsPerSecond, now),
		slots:  make(chan struct{}, r.lim.InFlight),
		subs:   map[string]*subscription{},
		negs:   map[string]*negSession{},
	}
}

// Context is cancelled when the connection ends.
func (c *Conn) Context() context.Context { return c.ctx }

// RemoteIP is the client's address.
func (c *Conn) RemoteIP() string { return c.ip }

func (c *Conn) run() {
	defer c.cancel()
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
	c.mu.Lock()
	for id, s := range c.subs {
		s.cancel()
		delete(c.subs, id)
	}
	negs := c.negs
	c.negs = map[string]*negSession{}
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
		c.Notice("unsupported: this node does not use AUTH (NIP-42); no authentication is needed")
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
	sub := &subscription{filters: filters, cancel: cancel}
	c.subs[id] = sub
	c.mu.Unlock()

	c.Go(func() {
		raws, err := c.query(ctx, filters)
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
			c.out.pushWait(c.ctx, mustJSON([]any{"CLOSED", id, event.Reason(err)}), urgent)
			return
		}
		byID := c.r.opts.Served != nil && len(filters) == 1 && len(filters[0].IDs) > 0
		for _, raw := range raws {
			if !c.out.pushWait(ctx, eventMessage(id, raw.JSON), bulk) {
				return
			}
			if byID {
				c.r.opts.Served(c, raw.ID)
			}
		}
		c.out.pushWait(ctx, mustJSON([]any{"EOSE", id}), bulk)
	})
}

// query answers a REQ's filters from the store, merged and deduplicated.
func (c *Conn) query(ctx context.Context, filters []nostr.Filter) ([]event.Raw, error) {
	qctx, cancel := context.WithTimeout(ctx, time.Duration(c.r.lim.QueryTimeout))
	defer cancel()
	select {
	case c.r.queries <- struct{}{}:
		defer func() { <-c.r.queries }()
	case <-qctx.Done():
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, event.Reject(event.RateLimited, "the node is busy answering other queries; try again shortly")
	}
	seen := map[string]bool{}
	var all []event.Raw
	for _, f := range filters {
		raws, err := c.r.b.Query(qctx, f, c.r.lim.MaxLimit)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return nil, event.Reject(event.Error, "query took longer than %s; narrow the filter", time.Duration(c.r.lim.QueryTimeout))
			}
			return nil, err
		}
		for _, r := range raws {
			if !seen[r.ID] {
				seen[r.ID] = true
				all = append(all, r)
			}
		}
	}
	if len(filters) > 1 {
		event.SortRaw(all)
	}
	return all, nil
}

// deliver sends a live event to the subscriptions it matches. It never
// blocks: a client whose send queue is full is disconnected.
func (c *Conn) deliver(ev *nostr.Event, raw []byte) {
	c.mu.Lock()
	var ids []string
	for id, s := range c.subs {
		if s.filters.Match(ev) {
			ids = append(ids, id)
		}
	}
	c.mu.Unlock()
	for _, id := range ids {
		if !c.out.push(eventMessage(id, raw), urgent) {
			c.r.opts.Logf("relay: disconnecting %s: send queue full (client too slow)", c.ip)
			c.close("too slow: send queue full")
			return
		}
	}
}

// OK sends an OK message.
func (c *Conn) OK(id string, ok bool, msg string) {
	c.out.pushWait(c.ctx, mustJSON([]any{"OK", id, ok, msg}), urgent)
}

// Closed sends a CLOSED message and forgets the subscription.
func (c *Conn) Closed(id, msg string) {
	c.mu.Lock()
	if s, ok := c.subs[id]; ok {
		s.cancel()
		delete(c.subs, id)
	}
	c.mu.Unlock()
	c.out.pushWait(c.ctx, mustJSON([]any{"CLOSED", id, msg}), urgent)
}

// Notice sends a NOTICE message.
func (c *Conn) Notice(msg string) { c.out.pushWait(c.ctx, mustJSON([]any{"NOTICE", msg}), urgent) }

// Send queues any JSON message, waiting for room in the send queue.
func (c *Conn) Send(v any) { c.out.pushWait(c.ctx, mustJSON(v), urgent) }

// SendBulk sends a message behind everything urgent (new events, answers):
// large transfers that must not delay them.
func (c *Conn) SendBulk(v any) { c.out.pushWait(c.ctx, mustJSON(v), bulk) }

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
		ctx, cancel := context.WithTimeout(c.ctx, time.Duration(c.r.lim.WriteTimeout))
		err := c.link.Write(ctx, b)
		cancel()
		if err != nil {
			c.cancel()
			return
		}
	}
}

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
			if err != nil {
				c.cancel()
				return
			}
		}
	}
}

func eventMessage(subID string, raw []byte) []byte {
	id, _ := json.Marshal(subID)
	b := make([]byte, 0, len(raw)+len(id)+12)
	b = append(b, `["EVENT",`...)
	b = append(b, id...)
	b = append(b, ',')
	b = append(b, raw...)
	return append(b, ']')
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// Priorities of the send queue: answers, notices and live events go out
// before stored events answering a REQ, so that on a slow link a new
// message is not stuck behind a backlog.
const (
	urgent = 0
	bulk   = 1
)

// outbox is a connection's send queue, bounded in bytes, with two
// priorities.
type outbox struct {
	mu    sync.Mutex
	q     [2][][]byte
	bytes int
	max   int
	wake  chan struct{} // something to send
	space chan struct{} // something was sent
}

func newOutbox(max int) *outbox {
	return &outbox{max: max, wake: make(chan struct{}, 1), space: make(chan struct{}, 1)}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// push queues b if there is room, without waiting.
func (o *outbox) push(b []byte, prio int) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.bytes > 0 && o.bytes+len(b) > o.max {
		return false
	}
	o.q[prio] = append(o.q[prio], b)
	o.bytes += len(b)
	signal(o.wake)
	return true
}

// pushWait queues b, waiting for room until ctx ends.
func (o *outbox) pushWait(ctx context.Context, b []byte, prio int) bool {
	for {
		if o.push(b, prio) {
			return true
		}
		select {
		case <-o.space:
		case <-ctx.Done():
			return false
		}
	}
}

func (o *outbox) pop(ctx context.Context) ([]byte, bool) {
	for {
		o.mu.Lock()
		for p := range o.q {
			if len(o.q[p]) > 0 {
				b := o.q[p][0]
				o.q[p][0] = nil
				o.q[p] = o.q[p][1:]
				o.bytes -= len(b)
				o.mu.Unlock()
				signal(o.space)
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
