package relay

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/nbd-wtf/go-nostr"
)

// A REQ's stored events are sent a page at a time, never read whole: the
// relay reads ahead the refs of each filter's next events (id, time and
// size, no JSON), merges them in NIP-01 order, and fetches the JSON of the
// next page only once the connection's send queue has room for it. A
// query holds its refs and the one page it is sending, nothing more.
const (
	pageBytes  = 256 << 10 // JSON fetched at once (at least one event)
	pageEvents = 128       // events fetched at once
	refsAhead  = 128       // refs read ahead for one REQ, all its filters together
	skipAhead  = 4096      // refs read at once past gift wraps left out
)

// cursor is where a REQ is in one of its filters, or in one part of a
// filter: a filter is read in two parts when some of the gift wraps it
// matches may not be sent on the connection (see Conn.plan), the two
// sharing its limit.
type cursor struct {
	f       nostr.Filter
	left    *int        // events it may still return (its filter's limit)
	refs    []event.Ref // read ahead, in order
	last    *event.Ref  // the last read, where the next read starts
	done    bool        // nothing more to read
	noWraps bool        // leave out gift wraps (f may match any kind)
}

// cursors reads filters whole, each within its limit.
func (c *Conn) cursors(filters []nostr.Filter) []*cursor {
	cs := make([]*cursor, len(filters))
	for i, f := range filters {
		limit := c.r.lim.MaxLimit
		if f.Limit > 0 && f.Limit < limit {
			limit = f.Limit
		}
		if f.LimitZero {
			limit = 0
		}
		cs[i] = &cursor{f: f, left: &limit}
	}
	return cs
}

// sendStored sends the stored events of the cursors to subscription id,
// newest first, each at most once, until ctx ends. served says whether
// each event sent is reported to Options.Served.
func (c *Conn) sendStored(ctx context.Context, id string, cs []*cursor, served bool) error {
	if len(cs) == 0 {
		return nil
	}
	ahead := max(1, refsAhead/len(cs))
	envelope := eventMessageSize(id, nil)
	var last string // the id sent last: another filter may match it too
	for {
		page, size, err := c.nextPage(ctx, cs, ahead, envelope, &last)
		if err != nil || len(page) == 0 {
			return err
		}
		if !c.out.reserve(ctx, size) {
			return ctx.Err()
		}
		held := size
		ids := make([]string, len(page))
		for i, r := range page {
			ids[i] = r.ID
		}
		var raws map[string][]byte
		err = c.fromStore(ctx, func(ctx context.Context) (err error) {
			raws, err = c.r.b.Raws(ctx, ids)
			return err
		})
		for _, r := range page {
			raw, ok := raws[r.ID]
			if !ok || ctx.Err() != nil {
				continue // gone since it was listed
			}
			held = c.out.fill(eventMessage(id, raw), bulk, held)
			if served {
				c.r.opts.Served(c, r.ID)
			}
		}
		c.out.release(held)
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// nextPage takes the refs of the next events to send, in order, up to
// pageEvents and pageBytes (at least one), within the part of the send
// queue for query results, and their size as messages.
func (c *Conn) nextPage(ctx context.Context, cs []*cursor, ahead, envelope int, last *string) ([]event.Ref, int, error) {
	var (
		page []event.Ref
		size int
		most = min(pageBytes, bulkShare(c.r.lim.OutboxBytes))
	)
	for len(page) < pageEvents {
		var next *cursor
		for _, k := range cs {
			if len(k.refs) == 0 && !k.done && *k.left > 0 {
				if err := c.readAhead(ctx, k, ahead); err != nil {
					return nil, 0, err
				}
			}
			if len(k.refs) > 0 && *k.left > 0 && (next == nil || k.refs[0].Before(next.refs[0])) {
				next = k
			}
		}
		if next == nil {
			break
		}
		r := next.refs[0]
		if len(page) > 0 && size+r.Size+envelope > most {
			break
		}
		next.refs = next.refs[1:]
		*next.left--
		if r.ID == *last {
			continue // in order, the same event from two filters comes twice in a row
		}
		*last = r.ID
		page = append(page, r)
		size += r.Size + envelope
	}
	return page, size, nil
}

// readAhead reads the refs of a cursor's next events, at most ahead. A
// cursor that leaves out wraps reads on past them, more at a time while
// it finds only wraps, until it has some to send or there are no more;
// it keeps no more than ahead of them, and reads again after the last it
// keeps.
func (c *Conn) readAhead(ctx context.Context, k *cursor, ahead int) error {
	want := min(ahead, *k.left)
	if want <= 0 {
		k.done = true
		return nil
	}
	for n := want; ; n = min(2*n, skipAhead) {
		var refs []event.Ref
		err := c.fromStore(ctx, func(ctx context.Context) (err error) {
			refs, err = c.r.b.Refs(ctx, k.f, k.last, n)
			return err
		})
		if err != nil {
			return err
		}
		k.done = len(refs) < n
		if len(refs) > 0 {
			last := refs[len(refs)-1]
			k.last = &last
		}
		if k.noWraps {
			refs = slices.DeleteFunc(refs, func(r event.Ref) bool { return r.Kind == event.KindGiftWrap })
		}
		if len(refs) > want {
			refs = refs[:want]
			last := refs[want-1]
			k.last, k.done = &last, false
		}
		k.refs = refs
		if len(refs) > 0 || k.done {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// fromStore runs one read of the store in the relay's bounded pool of
// queries, within QueryTimeout.
func (c *Conn) fromStore(ctx context.Context, read func(context.Context) error) error {
	timeout := time.Duration(c.r.lim.QueryTimeout)
	qctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	select {
	case c.r.queries <- struct{}{}:
		defer func() { <-c.r.queries }()
	case <-qctx.Done():
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return event.Reject(event.RateLimited, "the node is busy answering other queries; try again shortly")
	}
	err := read(qctx)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return event.Reject(event.Error, "query took longer than %s; narrow the filter", timeout)
	}
	return err
}
