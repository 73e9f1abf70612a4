// Package store keeps Nostr events in an embedded SQLite database
// (modernc.org/sqlite, pure Go) in WAL mode, and answers NIP-01 filter
// queries from its indexes.
//
// The store does not verify signatures: callers validate events (package
// event) before saving. It applies the storage rules of NIP-01 (replaceable
// and addressable events), NIP-09 (deletion requests, remembered as
// tombstones so that a deleted event does not come back through a later
// sync) and NIP-40 (expired events are never returned and are purged).
//
// Durability: Save returns only after the transaction holding the events has
// been committed with synchronous=FULL, so an event that Save reported as
// stored survives a crash of the process or of the machine. Concurrent calls
// to Save are grouped into one transaction (group commit), so many small
// writers cost one fsync per batch, not one per event.
package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/nbd-wtf/go-nostr"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrTooNew means the database was written by a newer version of Caravan.
var ErrTooNew = errors.New("store is from a newer version")

// ErrUnvalidated means Save was given an event with malformed fields.
var ErrUnvalidated = errors.New("unvalidated event")

// ErrClosed is returned by calls made after Close.
var ErrClosed = errors.New("store is closed")

// A DiskFullError is a write that failed because the disk holding the
// store has no space left. Nothing of the failed transaction was stored;
// what was stored before is intact, and writes succeed again once there
// is space, without reopening the store.
type DiskFullError struct {
	Dir string // the directory holding the database
	Err error  // what SQLite or the system said
}

func (e *DiskFullError) Error() string { return "the disk holding " + e.Dir + " is full" }
func (e *DiskFullError) Unwrap() error { return e.Err }

// ErrBusy means the call gave up waiting for another to finish (Items).
// It is event.ErrBusy, so that callers below the store can recognise it.
var ErrBusy = event.ErrBusy

// Outcome says what Save did with one event.
type Outcome int

const (
	// Stored: the event is new and now durable.
	Stored Outcome = iota
	// Duplicate: the store already held this event.
	Duplicate
	// Obsolete: a newer version of this replaceable or addressable event is
	// held. An addressable one is kept as an earlier version, readable by id.
	Obsolete
	// Deleted: the event's author asked for it to be deleted (NIP-09).
	Deleted
	// NoRoom: the event's band (or author) is full of events at least as
	// strong, so it was not stored (see Carry).
	NoRoom
)

