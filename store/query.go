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
	q, args := buildSelect("e.id, e.created_at", f, limit, s.now().Unix())
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
	return buildSelect("e.id, e.created_at, e.raw", f, limit, now)
}

// buildSelect is buildQuery selecting cols; limit < 0 means no limit and no
// ordering.
func buildSelect(cols string, f nostr.Filter, limit int, now int64) (string, []any) {
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
