package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/negentropy"
	"github.com/nbd-wtf/go-nostr"
)

// MaxFilterValues bounds each list in a filter (ids, authors, kinds, the
// values of one tag); it is event.MaxFilterValues.
const MaxFilterValues = event.MaxFilterValues

// Raw is a stored event as JSON, with the fields a caller sorts and
// deduplicates by; it is event.Raw, named here for the store's own use.
type Raw = event.Raw

// Query returns the events matching f, newest first and, on equal
// created_at, lowest id first (NIP-01). It returns at most f.Limit events,
// and never more than maxLimit; a filter with "limit":0 returns none.
func (s *Store) Query(ctx context.Context, f nostr.Filter, maxLimit int) ([]Raw, error) {
	if f.LimitZero {
		return nil, nil
	}
	if err := event.CheckFilter(f); err != nil {
		return nil, err
	}
	limit := f.Limit
	if limit <= 0 || limit > maxLimit {
		limit = maxLimit
	}
	q, args := buildQuery(f, limit, s.now().Unix())
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	out, err := scanRaws(rows)
	if err != nil {
		return nil, err
	}
	if len(f.IDs) > 0 {
		older, err := s.queryVersions(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, older...)
		event.SortRaw(out)
		if len(out) > limit {
			out = out[:limit]
		}
	}
	return out, nil
}

