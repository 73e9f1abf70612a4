// Package node is the core of a Caravan node: one data directory and its
// lock, the configuration, the identities, validation and durable storage
// of everything that enters (Ingest, Publish), flood control and the
// store's quota, the follow graph and trust, the relay and Blossom
// endpoints with the limits on guests (guests.go), and the settings.
//
// Features are packages on top of the core (chat, reports, bundles, mesh).
// The core never calls them: they register hooks (OnStored, OnHandover,
// OnUnlocked, OnServe and the others in hooks.go) and reach the store,
// keyring and policy through internal/nodehost. The core does not give
// those parts to anyone else: the local API, the CLI and the web UI use
// the core's and the features' methods.
//
// A data directory is used by one process at a time (a lock file guards
// it). It is the user's alone: the directory and the folders below are
// 0700, the files 0600, whatever they were before (see private.go). Its
// layout:
//
//	config.json   optional configuration (see Config)
//	keys/         one file per identity, the secret as a NIP-49 ncryptsec
//	events.db     the SQLite event store (with -wal and -shm beside it)
//	node-id       this node's random id (see NodeID)
//	guests.txt    the keys admitted with the invitation code (see GuestsFile)
//	peers.json    the peers the mesh syncs with
//	apps/         the program files it hands out, if published (see AppsDir)
//	api.json      while serving: the local API address and its token
//	lock          held while a process uses the directory
//	reserve       on a nearly full disk, space given up when it fills (see disk.go)
//
// The CLI and the web UI reach a node through package localapi; this package
// knows nothing of them.
package node

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/listeners"
	"github.com/caravan-mesh/caravan/internal/nodehost"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/policy"
	"github.com/caravan-mesh/caravan/store"
)

// Version is the program's version, set at build time with
// -ldflags "-X github.com/caravan-mesh/caravan/node.Version=v1.2.3".
var Version = ""

// VersionString is Version, or the module version from the build, or "dev".
func VersionString() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// ErrBusy means another process is using the data directory.
var ErrBusy = errors.New("the data directory is in use by another caravan process")

// Options configure Open. The zero value works.
type Options struct {
	// Now is the node's clock. If nil, time.Now.
	Now func() time.Time
	// Logf receives operational messages. If nil, they are dropped.
	Logf func(format string, args ...any)
	// Config overrides config.json when not nil.
	Config *Config
	// Checked, if set, is shared by nodes in one process so that each
	// event's signature is verified once among them (the simulator). If
	// nil, every signature is verified.
	Checked *event.Checked
	// Store configures the event store; its Now is the node's clock.
	Store store.Options
	// Removed, if set, is called with the id of each event the store
	// removed to make room or because it expired (the simulator keeps
	// count of what each node holds with it and Subscribe).
	Removed func(id string)
	// KeyLogN is the NIP-49 scrypt cost (log2 of N) for keys encrypted
	// from now on. If 0, keys.DefaultLogN. Tests lower it for speed;
	// never lower it for real users.
	KeyLogN uint8
	// Rand is the source of everything random the node writes or sends:
	// new secret keys, gift wraps' one-time keys, NIP-44 nonces and
	// timestamp jitter, attachment keys, vault nonces, and the ids of
	// reports, drafts, groups, bundles and the node itself. If nil,
	// crypto/rand. A deterministic Rand is for simulation and tests only
	// (it makes keys predictable and nonces repeatable): never use one for
	// real users. It need not be safe for concurrent use.
	Rand io.Reader
}

