package carry

import (
	"context"
	"encoding/hex"

	"github.com/caravan-mesh/caravan/policy"
	"github.com/nbd-wtf/go-nostr"
)

// plainPages bounds how many pages of events one want may pull from a
// relay without NIP-77 in one session.
const plainPages = 20

// plainWant exchanges one want's events with a relay that lacks NIP-77:
// it asks for what is newer than the last pass (newest first, page by
// page) and offers its own events that the relay did not return.
func (s *session) plainWant(ctx context.Context, w policy.Want) error {
	s.setPhase("transferring", w.Class.String())
	var since int64
	if s.o.PlainSince != nil {
		since = s.o.PlainSince(w)
	}
	started := s.o.Now().Unix()
	f := w.Filter
	if since > 0 {
		t := nostr.Timestamp(since - 600) // overlap: clocks and slow relays
		f.Since = &t
	}
	theirs := map[string]bool{}
	for page := 0; page < plainPages; page++ {
		f.Limit = maxIDs
		evs, err := s.query(ctx, f)
		if err != nil {
			return err
		}
		for _, ev := range evs {
			theirs[ev.ID] = true
		}
		if w.Pull {
			if err := s.store(ctx, evs, false); err != nil {
				return err
			}
		}
		if len(evs) < maxIDs {
			break
		}
		oldest := evs[len(evs)-1].CreatedAt
		until := oldest - 1
		f.Until = &until
	}
	if w.Push {
		lf := w.Filter
		if since > 0 {
			t := nostr.Timestamp(since - 600)
			lf.Since = &t
		}
		items, err := s.local.Items(ctx, lf, 0)
		if err != nil {
			return err
		}
		var ids []string
		for it := range items.All() {
			id := hex.EncodeToString(it.ID[:])
			if !theirs[id] && !s.isPushed(id) {
				ids = append(ids, id)
			}
		}
		s.mu.Lock()
		s.prog.ToSend += len(ids)
		s.mu.Unlock()
		if err := s.pushAll(ctx, ids); err != nil {
			return err
		}
	}
	if s.o.Synced != nil {
		s.o.Synced(w, started)
	}
	return nil
}

func (s *session) isPushed(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pushed[id]
}

// query runs one REQ to its EOSE and checks every event against f.
func (s *session) query(ctx context.Context, f nostr.Filter) ([]*nostr.Event, error) {
	sub, ch, done := s.register(s.reqs, s.newID("q"), 64)
	defer done()
	if err := s.send(ctx, []any{"REQ", sub, f}); err != nil {
		return nil, err
	}
	var evs []*nostr.Event
	for {
		var in inbound
		select {
		case in = <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		switch in.label {
		case "EOSE":
			s.send(ctx, []any{"CLOSE", sub})
			return evs, nil
		case "CLOSED":
			return evs, nil // the relay will not answer this filter; not an error for the session
		}
		ev, err := s.decode(in, f)
		if err != nil {
			return nil, err
		}
		if len(evs) >= f.Limit {
			return nil, peerErr("sent more events than the limit asked for")
		}
		evs = append(evs, ev)
	}
}
