package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"

	"github.com/caravan-mesh/caravan/event"
	"github.com/nbd-wtf/go-nostr"
)

// What a peer is known to hold (peer_events.state).
const (
	PeerHolds  = 1 // it sent the event, or confirmed it
	PeerSentTo = 2 // it went to the peer in a bundle not yet confirmed
)

// Directions of a bundle (bundles.way).
const (
	BundleRead = 1
	BundleMade = 2
)

// Candidate is an event that may go into a bundle.
type Candidate struct {
	ID        string
	CreatedAt int64
	Kind      int
	Size      int
	EID       int64
}

// CandidateOptions leave out what a peer is known to hold.
type CandidateOptions struct {
	Peer string // "" leaves nothing out
	// AfterEID leaves out events stored here up to this eid (a complete
	// sync with the peer reached them).
	AfterEID int64
	// Resend keeps events sent to the peer in bundles it has not
	// confirmed.
	Resend bool
}

// Candidates lists the current events matching f that the peer is not
// known to hold, unordered.
func (s *Store) Candidates(ctx context.Context, f nostr.Filter, o CandidateOptions) ([]Candidate, error) {
	if err := event.CheckFilter(f); err != nil {
		return nil, err
	}
	inner, args := buildSelect("e.id AS id, e.created_at AS created_at, e.kind AS kind, length(e.raw) AS size, e.eid AS eid", f, -1, s.now().Unix(), nil)
	q := "SELECT id, created_at, kind, size, eid FROM (" + inner + ") c WHERE c.eid > ?"
	args = append(args, o.AfterEID)
	if o.Peer != "" {
		states := "1, 2"
		if o.Resend {
			states = "1"
		}
		q += " AND NOT EXISTS (SELECT 1 FROM peer_events p WHERE p.peer = ? AND p.id = c.id AND p.state IN (" + states + "))"
		args = append(args, o.Peer)
	}
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	defer rows.Close()
	var out []Candidate
	for rows.Next() {
		var c Candidate
		var id []byte
		if err := rows.Scan(&id, &c.CreatedAt, &c.Kind, &c.Size, &c.EID); err != nil {
			return nil, err
		}
		c.ID = hex.EncodeToString(id)
		out = append(out, c)
	}
	return out, rows.Err()
}

// CountUnconfirmed counts events matching f sent to peer in bundles it has
// not confirmed.
func (s *Store) CountUnconfirmed(ctx context.Context, peer string) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM peer_events WHERE peer = ? AND state = 2`, peer).Scan(&n)
	return n, err
}

// AddPeerEvents records that peer holds (PeerHolds) or was sent in bundle
// (PeerSentTo) the events with these ids. A confirmed holding is never
// turned back into an unconfirmed one.
func (s *Store) AddPeerEvents(ctx context.Context, peer string, state int, bundle []byte, ids []string) error {
	if peer == "" || len(ids) == 0 {
		return nil
	}
	now := s.now().Unix()
	return s.run(ctx, func(ctx context.Context, c *sql.Conn) error {
		st, err := c.PrepareContext(ctx, `