// Node is an open data directory.
type Node struct {
	Dir    string
	Config Config

	// The keyring, the store and the policy are the core's own: clients
	// use its methods, features reach them through package nodehost.
	kr  *keys.Keyring
	st  *store.Store
	pol *policy.Policy

	now     func() time.Time
	rand    io.Reader // never nil; safe for concurrent use
	logf    func(string, ...any)
	removed func(id string)
	checked *event.Checked
	lock    *os.File
	started time.Time

	parts    *nodehost.Parts // what features reach through nodehost.Of
	hooks    hooks
	subs     map[int]func(ev *nostr.Event, raw []byte) // OnStored's, under mu
	nextSub  int
	graph    graphState
	own      ownKeyCache
	counts   Counters
	id       string // random node id (NodeID)
	guests   *guestBook
	mu       sync.RWMutex
	serving  *serving // nil unless Serve is running
	activity listeners.Set[func(Activity)]
	// settingsMu serialises changes to config.json.
	settingsMu sync.Mutex
	// followMu serialises changes to follow lists (read, edit, publish).
	followMu sync.Mutex
	// room is what the store could grow to on its disk as last measured
	// (free space plus its files), 0 if unknown: the default quota's base.
	room        atomic.Int64
	spaceMu     sync.Mutex   // one makeSpace at a time
	estimated   atomic.Int64 // the store's size as last measured, plus what was taken since
	nextMeasure atomic.Int64 // the estimate at which the store and the disk are measured again
	walBytes    int64        // the write-ahead log's length as set (keepReserve), under spaceMu
}

