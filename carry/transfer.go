package carry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/nbd-wtf/go-nostr"
)

// Flow control: about a second of the link's rate is in flight each way,
// within these bounds, so a new message never waits behind a backlog.
const (
	minFlight = 8 << 10
	maxFlight = 4 << 20
	maxIDs    = 500 // per REQ; the relay endpoint's default max_limit
)

// pushAll offers the peer the events with these ids, newest first.
func (s *session) pushAll(ctx context.Context, ids []string) error {
	var (
		inflight int
		window   = 64 << 10
		waiting  = map[string]int{} // id -> bytes in flight
		tries    = map[string]int{}
		acked    int64
		since    = time.Now()
		results  = make(chan struct {
			id string
			r  okResult
		}, 1024)
		queue = ids
		raws  = map[string][]byte{}
	)
	var resume time.Time // the peer asked us to slow down: send nothing before
	for len(queue) > 0 || len(waiting) > 0 {
		if wait := time.Until(resume); wait > 0 && len(waiting) == 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		// Send while the window allows.
		for len(queue) > 0 && (len(waiting) == 0 || inflight < window) && !time.Now().Before(resume) {
			id := queue[0]
			raw, ok := raws[id]
			if !ok {
				batch := queue[:min(len(queue), 200)]
				got, err := s.local.Raw(ctx, batch)
				if err != nil {
					return fmt.Errorf("load events to send: %w", err)
				}
				for _, b := range batch {
					raws[b] = got[b]
				}
				raw = raws[id]
			}
			queue = queue[1:]
			delete(raws, id) // loaded again if it must be offered again
			if raw == nil || isDraft(raw) {
				s.done(false, 0, false)
				continue // deleted meanwhile, or never to be shared
			}
			ch := make(chan okResult, 1)
			s.mu.Lock()
			s.oks[id] = ch
			s.mu.Unlock()
			go func(id string) {
				select {
				case r := <-ch:
					select {
					case results <- struct {
						id string
						r  okResult
					}{id, r}:
					case <-ctx.Done():
					}
				case <-ctx.Done():
				}
			}(id)
			msg := make([]byte, 0, len(raw)+12)
			msg = append(append(append(msg, `["EVENT",`...), raw...), ']')
			if err := s.write(ctx, msg); err != nil {
				return err
			}
			waiting[id] = len(msg)
			inflight += len(msg)
		}
		if len(waiting) == 0 {
			continue // the wait for a pause is at the top
		}
		var res struct {
			id string
			r  okResult
		}
		select {
		case res = <-results:
		case <-ctx.Done():
			return ctx.Err()
		}
		size := waiting[res.id]
		delete(waiting, res.id)
		inflight -= size
		limited := !res.r.ok && strings.HasPrefix(res.r.msg, event.RateLimited+":")
		if !limited {
			// The window follows what the peer takes, not what it asks
			// us to send again.
			acked += int64(size)
		}
		if el := time.Since(since).Seconds(); el > 0.2 {
			window = min(max(int(float64(acked)/el), minFlight), maxFlight)
		}
		switch {
		case res.r.ok:
			s.mu.Lock()
			s.pushed[res.id] = true
			s.mu.Unlock()
			s.done(false, 1, false)
			if s.o.Accepted != nil {
				s.o.Accepted(res.id)
			}
		case limited && tries[res.id] < 5:
			// The peer asks us to slow down: pause the whole push (not
			// this event alone: the others in flight were refused too),
			// then offer it again.
			tries[res.id]++
			resume = later(resume, time.Now().Add(time.Duration(tries[res.id])*time.Second))
			queue = append(queue, res.id)
		default:
			s.o.Logf("%s refused %s: %s", s.conn, res.id[:12], res.r.msg)
			s.done(false, 0, true)
		}
	}
	return nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// done counts one event of a transfer as finished.
func (s *session) done(in bool, n int, refused bool) {
	s.mu.Lock()
	if in {
		s.prog.ToReceive--
		s.prog.Received += n
	} else {
		s.prog.ToSend--
		s.prog.Sent += n
		if refused {
			s.prog.Refused++
		}
	}
	s.mu.Unlock()
	s.report(false)
}

// isDraft spots kind-30024 events without decoding the whole event.
func isDraft(raw []byte) bool {
	var k struct {
		Kind int `json:"kind"`
	}
	return json.Unmarshal(raw, &k) == nil && k.Kind == event.KindDraft
}

// pullAll asks the peer for these ids, newest first, in batches sized to
// about a second of transfer (with Serial, to 64 KiB at the average size
// of the events so far, so the batches do not depend on timing).
// Fetching runs ahead of storing by up to two batches, and what has
// arrived is stored in groups of up to 1000 events (one transaction each).
func (s *session) pullAll(ctx context.Context, f nostr.Filter, ids []string) error {
	type fetched struct {
		evs []*nostr.Event
		err error
	}
	batches := make(chan fetched, 2)
	quit := make(chan struct{}) // closed when pullAll returns
	defer close(quit)
	go func() {
		defer close(batches)
		avg, target := 1000.0, float64(64<<10)
		for len(ids) > 0 {
			n := min(max(int(target/avg), 1), maxIDs, len(ids))
			batch := ids[:n]
			ids = ids[n:]
			start := time.Now()
			evs, bytes, err := s.fetch(ctx, f, batch)
			if len(evs) > 0 {
				avg = 0.7*avg + 0.3*float64(bytes)/float64(len(evs))
			}
			if el := time.Since(start).Seconds(); el > 0 && bytes > 0 && !s.o.Serial {
				target = min(max(float64(bytes)/el, minFlight), maxFlight)
			}
			if err == nil {
				for i := len(evs); i < len(batch); i++ {
					s.done(true, 0, false) // gone from the peer meanwhile
				}
			}
			// Delivered even when the session is ending: what arrived is
			// stored, and the error says why it ended.
			select {
			case batches <- fetched{evs, err}:
			case <-quit:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	for b := range batches {
		group := b.evs
		failed := b.err
	more:
		for failed == nil && len(group) < 1000 {
			select {
			case nb, ok := <-batches:
				if !ok {
					break more
				}
				group = append(group, nb.evs...)
				failed = nb.err
			default:
				break more
			}
		}
		// What arrived whole is stored even when the link failed, so the
		// next session does not ask for it again.
		if err := s.store(ctx, group, true); err != nil {
			return err
		}
		if failed != nil {
			return failed
		}
	}
	return nil
}

// fetch requests events by id and checks that what comes back is what was
// asked for.
func (s *session) fetch(ctx context.Context, f nostr.Filter, ids []string) ([]*nostr.Event, int, error) {
	sub, ch, done := s.register(s.reqs, s.newID("get"), 64)
	defer done()
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	asked := maps.Clone(want)
	if err := s.send(ctx, []any{"REQ", sub, nostr.Filter{IDs: ids}}); err != nil {
		return nil, 0, err
	}
	var (
		evs   []*nostr.Event
		bytes int
	)
	for {
		var in inbound
		select {
		case in = <-ch:
		case <-ctx.Done():
			// What the read loop passed on before the link failed is
			// waiting in ch: take it, so that every event that arrived
			// whole is stored, whichever case select happened to pick.
			select {
			case in = <-ch:
			default:
				return evs, bytes, ctx.Err()
			}
		}
		switch in.label {
		case "EOSE":
			s.send(ctx, []any{"CLOSE", sub})
			return evs, bytes, nil
		case "CLOSED":
			return evs, bytes, fmt.Errorf("the peer refused to send events: %s", str(in.parts, 2))
		}
		ev, err := s.decode(in, f)
		if err != nil {
			return evs, bytes, err
		}
		if !want[ev.ID] {
			if asked[ev.ID] {
				// Sent twice: a relay may find an event both in its
				// store and as it arrives, when it comes in during the
				// query. The copy is harmless.
				continue
			}
			return evs, bytes, peerErr("sent event %s, which was not asked for", ev.ID)
		}
		delete(want, ev.ID)
		bytes += len(in.parts[2])
		evs = append(evs, ev)
	}
}

// decode reads an EVENT message and checks it against the filter.
func (s *session) decode(in inbound, f nostr.Filter) (*nostr.Event, error) {
	if len(in.parts) != 3 {
		return nil, peerErr("sent an EVENT message with %d elements", len(in.parts))
	}
	ev, err := event.DecodeEvent(in.parts[2])
	if err != nil {
		return nil, peerErr("sent an unreadable event: %v", err)
	}
	g := f
	g.Limit, g.LimitZero = 0, false
	if !g.Matches(ev) {
		return nil, peerErr("sent event %s, which does not match what was asked for", ev.ID)
	}
	return ev, nil
}

// store ingests events from the peer. An event that fails validation means
// the peer is broken or hostile, and ends the session.
func (s *session) store(ctx context.Context, evs []*nostr.Event, counted bool) error {
	if len(evs) == 0 {
		return nil
	}
	// Marked first: storing them wakes the live pusher, which must not
	// offer them back.
	s.mu.Lock()
	for _, ev := range evs {
		s.fromPeer[ev.ID] = true
	}
	s.mu.Unlock()
	// Whatever arrived whole is stored even if the link has just failed.
	errs := s.local.Ingest(context.WithoutCancel(ctx), evs...)
	// Every event stored is counted, even after one that ends the
	// session: the others of the batch were stored all the same. One that
	// could not be stored is still to receive.
	var fatal error
	for i, err := range errs {
		ev := evs[i]
		held := errors.Is(err, ErrHeld)
		if held {
			err = nil
		}
		var rej *event.Rejection
		switch {
		case err == nil:
		case errors.Is(err, event.ErrFuture) || errors.Is(err, event.ErrExpired):
			// Sound but for this node's clock (or the author's): not the
			// peer's fault, and no reason to drop what else it sends.
			s.o.Logf("not keeping %s from %s: %v", ev.ID[:12], s.conn, err)
		case errors.As(err, &rej) && rej.Prefix == event.Invalid:
			if fatal == nil {
				fatal = peerErr("sent an invalid event %s: %v", ev.ID, err)
			}
			continue
		case !errors.As(err, &rej) || rej.Prefix == event.Error:
			// This node cannot store (a full disk): pulling more would
			// only waste the link. The next session continues.
			if fatal == nil {
				fatal = fmt.Errorf("storing what the peer sent: %w", err)
			}
			continue
		default:
			if errors.Is(err, ErrNoRoom) && s.o.Refusals != nil {
				s.o.Refusals.add(ev, s.o.Now())
			}
			s.o.Logf("not keeping %s from %s: %v", ev.ID[:12], s.conn, err)
		}
		if counted {
			n := 1
			if err != nil || held {
				n = 0
			}
			s.done(true, n, false)
		} else if err == nil && !held {
			s.mu.Lock()
			s.prog.Received++
			s.mu.Unlock()
		}
	}
	return fatal
}

// pushLive offers the peer each new local event as it appears.
func (s *session) pushLive(ctx context.Context, live <-chan *nostr.Event) {
	for {
		var ev *nostr.Event
		select {
		case ev = <-live:
		case <-ctx.Done():
			return
		}
		s.mu.Lock()
		skip := s.fromPeer[ev.ID] || s.pushed[ev.ID] || s.prog.Phase == "connecting"
		s.mu.Unlock()
		if skip || ev.Kind == event.KindDraft || !s.wantsPush(ev) {
			continue
		}
		raw, err := ev.MarshalJSON()
		if err != nil {
			continue
		}
		ch := make(chan okResult, 1)
		s.mu.Lock()
		s.oks[ev.ID] = ch
		s.pushed[ev.ID] = true
		s.mu.Unlock()
		msg := append(append([]byte(`["EVENT",`), raw...), ']')
		if err := s.write(ctx, msg); err != nil {
			return
		}
		s.counting.Go(func() {
			id := ev.ID
			select {
			case r := <-ch:
				s.mu.Lock()
				if r.ok {
					s.prog.Sent++
					if s.o.Accepted != nil {
						defer s.o.Accepted(id)
					}
				} else {
					s.prog.Refused++
					delete(s.pushed, id)
				}
				s.mu.Unlock()
			case <-ctx.Done():
			}
		})
	}
}

func (s *session) wantsPush(ev *nostr.Event) bool {
	for _, w := range s.o.Wants {
		g := w.Filter
		g.Since, g.Until, g.Limit = nil, nil, 0
		if w.Push && g.Matches(ev) {
			return true
		}
	}
	return false
}

// liveSubscription keeps a subscription open for new events from the peer
// for as long as the session lasts.
func (s *session) liveSubscription(ctx context.Context) error {
	// "limit": 0 asks only for new arrivals, whatever their created_at: an
	// event written days ago that reaches the peer now is news here too.
	var filters []nostr.Filter
	for _, w := range s.o.Wants {
		if w.Pull {
			f := w.Filter
			f.Since, f.Until = nil, nil
			f.Limit, f.LimitZero = 0, true
			filters = append(filters, f)
		}
	}
	if len(filters) == 0 {
		<-ctx.Done()
		return ctx.Err()
	}
	_, ch, done := s.register(s.reqs, "live", 64)
	defer done()
	msg := []any{"REQ", "live"}
	for _, f := range filters {
		msg = append(msg, f)
	}
	if err := s.send(ctx, msg); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case in := <-ch:
			switch in.label {
			case "EOSE":
				continue
			case "CLOSED":
				return fmt.Errorf("the peer closed the live subscription: %s", str(in.parts, 2))
			}
			ev, err := s.decodeAny(in, filters)
			if err != nil {
				return err
			}
			if err := s.store(ctx, []*nostr.Event{ev}, false); err != nil {
				return err
			}
		}
	}
}

func (s *session) decodeAny(in inbound, filters []nostr.Filter) (*nostr.Event, error) {
	var last error
	for _, f := range filters {
		ev, err := s.decode(in, f)
		if err == nil {
			return ev, nil
		}
		last = err
	}
	return nil, last
}
