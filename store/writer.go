package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/caravan-mesh/caravan/event"
	"github.com/nbd-wtf/go-nostr"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// A saveReq is one caller's batch waiting for the writer.
type saveReq struct {
	evs     []*nostr.Event
	carry   []Carry // nil, or one per event
	out     []Outcome
	evicted []Evicted                                    // events removed to make room (or expired, for a purge)
	purge   bool                                         // a PurgeExpired call instead of a save
	job     func(ctx context.Context, c *sql.Conn) error // other writes (vault, blobs)
	wjob    func(ctx context.Context, w *writer) error   // writes that need the writer's statements
	done    chan error
}

// writer owns the single write connection. It takes every request waiting
// at the moment, runs them in one transaction and commits once.
type writer struct {
	s    *Store
	conn *sql.Conn
	st   map[string]*sql.Stmt
}

var statements = map[string]string{
	"exists":         `SELECT 1 FROM events WHERE id = ? UNION ALL SELECT 1 FROM versions WHERE id = ? LIMIT 1`,
	"tombstone":      `SELECT created_at FROM deletions WHERE target = ? AND pubkey = ?`,
	"current":        `SELECT eid, id, created_at, raw FROM events WHERE pubkey = ? AND kind = ? AND d = ?`,
	"insert":         `INSERT INTO events (id, pubkey, created_at, kind, d, expiration, received_at, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
	"tag":            `INSERT OR IGNORE INTO tags (tag, created_at, eid) VALUES (?, ?, ?)`,
	"untag":          `DELETE FROM tags WHERE tag = ? AND created_at = ? AND eid = ?`,
	"delete":         `DELETE FROM events WHERE eid = ?`,
	"version":        `INSERT OR IGNORE INTO versions (id, pubkey, address, created_at, raw) VALUES (?, ?, ?, ?, ?)`,
	"addTombstone":   `INSERT INTO deletions (target, pubkey, created_at) VALUES (?, ?, ?) ON CONFLICT (target, pubkey) DO UPDATE SET created_at = max(created_at, excluded.created_at)`,
	"byID":           `SELECT eid, kind, created_at, raw FROM events WHERE id = ? AND pubkey = ?`,
	"dropVersion":    `DELETE FROM versions WHERE id = ? AND pubkey = ?`,
	"byAddress":      `SELECT eid, created_at, raw FROM events WHERE pubkey = ? AND kind = ? AND d = ? AND created_at <= ?`,
	"dropVersions":   `DELETE FROM versions WHERE address = ? AND created_at <= ?`,
	"expired":        `SELECT eid, created_at, raw FROM events WHERE expiration IS NOT NULL AND expiration <= ? LIMIT 1000`,
	"beginImmediate": `BEGIN IMMEDIATE`,
	"commit":         `COMMIT`,
}

func newWriter(s *Store) (*writer, error) {
	conn, err := s.write.Conn(context.Background())
	if err != nil {
		return nil, err
	}
	w := &writer{s: s, conn: conn, st: map[string]*sql.Stmt{}}
	for _, set := range []map[string]string{statements, evictStatements} {
		for name, q := range set {
			st, err := conn.PrepareContext(context.Background(), q)
			if err != nil {
				w.close()
				return nil, fmt.Errorf("prepare %s: %w", name, err)
			}
			w.st[name] = st
		}
	}
	return w, nil
}

func (w *writer) run() {
	defer close(w.s.done)
	defer w.close()
	for {
		var first *saveReq
		select {
		case first = <-w.s.reqs:
		case <-w.s.quit:
			// Drain what was queued before Close so no caller waits forever.
			for {
				select {
				case r := <-w.s.reqs:
					w.commit([]*saveReq{r})
				default:
					return
				}
			}
		}
		batch := []*saveReq{first}
		n := len(first.evs)
	gather:
		for n < w.s.max {
			select {
			case r := <-w.s.reqs:
				batch = append(batch, r)
				n += len(r.evs)
			default:
				break gather
			}
		}
		w.commit(batch)
	}
}

// close releases the statements and then the connection: SQLite keeps a
// connection with live statements, and its files, open after Close.
func (w *writer) close() {
	for _, st := range w.st {
		st.Close()
	}
	w.conn.Close()
}

// commit runs a batch of requests in one transaction and answers each.
func (w *writer) commit(batch []*saveReq) {
	ctx := context.Background()
	err := w.tx(ctx, func() error {
		for _, r := range batch {
			if r.job != nil {
				if err := r.job(ctx, w.conn); err != nil {
					return err
				}
				continue
			}
			if r.wjob != nil {
				if err := r.wjob(ctx, w); err != nil {
					return err
				}
				continue
			}
			if r.purge {
				ev, err := w.purge(ctx)
				if err != nil {
					return err
				}
				r.evicted = ev
				continue
			}
			r.out = make([]Outcome, len(r.evs))
			for i, ev := range r.evs {
				var c Carry
				if r.carry != nil {
					c = r.carry[i]
				}
				o, err := w.apply(ctx, ev, c, &r.evicted)
				if err != nil {
					return fmt.Errorf("store event %s: %w", ev.ID, err)
				}
				r.out[i] = o
			}
		}
		return nil
	})
	err = diskFull(w.s.path, err)
	for _, r := range batch {
		if err != nil {
			r.out, r.evicted = nil, nil
		}
		r.done <- err
	}
}

// diskFull returns err as a DiskFullError when it is SQLite or the system
// saying that the disk holding the database at path is full. SQLite says
// it with SQLITE_FULL when writing pages, and with an I/O error when it
// cannot grow the shared-memory file of the write-ahead log (which it
// does when opening).
func diskFull(path string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && (se.Code()&0xff == sqlite3.SQLITE_FULL || se.Code() == sqlite3.SQLITE_IOERR_SHMSIZE) ||
		errors.Is(err, syscall.ENOSPC) {
		return &DiskFullError{Dir: filepath.Dir(path), Err: err}
	}
	return err
}

func (w *writer) tx(ctx context.Context, f func() error) error {
	if _, err := w.st["beginImmediate"].ExecContext(ctx); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := f(); err != nil {
		if _, rerr := w.conn.ExecContext(ctx, `ROLLBACK`); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return err
	}
	if _, err := w.st["commit"].ExecContext(ctx); err != nil {
		w.conn.ExecContext(ctx, `ROLLBACK`)
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// apply stores one event inside the current transaction, first making the
// room c asks for; it adds what it evicts to evicted.
func (w *writer) apply(ctx context.Context, ev *nostr.Event, c Carry, evicted *[]Evicted) (Outcome, error) {
	id := mustHex(ev.ID)
	pk := mustHex(ev.PubKey)
	var one int
	err := w.st["exists"].QueryRowContext(ctx, id, id).Scan(&one)
	if err == nil {
		return Duplicate, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}

	// A deletion request for this event (by id or, for addressable and
	// replaceable events, by address up to a time) keeps it out. Deleting a
	// deletion request has no effect (NIP-09).
	if ev.Kind != event.KindDeletion {
		if _, found, err := w.tombstone(ctx, ev.ID, pk); err != nil {
			return 0, err
		} else if found {
			return Deleted, nil
		}
	}
	replaceable := event.IsReplaceable(ev.Kind) || event.IsAddressable(ev.Kind)
	var d sql.NullString
	if replaceable {
		addr := event.Address(ev)
		if at, found, err := w.tombstone(ctx, addr, pk); err != nil {
			return 0, err
		} else if found && int64(ev.CreatedAt) <= at {
			return Deleted, nil
		}
		d = sql.NullString{String: "", Valid: true}
		if event.IsAddressable(ev.Kind) {
			d.String = event.DTag(ev)
		}
		var (
			eid    int64
			curID  []byte
			curAt  int64
			curRaw []byte
		)
		err := w.st["current"].QueryRowContext(ctx, pk, ev.Kind, d.String).Scan(&eid, &curID, &curAt, &curRaw)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return 0, err
		default:
			// NIP-01: keep the newest; on a tie, the lowest id.
			if curAt > int64(ev.CreatedAt) || (curAt == int64(ev.CreatedAt) && hex.EncodeToString(curID) < ev.ID) {
				if event.IsAddressable(ev.Kind) {
					if err := w.keepVersion(ctx, id, pk, addr, int64(ev.CreatedAt), marshal(ev)); err != nil {
						return 0, err
					}
				}
				return Obsolete, nil
			}
			if event.IsAddressable(ev.Kind) {
				if err := w.keepVersion(ctx, curID, pk, addr, curAt, curRaw); err != nil {
					return 0, err
				}
			}
			if err := w.remove(ctx, eid, curAt, curRaw); err != nil {
				return 0, err
			}
		}
	}

	if c.Room != nil {
		vs, ok, err := w.victims(ctx, *c.Room, c.Band, c.PoW, int64(ev.CreatedAt))
		if err != nil {
			return 0, err
		}
		if !ok {
			return NoRoom, nil
		}
		ev, err := w.evict(ctx, vs)
		if err != nil {
			return 0, err
		}
		*evicted = append(*evicted, ev...)
	}
	var exp sql.NullInt64
	if v, ok := event.Expiration(ev); ok {
		exp = sql.NullInt64{Int64: v, Valid: true}
	}
	res, err := w.st["insert"].ExecContext(ctx, id, pk, int64(ev.CreatedAt), ev.Kind, d, exp, w.s.now().Unix(), marshal(ev))
	if err != nil {
		return 0, err
	}
	eid, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	for _, key := range tagKeys(ev) {
		if _, err := w.st["tag"].ExecContext(ctx, key, int64(ev.CreatedAt), eid); err != nil {
			return 0, err
		}
	}
	if c.Band > 0 {
		if _, err := w.st["carry"].ExecContext(ctx, eid, c.Band, c.PoW, int64(ev.CreatedAt)); err != nil {
			return 0, err
		}
	}
	if ev.Kind == event.KindDeletion {
		if err := w.applyDeletion(ctx, ev, pk); err != nil {
			return 0, err
		}
	}
	return Stored, nil
}

func (w *writer) tombstone(ctx context.Context, target string, pk []byte) (int64, bool, error) {
	var at int64
	err := w.st["tombstone"].QueryRowContext(ctx, target, pk).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return at, err == nil, err
}

func (w *writer) keepVersion(ctx context.Context, id, pk []byte, addr string, at int64, raw []byte) error {
	_, err := w.st["version"].ExecContext(ctx, id, pk, addr, at, raw)
	return err
}

// remove deletes a current event and its tag index rows.
func (w *writer) remove(ctx context.Context, eid, createdAt int64, raw []byte) error {
	ev, err := decode(raw)
	if err != nil {
		return err
	}
	for _, key := range tagKeys(ev) {
		if _, err := w.st["untag"].ExecContext(ctx, key, createdAt, eid); err != nil {
			return err
		}
	}
	_, err = w.st["delete"].ExecContext(ctx, eid)
	return err
}

// applyDeletion honours a NIP-09 deletion request: it removes the author's
// own referenced events and remembers the request so they stay out.
func (w *writer) applyDeletion(ctx context.Context, del *nostr.Event, pk []byte) error {
	for _, tag := range del.Tags {
		if len(tag) < 2 {
			continue
		}
		switch tag[0] {
		case "e":
			if !event.IsHexID(tag[1]) {
				continue
			}
			if _, err := w.st["addTombstone"].ExecContext(ctx, tag[1], pk, int64(del.CreatedAt)); err != nil {
				return err
			}
			target := mustHex(tag[1])
			var (
				eid, at int64
				kind    int
				raw     []byte
			)
			err := w.st["byID"].QueryRowContext(ctx, target, pk).Scan(&eid, &kind, &at, &raw)
			if err == nil && kind != event.KindDeletion {
				if err := w.remove(ctx, eid, at, raw); err != nil {
					return err
				}
			} else if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if _, err := w.st["dropVersion"].ExecContext(ctx, target, pk); err != nil {
				return err
			}
		case "a":
			kind, author, d, ok := parseAddress(tag[1])
			if !ok || author != del.PubKey || !(event.IsReplaceable(kind) || event.IsAddressable(kind)) {
				continue
			}
			addr := strconv.Itoa(kind) + ":" + author + ":" + d
			if _, err := w.st["addTombstone"].ExecContext(ctx, addr, pk, int64(del.CreatedAt)); err != nil {
				return err
			}
			if _, err := w.removeAll(ctx, "byAddress", pk, kind, d, int64(del.CreatedAt)); err != nil {
				return err
			}
			if _, err := w.st["dropVersions"].ExecContext(ctx, addr, int64(del.CreatedAt)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *writer) purge(ctx context.Context) ([]Evicted, error) {
	var all []Evicted
	for {
		vs, err := w.removeAll(ctx, "expired", w.s.now().Unix())
		for _, v := range vs {
			if ev, err := decode(v.raw); err == nil {
				all = append(all, Evicted{Event: ev, Size: len(ev.Serialize()) + 160})
			}
		}
		if err != nil || len(vs) == 0 {
			return all, err
		}
	}
}

// removeAll removes the events (eid, created_at, raw) that the named
// statement selects, and returns them.
func (w *writer) removeAll(ctx context.Context, stmt string, args ...any) ([]victim, error) {
	rows, err := w.st[stmt].QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	var vs []victim
	for rows.Next() {
		var v victim
		if err := rows.Scan(&v.eid, &v.at, &v.raw); err != nil {
			rows.Close()
			return nil, err
		}
		vs = append(vs, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, v := range vs {
		if err := w.remove(ctx, v.eid, v.at, v.raw); err != nil {
			return nil, err
		}
	}
	return vs, nil
}

// tagKeys lists the index keys ("x:value") of an event's single-letter tags.
// Very long values are not indexed: no filter needs them and they would
// bloat the index.
func tagKeys(ev *nostr.Event) []string {
	var keys []string
	for _, tag := range ev.Tags {
		if len(tag) < 2 || len(tag[0]) != 1 || len(tag[1]) > maxIndexedValue {
			continue
		}
		c := tag[0][0]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			continue
		}
		keys = append(keys, tag[0]+":"+tag[1])
	}
	return keys
}

const maxIndexedValue = 512

// parseAddress splits "kind:pubkey:d".
func parseAddress(a string) (kind int, pubkey, d string, ok bool) {
	parts := strings.SplitN(a, ":", 3)
	if len(parts) != 3 {
		return 0, "", "", false
	}
	k, err := strconv.Atoi(parts[0])
	if err != nil || k < 0 || k > 65535 || !event.IsHexID(parts[1]) {
		return 0, "", "", false
	}
	return k, parts[1], parts[2], true
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic("store: unvalidated hex reached the writer: " + s)
	}
	return b
}

func marshal(ev *nostr.Event) []byte {
	b, err := ev.MarshalJSON()
	if err != nil {
		panic("store: marshal event: " + err.Error())
	}
	return b
}