// Open opens (creating if needed) the data directory dir and takes its
// lock. On a full disk it fails with a *store.DiskFullError.
func Open(dir string, opts Options) (_ *Node, err error) {
	defer func() { err = diskFull(dir, err) }()
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	rnd := io.Reader(rand.Reader)
	if opts.Rand != nil {
		rnd = &lockedReader{r: opts.Rand}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	makePrivate(dir, opts.Logf)
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := lockFile(lock); err != nil {
		lock.Close()
		if errors.Is(err, ErrBusy) {
			return nil, fmt.Errorf("%s: %w", dir, ErrBusy)
		}
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	cfg := Config{}
	if opts.Config != nil {
		cfg = *opts.Config
	} else if cfg, err = LoadConfig(dir); err != nil {
		lock.Close()
		return nil, err
	}
	kr, err := keys.OpenKeyring(filepath.Join(dir, "keys"))
	if err != nil {
		lock.Close()
		return nil, err
	}
	kr.Now = opts.Now
	kr.LogN = opts.KeyLogN
	kr.Rand = rnd
	so := opts.Store
	so.Now = opts.Now
	st, err := store.Open(filepath.Join(dir, "events.db"), so)
	if err != nil {
		lock.Close()
		return nil, err
	}
	cfg = cfg.WithDefaults()
	id, err := nodeID(dir, rnd)
	if err != nil {
		st.Close()
		lock.Close()
		return nil, err
	}
	guests, err := openGuests(dir)
	if err != nil {
		st.Close()
		lock.Close()
		return nil, err
	}
	n := &Node{
		id: id, guests: guests,
		Dir: dir, Config: cfg, kr: kr, st: st, pol: policy.New(cfg.Policy),
		now: opts.Now, rand: rnd, logf: opts.Logf, lock: lock, started: opts.Now(),
		removed: opts.Removed, checked: opts.Checked,
		subs:  map[int]func(*nostr.Event, []byte){},
		graph: graphState{dirty: true},
		// SQLite's own length, until keepReserve finds the disk nearly full.
		walBytes: walDefault,
	}
	n.parts = &nodehost.Parts{Dir: dir, Store: st, Keys: kr, Policy: n.pol, Now: n.now, Rand: n.rand, Logf: n.logf}
	if _, err := n.measure(context.Background()); err != nil {
		st.Close()
		lock.Close()
		return nil, err
	}
	n.keepReserve(context.Background())
	return n, nil
}

// Close closes the store and releases the data directory.
func (n *Node) Close() error {
	for _, f := range n.hooks.closed.All() {
		f()
	}
	err := n.st.Close()
	n.lock.Close()
	return err
}

// Now is the node's clock.
func (n *Node) Now() time.Time { return n.now() }

// Rand is the node's source of randomness (Options.Rand, or crypto/rand),
// for what callers encrypt on the node's behalf, such as attachments of
// private messages. It is safe for concurrent use.
func (n *Node) Rand() io.Reader { return n.rand }

// lockedReader lets goroutines share a reader that is not safe for
// concurrent use, such as a seeded ChaCha8.
type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}

// randHex is nbytes from the node's random source, in hex: a fresh id.
func (n *Node) randHex(nbytes int) string {
	return randHex(n.rand, nbytes)
}

func randHex(r io.Reader, nbytes int) string {
	b := make([]byte, nbytes)
	if _, err := io.ReadFull(r, b); err != nil {
		// crypto/rand never fails; a reader given in Options that does is
		// a broken simulation or test, and ids must not silently repeat.
		panic(fmt.Sprintf("node: the random source failed: %v", err))
	}
	return hex.EncodeToString(b)
}

// Result is what became of one event offered to the node.
type Result struct {
	ID        string
	Outcome   store.Outcome // meaningful when Err is nil
	Ephemeral bool          // ephemeral kinds are passed to subscribers, not stored
	Err       error         // why it was rejected; an *event.Rejection or an internal error
}

// OK reports whether the event is now held (or was already): the value of
// an OK message.
func (r Result) OK() bool { return r.Err == nil && r.Outcome != store.Deleted }

// Message is the NIP-01 reason for an OK message: empty for a plain
// success, otherwise "prefix: words".
func (r Result) Message() string {
	if r.Err != nil {
		return event.Reason(r.Err)
	}
	switch {
	case r.Ephemeral:
		return ""
	case r.Outcome == store.Duplicate:
		return "duplicate: already have this event"
	case r.Outcome == store.Obsolete:
		return "duplicate: a newer version of this replaceable event is already stored"
	case r.Outcome == store.Deleted:
		return "blocked: its author deleted this event (NIP-09)"
	}
	return ""
}

// Ingest validates events and stores the valid ones durably, in one
// transaction. Signatures are checked in parallel on all cores. When it
// returns, every result with OK() true is on disk. New events are passed to
// subscribers.
func (n *Node) Ingest(ctx context.Context, evs ...*nostr.Event) []Result {
	return n.ingest(ctx, false, evs...)
}

// ingest is Ingest; trusted events (wraps this node's identities just
// made) are not held to the caps on what is carried for others.
func (n *Node) ingest(ctx context.Context, trusted bool, evs ...*nostr.Event) []Result {
	res := make([]Result, len(evs))
	now := n.now()
	for i, ev := range evs {
		res[i].ID = ev.ID
		res[i].Err = event.Check(ev, n.Config.Events, now)
	}
	verifyAll(n.checked, evs, res)

	n.refreshGraph(ctx)
	var (
		keep  []*nostr.Event
		at    []int
		carry []store.Carry
		adm   = make([]policy.Admission, len(evs))
		sizes = make([]int, len(evs))
	)
	for i, ev := range evs {
		if res[i].Err != nil {
			continue
		}
		if event.IsEphemeral(ev.Kind) {
			res[i].Ephemeral = true
			continue
		}
		if band(n.pol.Classify(ev)) > 0 {
			n.countUsage(ctx)
		}
		sizes[i] = event.Size(ev)
		if trusted {
			n.pol.Count(ev, sizes[i])
			adm[i] = policy.Admission{Class: policy.Own}
		} else if adm[i], res[i].Err = n.pol.Take(ev, sizes[i]); res[i].Err != nil {
			continue
		}
		keep = append(keep, ev)
		at = append(at, i)
		carry = append(carry, n.carry(ev, adm[i]))
	}
	// A batch larger than a small quota allows is stored in parts, so
	// that its strangers' events can make room for one another.
	for len(keep) > 0 {
		k := n.part(sizes, at)
		n.save(ctx, evs, res, adm, sizes, keep[:k], at[:k], carry[:k])
		keep, at, carry = keep[k:], at[k:], carry[k:]
	}
	for i, ev := range evs {
		switch {
		case res[i].Err != nil:
			n.counts.Refused.Add(1)
			if errors.Is(res[i].Err, errNoRoom) {
				n.noRoom(ev)
			}
		case res[i].Ephemeral || res[i].Outcome == store.Stored:
			n.counts.Stored.Add(1)
			n.graphChanged(ev)
			n.notify(ev)
		case res[i].Outcome == store.Duplicate:
			n.counts.Duplicates.Add(1)
		}
	}
	return res
}

// part is how many of the events about to be stored (evs[at[j]]) go in
// one transaction: those that take up to an eighth of the quota, and at
// least one.
func (n *Node) part(sizes []int, at []int) int {
	limit, took := n.StoreQuota()/8, int64(0)
	for j, i := range at {
		took += overhead * int64(sizes[i])
		if took > limit && j > 0 {
			return j
		}
	}
	return len(at)
}

// save stores events that passed the policy (keep[j] is evs[at[j]], kept
// as carry[j]) in one transaction, after making room, and records each
// one's result.
func (n *Node) save(ctx context.Context, evs []*nostr.Event, res []Result, adm []policy.Admission, sizes []int,
	keep []*nostr.Event, at []int, carry []store.Carry) {
	for try := 0; ; try++ {
		keep, at, carry = n.fit(ctx, evs, res, adm, sizes, keep, at, carry)
		if len(keep) == 0 {
			return
		}
		out, gone, err := n.st.SaveCarried(ctx, keep, carry)
		n.forget(gone)
		var full *store.DiskFullError
		if try == 0 && errors.As(err, &full) {
			// The disk filled under the quota: measure it again, which
			// lowers the quota, make room and try once more.
			n.diskFilled(ctx)
			continue
		}
		err = storeError(err)
		for j, i := range at {
			switch {
			case err != nil:
				res[i].Err = err
			case out[j] == store.NoRoom:
				res[i].Err = noRoom(adm[i])
			default:
				res[i].Outcome = out[j]
			}
			if res[i].Err != nil || res[i].Outcome != store.Stored {
				n.pol.Return(evs[i], sizes[i])
			}
		}
		return
	}
}

// fit makes room in the store for the events about to be stored
// (keep[j] is evs[at[j]], kept as carry[j]) and returns those that go in.
// When the store is full with nothing left to evict, only the node's own
// events, and messages to its own identities, still go in: a store full
// of friends' mail must not turn away the user's. The others are refused.
func (n *Node) fit(ctx context.Context, evs []*nostr.Event, res []Result, adm []policy.Admission, sizes []int,
	keep []*nostr.Event, at []int, carry []store.Carry) ([]*nostr.Event, []int, []store.Carry) {
	var incoming int64
	for _, i := range at {
		incoming += int64(sizes[i])
	}
	room, err := n.makeSpace(ctx, overhead*incoming)
	if err != nil {
		// Room unknown: the save itself says what is wrong.
		n.logf("make room in the store: %v", err)
		return keep, at, carry
	}
	if room {
		return keep, at, carry
	}
	k := 0
	for j, i := range at {
		if adm[i].Class == policy.Own || n.forMe(evs[i]) {
			keep[k], at[k], carry[k] = keep[j], i, carry[j]
			k++
			continue
		}
		res[i].Err = n.storeFull()
		n.pol.Return(evs[i], sizes[i])
	}
	return keep[:k], at[:k], carry[:k]
}

// storeError is why the store could not keep events, in words for the
// person or client that sent them: a full disk is named with what to do.
func storeError(err error) error {
	var full *store.DiskFullError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &full):
		return &event.Rejection{Prefix: event.Error, Msg: full.Error() + "; free space and retry", Err: err}
	}
	return fmt.Errorf("could not store the event: %w", err)
}

