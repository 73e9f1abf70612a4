package store

import (
	"bytes"
	"context"
	"fmt"

	"github.com/nbd-wtf/go-nostr"
)

// Eviction bands: the events a node carries for others that it may drop to
// make room, in the order they go when the store is full. Band 0 events
// (the node's own, its contacts', messages for its people) are never
// evicted.
const (
	BandStrangers = 1 // strangers' notes, deletions and other events
	BandWraps     = 2 // gift wraps carried blindly for others
	BandReports   = 3 // strangers' reports and translations
)

// Carry says how Save keeps one event carried for others.
type Carry struct {
	Band int // 0: never evicted
	PoW  int // NIP-13 proof of work (committed difficulty)
	// Room, if set, is room to make first: events weaker than this one
	// (less proof of work, or as much and older) are evicted until Room's
	// amount is free. If that much cannot be freed, the event is not
	// stored and its outcome is NoRoom.
	Room *Room
}

// Room is room to make for an event, in its band, or among one author's
// events in any band.
type Room struct {
	Author string // hex public key; "" for the whole band
	Events int
	Bytes  int64
	// Keep, if set, protects events that must not be evicted (their
	// author became a contact since they were stored): they leave their
	// band instead.
	Keep func(*nostr.Event) bool
}

// Evicted is an event removed to make room, or because it expired.
type Evicted struct {
	Event *nostr.Event
	Size  int   // as event.Size counts it
	Blobs int64 // bytes of the blobs that went with it (see MakeSpace)
}

// maxScan bounds the rows one eviction looks at, so a band full of
// protected events cannot make one save slow; the rows it drops from the
// band are not looked at again.
const maxScan = 4096

var evictStatements = map[string]string{
	"carry":   `INSERT OR REPLACE INTO carried (eid, band, pow, created_at) VALUES (?, ?, ?, ?)`,
	"uncarry": `DELETE FROM carried WHERE eid = ?`,
	"weakestInBand": `SELECT c.eid, c.created_at, e.raw FROM carried c JOIN events e ON e.eid = c.eid
		WHERE c.band = ?1 AND (c.pow < ?2 OR (c.pow = ?2 AND c.created_at < ?3))
		ORDER BY c.pow, c.created_at LIMIT ?4`,
	"weakestOfAuthor": `SELECT c.eid, c.created_at, e.raw FROM events e JOIN carried c ON c.eid = e.eid
		WHERE e.pubkey = ?1 AND (c.pow < ?2 OR (c.pow = ?2 AND c.created_at < ?3))
		ORDER BY c.pow, c.created_at LIMIT ?4`,
	"refsOf": `SELECT sha256 FROM blob_refs WHERE eid = ?`,
	// A blob nobody uploaded, asked for or references any more.
	"dropUnheldBlob": `DELETE FROM blobs WHERE sha256 = ?1
		AND NOT EXISTS (SELECT 1 FROM blob_owners WHERE sha256 = ?1)
		AND NOT EXISTS (SELECT 1 FROM blob_refs WHERE sha256 = ?1)
		AND NOT EXISTS (SELECT 1 FROM blob_wants WHERE sha256 = ?1)
		RETURNING size`,
	"dropBlobData": `DELETE FROM blob_data WHERE sha256 = ?`,
	"dropUnheldParts": `DELETE FROM blob_parts WHERE sha256 = ?1
		AND NOT EXISTS (SELECT 1 FROM blob_refs WHERE sha256 = ?1)
		AND NOT EXISTS (SELECT 1 FROM blob_wants WHERE sha256 = ?1)
		RETURNING length(data)`,
}

// strongest is a priority above every stored event's.
const strongest = 1 << 30

type victim struct {
	eid, at int64
	raw     []byte
	ev      *nostr.Event
	size    int
}

