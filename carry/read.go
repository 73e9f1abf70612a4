package carry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/caravan-mesh/caravan/link"
	"github.com/tidwall/gjson"
)

// readLoop reads the peer's messages and hands each to whoever waits for it.
func (s *session) readLoop(ctx context.Context) error {
	for {
		b, err := s.conn.Read(ctx)
		if errors.Is(err, link.ErrTooBig) {
			s.o.Logf("%s: skipped a message over the size limit", s.conn)
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("link to %s: %w", s.conn, err)
		}
		now := time.Now()
		s.mu.Lock()
		s.lastRead = now
		s.mu.Unlock()
		s.rates.received(len(b))
		// gjson splits the array without decoding the event inside, which
		// is decoded once, later (this loop carries every pulled event).
		if !gjson.ValidBytes(b) || b[0] != '[' {
			return peerErr("sent something that is not a JSON array: %q", clip(string(b)))
		}
		arr := gjson.ParseBytes(b).Array()
		if len(arr) == 0 {
			return peerErr("sent an empty array")
		}
		parts := make([]json.RawMessage, len(arr))
		for i, r := range arr {
			parts[i] = json.RawMessage(r.Raw)
		}
		label := str(parts, 0)
		in := inbound{label: label, parts: parts}
		switch label {
		case "NEG-MSG", "NEG-ERR":
			s.deliver(ctx, s.negs, str(parts, 1), in, false)
		case "EVENT", "EOSE", "CLOSED":
			s.deliver(ctx, s.reqs, str(parts, 1), in, true)
		case "OK":
			s.handleOK(parts)
		case "BLOBS", "BLOB", "BLOB-ERR", "BLOB-OK":
			s.deliver(ctx, s.blobs, str(parts, 1), in, false)
		case "NOTICE":
			msg := str(parts, 1)
			s.o.Logf("%s says: %s", s.conn, clip(msg))
			// A relay that does not know NEG-OPEN says so in a NOTICE.
			if l := strings.ToLower(msg); strings.Contains(l, "neg") || strings.Contains(l, "unknown") || strings.Contains(l, "unsupported") {
				s.mu.Lock()
				for _, ch := range s.negs {
					select {
					case ch <- in:
					default:
					}
				}
				s.mu.Unlock()
			}
			// So does one that does not move blobs.
			if l := strings.ToLower(msg); strings.Contains(l, "blob") || strings.Contains(l, "unknown") {
				s.mu.Lock()
				for _, ch := range s.blobs {
					select {
					case ch <- in:
					default:
					}
				}
				s.mu.Unlock()
			}
		default:
			// AUTH and other messages carry nothing a session needs.
		}
	}
}

// deliver passes a message to the waiter registered under id. Messages for
// nobody (a subscription already closed) are dropped.
func (s *session) deliver(ctx context.Context, m map[string]chan inbound, id string, in inbound, wait bool) {
	s.mu.Lock()
	ch, ok := m[id]
	s.mu.Unlock()
	if !ok {
		return
	}
	if wait {
		select {
		case ch <- in:
		case <-ctx.Done():
		}
		return
	}
	select {
	case ch <- in:
	default:
		s.o.Logf("%s: dropped an unexpected %s", s.conn, in.label)
	}
}

func (s *session) handleOK(parts []json.RawMessage) {
	var r okResult
	id := str(parts, 1)
	if len(parts) >= 3 {
		json.Unmarshal(parts[2], &r.ok)
	}
	r.msg = str(parts, 3)
	s.mu.Lock()
	ch, ok := s.oks[id]
	if ok {
		delete(s.oks, id)
	}
	s.mu.Unlock()
	if ok {
		ch <- r // buffered, one answer per event
	}
}

// watchdog ends the session when the peer has been silent for too long
// while we wait for it.
func (s *session) watchdog(ctx context.Context, cancel context.CancelCauseFunc) {
	t := time.NewTicker(min(time.Second, s.o.Stall/4))
	defer t.Stop()
	// Silence counts from the last message, or from when we started
	// waiting if that is later (after a pause of our own, say).
	var idle time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		waiting := len(s.negs)+len(s.reqs)+len(s.oks)+len(s.blobs) > 0 && !(len(s.reqs) == 1 && s.reqs["live"] != nil && len(s.negs)+len(s.oks)+len(s.blobs) == 0)
		from := s.lastRead
		s.mu.Unlock()
		if !waiting {
			idle = time.Now()
			continue
		}
		if idle.After(from) {
			from = idle
		}
		if silent := time.Since(from); silent > s.o.Stall {
			cancel(peerErr("sent nothing for %s while we waited for it", silent.Round(time.Second)))
			return
		}
	}
}

// rates measures bytes per second each way over the last few seconds.
type rates struct {
	mu        sync.Mutex
	in, out   [8]int64 // bytes per second slot
	stamp     [8]int64 // which second each slot holds
	firstSeen time.Time
}

func (r *rates) add(slots *[8]int64, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if r.firstSeen.IsZero() {
		r.firstSeen = now
	}
	sec := now.Unix()
	i := sec % 8
	if r.stamp[i] != sec {
		r.stamp[i] = sec
		r.in[i], r.out[i] = 0, 0
	}
	slots[i] += int64(n)
}

func (r *rates) received(n int) { r.add(&r.in, n) }
func (r *rates) sent(n int)     { r.add(&r.out, n) }

// get averages the last complete seconds.
func (r *rates) get() (in, out float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now().Unix()
	span := int64(5)
	if age := int64(time.Since(r.firstSeen).Seconds()); age < span {
		span = max(age, 1)
	}
	var bi, bo int64
	for i := range r.stamp {
		if r.stamp[i] < now && r.stamp[i] >= now-span {
			bi += r.in[i]
			bo += r.out[i]
		}
	}
	return float64(bi) / float64(span), float64(bo) / float64(span)
}

func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}