func (o Outcome) String() string {
	switch o {
	case Stored:
		return "stored"
	case Duplicate:
		return "duplicate"
	case Obsolete:
		return "obsolete"
	case Deleted:
		return "deleted"
	case NoRoom:
		return "no room"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Options configure a Store. The zero value works.
type Options struct {
	// Now is the clock used for expiration and received_at. If nil, time.Now.
	Now func() time.Time
	// MaxBatch bounds how many events one transaction holds. If zero, 4096.
	MaxBatch int
	// Readers is the size of the read connection pool. If zero, 4.
	Readers int
	// CacheKiB bounds each connection's page cache. If zero, SQLite's
	// default (2 MiB). The simulator, with hundreds of stores open, uses
	// less.
	CacheKiB int
}

// Store is an open event store. It is safe for concurrent use.
type Store struct {
	path  string
	now   func() time.Time
	max   int
	read  *sql.DB
	write *sql.DB
	reqs  chan *saveReq
	// listing is held by the Items listing in progress (one at a time).
	listing chan struct{}
	// stmts are prepared listing queries by their text (a node lists the
	// same few filters, its wants, at every sync).
	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt
	done   chan struct{} // closed when the writer has stopped
	quit   chan struct{} // closed by Close
}

// Open opens (creating if needed) the store at path, a SQLite file, and
// brings its schema up to date. On a full disk it fails with a
// DiskFullError.
func Open(path string, opts Options) (s *Store, err error) {
	defer func() { err = diskFull(path, err) }()
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 4096
	}
	if opts.Readers <= 0 {
		opts.Readers = 4
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create store directory: %w", err)
	}
	if err := private(path); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	dsn := func(extra string) string {
		if opts.CacheKiB > 0 {
			extra += fmt.Sprintf("&_pragma=cache_size(-%d)", opts.CacheKiB)
		}
		return "file:" + filepath.ToSlash(path) +
			"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" + extra
	}
	write, err := sql.Open("sqlite", dsn("&_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	ctx := context.Background()
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := migrate(ctx, write); err != nil {
		write.Close()
		return nil, err
	}
	read, err := sql.Open("sqlite", dsn("&_pragma=query_only(1)"))
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(opts.Readers)
	read.SetMaxIdleConns(opts.Readers)
	s = &Store{
		path:    path,
		now:     opts.Now,
		max:     opts.MaxBatch,
		read:    read,
		write:   write,
		reqs:    make(chan *saveReq, 64),
		listing: make(chan struct{}, 1),
		done:    make(chan struct{}),
		quit:    make(chan struct{}),
	}
	w, err := newWriter(s)
	if err != nil {
		s.read.Close()
		s.write.Close()
		return nil, err
	}
	go w.run()
	return s, nil
}

// private creates the database file at path 0600 if it does not exist,
// and takes group and other bits off it and its log files if they do
// (where the filesystem has permissions). SQLite creates the log files
// (-wal, -shm) with the database file's permissions, so they are the
// user's alone too.
func private(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	if runtime.GOOS == "windows" {
		return nil
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o077 != 0 {
			os.Chmod(p, fi.Mode().Perm()&^0o077)
		}
	}
	return nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close waits for pending saves to finish and closes the database.
func (s *Store) Close() error {
	select {
	case <-s.quit:
		return nil
	default:
	}
	close(s.quit)
	<-s.done
	err1 := s.read.Close()
	// Fold the write-ahead log into the database, so a closed store is one
	// file (safe to copy, to back up, to carry).
	s.write.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	err2 := s.write.Close()
	return errors.Join(err1, err2)
}

// CheckpointEvery has the write-ahead log folded into the database
// whenever it passes about bytes (SQLite's default is 1000 pages, 4 MiB).
// A short log needs less free space to be folded in: on a nearly full
// disk, that is what lets writes go on once evictions have freed pages.
func (s *Store) CheckpointEvery(ctx context.Context, bytes int64) error {
	return s.run(ctx, func(ctx context.Context, c *sql.Conn) error {
		var size int64
		if err := c.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&size); err != nil {
			return err
		}
		_, err := c.ExecContext(ctx, fmt.Sprintf(`PRAGMA wal_autocheckpoint = %d`, max(bytes/size, 1)))
		return err
	})
}

// Save stores events durably, in order, and reports what happened to each.
// The events must already be validated. It returns when the transaction
// holding them is committed; an error means none of them is acknowledged.
func (s *Store) Save(ctx context.Context, evs ...*nostr.Event) ([]Outcome, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	r, err := s.save(ctx, &saveReq{evs: evs})
	if err != nil {
		return nil, err
	}
	return r.out, nil
}

// save queues r for the writer and waits for its transaction.
func (s *Store) save(ctx context.Context, r *saveReq) (*saveReq, error) {
	for _, ev := range r.evs {
		if !event.IsHexID(ev.ID) || !event.IsHexID(ev.PubKey) {
			return nil, fmt.Errorf("event %q was not validated before saving: %w", ev.ID, ErrUnvalidated)
		}
	}
	r.done = make(chan error, 1)
	select {
	case s.reqs <- r:
	case <-s.quit:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// Once queued, the write happens whatever ctx says: waiting for it keeps
	// the answer truthful.
	if err := <-r.done; err != nil {
		return nil, err
	}
	return r, nil
}

// Get returns the event with the given id, including earlier versions of
// addressable events. It returns nil, nil when the event is not held or has
// expired.
func (s *Store) Get(ctx context.Context, id string) (*nostr.Event, error) {
	raw, err := s.GetRaw(ctx, id)
	if err != nil || raw == nil {
		return nil, err
	}
	return decode(raw)
}

// GetRaw is Get returning the event's JSON.
func (s *Store) GetRaw(ctx context.Context, id string) ([]byte, error) {
	b, err := hex.DecodeString(id)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("event id %q is not 64 hex characters", id)
	}
	var raw []byte
	err = s.read.QueryRowContext(ctx,
		`SELECT raw FROM events WHERE id = ? AND (expiration IS NULL OR expiration > ?)
		 UNION ALL SELECT raw FROM versions WHERE id = ? LIMIT 1`,
		b, s.now().Unix(), b).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return raw, err
}

// RawMany returns the JSON of the held events among ids (current or
// earlier versions, not expired), keyed by hex id.
func (s *Store) RawMany(ctx context.Context, ids []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(ids))
	var args []any
	for _, id := range ids {
		if b, err := hex.DecodeString(id); err == nil && len(b) == 32 {
			args = append(args, b)
		}
	}
	for len(args) > 0 {
		chunk := args[:min(len(args), MaxFilterValues)]
		args = args[len(chunk):]
		marks := strings.TrimSuffix(strings.Repeat("?,", len(chunk)), ",")
		q := `SELECT id, raw FROM events WHERE id IN (` + marks + `) AND (expiration IS NULL OR expiration > ?)
			UNION ALL SELECT id, raw FROM versions WHERE id IN (` + marks + `)`
		qargs := append(append(append([]any{}, chunk...), s.now().Unix()), chunk...)
		rows, err := s.read.QueryContext(ctx, q, qargs...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id, raw []byte
			if err := rows.Scan(&id, &raw); err != nil {
				rows.Close()
				return nil, err
			}
			out[hex.EncodeToString(id)] = raw
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Has reports which of the given ids the store holds (current or earlier
// versions), keyed by hex id.
func (s *Store) Has(ctx context.Context, ids []string) (map[string]bool, error) {
	have := make(map[string]bool, len(ids))
	var keys []any
	for _, id := range ids {
		if b, err := hex.DecodeString(id); err == nil && len(b) == 32 {
			keys = append(keys, b)
		}
	}
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), MaxFilterValues)]
		keys = keys[len(chunk):]
		marks := strings.TrimSuffix(strings.Repeat("?,", len(chunk)), ",")
		rows, err := s.read.QueryContext(ctx, `SELECT id FROM events WHERE id IN (`+marks+`)
			UNION ALL SELECT id FROM versions WHERE id IN (`+marks+`)`, append(append([]any{}, chunk...), chunk...)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id []byte
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			have[hex.EncodeToString(id)] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return have, nil
}

// Stats describes the store's contents.
type Stats struct {
	Path     string        `json:"path"`
	Bytes    int64         `json:"bytes"` // database and write-ahead log on disk
	Events   int64         `json:"events"`
	Versions int64         `json:"earlier_versions"`
	ByKind   map[int]int64 `json:"by_kind"`
	Schema   int           `json:"schema"`
}

// Stats counts events by kind and measures the files on disk.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	st := Stats{Path: s.path, ByKind: map[int]int64{}, Schema: SchemaVersion}
	rows, err := s.read.QueryContext(ctx, `SELECT kind, COUNT(*) FROM events GROUP BY kind`)
	if err != nil {
		return st, err
	}
	defer rows.Close()
	for rows.Next() {
		var k int
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return st, err
		}
		st.ByKind[k] = n
		st.Events += n
	}
	if err := rows.Err(); err != nil {
		return st, err
	}
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM versions`).Scan(&st.Versions); err != nil {
		return st, err
	}
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(s.path + suffix); err == nil {
			st.Bytes += fi.Size()
		}
	}
	return st, nil
}

// Usage is what counts against the policy's caps: gift wraps, and by
// author the events of all other kinds but drafts, and of those the
// reports.
type Usage struct {
	WrapEvents int
	WrapBytes  int64
	WrapsFor   map[string][2]int64 // gift wraps by recipient (the smallest "p" tag; "" none)
	ByAuthor   map[string][2]int64 // hex pubkey -> events, bytes
	ReportsBy  map[string][2]int64 // the part of ByAuthor that is reports (kind 30023)
}

// Usage scans the store for the policy's counters. On a large store this
// reads every row; callers run it once at start and then keep counts.
func (s *Store) Usage(ctx context.Context) (Usage, error) {
	u := Usage{WrapsFor: map[string][2]int64{}, ByAuthor: map[string][2]int64{}, ReportsBy: map[string][2]int64{}}
	wraps, err := s.read.QueryContext(ctx, `SELECT coalesce(p, ''), COUNT(*), SUM(size) FROM (
		SELECT (SELECT min(t.tag) FROM tags t WHERE t.eid = e.eid AND t.tag >= 'p:' AND t.tag < 'p;') AS p, LENGTH(e.raw) AS size
		FROM events e WHERE e.kind = `+sqlGiftWrap+`) GROUP BY p`)
	if err != nil {
		return u, err
	}
	for wraps.Next() {
		var (
			p    string
			n, b int64
		)
		if err := wraps.Scan(&p, &n, &b); err != nil {
			wraps.Close()
			return u, err
		}
		u.WrapsFor[strings.TrimPrefix(p, "p:")] = [2]int64{n, b}
		u.WrapEvents += int(n)
		u.WrapBytes += b
	}
	wraps.Close()
	if err := wraps.Err(); err != nil {
		return u, err
	}
	rows, err := s.read.QueryContext(ctx, `SELECT pubkey, kind = `+sqlReport+`, COUNT(*), SUM(LENGTH(raw)) FROM events WHERE kind NOT IN (`+sqlGiftWrap+`, `+sqlDraft+`) GROUP BY pubkey, kind = `+sqlReport)
	if err != nil {
		return u, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			pk     []byte
			report bool
			n, b   int64
		)
		if err := rows.Scan(&pk, &report, &n, &b); err != nil {
			return u, err
		}
		a := hex.EncodeToString(pk)
		t := u.ByAuthor[a]
		u.ByAuthor[a] = [2]int64{t[0] + n, t[1] + b}
		if report {
			u.ReportsBy[a] = [2]int64{n, b}
		}
	}
	return u, rows.Err()
}

// IntegrityCheck runs SQLite's PRAGMA integrity_check and returns its
// verdict, "ok" when the database is sound.
func (s *Store) IntegrityCheck(ctx context.Context) (string, error) {
	rows, err := s.read.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var out string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		if out != "" {
			out += "\n"
		}
		out += line
	}
	return out, rows.Err()
}

// PurgeExpired deletes events whose NIP-40 expiration has passed and returns
// them.
func (s *Store) PurgeExpired(ctx context.Context) ([]Evicted, error) {
	r, err := s.save(ctx, &saveReq{purge: true})
	if err != nil {
		return nil, err
	}
	return r.evicted, nil
}

func decode(raw []byte) (*nostr.Event, error) {
	ev := new(nostr.Event)
	if err := ev.UnmarshalJSON(raw); err != nil {
		return nil, fmt.Errorf("stored event is unreadable: %w", err)
	}
	return ev, nil
}

// maxStmts bounds the prepared queries kept: filters naming many authors
// differ from node to node, but one node's wants are few. Only queries of
// a bounded set of shapes are kept (not those listing ids).
const maxStmts = 64

// queryPrepared runs q from a statement prepared once and kept, for the
// queries a node runs at every sync.
func (s *Store) queryPrepared(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := s.prepared(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return s.read.QueryContext(ctx, q, args...)
}

// prepared returns query q prepared, kept for the next time; past
// maxStmts, nil (the caller queries without).
func (s *Store) prepared(ctx context.Context, q string) *sql.Stmt {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if st, ok := s.stmts[q]; ok {
		return st
	}
	if len(s.stmts) >= maxStmts {
		return nil
	}
	st, err := s.read.PrepareContext(ctx, q)
	if err != nil {
		return nil // the query reports it
	}
	if s.stmts == nil {
		s.stmts = map[string]*sql.Stmt{}
	}
	s.stmts[q] = st
	return st
}