// victims picks the weakest events of a band (or an author) below the
// priority (pow, at) until need is covered. It reports whether it is.
// Protected events met on the way leave their band.
func (w *writer) victims(ctx context.Context, room Room, band, pow int, at int64) ([]victim, bool, error) {
	var (
		out    []victim
		events int
		bytes  int64
		seen   = map[int64]bool{}
	)
	enough := func() bool { return events >= room.Events && bytes >= room.Bytes }
	for scanned := 0; !enough() && scanned < maxScan; {
		var rows interface {
			Next() bool
			Scan(...any) error
			Close() error
			Err() error
		}
		var err error
		const page = 64
		if room.Author != "" {
			rows, err = w.st["weakestOfAuthor"].QueryContext(ctx, mustHex(room.Author), pow, at, page+len(seen))
		} else {
			rows, err = w.st["weakestInBand"].QueryContext(ctx, band, pow, at, page+len(seen))
		}
		if err != nil {
			return nil, false, err
		}
		var batch []victim
		for rows.Next() {
			var v victim
			if err := rows.Scan(&v.eid, &v.at, &v.raw); err != nil {
				rows.Close()
				return nil, false, err
			}
			if !seen[v.eid] {
				batch = append(batch, v)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, false, err
		}
		if len(batch) == 0 {
			break
		}
		for _, v := range batch {
			scanned++
			seen[v.eid] = true
			ev, err := decode(v.raw)
			if err != nil {
				return nil, false, err
			}
			if room.Keep != nil && room.Keep(ev) {
				if _, err := w.st["uncarry"].ExecContext(ctx, v.eid); err != nil {
					return nil, false, err
				}
				continue
			}
			v.ev, v.size = ev, len(ev.Serialize())+160
			out = append(out, v)
			events++
			bytes += int64(v.size)
			if enough() {
				break
			}
		}
	}
	return out, enough(), nil
}

// evict removes the chosen events, and the blobs (whole or arriving)
// that were held only because those events referenced them: a photo
// carried for a stranger goes with the stranger's report. A blob someone
// uploaded, or that was asked for, stays.
func (w *writer) evict(ctx context.Context, vs []victim) ([]Evicted, error) {
	out := make([]Evicted, 0, len(vs))
	type ref struct {
		sum []byte
		by  int // the evicted event, in out
	}
	var refs []ref
	for _, v := range vs {
		if bytes.Contains(v.raw, []byte(`"imeta"`)) { // as the blob_refs trigger
			sums, err := w.refsOf(ctx, v.eid)
			if err != nil {
				return nil, err
			}
			for _, sum := range sums {
				refs = append(refs, ref{sum, len(out)})
			}
		}
		if err := w.remove(ctx, v.eid, v.at, v.raw); err != nil {
			return nil, err
		}
		out = append(out, Evicted{Event: v.ev, Size: v.size})
	}
	for _, r := range refs {
		freed, err := w.sum(ctx, "dropUnheldBlob", r.sum)
		if err != nil {
			return nil, err
		}
		if freed > 0 {
			if _, err := w.st["dropBlobData"].ExecContext(ctx, r.sum); err != nil {
				return nil, err
			}
		}
		parts, err := w.sum(ctx, "dropUnheldParts", r.sum)
		if err != nil {
			return nil, err
		}
		out[r.by].Blobs += freed + parts
	}
	return out, nil
}

// sum runs the named statement, which returns one number a row, and adds
// them up.
func (w *writer) sum(ctx context.Context, stmt string, args ...any) (int64, error) {
	rows, err := w.st[stmt].QueryContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var total int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return 0, err
		}
		total += n
	}
	return total, rows.Err()
}

// refsOf lists the blobs an event references.
func (w *writer) refsOf(ctx context.Context, eid int64) ([][]byte, error) {
	rows, err := w.st["refsOf"].QueryContext(ctx, eid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var sum []byte
		if err := rows.Scan(&sum); err != nil {
			return nil, err
		}
		out = append(out, sum)
	}
	return out, rows.Err()
}

// SaveCarried is Save for events some of which are carried for others:
// carry[i] says how evs[i] is kept (see Carry). It also returns the events
// evicted to make room, so the caller can keep its counts.
func (s *Store) SaveCarried(ctx context.Context, evs []*nostr.Event, carry []Carry) ([]Outcome, []Evicted, error) {
	if len(carry) != len(evs) {
		return nil, nil, fmt.Errorf("store: %d events but %d carry instructions", len(evs), len(carry))
	}
	r, err := s.save(ctx, &saveReq{evs: evs, carry: carry})
	if err != nil {
		return nil, nil, err
	}
	return r.out, r.evicted, nil
}

// MakeSpace evicts carried events, band by band and weakest first, until
// their sizes, with those of the blobs held only for them (which go with
// them), add up to at least bytes or nothing evictable is left; keep
// protects events as in Room. Expired events should be purged first.
func (s *Store) MakeSpace(ctx context.Context, bytes int64, keep func(*nostr.Event) bool) ([]Evicted, error) {
	var evicted []Evicted
	_, err := s.save(ctx, &saveReq{wjob: func(ctx context.Context, w *writer) error {
		left := bytes
		for _, band := range []int{BandStrangers, BandWraps, BandReports} {
			vs, _, err := w.victims(ctx, Room{Events: 0, Bytes: left, Keep: keep}, band, strongest, 0)
			if err != nil {
				return err
			}
			// The victims are chosen by their own sizes; one at a
			// time, so that those whose blobs free enough stay.
			for i := 0; i < len(vs) && left > 0; i++ {
				ev, err := w.evict(ctx, vs[i:i+1])
				if err != nil {
					return err
				}
				evicted = append(evicted, ev...)
				left -= int64(ev[0].Size) + ev[0].Blobs
			}
			if left <= 0 {
				break
			}
		}
		return nil
	}})
	if err != nil {
		return nil, err
	}
	return evicted, nil
}

// SizeInUse is how many bytes of the database file hold data (free pages
// left by deleted rows are not counted; they are reused first).
func (s *Store) SizeInUse(ctx context.Context) (int64, error) {
	var pages, free, size int64
	for _, p := range []struct {
		q string
		v *int64
	}{{`PRAGMA page_count`, &pages}, {`PRAGMA freelist_count`, &free}, {`PRAGMA page_size`, &size}} {
		if err := s.read.QueryRowContext(ctx, p.q).Scan(p.v); err != nil {
			return 0, fmt.Errorf("measure the store: %w", err)
		}
	}
	return (pages - free) * size, nil
}