// Counters count what Ingest did since the node opened.
type Counters struct {
	Stored     atomic.Int64 // new events kept (or, if ephemeral, passed on)
	Duplicates atomic.Int64 // events already held
	Refused    atomic.Int64 // invalid, or outside the policy
	Evicted    atomic.Int64 // removed to make room, or expired
}

// Counts returns the ingest counters.
func (n *Node) Counts() *Counters { return &n.counts }

// verifyAll checks ids and signatures of the events that passed Check,
// spreading the work over all cores.
func verifyAll(c *event.Checked, evs []*nostr.Event, res []Result) {
	workers := min(runtime.GOMAXPROCS(0), len(evs))
	if workers <= 1 {
		for i, ev := range evs {
			if res[i].Err == nil {
				res[i].Err = c.Verify(ev)
			}
		}
		return
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(evs); i += workers {
				if res[i].Err == nil {
					res[i].Err = c.Verify(evs[i])
				}
			}
		}(w)
	}
	wg.Wait()
}

// Publish signs ev as identity as ("" is the default identity), setting
// created_at to now if it is zero, and ingests it. It returns the signed
// event, which is durable when err is nil.
//
// A new version of a replaceable or addressable event whose created_at it
// sets replaces the version held, even when the clock is behind that
// one's created_at; otherwise the change would be kept as obsolete and
// lost. Within the same second, or when that version is dated a little
// ahead, the new one is dated a second after it. One dated further ahead
// than the node takes events was written while the clock ran ahead (or
// this clock has been set back): it is deleted (NIP-09), so that the new
// version, dated now, replaces it here and on every node.
func (n *Node) Publish(ctx context.Context, as string, ev *nostr.Event) (*nostr.Event, error) {
	if ev.Tags == nil {
		ev.Tags = nostr.Tags{}
	}
	if ev.CreatedAt == 0 {
		now := n.now()
		ev.CreatedAt = nostr.Timestamp(now.Unix())
		cur, err := n.current(ctx, as, ev)
		if err != nil {
			return nil, err
		}
		switch limit := now.Add(time.Duration(n.Config.Events.MaxFuture)).Unix(); {
		case cur == nil || cur.CreatedAt < ev.CreatedAt:
		case int64(cur.CreatedAt) < limit:
			ev.CreatedAt = cur.CreatedAt + 1
		default:
			del := &nostr.Event{Kind: event.KindDeletion, Content: "dated ahead of the clock",
				Tags: nostr.Tags{{"e", cur.ID}, {"k", strconv.Itoa(cur.Kind)}}}
			if _, err := n.Publish(ctx, as, del); err != nil {
				return nil, fmt.Errorf("delete the version dated ahead of the clock: %w", err)
			}
		}
	}
	if err := n.kr.Sign(as, ev); err != nil {
		return nil, err
	}
	r := n.Ingest(ctx, ev)[0]
	switch {
	case r.Err != nil:
		return nil, r.Err
	case !r.OK():
		return nil, event.Reject(event.Blocked, "its author deleted this event (NIP-09)")
	}
	return ev, nil
}

// current returns the version ev would replace, as identity as, if ev is
// replaceable or addressable and one is held.
func (n *Node) current(ctx context.Context, as string, ev *nostr.Event) (*nostr.Event, error) {
	if !event.IsReplaceable(ev.Kind) && !event.IsAddressable(ev.Kind) {
		return nil, nil
	}
	s, err := n.kr.Signer(as)
	if err != nil {
		return nil, err
	}
	f := nostr.Filter{Kinds: []int{ev.Kind}, Authors: []string{s.PubKey()}}
	if event.IsAddressable(ev.Kind) {
		f.Tags = nostr.TagMap{"d": {event.DTag(ev)}}
	}
	evs, err := n.st.QueryEvents(ctx, f, 1)
	if err != nil || len(evs) == 0 {
		return nil, err
	}
	return evs[0], nil
}

func (n *Node) notify(ev *nostr.Event) {
	n.emitEvent(ev)
	n.mu.RLock()
	defer n.mu.RUnlock()
	if len(n.subs) == 0 {
		return
	}
	raw, err := ev.MarshalJSON()
	if err != nil {
		return
	}
	for _, fn := range n.subs {
		fn(ev, raw)
	}
}