// Items returns (created_at, id) of every current event matching f as a
// negentropy set, for reconciliation. A filter limit is honoured (the
// newest events); otherwise all matches are listed. If max > 0 and more
// than max events match, it stops there and returns negentropy.ErrTooMany.
//
// A set holds about 40 bytes an event (40 MB for a million), built in
// place as the rows arrive. Listings run one at a time: each is bounded by
// the disk and CPU, so running several together finishes none sooner and
// only holds more half-built sets in memory at once.
func (s *Store) Items(ctx context.Context, f nostr.Filter, max int) (*negentropy.Set, error) {
	if f.LimitZero {
		return negentropy.NewSet(nil), nil
	}
	if err := event.CheckFilter(f); err != nil {
		return nil, err
	}
	select {
	case s.listing <- struct{}{}:
		defer func() { <-s.listing }()
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: waited for another listing until %w", ErrBusy, ctx.Err())
	}
	limit := -1
	if f.Limit > 0 {
		limit = f.Limit
	}
	q, args := buildSelect("e.id, e.created_at", f, limit, s.now().Unix(), nil)
	rows, err := s.queryPrepared(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	defer rows.Close()
	var (
		b  negentropy.Builder
		id sql.RawBytes // valid until the next row: copied into the set
		at int64
	)
	for rows.Next() {
		if err := rows.Scan(&id, &at); err != nil {
			return nil, err
		}
		if len(id) != 32 || at < 0 {
			continue
		}
		if max > 0 && b.Len() == max {
			return nil, fmt.Errorf("%w: more than %d events match", negentropy.ErrTooMany, max)
		}
		b.Add(negentropy.Item{Time: uint64(at), ID: [32]byte(id)})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return b.Set(), nil
}

// Refs lists the events matching f in Query's order, past the one at
// from (from the first if from is nil): at most max, each with the size
// of its JSON but not the JSON itself. f.Limit is not applied; a caller
// paging through a filter counts what it has had. With Refs and RawMany a
// reader hands on a large answer a page at a time, and holds only the
// page it is sending.
func (s *Store) Refs(ctx context.Context, f nostr.Filter, from *event.Ref, max int) ([]event.Ref, error) {
	if f.LimitZero || max <= 0 {
		return nil, nil
	}
	if err := event.CheckFilter(f); err != nil {
		return nil, err
	}
	var a *after
	if from != nil {
		id, err := hex.DecodeString(from.ID)
		if err != nil || len(id) != 32 {
			return nil, fmt.Errorf("refs: page start %q is not an event id", clip(from.ID))
		}
		a = &after{at: from.CreatedAt, id: id}
	}
	// length() of a blob is read from the record's header, without the
	// JSON itself.
	q, args := buildSelect("e.id, e.created_at, length(e.raw), e.kind", f, max, s.now().Unix(), a)
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("refs: %w", err)
	}
	defer rows.Close()
	var out []event.Ref
	for rows.Next() {
		var (
			id sql.RawBytes
			r  event.Ref
		)
		if err := rows.Scan(&id, &r.CreatedAt, &r.Size, &r.Kind); err != nil {
			return nil, err
		}
		r.ID = hex.EncodeToString(id)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(f.IDs) == 0 {
		return out, nil
	}
	// Earlier versions of addressable events are read by id too. Both
	// lists are in order; merged, they are right up to where the shorter
	// one stopped short.
	older, err := s.versionRefs(ctx, f, a, max)
	if err != nil {
		return nil, err
	}
	if len(older) == 0 {
		return out, nil
	}
	var end *event.Ref
	if len(out) == max {
		end = &out[len(out)-1]
	}
	if len(older) == max && (end == nil || older[len(older)-1].Before(*end)) {
		end = &older[len(older)-1]
	}
	out = append(out, older...)
	slices.SortFunc(out, func(x, y event.Ref) int {
		if x.Before(y) {
			return -1
		}
		return 1
	})
	if end != nil {
		cut := *end
		out = slices.DeleteFunc(out, func(r event.Ref) bool { return cut.Before(r) })
	}
	return out[:min(len(out), max)], nil
}

// versionRefs is Refs for the earlier versions of addressable events
// among f.IDs: at most max of those matching f, in order.
func (s *Store) versionRefs(ctx context.Context, f nostr.Filter, a *after, max int) ([]event.Ref, error) {
	args := make([]any, 0, len(f.IDs)+3)
	for _, id := range f.IDs {
		args = append(args, mustHex(id))
	}
	q := "SELECT id, created_at, raw FROM versions WHERE id IN (" +
		strings.TrimSuffix(strings.Repeat("?,", len(f.IDs)), ",") + ")"
	if a != nil {
		q += " AND created_at <= ? AND (created_at < ? OR id > ?)"
		args = append(args, a.at, a.at, a.id)
	}
	q += " ORDER BY created_at DESC, id ASC"
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []event.Ref
	for rows.Next() && len(out) < max {
		var (
			id, raw sql.RawBytes // only until the next row: one at a time
			at      int64
		)
		if err := rows.Scan(&id, &at, &raw); err != nil {
			return nil, err
		}
		ev, err := decode(raw)
		if err != nil {
			return nil, err
		}
		if f.Matches(ev) {
			out = append(out, event.Ref{ID: hex.EncodeToString(id), CreatedAt: at, Size: len(raw), Kind: ev.Kind})
		}
	}
	return out, rows.Err()
}

// QueryEvents is Query returning decoded events.
func (s *Store) QueryEvents(ctx context.Context, f nostr.Filter, maxLimit int) ([]*nostr.Event, error) {
	raws, err := s.Query(ctx, f, maxLimit)
	if err != nil {
		return nil, err
	}
	evs := make([]*nostr.Event, 0, len(raws))
	for _, r := range raws {
		ev, err := decode(r.JSON)
		if err != nil {
			return nil, err
		}
		evs = append(evs, ev)
	}
	return evs, nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// buildQuery turns a filter into SQL. It picks the index that drives the
// scan: ids, then authors, then a single tag value, then kinds, then time.
func buildQuery(f nostr.Filter, limit int, now int64) (string, []any) {
	return buildSelect("e.id, e.created_at, e.raw", f, limit, now, nil)
}

// after is where a page of a query starts: past the event with this
// created_at and id (raw bytes), in NIP-01 order.
type after struct {
	at int64
	id []byte
}

// buildSelect is buildQuery selecting cols, from past a if a is not nil;
// limit < 0 means no limit and no ordering.
func buildSelect(cols string, f nostr.Filter, limit int, now int64, a *after) (string, []any) {
	var (
		where []string
		args  []any
		from  = "events e"
		order = "e.created_at"
	)
	in := func(col string, n int) string {
		return col + " IN (" + strings.TrimSuffix(strings.Repeat("?,", n), ",") + ")"
	}
	letters := make([]string, 0, len(f.Tags))
	for name := range f.Tags {
		letters = append(letters, name)
	}
	sort.Strings(letters)
	tagKeys := func(name string) []any {
		var ks []any
		for _, v := range f.Tags[name] {
			ks = append(ks, name+":"+v)
		}
		return ks
	}

	// A filter on one tag value with nothing narrower walks the tag index
	// in time order and stops at the limit.
	if len(f.IDs) == 0 && len(f.Authors) == 0 && len(letters) > 0 {
		for i, name := range letters {
			if len(f.Tags[name]) == 1 {
				from = "tags t CROSS JOIN events e ON e.eid = t.eid"
				order = "t.created_at"
				where = append(where, "t.tag = ?")
				args = append(args, tagKeys(name)[0])
				if f.Since != nil {
					where = append(where, "t.created_at >= ?")
					args = append(args, int64(*f.Since))
				}
				if f.Until != nil {
					where = append(where, "t.created_at <= ?")
					args = append(args, int64(*f.Until))
				}
				letters = slices.Delete(letters, i, i+1)
				break
			}
		}
	}
	if len(f.IDs) > 0 {
		where = append(where, in("e.id", len(f.IDs)))
		for _, id := range f.IDs {
			args = append(args, mustHex(id))
		}
	}
	if len(f.Authors) > 0 {
		where = append(where, in("e.pubkey", len(f.Authors)))
		for _, a := range f.Authors {
			args = append(args, mustHex(a))
		}
	}
	if len(f.Kinds) > 0 {
		where = append(where, in("e.kind", len(f.Kinds)))
		for _, k := range f.Kinds {
			args = append(args, k)
		}
	}
	if f.Since != nil {
		where = append(where, "e.created_at >= ?")
		args = append(args, int64(*f.Since))
	}
	if f.Until != nil {
		where = append(where, "e.created_at <= ?")
		args = append(args, int64(*f.Until))
	}
	for _, name := range letters {
		ks := tagKeys(name)
		if len(ks) == 0 {
			// "#x": [] matches nothing, as no value can be in an empty set.
			where = append(where, "0")
			continue
		}
		where = append(where, "e.eid IN (SELECT eid FROM tags WHERE "+in("tag", len(ks))+")")
		args = append(args, ks...)
	}
	if a != nil {
		// The first condition bounds the index range; the second skips
		// the events of that second already read.
		where = append(where, order+" <= ?", "("+order+" < ? OR e.id > ?)")
		args = append(args, a.at, a.at, a.id)
	}
	where = append(where, "(e.expiration IS NULL OR e.expiration > ?)")
	args = append(args, now)
	q := "SELECT " + cols + " FROM " + from + " WHERE " + strings.Join(where, " AND ")
	if limit < 0 {
		return q, args
	}
	q += " ORDER BY " + order + " DESC, e.id ASC LIMIT ?"
	args = append(args, limit)
	return q, args
}

// queryVersions finds earlier versions of addressable events by id.
func (s *Store) queryVersions(ctx context.Context, f nostr.Filter) ([]Raw, error) {
	args := make([]any, len(f.IDs))
	for i, id := range f.IDs {
		args[i] = mustHex(id)
	}
	q := "SELECT id, created_at, raw FROM versions WHERE id IN (" +
		strings.TrimSuffix(strings.Repeat("?,", len(args)), ",") + ")"
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	all, err := scanRaws(rows)
	if err != nil {
		return nil, err
	}
	var out []Raw
	for _, r := range all {
		ev, err := decode(r.JSON)
		if err != nil {
			return nil, err
		}
		if f.Matches(ev) {
			out = append(out, r)
		}
	}
	return out, nil
}

// scanRaws reads (id, created_at, raw) rows and closes them.
func scanRaws(rows *sql.Rows) ([]Raw, error) {
	defer rows.Close()
	var out []Raw
	for rows.Next() {
		var (
			id []byte
			r  Raw
		)
		if err := rows.Scan(&id, &r.CreatedAt, &r.JSON); err != nil {
			return nil, err
		}
		r.ID = hex.EncodeToString(id)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Versions lists every held version of the addressable event at address
// ("kind:pubkey:d"), the current one included, newest first.
func (s *Store) Versions(ctx context.Context, address string) ([]Raw, error) {
	kind, pk, d, ok := parseAddress(address)
	if !ok {
		return nil, fmt.Errorf("%q is not an address (kind:pubkey:d)", clip(address))
	}
	rows, err := s.read.QueryContext(ctx, `
SELECT id, created_at, raw FROM events WHERE pubkey = ?1 AND kind = ?2 AND d = ?3
UNION ALL SELECT id, created_at, raw FROM versions WHERE address = ?4
ORDER BY created_at DESC`, mustHex(pk), kind, d, address)
	if err != nil {
		return nil, err
	}
	return scanRaws(rows)
}