INSERT INTO peer_events (peer, id, state, at) VALUES (?, ?, ?, ?)
ON CONFLICT (peer, id) DO UPDATE SET state = min(state, excluded.state), at = excluded.at`)
		if err != nil {
			return err
		}
		defer st.Close()
		sent, err := c.PrepareContext(ctx, `INSERT OR IGNORE INTO peer_sent (peer, bundle, id) VALUES (?, ?, ?)`)
		if err != nil {
			return err
		}
		defer sent.Close()
		for _, id := range ids {
			key, err := hex.DecodeString(id)
			if err != nil || len(key) != 32 {
				continue
			}
			if _, err := st.ExecContext(ctx, peer, key, state, now); err != nil {
				return err
			}
			if state == PeerSentTo && bundle != nil {
				if _, err := sent.ExecContext(ctx, peer, bundle, key); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// ConfirmBundles marks what went to peer in these bundles as held by it
// (it says it read them whole). It returns how many events that confirmed.
func (s *Store) ConfirmBundles(ctx context.Context, peer string, bundles [][]byte) (int, error) {
	total := 0
	err := s.run(ctx, func(ctx context.Context, c *sql.Conn) error {
		for _, b := range bundles {
			res, err := c.ExecContext(ctx, `UPDATE peer_events SET state = 1 WHERE peer = ?1 AND state = 2
	AND id IN (SELECT id FROM peer_sent WHERE peer = ?1 AND bundle = ?2)`, peer, b)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			total += int(n)
			if _, err := c.ExecContext(ctx, `DELETE FROM peer_sent WHERE peer = ? AND bundle = ?`, peer, b); err != nil {
				return err
			}
		}
		return nil
	})
	return total, err
}

// BundleRecord is a bundle made or read here.
type BundleRecord struct {
	ID     []byte
	Way    int
	Peer   string
	Events int
	At     int64
}

// RecordBundle notes a bundle made or read here.
func (s *Store) RecordBundle(ctx context.Context, b BundleRecord) error {
	return s.run(ctx, func(ctx context.Context, c *sql.Conn) error {
		_, err := c.ExecContext(ctx, `INSERT INTO bundles (id, way, peer, events, at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (id, way) DO UPDATE SET events = max(events, excluded.events)`, b.ID, b.Way, b.Peer, b.Events, s.now().Unix())
		return err
	})
}

// FindBundle returns the record of bundle id read (or made) here.
func (s *Store) FindBundle(ctx context.Context, id []byte, way int) (BundleRecord, bool, error) {
	b := BundleRecord{ID: id, Way: way}
	err := s.read.QueryRowContext(ctx, `SELECT peer, events, at FROM bundles WHERE id = ? AND way = ?`, id, way).Scan(&b.Peer, &b.Events, &b.At)
	if errors.Is(err, sql.ErrNoRows) {
		return b, false, nil
	}
	return b, err == nil, err
}

// BundlesFrom lists the newest bundles read here that peer made.
func (s *Store) BundlesFrom(ctx context.Context, peer string, limit int) ([][]byte, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id FROM bundles WHERE way = 1 AND peer = ? ORDER BY at DESC LIMIT ?`, peer, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var id []byte
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// MaxEID is the newest event's local number (0 when empty).
func (s *Store) MaxEID(ctx context.Context) (int64, error) {
	var n int64
	err := s.read.QueryRowContext(ctx, `SELECT coalesce(max(eid), 0) FROM events`).Scan(&n)
	return n, err
}

// SetPeerSynced records that a complete sync with peer covered every event
// up to eid.
func (s *Store) SetPeerSynced(ctx context.Context, peer string, eid int64) error {
	return s.run(ctx, func(ctx context.Context, c *sql.Conn) error {
		_, err := c.ExecContext(ctx, `INSERT INTO peer_sync (peer, eid, at) VALUES (?, ?, ?)
ON CONFLICT (peer) DO UPDATE SET eid = max(eid, excluded.eid), at = excluded.at`, peer, eid, s.now().Unix())
		return err
	})
}

// PeerSynced is how far complete syncs with peer reached (0 if never).
func (s *Store) PeerSynced(ctx context.Context, peer string) (int64, error) {
	var n int64
	err := s.read.QueryRowContext(ctx, `SELECT eid FROM peer_sync WHERE peer = ?`, peer).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

// HeldByPrefix says which 8-byte id prefixes (16 hex digits) name events
// held here.
func (s *Store) HeldByPrefix(ctx context.Context, prefixes []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, p := range prefixes {
		lo, err := hex.DecodeString(p)
		if err != nil || len(lo) != 8 {
			continue
		}
		// The next 8-byte prefix bounds every id starting with lo (a
		// longer value sorts after its own prefix, before the next one).
		hi := new(big.Int).Add(new(big.Int).SetBytes(lo), big.NewInt(1)).FillBytes(make([]byte, 9))
		q, args := `SELECT count(*) FROM events WHERE id >= ? AND id < ?`, []any{lo, hi[1:]}
		if hi[0] != 0 { // lo was ff..ff
			q, args = `SELECT count(*) FROM events WHERE id >= ?`, []any{lo}
		}
		var n int
		if err := s.read.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			return nil, err
		}
		if n > 0 {
			out[p] = true
		}
	}
	return out, nil
}
